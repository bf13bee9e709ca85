"""Catch-up: read the store's notifications in pages and apply them to the read models.

Our own loop over `select_notifications` (the SQLite recorder has no `subscribe`; DESIGN decision 7).
Each page is one read-model transaction holding the rows of every projection and their tracking
positions, so a crash resumes exactly where the last committed page ended. The history projection runs
first; the mastery projection recomputes what the history's changes touched, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from projections.history import HistoryProjection
from projections.mastery import MasteryProjection

PAGE = 1000
PROJECTIONS = (HistoryProjection, MasteryProjection)


def positions(conn: Any) -> dict[str, tuple[int, int]]:
    rows = conn.execute("SELECT projection, version, position FROM rm_tracking").fetchall()
    return {name: (version, position) for name, version, position in rows}


def check_versions(conn: Any) -> list[str]:
    """Names of projections whose stored rows were made by another version of their code."""
    found = positions(conn)
    return [p.name for p in PROJECTIONS if p.name in found and found[p.name][0] != p.version and found[p.name][1] > 0]


@contextmanager
def write_transaction(conn: Any) -> Iterator[Any]:
    """One SQLite write transaction (the writer lock is taken at once, waiting up to the busy timeout)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def catch_up(store: Any, conn: Any, *, page: int = PAGE, suffix: str = "", in_transaction: bool = False,
             drain_queue: bool = True, progress: Callable[[int, int], None] | None = None) -> int:
    """Apply every stored event after the tracked position; return how many were applied."""
    history, mastery = HistoryProjection(suffix), MasteryProjection(suffix)
    start = positions(conn).get(f"history{suffix}", (history.version, 0))[1]
    applied = 0
    while batch := store.notifications(start, page):
        rows = history.prepare(batch)  # CPU work outside the writer lock, so other writers are not held up
        if in_transaction:
            apply_page(conn, history, mastery, batch, suffix, rows)
        else:
            with write_transaction(conn):
                if positions(conn).get(f"history{suffix}", (0, 0))[1] >= batch[-1][0]:
                    start = batch[-1][0]  # another process applied this page meanwhile
                    continue
                apply_page(conn, history, mastery, batch, suffix, rows)
        start = batch[-1][0]
        applied += len(batch)
        if progress:
            progress(applied, start)
    if drain_queue:
        drain(conn, mastery, in_transaction)
    return applied


def drain(conn: Any, mastery: MasteryProjection, in_transaction: bool = False, chunk: int = 2000) -> None:
    """Recompute the queued mastery units, a chunk per transaction."""
    if in_transaction:
        mastery.drain(conn)
        return
    while True:
        with write_transaction(conn):
            if mastery.drain(conn, chunk) == 0:
                return


def apply_page(conn: Any, history: HistoryProjection, mastery: MasteryProjection, batch: list, suffix: str,
               rows: list | None = None) -> None:
    """Apply one page to both projections and move their tracking positions (caller holds the transaction)."""
    changes: list = []
    history.handle_page(conn, batch, changes, rows)
    mastery.mark(conn, changes)
    now = datetime.now(UTC).isoformat()
    for projection in (history, mastery):
        conn.execute("INSERT OR REPLACE INTO rm_tracking (projection, version, position, updated_at) "
                     "VALUES (?, ?, ?, ?)", (projection.name + suffix, projection.version, batch[-1][0], now))
