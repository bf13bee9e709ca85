"""A second process that keeps the read models caught up while a large ingest is still appending.

Appending (parsing, hashing) and projecting are both CPU-bound Python; on a 2-core machine running them
side by side takes about the time of the longer one instead of their sum. Both write with short
transactions; SQLite serialises them (WAL) and every page keeps its rows and tracking together, so a
crash of either process loses nothing. When the append ends, the follower applies its last pages, says
so (`pages_done`), and the two processes drain the queued mastery units side by side, a share each
(projections/drain.py); the ingest's own catch-up then finishes whatever is left.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Any

POLL_SECONDS = 0.2
DONE_POLL_SECONDS = 0.01
FOLLOWER_SHARE, INGEST_SHARE = (0, 2), (1, 2)  # of the final mastery drain (projections/drain.py)


def follow(store_url: str, read_path: str, stop: Any, parent: int, pages_done: Any = None) -> None:
    """Catch up, again and again, until told to stop; then once more to the head, and (with `pages_done`,
    set to 1 when the pages are all applied) drain share 0 of the queued mastery units, else all of them.

    parent is the ingest's pid as the ingest itself gave it: read here, after start-up, it would already be
    pid 1 if the ingest was killed meanwhile, and the follower would watch init forever."""

    def orphaned(*_: Any) -> None:
        if os.getppid() != parent:  # the ingest died (kill -9): stop now; the next run resumes
            raise SystemExit(0)

    orphaned()
    from projections.drain import drain_share
    from projections.mastery import MasteryProjection
    from projections.runner import catch_up
    from projections.schema import connect
    from store.application import open_store

    orphaned()

    store = open_store(store_url)
    conn = connect(read_path).conn
    try:
        while not _wait(stop, POLL_SECONDS):
            orphaned()
            catch_up(store, conn, drain_queue=False, progress=orphaned)
        if pages_done is None:
            catch_up(store, conn)
        else:
            catch_up(store, conn, drain_queue=False, progress=orphaned)
            pages_done.value = 1
            drain_share(conn, MasteryProjection(), FOLLOWER_SHARE, between=orphaned)
    finally:
        store.close()
        conn.close()


def _wait(flag: Any, seconds: float) -> bool:
    """Whether `flag` (a shared RawValue) is set, polled for up to `seconds`."""
    for _ in range(int(seconds / DONE_POLL_SECONDS)):
        if flag.value:
            return True
        time.sleep(DONE_POLL_SECONDS)
    return bool(flag.value)


class Follower:
    """Context manager: a following process for the duration of an ingest (a no-op when disabled)."""

    def __init__(self, store_url: str, read_path: str, enabled: bool) -> None:
        self.args, self.enabled = (store_url, read_path), enabled
        self.process: Any = None

    def __enter__(self) -> Follower:
        if self.enabled:
            ctx = multiprocessing.get_context("spawn")
            # lock-free flags, not Events: an Event's set() hangs on a waiter that was killed while waiting
            self.stop, self.pages_done = ctx.RawValue("b", 0), ctx.RawValue("b", 0)
            args = (*self.args, self.stop, os.getpid(), self.pages_done)
            self.process = ctx.Process(target=follow, args=args, daemon=True)
            self.process.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None:
            self.stop.value = 1
            while not self.pages_done.value:
                if not self.process.is_alive():  # it ended (or was killed) before its last page
                    break
                time.sleep(DONE_POLL_SECONDS)
            else:
                self.drain(INGEST_SHARE)  # beside the follower draining its own share
            self.process.join()

    def drain(self, share: tuple[int, int]) -> None:
        """This process's share of the final mastery drain, on a connection of its own."""
        from projections.drain import drain_share
        from projections.mastery import MasteryProjection
        from projections.schema import connect

        conn = connect(self.args[1]).conn
        try:
            drain_share(conn, MasteryProjection(), share)
        finally:
            conn.close()
