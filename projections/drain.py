"""The mastery drain split across two processes: compute outside the writer lock, write per chunk.

After a large ingest the queued mastery units (`mastery_dirty`) are many; the ingest and its follower
(projections/follower.py) each drain a share of them (by a stable hash of the unit), side by side. Each
chunk is computed in a read transaction (a WAL snapshot, no lock), then written in a short write
transaction — only if nothing the computation read could have changed since (the history's tracked
position and the settings); otherwise the chunk is computed again under the lock, exactly as the serial
drain does. So a unit queued again meanwhile is never cleared with a stale result.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from projections.mastery import CourseContext, MasteryProjection, _recomputed_users
from projections.runner import check_versions

CHUNK = 2000


def drain_share(
    conn: sqlite3.Connection,
    mastery: MasteryProjection,
    share: tuple[int, int] | None = None,
    chunk: int = CHUNK,
    between: Callable[[], None] | None = None,
    *,
    live: bool = True,
) -> int:
    """Drain the queued units of one share (i, n) — every unit when None — a chunk at a time; `between`
    is called before each chunk (the follower checks there that its ingest still lives). Rows cleared.
    `live`: the live tables, drained only when they are of this version (a rebuild's side tables are)."""
    if live and check_versions(conn):
        return 0  # rows of another version's format: only `mastery rebuild` replaces them
    done = 0
    while True:
        if between is not None:
            between()
        cleared = drain_chunk(conn, mastery, chunk, share)
        if cleared == 0:
            return done
        done += cleared


def drain_chunk(conn: sqlite3.Connection, mastery: MasteryProjection, limit: int, share: tuple[int, int] | None) -> int:
    """One chunk: computed in a read transaction, written (and its queue rows cleared) under the lock."""
    conn.execute("BEGIN")
    try:
        seen = read_state(conn, mastery.suffix)
        queued, dirty = mastery._queued(conn, limit, share)
        contexts: dict[tuple[str, str], CourseContext] = {}
        computed = {
            (root, course, outcome, user): mastery._compute(conn, contexts, root, course, outcome, user)
            for (root, course, outcome), users in dirty.items()
            for user in _recomputed_users(users)
        }
    finally:
        conn.execute("COMMIT")  # a read transaction: nothing was written
    if not queued:
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        if read_state(conn, mastery.suffix) != seen:  # a page or a setting landed meanwhile: compute again
            mastery.recompute(conn, dirty)
        else:
            for (root, course, outcome, user), unit in computed.items():
                mastery._guarded(conn, {}, root, course, outcome, user, unit)
        mastery._clear(conn, queued)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(queued)


def read_state(conn: sqlite3.Connection, suffix: str) -> tuple:
    """What a computed unit depends on besides the rows it read: the history's position and the settings."""
    return tuple(
        conn.execute(
            "SELECT (SELECT position FROM rm_tracking WHERE projection = ?), "
            "(SELECT group_concat(root || char(31) || key || char(31) || value, char(30)) FROM "
            "(SELECT root, key, value FROM settings ORDER BY root, key))",
            (f"history{suffix}",),
        ).fetchone()
    )
