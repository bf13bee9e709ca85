"""The event store as an `eventsourcing` Application: append a batch, read a stream, read the history.

`open_store(url)` picks SQLite (a file path, the default) or PostgreSQL (`postgresql://…`). Snapshots and
the repository cache stay off: neither can place a late event (DESIGN decision 3). Configuration comes
from the arguments; only `open_store` reads the two settings every process must share (the chain key,
MASTERY_CHAIN_KEY, and XDG_STATE_HOME for a PostgreSQL store's head witness) when they are not given,
so the CLI, the web service and the follower process all use the same.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import Environment

from domain.events import CanvasEvent, Parsed
from domain.fold import ProjectorFunc
from domain.ids import stream_id
from store import codec
from store.chain import check_links
from store.marks import ACCESSES, Access, NotAStore, check, inspect, read_uri, require_tables, sqlite_path
from store.migrate import should_seal
from store.persistence import AppendResult, BadItem, ChainedBatchMixin, EventMapper
from store.sealing import Keys, sealed_append
from store.witness import Head, WitnessError, read_witness, witness_path, write_witness

log = logging.getLogger("mastery.store")
FROM_ENV: Any = object()  # open_store: read the setting from the environment


class StoreError(Exception):
    """The store cannot be opened or read (bad URL, unreachable server, not a store)."""


class StoreMissing(StoreError):
    """No store of ours is there: missing (for a read), a folder, not SQLite, or another program's."""


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

    def __init__(
        self,
        url: str,
        *,
        lock_timeout: int = 30,
        chain_key: bytes | None = None,
        state_home: str | None = None,
        access: Access = "create",
    ) -> None:
        self.url = url
        self.access = access
        self.is_postgres = url.startswith(("postgresql://", "postgres://"))
        super().__init__(env=_env_for(url, lock_timeout, access))
        self.keys = Keys(url, self.is_postgres, access, self.mapper)  # sealed at append, opened on read
        self.sealed_known = False  # store/migrate.py should_seal: once sealed, always sealed
        self.chain_key = chain_key or None
        self.chained.chain_key = self.chain_key
        try:
            if self.is_postgres and access != "create":
                self._require_tables()
                if access == "write":
                    cast(Any, self.recorder).create_table()  # idempotent: tables a newer version added
            self.store_id: str = self.chained.identify()
        except BaseException:
            self.close()
            raise
        self.witness = witness_path(url, self.store_id, self.is_postgres, state_home)
        self._witness_warned = False

    def _require_tables(self) -> None:
        """A PostgreSQL store opened for reading or writing must exist: nothing is created for a read."""
        schema = self.chained.datastore.schema
        rows = self.chained.run("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))
        require_tables({r["table_name"] for r in rows}, self.chained.events_table_name, self.safe_url, schema)

    @property
    def chained(self) -> ChainedBatchMixin:
        """The recorder with our own statements (chain, batch append, quarantine); the library types it as its base."""
        return cast(ChainedBatchMixin, self.recorder)

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden (for messages)."""
        return _safe(self.url)

    def construct_env(self, name: str, env: Any = None) -> Environment:
        return Environment(name, dict(env or {}))  # deliberately not os.environ

    def construct_mapper(self) -> EventMapper:
        return EventMapper()

    # -- writing -----------------------------------------------------------------------------------
    def append(
        self,
        events: Sequence[Parsed],
        bad: Sequence[BadItem] = (),
        sources: Sequence[str | None] | None = None,
        recorded_at: datetime | None = None,
    ) -> AppendResult:
        """Append a batch in one transaction (new events, duplicates skipped, quarantine kept)."""
        when = recorded_at or datetime.now(UTC)
        if should_seal(self):  # a new or migrated store; one made before sealing waits for `migrate encrypt`
            result = sealed_append(self.keys, self.chained.append_batch, events, bad, when, sources)
        else:
            result = self.chained.append_batch(events, bad, when, sources)
        if result.appended:
            self._advance_witness()
        return result

    def _advance_witness(self) -> None:
        """Move the head witness to the last link (after the commit: a failure here loses nothing)."""
        try:
            head = self.last_link()
            old = read_witness(self.witness)
            if old is not None and (old.store_id != self.store_id or self.link_at(old.position) != old.hash):
                self._warn(
                    f"head witness {str(self.witness)!r} disagrees with this store, so it was not moved: "
                    "run `mastery verify`; if the store was re-created on purpose, delete that file"
                )
            elif head is not None and (old is None or old.position < head.position):
                write_witness(self.witness, head)
        except (OSError, WitnessError) as error:
            self._warn(
                f"the events are stored, but the head witness {str(self.witness)!r} could not be "
                f"written ({error}); until it is, `verify` cannot see a cut tail: make its folder "
                "writable (or set XDG_STATE_HOME for a PostgreSQL store) and ingest again"
            )

    def _warn(self, message: str) -> None:
        if not self._witness_warned:  # once per process, not once per batch
            self._witness_warned = True
            log.warning("warning: %s", message)

    # -- reading -----------------------------------------------------------------------------------
    def stream(self, root_account: str, kind: str, key: str) -> list[CanvasEvent]:
        """One entity's readable events in arrival order (`read_stream` also gives the unreadable records)."""
        return [event for _, event in self.read_stream(root_account, kind, key)[0]]

    def fold(
        self, root_account: str, kind: str, key: str, projector: ProjectorFunc, excluded: Collection[int] = ()
    ) -> Any:
        """An entity's state from its readable events through our fold-ordering projector (None: no events).

        Like the projections (DESIGN decision 10), a record that cannot be mapped and an event at an
        excluded position are left out; the state comes from the other events.
        """
        events = [e for p, e in self.read_stream(root_account, kind, key)[0] if p not in excluded]
        return projector(None, events) if events else None

    def read_stream(self, root_account: str, kind: str, key: str) -> tuple[list, list[Unreadable]]:
        """One entity's records in stream order: (position, event) for each readable one, and the records
        that cannot be mapped to an event."""
        sid = stream_id(root_account, kind, key)
        events, unreadable = [], []
        for r in self.chained.stream_records(sid):
            stored = StoredEvent(sid, int(r["version"]), r["topic"], bytes(r["state"]))
            try:
                events.append((int(r["position"]), self.mapper.to_domain_event(stored)))
            except Exception as error:
                unreadable.append(
                    Unreadable(
                        int(r["position"]),
                        stored.topic,
                        sid,
                        stored.originator_version,
                        codec.shown(stored.state),
                        error,
                    )
                )
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
                unreadable.append(
                    Unreadable(n.id, n.topic, n.originator_id, n.originator_version, codec.shown(n.state), error)
                )
        return events, unreadable

    def notifications(
        self, after: int = 0, limit: int = 1000, stop: int | None = None
    ) -> list[tuple[int, CanvasEvent]]:
        """Stored events after a position, in arrival order, as (position, event); unreadable records are
        left out (`read` gives them)."""
        return self.read(after, limit, stop)[0]

    def iter_all(
        self, after: int = 0, page: int = 1000, *, unreadable: bool = False
    ) -> Iterator[tuple[int, CanvasEvent | Unreadable]]:
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

    def last_link(self) -> Head | None:
        """The last chain link as a head (what `ingest --json` prints and the witness keeps)."""
        rows = self.query("SELECT position, hash FROM event_chain ORDER BY position DESC LIMIT 1")
        return Head(int(rows[0]["position"]), rows[0]["hash"], self.store_id) if rows else None

    def link_at(self, position: int) -> str | None:
        return self.chained.link_at(position)

    def verify(self, page: int = 2000, head: Head | None = None) -> tuple[int, int | None, str | None]:
        """Recompute the hash chain, then check it still reaches the head witness and `head`:
        (events checked, first failing position or None, why)."""
        try:  # read before the chain: a witness moved by an ingest meanwhile is then never ahead of it
            expected_heads: list[tuple[str, Head]] | None = self._expected_heads(head)
            damaged = None
        except WitnessError as error:  # we write it atomically: a damaged one was edited
            expected_heads, damaged = None, f"{error}: it was damaged, so a cut tail cannot be ruled out"
        checked, last, position, why = check_links(self.chained, self.chain_key, page)
        if position is not None:
            return checked, position, why
        if expected_heads is None:
            return checked, last + 1, damaged
        for source, expected in expected_heads:
            if expected.store_id is not None and expected.store_id != self.store_id:
                return (
                    checked,
                    1,
                    (
                        f"{source} belongs to store {expected.store_id}, this is store {self.store_id}: "
                        "the store was replaced or re-created (if on purpose, delete the witness)"
                    ),
                )
            if expected.position > last:
                return (
                    checked,
                    last + 1,
                    (
                        f"the history ends at position {last} but {source} says "
                        f"{expected.position}: the events after {last} were removed"
                    ),
                )
            if self.link_at(expected.position) != expected.hash:
                return (
                    checked,
                    expected.position,
                    (f"the link at position {expected.position} differs from {source}: the history was rewritten"),
                )
        return checked, None, None

    def witness_status(self) -> str:
        """What `verify` says of the witness file: its path, or that there is none."""
        try:
            found = read_witness(self.witness)
        except WitnessError as error:
            return str(error)
        return f"head witness {self.witness}" if found else f"no head witness ({self.witness})"

    def _expected_heads(self, head: Head | None) -> list[tuple[str, Head]]:
        found = read_witness(self.witness)
        heads = [(f"the head witness {str(self.witness)!r}", found)] if found else []
        return heads + ([("the head given (--head)", head)] if head else [])

    def query(self, sql: str, params: Sequence[Any] = (), *, commit: bool = False) -> list[Any]:
        """Run SQL against the store's own database (its extra tables: quarantine, chain, hashes)."""
        return self.chained.run(sql, params, commit=commit)

    def close(self) -> None:
        self.keys.close()
        self.factory.close()


def _env_for(url: str, lock_timeout: int, access: Access = "create") -> dict[str, str]:
    """The library's settings for a store URL; a SQLite file is looked at first (`store.marks`) and
    refused, or opened read-only, as `access` says. Only "create" lets the library create tables."""
    if access not in ACCESSES:
        raise ValueError(f"access must be one of {ACCESSES}, not {access!r}")
    common = {
        "IS_SNAPSHOTTING_ENABLED": "n",
        "ORIGINATOR_ID_TYPE": "uuid",
        "CREATE_TABLE": "no" if url.startswith(("postgresql://", "postgres://")) and access != "create" else "yes",
    }
    if url.startswith(("postgresql://", "postgres://")):
        u = urlparse(url)
        if u.hostname is None or not u.path.strip("/"):
            raise StoreError(f"store URL {url!r} needs a host and a database, e.g. postgresql://user@127.0.0.1:5432/db")
        query = parse_qs(u.query)
        return common | {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": "store.postgres_recorder:PostgresEventRecorder",
            "POSTGRES_DBNAME": unquote(u.path.strip("/")),
            "POSTGRES_HOST": u.hostname,
            "POSTGRES_PORT": str(u.port or 5432),
            "POSTGRES_USER": unquote(u.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(u.password or ""),
            "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
            "POSTGRES_LOCK_TIMEOUT": str(lock_timeout),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "4",
        }
    path = sqlite_path(url)
    if path.parent and not path.parent.exists():
        raise StoreError(f"the folder of store {str(path)!r} does not exist")
    check(inspect(path), access)
    return common | {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "APPLICATION_RECORDER_TOPIC": "store.persistence:SQLiteEventRecorder",
        # A read opens the file mode=ro (immutable=1 in a read-only folder) and creates nothing; a write
        # re-runs the idempotent CREATE ... IF NOT EXISTS, which also marks a store made before the mark.
        "SQLITE_DBNAME": read_uri(path) if access == "read" else str(path),
        "CREATE_TABLE": "no" if access == "read" else "yes",
        "SQLITE_LOCK_TIMEOUT": str(lock_timeout),
    }


def open_store(
    url: str,
    *,
    lock_timeout: int = 30,
    chain_key: Any = FROM_ENV,
    state_home: Any = FROM_ENV,
    access: Access = "create",
) -> EventStore:
    """Open the event store at a path or postgresql:// URL: access "create" makes it when it is missing,
    "write" needs it to exist, "read" also opens it read-only and creates nothing (`store.marks`). A
    SQLite file that is not ours is refused, whatever the access, and left as it was.

    chain_key (bytes or str; default MASTERY_CHAIN_KEY) keys the hash chain; state_home (default
    XDG_STATE_HOME) is where a PostgreSQL store's head witness is kept."""
    if chain_key is FROM_ENV:
        chain_key = os.environ.get("MASTERY_CHAIN_KEY")
    if isinstance(chain_key, str):
        chain_key = chain_key.encode()
    if state_home is FROM_ENV:
        state_home = os.environ.get("XDG_STATE_HOME")
    try:
        return EventStore(
            url, lock_timeout=lock_timeout, chain_key=chain_key or None, state_home=state_home, access=access
        )
    except StoreError:
        raise
    except NotAStore as error:
        raise StoreMissing(str(error)) from None
    except Exception as error:  # the library raises OSError / OperationalError / InterfaceError
        raise StoreError(f"cannot open store {_safe(url)}: {error}") from error


def _safe(url: str) -> str:
    u = urlparse(url)
    if u.password:
        return url.replace(f":{u.password}@", ":***@")
    return url
