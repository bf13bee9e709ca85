"""The read model's SQLite database: connection settings and the idempotent `ensure_schema`.

One file holds every read model (the event store's own file by default). Tables are made with
sqlite-utils so that running `ensure_schema` again changes nothing. `rm_meta` stamps the file with the id
of the store it was built from, so a read model is never answered from another store's events. A read
model file of its own (`--read-db`) is marked `PRAGMA application_id = READ_MODEL_ID` when it is made,
and another program's SQLite file given as one is refused before a table is added to it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from store.marks import APPLICATION_ID

BUSY_TIMEOUT_MS = 30_000
READ_MODEL_ID = 0x4F4D524D  # "OMRM": an outcome-mastery read model in a file of its own (1330467405)


class NotAReadModel(Exception):
    """The file is another program's SQLite database: no read-model table is added to it."""


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open the read model (WAL, bounded wait on a busy writer) with its schema in place."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        _claim_file(conn, path)
    except BaseException:
        conn.close()
        raise
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: index pages of a bulk catch-up stay in memory
    conn.execute("PRAGMA wal_autocheckpoint=8000")  # fewer, larger checkpoints during bulk writes
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    db = sqlite_utils.Database(conn)
    ensure_schema(db)
    return db


def _claim_file(conn: sqlite3.Connection, path: str | Path) -> None:
    """Mark a new read-model file as ours; accept ours, a store's (its read model lives inside it by
    default) and an unmarked older read model; refuse any other SQLite database untouched."""
    (app_id,) = conn.execute("PRAGMA application_id").fetchone()
    if app_id in (APPLICATION_ID, READ_MODEL_ID):
        return
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if app_id == 0 and "stored_events" in tables:
        return  # a store made before the store mark: it stays unmarked until a write marks it
    if app_id == 0 and (not tables or "rm_meta" in tables):
        conn.execute(f"PRAGMA application_id = {READ_MODEL_ID}")
        return
    raise NotAReadModel(f"{path} is a SQLite database but not an outcome-mastery read model; it was left as it was")


def ensure_schema(db: sqlite_utils.Database, suffix: str = "", index_tag: str = "", bulk: bool = False) -> None:
    """Create every read-model table and index that is missing (suffix: a rebuild's side tables).

    Indexes are found by their columns, not their names: a rebuilt table keeps its tagged index names
    after the swap renames it, and a later rebuild tags its own afresh. `bulk` (a rebuild's load) leaves
    out the secondary indexes of the versions and current tables, which nothing reads while loading (the
    load queues no mastery unit: projections/rebuild.py): the rebuild calls `ensure_schema` again after its
    load, and SQLite builds them from the full table in one sorted pass each.
    """
    _table(db, "rm_meta", {"key": str, "value": str}, pk="key")
    _table(db, "rm_tracking", {"projection": str, "version": int, "position": int, "updated_at": str}, pk="projection")
    entity_cols = {
        "position": int,
        "root": str,
        "kind": str,
        "key": str,
        "fold_key": bytes,
        "event_time": str,
        "recorded_at": str,
        "event_name": str,
        "course": str,
        "outcome": str,
        "user_uuid": str,
        "state": str,
    }
    _table(db, f"entity_versions{suffix}", entity_cols, pk="position")
    # WITHOUT ROWID: the rows live in their primary key's B-tree (one B-tree and one random insert fewer).
    db.execute(
        f"CREATE TABLE IF NOT EXISTS [entity_current{suffix}] ([root] TEXT NOT NULL, [kind] TEXT NOT NULL, "
        "[key] TEXT NOT NULL, [fold_key] BLOB, [position] INTEGER, [course] TEXT, [outcome] TEXT, [user_uuid] TEXT, "
        "PRIMARY KEY ([root], [kind], [key])) WITHOUT ROWID"
    )
    _table(
        db,
        f"course_accounts{suffix}",
        {"position": int, "root": str, "course": str, "account": str, "event_time": str, "recorded_at": str},
        pk="position",
    )
    _table(db, f"roots{suffix}", {"root": str, "local_id": str, "shard": int}, pk="root")
    # Each host a root account's events named (source: "lti_guid" or "hostname"), for `accounts`.
    _table(db, f"root_hosts{suffix}", {"root": str, "source": str, "host": str}, pk=("root", "source", "host"))
    _table(
        db,
        f"root_ids{suffix}",
        {"root": str, "local_id": str, "shard": int, "events": int},
        pk=("root", "local_id", "shard"),
    )
    _table(db, f"mastery{suffix}", MASTERY_COLUMNS, pk=("root", "course", "user_uuid", "outcome"))
    _table(
        db,
        f"mastery_dirty{suffix}",
        {"root": str, "course": str, "outcome": str, "user_uuid": str},
        pk=("root", "course", "outcome", "user_uuid"),
    )
    _table(db, "settings", {"root": str, "key": str, "value": str}, pk=("root", "key"))
    _table(db, "roster", {"user_uuid": str, "name": str, "sis_id": str}, pk="user_uuid")
    _indexes(db, suffix, index_tag, bulk)


def claim(conn: sqlite3.Connection, store_id: str) -> str | None:
    """Stamp an unstamped read model with its store; the other store's id when it belongs to another.
    A stamped one is only read: opening a read model for a query writes nothing (so it never contends
    with an ingest or a rebuild writing it); the stamp is written in a write transaction of its own,
    which waits for the writer lock like every other write."""
    found = conn.execute("SELECT value FROM rm_meta WHERE key = 'store_id'").fetchone()
    if found is None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("INSERT OR IGNORE INTO rm_meta (key, value) VALUES ('store_id', ?)", (store_id,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        found = conn.execute("SELECT value FROM rm_meta WHERE key = 'store_id'").fetchone()
    return None if found[0] == store_id else str(found[0])


def restamp(conn: sqlite3.Connection, store_id: str) -> None:
    """Hand the read model to another store (after a rebuild replaced every table from its history)."""
    conn.execute("INSERT OR REPLACE INTO rm_meta (key, value) VALUES ('store_id', ?)", (store_id,))


MASTERY_COLUMNS = {
    "root": str,
    "course": str,
    "user_uuid": str,
    "outcome": str,
    "score": float,
    "count": int,
    "submitted_at": str,
    "rating_description": str,
    "rating_points": float,
    "rating_color": str,
    "rating_mastery": int,
    "mastery": int,
    "method": str,
    "method_int": int,
    "method_source": str,
    "scale_source": str,
    "points_possible": float,
    "mastery_points": float,
    "mode": str,
}


def _table(db: sqlite_utils.Database, name: str, columns: dict, pk: str | tuple) -> None:
    if not db.table(name).exists():
        db.table(name).create(columns, pk=pk, not_null={pk} if isinstance(pk, str) else set(pk))


# P12 (reviews/performance.md): results by student inside a unit, covering the join to the versions, so a
# one-student recompute does not read its whole unit. It replaces its prefix (root, kind, course, outcome),
# which a read model made before keeps (it answers the same queries) until its next `mastery rebuild`:
# opening a file never builds an index over its whole history unasked.
_BY_STUDENT: tuple[str, ...] = ("root", "kind", "course", "outcome", "user_uuid", "position")
# Versions by entity: without the fold key (a look-up by key reads the row for its state anyway; the
# fold key doubled the index's size). A read model made before keeps its (root, kind, key, fold_key).
_BY_KEY: tuple[str, ...] = ("root", "kind", "key")
_SUPERSEDED: dict[tuple[str, ...], tuple[str, ...]] = {
    _BY_STUDENT: ("root", "kind", "course", "outcome"),
    _BY_KEY: ("root", "kind", "key", "fold_key"),
}


def _indexes(db: sqlite_utils.Database, suffix: str, tag: str, bulk: bool) -> None:
    wanted: dict[str, list[tuple[str, ...]]] = {
        f"entity_versions{suffix}": [_BY_KEY, ("root", "kind", "course", "outcome")],
        f"entity_current{suffix}": [_BY_STUDENT, ("root", "kind", "outcome")],
        f"course_accounts{suffix}": [("root", "course", "event_time")],
        f"mastery{suffix}": [("root", "course", "outcome"), ("root", "user_uuid")],
    }
    for table, indexes in wanted.items():
        if bulk and table in (f"entity_versions{suffix}", f"entity_current{suffix}"):
            continue
        existing = {tuple(i.columns) for i in db.table(table).indexes}
        for columns in indexes:
            if columns not in existing and _SUPERSEDED.get(columns, columns) not in existing:
                name = f"idx_{table.removesuffix(suffix)}_{'_'.join(columns)}" + (f"_{tag}" if tag else "")
                db.table(table).create_index(list(columns), index_name=name, if_not_exists=True)
