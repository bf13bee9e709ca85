"""`mastery migrate encrypt`'s work: re-key a store made before encryption, so no personal value stays in the clear.

A store made before issue 15 holds personal fields (`domain.personal`) in the clear. The migration seals
every stored event once with `store.keys.seal` (each person's values encrypted with their own key in the
key table beside the store; the keyed content hash seal computes replaces the plain one, so a repeat of
an old input still dedups) and re-chains the history from genesis over the new bytes. Everything else
of each event is kept as it was: its position, stream id and version, topic, `event_time`,
`recorded_at` and `source` (only the state's `event` and `content_hash` members change), so as-of,
known-at and every read-model answer keep their meaning.

How it stays provable: it runs in ONE write transaction under the store's writer lock. The immutability
triggers are lifted for that transaction only and put back before it commits; each sealed event is opened
again and compared with the original before it is written; the new chain is recomputed from the rows
written and compared with the links written. `store_meta` then records the migration (`personal=sealed`,
when, how many events, the last link before it and the last link after it, both as POSITION:HASH), so a
head kept elsewhere before the migration is still matched to the record (`matches_old_head`, used by
`verify --head`). The head witness is moved to the new head after the commit.

No old byte is left behind: SQLite overwrites the freed space of every rewritten row with zeros
(`secure_delete`) and the WAL is checkpointed and truncated; PostgreSQL's dead rows are removed by
`VACUUM FULL` of the three tables (the server's own write-ahead log and backups keep what they keep;
README says so). No VACUUM on SQLite: it may renumber the rowids that are the events' positions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse, urlunparse
from uuid import UUID

import orjson

from domain.events import KIND_OF_TOPIC
from domain.personal import join, split
from store import codec
from store.chain import chain_hash
from store.dictionaries import latest_dictionary
from store.keys import PERSONAL_MEMBER, KeyTable, _erased_left, seal, unseal
from store.marks import sqlite_path
from store.migrate import MODE_KEY, SEALED, MigrateError
from store.witness import Head, write_witness

PAGE = 1000
GENESIS = "0" * 64
CHAINED = ("event_chain", "event_hashes")  # besides the events table: what the migration rewrites


# -- what it would do ------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What the migration finds: events, those holding a personal value, records kept as they are."""

    events: int = 0
    personal: int = 0
    kept: int = 0  # records not Canvas events (or unreadable): kept byte for byte
    head: Head | None = None


def plan(store: Any, progress: Callable[[int], None] | None = None) -> Plan:
    """Count what `encrypt` would seal; reads only (no key is made, nothing is written)."""
    found = Plan(head=store.last_link())
    secret = b"\0" * 32  # split's pseudonyms are not kept: only whether an event has personal values
    after = 0
    while rows := _page(store.chained, store.query, after):
        for position, _sid, _version, topic, state in rows:
            after = position
            found.events += 1
            loaded = _canvas_state(topic, state)
            if loaded is None:
                found.kept += 1
            elif split(KIND_OF_TOPIC[topic], loaded["event"], loaded["root_account"], secret).personal:
                found.personal += 1
        if progress:
            progress(found.events)
    return found


# -- doing it ----------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What the migration did."""

    events: int
    changed: int  # events whose stored bytes changed (those with a personal value)
    kept: int  # records kept byte for byte (not Canvas events, or unreadable)
    dropped: int  # events with a value no person owns (not stored, as seal does for a new event)
    before: Head | None
    after: Head | None
    at: str
    scrubbed: bool  # False: the WAL could not be truncated yet (a reader had the store open)


def encrypt(store: Any, keys: KeyTable, progress: Callable[[int], None] | None = None) -> Outcome | None:
    """Seal every stored event, re-chain, record the migration; None when the store is already sealed."""
    r = store.chained
    with r._write() as c:
        found = r._meta(c)
        if found.get(MODE_KEY) == SEALED:
            return None
        r._check_key(c, found)
        before = _last(c)
        lifted = _lift_triggers(c, r)
        done = _rewrite(c, r, keys, progress)
        _check_chain(c, r, store.chain_key)
        after = _last(c)
        at = datetime.now(UTC).isoformat()
        values = {
            MODE_KEY: SEALED,
            "sealed_at": at,
            "sealed_events": str(done[0]),
            "sealed_changed": str(done[1]),
            "sealed_from_head": f"{before[0]}:{before[1]}" if before else "",
            "sealed_head": f"{after[0]}:{after[1]}" if after else "",
        }
        c.executemany(
            f"INSERT INTO store_meta (key, value) VALUES ({r.ph}, {r.ph})", sorted(values.items())
        )  # store_meta refuses UPDATE: these keys are new (the mode was checked under the lock)
        _restore_triggers(c, r, lifted)
    head = store.last_link()
    if head is not None:
        write_witness(store.witness, head)
    scrubbed = _scrub(store)
    old = Head(before[0], before[1], store.store_id) if before else None
    return Outcome(*done, old, head, at, scrubbed)


def _last(c: Any) -> tuple[int, str] | None:
    c.execute("SELECT position, hash FROM event_chain ORDER BY position DESC LIMIT 1")
    row = c.fetchone()
    return (int(row["position"]), str(row["hash"])) if row else None


def _canvas_state(topic: str, state: Any) -> dict[str, Any] | None:
    """The stored state of a Canvas event, or None for a record kept as it is (another record type, or
    a state that does not read: the chain covers it as it is, and the read model reports it)."""
    if topic not in KIND_OF_TOPIC:
        return None
    try:
        loaded = orjson.loads(codec.decode(_raw(state)))  # a compressed state is decoded first
    except (orjson.JSONDecodeError, codec.CodecError):
        return None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("event"), dict):
        return None
    if PERSONAL_MEMBER in loaded["event"] or not isinstance(loaded.get("root_account"), str):
        return None
    return loaded


def _raw(state: Any) -> bytes:
    return state.encode() if isinstance(state, str) else bytes(state)


def _page(r: Any, run: Callable[..., list[Any]], after: int) -> list[tuple[int, Any, int, str, Any]]:
    sql = (
        f"SELECT {r.position} AS position, originator_id, originator_version, topic, state "
        f"FROM {r.events_table_name} WHERE {r.position} > {r.ph} ORDER BY {r.position} LIMIT {PAGE}"
    )
    return [
        (int(x["position"]), x["originator_id"], int(x["originator_version"]), x["topic"], x["state"])
        for x in run(sql, (after,))
    ]


def _cursor_run(c: Any) -> Callable[..., list[Any]]:
    def run(sql: str, params: Sequence[Any] = ()) -> list[Any]:
        c.execute(sql, params)
        return list(c.fetchall())

    return run


def _hex(sid: Any) -> str:
    return sid.hex if isinstance(sid, UUID) else str(sid).replace("-", "")


def _rewrite(c: Any, r: Any, keys: KeyTable, progress: Callable[[int], None] | None) -> tuple[int, int, int, int]:
    """Seal each event in position order and write it with its new link; (events, changed, kept, dropped)."""
    prev, events, changed, kept, dropped, after = GENESIS, 0, 0, 0, 0, 0
    c.execute("SELECT hash, position FROM event_hashes")
    old = [(row["hash"], int(row["position"])) for row in c.fetchall()]
    hashes: dict[str, int] = {}
    sealed_at: set[int] = set()
    run = _cursor_run(c)
    dictionary = latest_dictionary(c)  # rewritten states are stored with the store's newest dictionary
    while rows := _page(r, run, after):
        updates, links = [], []
        with keys.batch():  # the keys of new people are committed before the events that need them
            for position, sid, version, topic, state in rows:
                after, events = position, events + 1
                raw = codec.decode(_raw(state))  # the chain links the uncompressed state
                loaded = _canvas_state(topic, state)
                if loaded is None:
                    kept += 1
                else:
                    new, dedup_hash, lost = _sealed_state(keys, topic, loaded)
                    dropped += lost
                    sealed_at.add(position)
                    hashes.setdefault(dedup_hash, position)
                    sealed = orjson.dumps(new)
                    if sealed != raw:
                        updates.append((codec.encode(sealed, dictionary), position))
                        raw = sealed
                prev = chain_hash(prev, position, _hex(sid), version, topic, raw, r.chain_key)
                links.append((prev, position))
        if updates:
            c.executemany(f"UPDATE {r.events_table_name} SET state = {r.ph} WHERE {r.position} = {r.ph}", updates)
            changed += len(updates)
        c.executemany(f"UPDATE event_chain SET hash = {r.ph} WHERE position = {r.ph}", links)
        if progress:
            progress(events)
    for digest, position in old:  # a record kept as it is keeps its hash (repeats of it still dedup)
        if position not in sealed_at:
            hashes.setdefault(digest, position)
    c.execute("DELETE FROM event_hashes")
    c.executemany(
        f"INSERT INTO event_hashes (hash, position) VALUES ({r.ph}, {r.ph})", sorted(hashes.items(), key=lambda h: h[1])
    )
    return events, changed, kept, dropped


def _sealed_state(keys: KeyTable, topic: str, loaded: dict[str, Any]) -> tuple[dict[str, Any], str, bool]:
    """The state with its event sealed and the order hash a fresh sealed ingest stores (store/sealing.py
    SealedEvent), its keyed content hash for dedup, and whether a value was dropped (one no person owns:
    seal never stores it, as for a new event); refused when it would not open again."""
    kind, event, root = KIND_OF_TOPIC[topic], loaded["event"], loaded["root_account"]
    done = seal(keys, kind, event, root)
    parts = split(kind, event, root, keys.pseudonym_secret)
    expected = _erased_left(join(parts.event, {p: v for values in parts.personal.values() for p, v in values.items()}))
    if unseal(keys, done.event) != expected:
        raise MigrateError("a sealed event did not open to the event stored: nothing was changed")
    new = dict(loaded)  # the same members in the same order: only event and content_hash differ
    new["event"], new["content_hash"] = done.event, done.order_hash or done.content_hash
    return new, done.content_hash, expected != event


def _check_chain(c: Any, r: Any, key: bytes | None) -> None:
    """Recompute the chain from the rows as written, inside the transaction: the new store verifies."""
    prev, after, run = GENESIS, 0, _cursor_run(c)
    links: dict[int, str] = {}
    while rows := _page(r, run, after):
        c.execute(
            f"SELECT position, hash FROM event_chain WHERE position > {r.ph} AND position <= {r.ph}",
            (after, rows[-1][0]),
        )
        links = {int(x["position"]): x["hash"] for x in c.fetchall()}
        for position, sid, version, topic, state in rows:
            prev = chain_hash(prev, position, _hex(sid), version, topic, codec.decode(_raw(state)), key)
            if links.get(position) != prev:
                raise MigrateError(f"the new chain does not verify at position {position}: nothing was changed")
            after = position


# -- the immutability triggers, lifted for the migration's transaction only ------------------------------
def _tables(r: Any) -> tuple[str, ...]:
    return (r.events_table_name, *CHAINED)


def _lift_triggers(c: Any, r: Any) -> list[str]:
    """Drop (SQLite) or disable (PostgreSQL) the triggers refusing UPDATE/DELETE on the rewritten tables."""
    if r.is_postgres_recorder:
        for table in _tables(r):
            c.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        return []
    marks = ",".join("?" * len(_tables(r)))
    c.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})", _tables(r))
    found = [(row["name"], row["sql"]) for row in c.fetchall()]
    for name, _ in found:
        c.execute(f'DROP TRIGGER "{name}"')
    c.execute("PRAGMA secure_delete = ON")  # the rewritten rows' old bytes are overwritten with zeros
    return [sql for _, sql in found]


def _restore_triggers(c: Any, r: Any, lifted: list[str]) -> None:
    if r.is_postgres_recorder:
        for table in _tables(r):
            c.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    for sql in lifted:
        c.execute(sql)


def _scrub(store: Any) -> bool:
    """After the commit: no old byte left in the WAL (SQLite) or in dead rows (PostgreSQL). False when
    SQLite could not truncate the WAL (another process is reading the store)."""
    if not store.is_postgres:  # its own connection: a reader holding the store is waited for 2 s, not 30
        db = sqlite3.connect(sqlite_path(store.url), timeout=2)
        try:
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]  # (busy, log, checkpointed)
        except sqlite3.OperationalError:
            busy = 1
        finally:
            db.close()
        return not busy
    import psycopg

    u = urlparse(store.url)  # the store's URL without our ?schema= (libpq does not know it)
    schema = parse_qs(u.query).get("schema", ["public"])[0]
    with psycopg.connect(urlunparse(u._replace(query="")), autocommit=True) as conn:
        for table in _tables(store.chained):
            conn.execute(f'VACUUM FULL "{schema}".{table}')
    return True


def keep_copy(store: Any, path: Path) -> None:
    """A copy of a SQLite store as it is now (the backup API: a consistent copy, WAL included)."""
    if store.is_postgres:
        raise MigrateError("--keep-old copies a SQLite store only (for PostgreSQL, take a pg_dump first)")
    if path.exists():
        raise MigrateError(f"{path} exists: --keep-old never overwrites a file")
    source = sqlite3.connect(f"{sqlite_path(store.url).resolve().as_uri()}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()
