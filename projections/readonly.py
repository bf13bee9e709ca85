"""The read model of a store that this process cannot write (a read-only file, folder or mount).

Reads may bring a read model up to date (it is a cache), but not in a file that cannot be written. When
that file's read model is complete, this store's and current (nothing after its tracked position,
nothing queued), it is read in place through a `mode=ro`/`immutable=1` connection and nothing is applied;
otherwise it is copied into memory and caught up there, for this session only (memory the size of the
file). The file stays byte for byte as it was either way.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from projections import problems
from projections.runner import PROJECTIONS, check_versions, positions
from projections.schema import ensure_schema
from store.marks import read_uri


@functools.cache
def schema_tables() -> frozenset[str]:
    """Every table a complete read model holds (what `ensure_schema` and the problems table make)."""
    memory = sqlite3.connect(":memory:")
    try:
        ensure_schema(sqlite_utils.Database(memory))
        problems.ensure(memory)
        return frozenset(r[0] for r in memory.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    finally:
        memory.close()


def in_place(path: Path, store: Any) -> sqlite_utils.Database | None:
    """The read model at `path` opened read-only, when there is nothing to apply to it; else None."""
    if not path.exists():
        return None
    conn = sqlite3.connect(read_uri(path), uri=True, isolation_level=None, check_same_thread=False)
    try:
        if _current(conn, store):
            return sqlite_utils.Database(conn)
    except sqlite3.Error:
        pass
    conn.close()
    return None


def _current(conn: sqlite3.Connection, store: Any) -> bool:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not schema_tables() <= tables:
        return False
    owner = conn.execute("SELECT value FROM rm_meta WHERE key = 'store_id'").fetchone()
    if owner is None or owner[0] != store.store_id or check_versions(conn):
        return False
    found, head = positions(conn), store.head()
    if any(found.get(p.name) != (p.version, head) for p in PROJECTIONS):
        return False
    return conn.execute("SELECT 1 FROM mastery_dirty LIMIT 1").fetchone() is None


def in_memory(path: Path) -> sqlite_utils.Database:
    """A copy of the read model at `path` (or an empty one) in memory, with its schema in place."""
    memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        if path.exists():
            source = sqlite3.connect(read_uri(path), uri=True)
            try:
                source.backup(memory)
            finally:
                source.close()
        db = sqlite_utils.Database(memory)
        ensure_schema(db)
        return db
    except BaseException:
        memory.close()
        raise
