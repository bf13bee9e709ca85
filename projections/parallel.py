"""Rebuild's readers in processes of their own: stored records read and mapped beside the writer.

Reading a stored record and building its history row (projections/lean.py) is about half of a rebuild's
CPU and needs nothing the writer holds, so a large rebuild hands it to READERS spawned processes: reader
i reads the pages i, i + READERS, … of fixed position ranges (`after` + k·page, one page further]; the
writer takes the pages back in position order and applies each as before, in one process and one
transaction per page (runner.catch_up). The readers only read the store; they write nothing. A reader
whose writer is gone (killed) stops at its next page or wait; the writer stops its readers when it ends,
whatever the way. Records appended after the head the readers were given are read by the rebuild's own
final catch-up, as before.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Iterator
from typing import Any

READERS = 2
MIN_EVENTS = 20_000  # below this, starting the processes (~1 s) costs more than it saves
WAIT_SECONDS = 1.0
_DONE = "done"


def worthwhile(store: Any, after: int) -> bool:
    """Whether a load from `after` to the store's head is big enough to read in processes (SQLite or PG)."""
    return READERS > 1 and getattr(store, "url", None) is not None and store.head() - after >= MIN_EVENTS


def _read(url: str, after: int, head: int, page: int, index: int, out: Any, parent: int) -> None:
    """A reader: its share of the pages, in order, each as runner.read_page gives it."""
    from projections.history import HistoryProjection
    from projections.runner import prepare, read_page
    from store.application import open_store

    history = HistoryProjection()

    store = open_store(url, access="read")
    try:
        start = after + index * page
        while start < head:
            stop = min(start + page, head)
            batch, failed = read_page(store, start, page, stop)
            kept, rows = prepare(history, batch, failed)
            item = ([(position, Slim(event)) for position, event in kept], rows, failed)
            while True:  # a bounded queue: wait for the writer, but not for a writer that was killed
                if os.getppid() != parent:
                    out.cancel_join_thread()  # nobody reads it any more: exit without flushing it
                    return
                try:
                    out.put((stop, *item), timeout=WAIT_SECONDS)
                    break
                except queue.Full:
                    continue
            start += READERS * page
        out.put(_DONE)
    finally:
        store.close()


class _Raised:
    """An exception a Slim's value raised when it was read, raised again where the writer reads it."""

    def __init__(self, error: Exception) -> None:
        self.error = error


class Slim:
    """What the writer reads of an event (history.handle_page, runner.apply_page): sent instead of the
    whole event, whose raw body and metadata would cost more to send than to read again."""

    __slots__ = ("kind", "canvas_name", "root_account", "key", "event_time", "recorded_at", "metadata", "_course")
    _KEPT = ("root_account_id", "root_account_lti_guid", "hostname")  # what history._learn reads of the metadata

    def __init__(self, event: Any) -> None:
        for name in ("kind", "canvas_name", "root_account", "key", "event_time", "recorded_at"):
            setattr(self, name, getattr(event, name))
        self.metadata = {k: event.metadata[k] for k in self._KEPT if k in event.metadata}
        try:
            self._course: Any = event.course_account
        except Exception as error:  # raised where the writer reads it, as the event itself would
            self._course = _Raised(error)

    @property
    def course_account(self) -> tuple[str, str] | None:
        if type(self._course) is _Raised:
            raise self._course.error
        return self._course

    def __getstate__(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            setattr(self, name, value)


class ReadError(RuntimeError):
    """A reader process ended without giving its pages (the rebuild stops; the live tables are untouched)."""


def pages(store: Any, after: int, page: int) -> Iterator[tuple[int, list, list, list]]:
    """(last position, readable pairs, their history rows, failed records) of every page from `after` to the store's
    head, in position order, read by READERS processes."""
    head = store.head()
    ctx = multiprocessing.get_context("spawn")
    queues = [ctx.Queue(maxsize=2) for _ in range(READERS)]
    procs = [
        ctx.Process(target=_read, args=(store.url, after, head, page, i, queues[i], os.getpid()), daemon=True)
        for i in range(READERS)
    ]
    for proc in procs:
        proc.start()
    try:
        k = 0
        while after + k * page < head:
            item = _next(queues[k % READERS], procs[k % READERS])
            if item == _DONE:
                raise ReadError("a reader stopped before its last page")
            yield item
            k += 1
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join()
        for q in queues:
            q.close()
            q.cancel_join_thread()


def _next(q: Any, proc: Any) -> Any:
    while True:
        try:
            return q.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            if not proc.is_alive():
                raise ReadError(f"a reader process ended (exit code {proc.exitcode})") from None
