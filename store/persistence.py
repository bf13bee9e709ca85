"""Recorder, mapper and schema wiring for the event store: dedup, hash chain, quarantine, immutability.

The `eventsourcing` library has no hook around its insert besides the recorder, so our recorders subclass
the library's (SQLite here; PostgreSQL in store/postgres_recorder.py, imported only for a PostgreSQL store,
so that no SQLite command pays for importing psycopg) and do everything one batch needs inside one write transaction:
take the writer lock, drop events already stored (content hash), give each new event the next version of
its stream, insert them into the library's table (PostgreSQL: the library's own insert; SQLite: one
executemany at the positions SQLite would give), chain their hashes, and keep unusable input in the
quarantine (DESIGN decisions 4 and 5). States are stored through the codec (store/codec.py: zstd with the
store's own dictionary past its first milestone); the chain links the uncompressed state. Triggers make
the database refuse UPDATE and DELETE of history. A SQLite store is marked at creation (`PRAGMA
application_id`/`user_version`, see `store/marks.py`). `store_meta` holds the store's identity (a random
id written at creation) and, for a keyed chain (HMAC-SHA256), a check value of the key, never the key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic, resolve_topic

from domain.erasure import ERASURE_TOPIC
from domain.events import Parsed
from store import codec
from store.chain import GENESIS, ChainKeyError, chain_hash, key_check
from store.dictionaries import StoreDictionaries
from store.marks import APPLICATION_ID, SCHEMA_VERSION
from store.statements import RecorderStatements


@dataclass(frozen=True)
class BadItem:
    """Input kept in the quarantine: redacted raw text, where it came from, and why."""

    raw_text: str
    source: str
    line: int | None
    reason: str

    @property
    def raw_hash(self) -> str:
        return hashlib.sha256(self.raw_text.encode("utf-8", "backslashreplace")).hexdigest()


@dataclass
class AppendResult:
    """What one batch did: the events appended (with their positions) and what was not appended."""

    appended: list[tuple[int, Parsed]] = field(default_factory=list)
    duplicates: int = 0
    quarantined: list[int] = field(default_factory=list)
    refused: int = 0  # events whose erased person's values were refused (store/keys.seal)


class EventMapper(Mapper):
    """Maps our frozen pydantic events to the library's stored events and back (orjson state)."""

    def __init__(self) -> None:
        super().__init__(transcoder=None)  # type: ignore[arg-type]
        self.open_event: Any = None  # the store's key table opening sealed events (store/sealing.py)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = domain_event.model_dump(mode="json", exclude={"originator_id", "originator_version"})
        return StoredEvent(
            domain_event.originator_id,
            domain_event.originator_version,
            get_topic(type(domain_event)),
            orjson.dumps(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        # The state was validated and written by us: construct without a second validation (hot path).
        state = orjson.loads(codec.decode(stored_event.state))
        if self.open_event is not None and stored_event.topic != ERASURE_TOPIC:
            state["event"] = self.open_event(state["event"])
        oid = stored_event.originator_id
        state["originator_id"] = oid if isinstance(oid, UUID) else UUID(str(oid))
        state["originator_version"] = stored_event.originator_version
        state["event_time"] = datetime.fromisoformat(state["event_time"])
        state["recorded_at"] = datetime.fromisoformat(state["recorded_at"])
        return resolve_topic(stored_event.topic).model_construct(**state)


def _hex(originator_id: UUID | str) -> str:
    """The 32 hex digits of a stream id (the library hands a UUID; a str is read as one)."""
    return originator_id.hex if isinstance(originator_id, UUID) else UUID(originator_id).hex


class ChainedBatchMixin(StoreDictionaries, RecorderStatements):
    """The batch append shared by both recorders; the subclasses supply SQL dialect and locking."""

    chain_key: bytes | None = None
    is_postgres_recorder: bool
    datastore: Any  # the library recorder's datastore (SQLite or PostgreSQL)

    def _write(self) -> Any:  # context manager yielding a cursor holding the writer lock
        raise NotImplementedError

    def _insert_library_rows(self, c: Any, stored: list[StoredEvent]) -> list[int]:
        raise NotImplementedError

    def append_batch(
        self,
        events: Sequence[Parsed],
        bad: Sequence[BadItem],
        recorded_at: datetime,
        sources: Sequence[str | None] | None = None,
    ) -> AppendResult:
        """Append one batch atomically; duplicates (stored or repeated) are counted, not stored."""
        result = AppendResult()
        self._pending = None
        with self._write() as c:
            fresh = self._new_events(c, events, sources or [None] * len(events), result)
            if fresh:
                self._insert_fresh(c, fresh, recorded_at, result)
            self._quarantine(c, bad, recorded_at, result)
        if self._pending is not None:  # committed with the batch: later batches may use it
            self._dictionary, self._pending = self._pending, None
        return result

    def _new_events(
        self, c: Any, events: Sequence[Parsed], sources: Sequence[str | None], result: AppendResult
    ) -> list[tuple[Parsed, str | None]]:
        known = self._existing(c, "event_hashes", "hash", {e.content_hash for e in events})
        fresh = []
        for event, source in zip(events, sources, strict=True):
            if event.content_hash in known:
                result.duplicates += 1
            else:
                known.add(event.content_hash)
                fresh.append((event, source))
        return fresh

    def _insert_fresh(
        self, c: Any, fresh: list[tuple[Parsed, str | None]], recorded_at: datetime, result: AppendResult
    ) -> None:
        versions = self._next_versions(c, {e.stream_id for e, _ in fresh})
        c.execute("SELECT position, hash FROM event_chain ORDER BY position DESC LIMIT 1")
        row = c.fetchone()
        head, prev = (int(row["position"]), row["hash"]) if row else (0, GENESIS)
        states = [orjson.dumps(event.state(recorded_at, source)) for event, source in fresh]
        dictionary = self._dictionary_for(c, head, states)
        stored = []
        for (event, _), state in zip(fresh, states, strict=True):
            version = versions[event.stream_id]
            versions[event.stream_id] = version + 1
            stored.append(StoredEvent(event.stream_id, version, event.topic, codec.encode(state, dictionary)))
        positions = self._insert_library_rows(c, stored)
        self._chain(c, positions, stored, states, prev)
        c.executemany(
            f"INSERT INTO event_hashes (hash, position) VALUES ({self.ph}, {self.ph})",
            [(e.content_hash, p) for (e, _), p in zip(fresh, positions, strict=True)],
        )
        result.appended.extend(zip(positions, (e for e, _ in fresh), strict=True))

    def _chain(self, c: Any, positions: list[int], stored: list[StoredEvent], states: list[bytes], prev: str) -> None:
        """Link each new event to the chain: over its uncompressed state (`states`), not the stored bytes."""
        self._check_key(c, self._meta(c))
        links = []
        for position, s, state in sorted(zip(positions, stored, states, strict=True), key=lambda p: p[0]):
            prev = chain_hash(
                prev, position, _hex(s.originator_id), s.originator_version, s.topic, state, self.chain_key
            )
            links.append((position, prev))
        c.executemany(f"INSERT INTO event_chain (position, hash) VALUES ({self.ph}, {self.ph})", links)

    # -- identity and key ----------------------------------------------------------------------------
    def _meta(self, c: Any) -> dict[str, str]:
        c.execute("SELECT key, value FROM store_meta")
        return {row["key"]: row["value"] for row in c.fetchall()}

    def _check_key(self, c: Any, meta: dict[str, str]) -> None:
        # Checked again inside every append: a process opened before the store became keyed must not
        # add unkeyed links to a keyed chain (or the reverse).
        stored = meta.get("chain_key_check")
        if stored is None and self.chain_key:
            c.execute("SELECT 1 FROM event_chain LIMIT 1")
            if c.fetchone() is not None:
                raise ChainKeyError(
                    "MASTERY_CHAIN_KEY is set but this store's history is not keyed (a chain "
                    "cannot be keyed afterwards): unset MASTERY_CHAIN_KEY for this store"
                )
            c.execute(
                f"INSERT INTO store_meta (key, value) VALUES ({self.ph}, {self.ph})",
                ("chain_key_check", key_check(self.chain_key)),
            )
        elif stored is not None and not self.chain_key:
            raise ChainKeyError("this store's hash chain is keyed: set MASTERY_CHAIN_KEY to its key")
        elif stored is not None and self.chain_key and not hmac.compare_digest(stored, key_check(self.chain_key)):
            raise ChainKeyError("MASTERY_CHAIN_KEY is not this store's chain key (its key check value differs)")

    def identify(self) -> str:
        """The store's id; checks the chain key (a new, empty store given a key becomes keyed). Also makes
        the store's codec dictionaries reachable by `codec.decode` while the store is open."""
        codec.add_source(self, StoreDictionaries.dictionary_bytes)
        with self.datastore.transaction(commit=False) as c:
            if self.is_postgres_recorder:
                c.execute(f'SET LOCAL search_path TO "{self.datastore.schema}"')
            meta = self._meta(c)
            if meta.get("chain_key_check") is not None or not self.chain_key:
                self._check_key(c, meta)  # nothing to record: only refuses a missing or wrong key
                return meta["store_id"]
        with self._write() as c:  # a key to record or to refuse: under the writer lock
            meta = self._meta(c)
            self._check_key(c, meta)
        return meta["store_id"]

    def _quarantine(self, c: Any, bad: Sequence[BadItem], recorded_at: datetime, result: AppendResult) -> None:
        known = self._existing(c, "quarantine", "raw_hash", {b.raw_hash for b in bad})
        for item in bad:
            if item.raw_hash in known:
                result.duplicates += 1
                continue
            known.add(item.raw_hash)
            marks = ", ".join([self.ph] * 6)
            c.execute(
                "INSERT INTO quarantine (raw_hash, raw_text, source, line, reason, received_at) "
                f"VALUES ({marks})" + self._returning_id(),
                (item.raw_hash, item.raw_text, item.source, item.line, item.reason, recorded_at.isoformat()),
            )
            result.quarantined.append(self._inserted_id(c))

    def _returning_id(self) -> str:
        return ""

    def _inserted_id(self, c: Any) -> int:
        return c.lastrowid


SQLITE_EXTRA = [
    # Our mark (store/marks.py): what tells our store from any other SQLite file without reading a table.
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
    "CREATE TABLE IF NOT EXISTS event_hashes (hash TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS event_chain (position INTEGER PRIMARY KEY, hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS quarantine (id INTEGER PRIMARY KEY, raw_hash TEXT NOT NULL UNIQUE, "
    "raw_text TEXT NOT NULL, source TEXT, line INTEGER, reason TEXT NOT NULL, received_at TEXT NOT NULL, "
    "status TEXT NOT NULL DEFAULT 'open', resolved_at TEXT, note TEXT)",
    "CREATE TABLE IF NOT EXISTS store_writer (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # The stored-state codec's dictionaries (store/codec.py): every compressed state needs its one.
    "CREATE TABLE IF NOT EXISTS store_dictionaries (id INTEGER PRIMARY KEY, milestone INTEGER NOT NULL UNIQUE, "
    "dictionary BLOB NOT NULL)",
    "INSERT OR IGNORE INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))))",
    "INSERT OR IGNORE INTO store_writer (id, n) VALUES (1, 0)",
] + [
    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, 'refused: the event history is immutable ({table})'); END"
    for table in ("stored_events", "event_chain", "event_hashes", "store_meta", "store_dictionaries")
    for op in ("UPDATE", "DELETE")
]


class SQLiteEventRecorder(ChainedBatchMixin, SQLiteApplicationRecorder):
    """The library's SQLite recorder plus dedup, hash chain, quarantine and immutability."""

    is_postgres_recorder = False

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + SQLITE_EXTRA

    def create_table(self) -> None:
        # BEGIN IMMEDIATE: the library's deferred BEGIN would fail at once ("database is locked") when
        # another process writes between its schema read and the first write; this waits its turn.
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                for statement in self.create_table_statements:
                    cursor.execute(statement)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=True) as c:
            # Checkpoints every 8,000 pages and a 64 MB cache on the writing connection (review §5 P6: the
            # append −15% at 254k events); per-connection settings, reading nothing; durability unchanged.
            c.execute("PRAGMA wal_autocheckpoint=8000")
            c.execute("PRAGMA cache_size=-65536")
            # Write first, so the transaction holds SQLite's writer lock before it reads anything.
            c.execute("UPDATE store_writer SET n = n + 1 WHERE id = 1")
            yield c

    def _stream_param(self, stream: UUID) -> Any:
        return stream.hex

    def _insert_library_rows(self, c: Any, stored: list[StoredEvent]) -> list[int]:
        # One executemany, not the library's execute per row; the positions SQLite would give (MAX + 1, …),
        # made explicit: exact, as nobody else inserts under the writer lock.
        c.execute(f"SELECT COALESCE(MAX(rowid), 0) AS head FROM {self.events_table_name}")
        head = int(c.fetchone()["head"])
        rows = [
            (head + 1 + i, _hex(e.originator_id), e.originator_version, e.topic, e.state) for i, e in enumerate(stored)
        ]
        sql = f"INSERT INTO {self.events_table_name} (rowid, originator_id, originator_version, topic, state) VALUES "
        c.executemany(sql + "(?, ?, ?, ?, ?)", rows)
        return [r[0] for r in rows]
