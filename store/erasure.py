"""Erasing a person on the store side: learn their values, destroy their keys, scrub the quarantine, and
record the erasure in the hash chain.

Stored events are never rewritten (their triggers refuse it): a person's values are in them only as
AES-GCM tokens under their own data key, so destroying the key (`KeyTable.erase`) is what erases them,
and the chain still verifies over the ciphertext. Before that, `person_values` decrypts every token of
the person once, so that the quarantine (raw input kept in the clear, not chained) can be scrubbed of
those values (`scrub_quarantine`) and the caller can check no copy is left. The erasure record
(`domain.erasure.PersonErased`) names the person by pseudonym only.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from domain.personal import PLACEHOLDER
from store import codec
from store.application import EventStore
from store.keys import ERASED, PERSONAL_MEMBER, KeyTable
from store.marks import sqlite_path
from store.sealing import erasure_record

PAGE = 2000
SCRUBBED = f"[{ERASED}]"


def person_values(store: EventStore, keys: KeyTable, refs: Iterable[str]) -> set[str]:
    """Every personal value the store holds for these pseudonyms (decrypted from their tokens)."""
    wanted = set(refs)
    needles = [ref.encode() for ref in wanted]
    values: set[str] = set()
    after = 0
    while True:
        page = store.recorder.select_notifications(start=after, limit=PAGE, inclusive_of_start=False)
        if not page:
            return values
        for n in page:
            raw = codec.decode(bytes(n.state))  # a compressed state is decoded first (store/codec.py)
            if not any(needle in raw for needle in needles):
                continue
            try:
                tokens = orjson.loads(raw)["event"].get(PERSONAL_MEMBER) or {}
            except Exception:  # noqa: S112 (a record that cannot be read holds no token we can open)
                continue
            for ref, token in tokens.items():
                if ref in wanted:
                    opened = keys.decrypt(ref, token) or {}
                    values.update(str(v) for v in opened.values() if v not in (None, "", PLACEHOLDER, ERASED))
        after = page[-1].id


def scrub_quarantine(store: EventStore, values: Iterable[str]) -> int:
    """Replace each value in the quarantined raw text (and the reason) that holds it; how many rows.

    A value shorter than 3 characters is not searched for (it would match everywhere). The raw hash
    is recomputed (a hash of the old text would let a guess be confirmed); a row that then repeats
    another is dropped."""
    wanted = sorted({v for v in values if len(v) >= 3}, key=len, reverse=True)
    if not wanted:
        return 0
    ph, scrubbed = store.chained.ph, 0
    rows = store.query("SELECT id, raw_text, reason FROM quarantine ORDER BY id")
    for row in rows:
        text, reason = row["raw_text"], row["reason"]
        new_text, new_reason = text, reason
        for value in wanted:
            new_text, new_reason = new_text.replace(value, SCRUBBED), new_reason.replace(value, SCRUBBED)
        if (new_text, new_reason) == (text, reason):
            continue
        digest = hashlib.sha256(new_text.encode("utf-8", "backslashreplace")).hexdigest()
        if store.query(f"SELECT 1 FROM quarantine WHERE raw_hash = {ph} AND id <> {ph}", (digest, row["id"])):
            store.query(f"DELETE FROM quarantine WHERE id = {ph}", (row["id"],), commit=True)
        else:
            note = "personal values scrubbed by an erasure"
            store.query(
                f"UPDATE quarantine SET raw_text = {ph}, reason = {ph}, raw_hash = {ph}, note = {ph} WHERE id = {ph}",
                (new_text, new_reason, digest, note, row["id"]),
                commit=True,
            )
        scrubbed += 1
    return scrubbed


def destroy_keys(keys: KeyTable, refs: Iterable[str], reason: str | None) -> dict[str, str]:
    """Each pseudonym's outcome: "erased", "already erased" or "unknown" (no key ever)."""
    done: dict[str, str] = {ref: keys.erase(ref, reason) for ref in refs}
    vacuum = getattr(keys, "vacuum", None)  # PostgreSQL: reclaim the deleted key rows' dead tuples
    if vacuum is not None and "erased" in done.values():
        vacuum()
    return done


def record(store: EventStore, root: str, info: dict[str, Any]) -> int | None:
    """Append the erasure record to the chain; its position."""
    result = store.append([erasure_record(root, info, datetime.now(UTC))])
    return result.appended[0][0] if result.appended else None


def compact_sqlite(path: str) -> str | None:
    """Rewrite a SQLite file so no freed page keeps an old value (VACUUM), and empty its WAL; None when
    done, else why not (another process holds it: run `erase` again when it is idle)."""
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA secure_delete = ON")
            vacuum(conn)
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as error:
        return f"{path}: {error}"
    return f"{path}: the write-ahead log is in use by another process" if busy and busy[0] else None


def vacuum(conn: sqlite3.Connection) -> None:
    """VACUUM a file that may hold the event store, only where it cannot move an event's position.

    VACUUM may renumber the rowids of a table without an INTEGER PRIMARY KEY, and stored_events' rowids
    are the events' positions. Rows are never deleted there, so they are 1..N and any copy in rowid order
    keeps them; should they ever not be, the file is left unvacuumed (its freed pages were zeroed by
    secure_delete as the rows were rewritten) rather than risk it."""
    holds = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stored_events'").fetchone()
    if holds:
        count, top = conn.execute("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM stored_events").fetchone()
        if count != top:
            return
    conn.execute("VACUUM")


def store_file(store: EventStore) -> str | None:
    """The SQLite file of a store (None for PostgreSQL)."""
    return None if store.is_postgres else str(sqlite_path(store.url))


def erasure_records(store: EventStore, root: str) -> list[tuple[int, Any]]:
    """Every erasure recorded in the root account's history: (position, PersonErased), in order."""
    from eventsourcing.persistence import StoredEvent

    from domain.erasure import ERASURE_TOPIC

    chained = store.chained
    rows = store.query(
        f"SELECT {chained.position} AS position, originator_id, originator_version AS version, topic, state "
        f"FROM {chained.events_table_name} WHERE topic = {chained.ph} ORDER BY {chained.position}",
        (ERASURE_TOPIC,),
    )
    found = []
    for r in rows:
        record = StoredEvent(r["originator_id"], int(r["version"]), r["topic"], bytes(r["state"]))
        event: Any = store.mapper.to_domain_event(record)
        if event.root_account == root:
            found.append((int(r["position"]), event))
    return found
