"""Where the event store meets its key table: which table a store has, sealing a batch, opening events.

`EventStore` keeps one `Keys` (store/application.py): `writer()` is the key table an append seals with
(made on the first append: `<store>.keys` beside a SQLite file, `store/pgkeys.py` beside a PostgreSQL
store); `reader()` is what a read opens events with, and never creates anything (a read-only store is
opened read-only; a store without a key table yet gets an empty one, looked for again when an event
holds a token). `seal_batch` seals every Canvas event of a batch in one key transaction (the keys are
committed before the events that need them); the erasure record (`erasure_record`) holds no personal
value and is stored as it is.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from domain.erasure import ERASURE_KIND, ERASURE_TOPIC, PersonErased
from domain.events import Parsed
from domain.ids import stream_id
from domain.personal import BODY_FIELDS
from store.keys import PERSONAL_MEMBER, KeyTable, erased_in, keys_path, seal, unseal
from store.marks import sqlite_path
from store.persistence import AppendResult, BadItem


class Keys:
    """The key tables of one open store (see the module docstring)."""

    def __init__(self, url: str, is_postgres: bool, access: str, mapper: Any = None) -> None:
        self.url, self.is_postgres, self.access = url, is_postgres, access
        self._writer: KeyTable | None = None
        self._reader: KeyTable | None = None
        self._empty = False
        self._checked = time.monotonic()
        if mapper is not None:
            mapper.open_event = self.open_event  # store/persistence.py EventMapper: every read opens events

    def _exists(self) -> bool:
        if self.is_postgres:
            from store.pgkeys import PostgresKeyTable

            return PostgresKeyTable.exists(self.url)
        return keys_path(sqlite_path(self.url)).exists()

    def _open(self, readonly: bool) -> KeyTable:
        if self.is_postgres:
            from store.pgkeys import PostgresKeyTable

            return PostgresKeyTable.from_env(self.url, readonly=readonly)
        return KeyTable.from_env(keys_path(sqlite_path(self.url)), readonly=readonly)

    def writer(self) -> KeyTable:
        if self._writer is None:
            self._writer = self._open(readonly=False)
            if self._reader is not None:
                self._reader.close()
            self._reader, self._empty = self._writer, False
        return self._writer

    def reader(self, looking: bool = False) -> KeyTable:
        """The table events are opened with; `looking`: an event holds a token, so an empty table is
        looked for again (another process may have made it since)."""
        if self._reader is not None and not (self._empty and looking):
            return self._reader
        if self._reader is not None and self._empty and not self._exists():
            return self._reader
        if self._reader is not None:
            self._reader.close()
        if self._exists():
            self._reader, self._empty = self._open(readonly=self.access == "read"), False
        else:
            self._reader, self._empty = KeyTable.empty(), True
        return self._reader

    def refresh(self) -> None:
        """Forget opened keys when someone was erased since (once per page read)."""
        if self._reader is not None and not self._empty:
            self._reader.refresh()

    def _table(self, looking: bool) -> KeyTable:
        """The reader, having forgotten its keys when someone was erased since (checked once a second)."""
        now = time.monotonic()
        if now - self._checked > 1.0:
            self._checked = now
            self.refresh()
        return self.reader(looking)

    def open_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """A stored Canvas event as it arrived ("erased person" where a key is gone)."""
        return unseal(self._table(PERSONAL_MEMBER in event), event)

    def open_body(self, kind: str, event: dict[str, Any]) -> dict[str, Any]:
        """The event with its body opened as `open_event` opens it, the actor's values (metadata) left
        sealed: what the projections read (projections/lean.py), with a decryption only where a body holds
        a personal value (a result's student, a user's or an enrollment's own fields)."""
        names = BODY_FIELDS.get(kind)
        body = event.get("body")
        if not names or not isinstance(body, dict):
            return event
        tokens = event.get(PERSONAL_MEMBER) or {}
        if kind == "result":  # the student's token is the one named by the body's pseudonym
            ref = body.get("user_uuid")
            tokens = {ref: tokens[ref]} if isinstance(ref, str) and ref in tokens else {}
        opened = dict(body)
        if tokens:
            table = self._table(True)
            for ref, token in tokens.items():
                for path, value in (table.decrypt(ref, token) or {}).items():
                    if path.startswith("body."):
                        opened[path[5:]] = value
        return {**event, "body": erased_in(opened, names)}

    def close(self) -> None:
        for table in {id(t): t for t in (self._writer, self._reader) if t is not None}.values():
            table.close()
        self._writer = self._reader = None


def seal_batch(
    keys: Keys, events: Sequence[Parsed], sources: Sequence[str | None]
) -> tuple[list[tuple[Parsed, Parsed, str | None]], list[BadItem], int]:
    """Each Canvas event of the batch sealed, as (sealed, as given, source); the events that could not be
    sealed as quarantine rows (never stored in the clear); how many had an erased person's values refused."""
    if not events:
        return [], [], 0
    table = keys.writer()
    table.refresh()  # an erasure by another process wins from this batch on
    sealed: list[tuple[Parsed, Parsed, str | None]] = []
    bad: list[BadItem] = []
    refused = 0
    with table.batch():
        for event, source in zip(events, sources, strict=True):
            if isinstance(event, ErasureRecord):
                sealed.append((event, event, source))
                continue
            try:
                done = seal(table, event.cls.kind, event.event, event.root_account, event.content_hash)
            except Exception as error:  # bad input never stops an ingest: kept, with the reason
                text = orjson.dumps(event.event, default=str).decode()
                bad.append(BadItem(text, source or "", None, f"cannot be sealed (personal fields): {error!r}"[:500]))
                continue
            refused += bool(done.refused)
            stored = SealedEvent(
                event.cls,
                event.root_account,
                event.key,
                event.stream_id,
                event.event_time,
                done.content_hash,
                event.attributable,
                done.event,
                done.order_hash,
            )  # not dataclasses.replace: that costs a field walk per event (the ingest's hot path)
            sealed.append((stored, event, source))
    return sealed, bad, refused


def sealed_append(
    keys: Keys,
    append_batch: Callable[..., AppendResult],
    events: Sequence[Parsed],
    bad: Sequence[BadItem],
    when: datetime,
    sources: Sequence[str | None] | None,
) -> AppendResult:
    """`append_batch` of the batch sealed (EventStore.append): the unsealable kept in the quarantine.
    `appended` names the events as the caller gave them (at the positions their sealed forms got)."""
    sealed, unsealable, refused = seal_batch(keys, events, sources or [None] * len(events))
    given = {id(stored): event for stored, event, _ in sealed}
    result = append_batch([s for s, _, _ in sealed], [*bad, *unsealable], when, [src for _, _, src in sealed])
    result.appended = [(position, given.get(id(event), event)) for position, event in result.appended]
    result.refused = refused
    return result


@dataclasses.dataclass(frozen=True)
class SealedEvent(Parsed):
    """A sealed Canvas event: deduplicated by its keyed content hash (`content_hash`, per store), its
    stored state carrying the order hash instead, so fold order breaks a true tie alike in every store
    (an export ingested elsewhere gives the same answers; DESIGN decision 3)."""

    order_hash: str

    def state(self, recorded_at: datetime, source: str | None) -> dict[str, Any]:
        return {**super().state(recorded_at, source), "content_hash": self.order_hash}


@dataclasses.dataclass(frozen=True)
class ErasureRecord(Parsed):
    """The erasure as a stored record: appended like an event (chained, deduplicated), never sealed."""

    @property
    def topic(self) -> str:
        return ERASURE_TOPIC


def erasure_record(root_account: str, info: dict[str, Any], at: datetime) -> ErasureRecord:
    """The record of one erasure (`info`: who asked, why, the pseudonyms; no personal value)."""
    event = {"erasure": info}
    digest = hashlib.sha256(orjson.dumps([root_account, at.isoformat(), info], option=orjson.OPT_SORT_KEYS))
    key = digest.hexdigest()[:32]
    sid: UUID = stream_id(root_account, ERASURE_KIND, key)
    return ErasureRecord(PersonErased, root_account, key, sid, at, digest.hexdigest(), False, event)  # type: ignore[arg-type]
