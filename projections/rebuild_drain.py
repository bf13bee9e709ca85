"""The rebuild's mastery drain over two processes: a spawned worker drains one share of the queued units.

After a rebuild's load every unit is queued once (projections/rebuild.py `_queue_units`); computing them is
CPU-bound Python. When the queue is big enough to pay for a process (MIN_UNITS), a spawned worker drains
share 0 of the side tables' queue (by a stable hash of course and outcome, projections/drain.py) while the
rebuild's own process drains share 1; each chunk is computed in a read transaction and written in a short
write transaction only if the history position and the settings did not move (else computed again under
the lock, as the serial drain does). The rebuild then drains whatever is left, serially, as before — so
the result is exactly the serial one, whether the worker finished, failed or never started.
Safety: the worker writes only the side tables (suffix `_rebuild`). It stops at its next chunk when the
rebuild is gone (killed: its parent pid changed), and the rebuild terminates it when it ends, whatever
the way.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from typing import Any

from projections.drain import drain_share
from projections.mastery import MasteryProjection

MIN_UNITS = 1000  # ~2.5 s of serial drain; starting the worker (spawn, imports) costs ~1 s of it
CHUNK = 250  # queued units per chunk, as the serial drain's (projections/rebuild.py DRAIN_CHUNK)
WORKER_SHARE, OWN_SHARE = (0, 2), (1, 2)


def worthwhile(conn: sqlite3.Connection, suffix: str) -> bool:
    """Whether the queue is big enough for a worker, and the read model a file one can open."""
    if not read_model_path(conn):
        return False
    return conn.execute(f"SELECT COUNT(*) FROM mastery_dirty{suffix}").fetchone()[0] >= MIN_UNITS


def read_model_path(conn: sqlite3.Connection) -> str:
    """The main database file of the connection ('' for an in-memory or temporary one)."""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return str(file or "")
    return ""


def share(conn: sqlite3.Connection, mastery: MasteryProjection, part: tuple[int, int], between: Any = None) -> int:
    """Drain one share of the side tables' queue a chunk at a time (no version check: they are this version's)."""
    return drain_share(conn, mastery, part, CHUNK, between, live=False)


def _work(read_path: str, suffix: str, parent: int) -> None:
    """The worker: share 0 of the side tables' queue, on a connection of its own; stops when orphaned."""

    def orphaned() -> None:
        if os.getppid() != parent:  # the rebuild was killed: stop; the next rebuild drops the side tables
            raise SystemExit(0)

    orphaned()
    from projections.schema import connect

    conn = connect(read_path).conn
    try:
        share(conn, MasteryProjection(suffix), WORKER_SHARE, between=orphaned)
    except Exception:  # e.g. a lock wait that ran out: the rebuild's serial drain computes what is left
        raise SystemExit(1) from None  # quietly: the result is the serial one either way
    finally:
        conn.close()


def drain_split(conn: sqlite3.Connection, suffix: str) -> bool:
    """Drain the side tables' queue over this process and a worker; False (nothing done) when not worthwhile.
    The caller drains what is left serially afterwards."""
    if not worthwhile(conn, suffix):
        return False
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_work, args=(read_model_path(conn), suffix, os.getpid()), daemon=True)
    proc.start()
    try:
        share(conn, MasteryProjection(suffix), OWN_SHARE)
        proc.join()
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()
    return True
