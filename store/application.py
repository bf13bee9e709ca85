"""The event store as an `eventsourcing` Application: append a batch, read a stream, read the history.

`open_store(url)` picks SQLite (a file path, the default) or PostgreSQL (`postgresql://…`). Snapshots and
the repository cache stay off: neither can place a late event (DESIGN decision 3). Configuration comes
from the arguments only, never from the process environment, so tests and commands say what they use.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import Environment

from domain.events import CanvasEvent, Parsed
from domain.fold import ProjectorFunc
from domain.ids import stream_id
from store.persistence import AppendResult, BadItem, EventMapper, chain_hash, GENESIS


class StoreError(Exception):
    """The store cannot be opened or read (bad URL, unreachable server, not a store)."""


@dataclass(frozen=True)
class Unreadable:
    """A stored record that cannot be mapped to an event: where it is, its raw state, and why."""

    position: int
    topic: str
    originator_id: UUID | str
    originator_version: int
    state: bytes
    error: Exception


class EventStore(Application):
    """Every Canvas event we keep, once, in arrival order (the library's notification log)."""

    name = "mastery"

    def __init__(self, url: str, *, lock_timeout: int = 30) -> None:
        self.url = url
        self.is_postgres = url.startswith(("postgresql://", "postgres://"))
        super().__init__(env=_env_for(url, lock_timeout))

    def construct_env(self, name: str, env: Any = None) -> Environment:
        return Environment(name, dict(env or {}))  # deliberately not os.environ

    def construct_mapper(self) -> EventMapper:
        return EventMapper()

    # -- writing -----------------------------------------------------------------------------------
    def append(self, events: Sequence[Parsed], bad: Sequence[BadItem] = (),
               sources: Sequence[str | None] | None = None, recorded_at: datetime | None = None) -> AppendResult:
        """Append a batch in one transaction (new events, duplicates skipped, quarantine kept)."""
        when = recorded_at or datetime.now(UTC)
        return self.recorder.append_batch(events, bad, when, sources)  # type: ignore[attr-defined]

    # -- reading -----------------------------------------------------------------------------------
    def stream(self, root_account: str, kind: str, key: str) -> list[CanvasEvent]:
        """One entity's readable events in arrival order (`read_stream` also gives the unreadable records)."""
        return [event for _, event in self.read_stream(root_account, kind, key)[0]]

    def fold(self, root_account: str, kind: str, key: str, projector: ProjectorFunc,
             excluded: Collection[int] = ()) -> Any:
        """An entity's state from its readable events through our fold-ordering projector (None: no events).

        Like the projections (DESIGN decision 10), a record that cannot be mapped and an event at an
        excluded position are left out; the state comes from the other events.
        """
        events = [e for p, e in self.read_stream(root_account, kind, key)[0] if p not in excluded]
        return projector(None, events) if events else None

    def read_stream(self, root_account: str, kind: str, key: str) -> tuple[list, list[Unreadable]]:
        """One entity's records in stream order: (position, event) for each readable one, and the records
        that cannot be mapped to an event."""
        pos, mark = ("notification_id", "%s") if self.is_postgres else ("rowid", "?")
        sid = stream_id(root_account, kind, key)
        sql = (f"SELECT {pos} AS position, originator_version AS version, topic, state "
               f"FROM {self.recorder.events_table_name} WHERE originator_id = {mark} ORDER BY originator_version")
        events, unreadable = [], []
        for r in self.query(sql, (self.recorder._stream_param(sid),)):  # type: ignore[attr-defined]
            stored = StoredEvent(sid, int(r["version"]), r["topic"], bytes(r["state"]))
            try:
                events.append((int(r["position"]), self.mapper.to_domain_event(stored)))
            except Exception as error:
                unreadable.append(Unreadable(int(r["position"]), stored.topic, sid, stored.originator_version,
                                             stored.state, error))
        return events, unreadable

    def read(self, after: int = 0, limit: int = 1000, stop: int | None = None) -> tuple[list, list[Unreadable]]:
        """A page of stored records after a position: (position, event) for each readable one, and the
        records that cannot be mapped to an event (each with its raw state and the error)."""
        items = self.recorder.select_notifications(start=after, limit=limit, stop=stop, inclusive_of_start=False)
        events, unreadable = [], []
        for n in items:
            try:
                events.append((n.id, self.mapper.to_domain_event(n)))
            except Exception as error:
                unreadable.append(Unreadable(n.id, n.topic, n.originator_id, n.originator_version,
                                             bytes(n.state), error))
        return events, unreadable

    def notifications(self, after: int = 0, limit: int = 1000, stop: int | None = None) -> list[tuple[int, CanvasEvent]]:
        """Stored events after a position, in arrival order, as (position, event); unreadable records are
        left out (`read` gives them)."""
        return self.read(after, limit, stop)[0]

    def iter_all(self, after: int = 0, page: int = 1000, *,
                 unreadable: bool = False) -> Iterator[tuple[int, CanvasEvent | Unreadable]]:
        """Every stored record after a position, in arrival order, as (position, event); a record that
        cannot be mapped is skipped, or given as (position, Unreadable) when `unreadable` is set."""
        while True:
            events, bad = self.read(after, page)
            if not events and not bad:
                return
            yield from sorted(events + ([(u.position, u) for u in bad] if unreadable else []), key=lambda x: x[0])
            after = max(p for p, *_ in events + [(u.position,) for u in bad])

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def verify(self, page: int = 2000) -> tuple[int, int | None, str | None]:
        """Recompute the hash chain: (events checked, first failing position or None, why)."""
        prev, checked, after = GENESIS, 0, 0
        while rows := self._chain_page(after, page):
            for position, sid, version, topic, state, link in rows:
                if link is None:
                    return checked, position, "the event has no chain link"
                oid = sid.hex if isinstance(sid, UUID) else str(sid).replace("-", "")
                raw = state.encode() if isinstance(state, str) else bytes(state)
                prev = chain_hash(prev, position, oid, version, topic, raw)
                if prev != link:
                    return checked, position, "the event or its link was changed"
                checked += 1
                after = position
        orphan = self._orphan_link()
        if orphan is not None:
            return checked, orphan, "a chain link has no event (an event was removed)"
        return checked, None, None

    def _chain_page(self, after: int, page: int) -> list[tuple]:
        pos = "e.notification_id" if self.is_postgres else "e.rowid"
        ph = "%s" if self.is_postgres else "?"
        sql = (f"SELECT {pos} AS position, e.originator_id, e.originator_version, e.topic, e.state, c.hash "
               f"FROM {self.recorder.events_table_name} e LEFT JOIN event_chain c ON c.position = {pos} "
               f"WHERE {pos} > {ph} ORDER BY {pos} LIMIT {ph}")
        return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in self.query(sql, (after, page))]

    def _orphan_link(self) -> int | None:
        pos = "notification_id" if self.is_postgres else "rowid"
        rows = self.query(f"SELECT MIN(position) AS p FROM event_chain WHERE position NOT IN "
                          f"(SELECT {pos} FROM {self.recorder.events_table_name})")
        value = rows[0]["p"] if rows else None
        return int(value) if value is not None else None

    def query(self, sql: str, params: Sequence[Any] = (), *, commit: bool = False) -> list[Any]:
        """Run SQL against the store's own database (its extra tables: quarantine, chain, hashes)."""
        with self.recorder.datastore.transaction(commit=commit) as c:  # type: ignore[attr-defined]
            if self.is_postgres:
                c.execute(f'SET LOCAL search_path TO "{self.recorder.datastore.schema}"')  # type: ignore[attr-defined]
            c.execute(sql, params)
            try:
                return list(c.fetchall())
            except Exception:  # a statement that returns no rows
                return []

    def close(self) -> None:
        self.factory.close()


def _env_for(url: str, lock_timeout: int) -> dict[str, str]:
    common = {"IS_SNAPSHOTTING_ENABLED": "n", "ORIGINATOR_ID_TYPE": "uuid"}
    if url.startswith(("postgresql://", "postgres://")):
        u = urlparse(url)
        if u.hostname is None or not u.path.strip("/"):
            raise StoreError(f"store URL {url!r} needs a host and a database, e.g. postgresql://user@127.0.0.1:5432/db")
        query = parse_qs(u.query)
        return common | {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": "store.persistence:PostgresEventRecorder",
            "POSTGRES_DBNAME": unquote(u.path.strip("/")), "POSTGRES_HOST": u.hostname,
            "POSTGRES_PORT": str(u.port or 5432), "POSTGRES_USER": unquote(u.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(u.password or ""), "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
            "POSTGRES_LOCK_TIMEOUT": str(lock_timeout), "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_POOL_SIZE": "2", "POSTGRES_MAX_OVERFLOW": "4",
        }
    path = Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))
    if path.parent and not path.parent.exists():
        raise StoreError(f"the folder of store {str(path)!r} does not exist")
    return common | {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "APPLICATION_RECORDER_TOPIC": "store.persistence:SQLiteEventRecorder",
        "SQLITE_DBNAME": str(path), "SQLITE_LOCK_TIMEOUT": str(lock_timeout),
    }


def open_store(url: str, *, lock_timeout: int = 30) -> EventStore:
    """Open (creating when needed) the event store at a path or postgresql:// URL."""
    try:
        return EventStore(url, lock_timeout=lock_timeout)
    except StoreError:
        raise
    except Exception as error:  # the library raises OSError / OperationalError / InterfaceError
        raise StoreError(f"cannot open store {_safe(url)}: {error}") from error


def _safe(url: str) -> str:
    u = urlparse(url)
    if u.password:
        return url.replace(f":{u.password}@", ":***@")
    return url
