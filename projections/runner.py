"""Catch-up: read the store's notifications in pages and apply them to the read models.

Our own loop over `select_notifications` (the SQLite recorder has no `subscribe`; DESIGN decision 7).
Each page is one read-model transaction holding the rows of every projection and their tracking
positions, so a crash resumes exactly where the last committed page ended. The history projection runs
first; the mastery projection recomputes what the history's changes touched, in the same transaction.
No event stops the catch-up (DESIGN decision 10): one that cannot be read, prepared or applied is rolled
back alone (a SAVEPOINT), recorded in the problems table, and passed; excluded positions are skipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from typing import Any

from domain.erasure import PersonErased
from domain.events import TOPICS
from projections import lean, packed, problems
from projections.changes import Change
from projections.history import HistoryProjection, version_row
from projections.mastery import MasteryProjection
from projections.schema import BUSY_TIMEOUT_MS

PAGE = 1000
NOTICE_AFTER_MS = 1000  # a wait on another writer this long is told (`waiting`), then goes on
PROJECTIONS = (HistoryProjection, MasteryProjection)
EVENT_NAMES = {topic: cls.canvas_name for cls, topic in TOPICS.items()}


def positions(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    rows = conn.execute("SELECT projection, version, position FROM rm_tracking").fetchall()
    return {name: (version, position) for name, version, position in rows}


def check_versions(conn: sqlite3.Connection) -> list[str]:
    """Names of projections whose stored rows were made by another version of their code."""
    found = positions(conn)
    return [p.name for p in PROJECTIONS if p.name in found and found[p.name][0] != p.version and found[p.name][1] > 0]


@contextmanager
def write_transaction(conn: sqlite3.Connection, waiting: Callable[[], None] | None = None) -> Iterator[Any]:
    """One SQLite write transaction (the writer lock is taken at once, waiting up to the busy timeout).

    With `waiting`, a lock still held by another writer after NOTICE_AFTER_MS calls it once (to say so),
    then the wait goes on up to the full busy timeout."""
    if waiting is None:
        conn.execute("BEGIN IMMEDIATE")
    else:
        _begin_telling(conn, waiting)
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _begin_telling(conn: sqlite3.Connection, waiting: Callable[[], None]) -> None:
    conn.execute(f"PRAGMA busy_timeout={NOTICE_AFTER_MS}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        waiting()
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS - NOTICE_AFTER_MS}")
        conn.execute("BEGIN IMMEDIATE")
    finally:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def catch_up(
    store: Any,
    conn: sqlite3.Connection,
    *,
    page: int = PAGE,
    suffix: str = "",
    in_transaction: bool = False,
    drain_queue: bool = True,
    progress: Callable[[int, int], None] | None = None,
    waiting: Callable[[], None] | None = None,
    readers: Callable[[Any, int, int], Iterator[tuple]] | None = None,
    mastery: MasteryProjection | None = None,
) -> int:
    """Apply every stored event after the tracked position; return how many were read (applied or skipped).
    `waiting` is called once if another writer holds the read model for more than a second; `readers` (a
    rebuild's load: projections/parallel.py's `pages`) reads the backlog up to the head in other processes;
    `mastery` replaces the page's mastery projection (a rebuild's load queues its units after the load)."""
    told: list[bool] = []

    def tell() -> None:  # once per catch-up, however many pages wait
        if waiting is not None and not told:
            told.append(True)
            waiting()

    notify = tell if waiting is not None else None
    if not suffix and check_versions(conn):
        return 0  # rows of another version's format are never added to: only `mastery rebuild` replaces them
    history, mastery = HistoryProjection(suffix), mastery or MasteryProjection(suffix)
    problems.ensure(conn, suffix)
    start = positions(conn).get(f"history{suffix}", (history.version, 0))[1]
    applied = 0
    with closing(_pages(store, history, start, page, readers)) as pages:
        for last, batch, rows, failed in pages:
            read = len(batch) + len(failed)
            skip = problems.excluded(conn, start + 1, last)
            if skip:
                kept = [(item, row) for item, row in zip(batch, rows, strict=True) if item[0] not in skip]
                batch, rows = [item for item, _ in kept], [row for _, row in kept]
                failed = [f for f in failed if f[0] not in skip]
            if in_transaction:
                apply_page(conn, history, mastery, batch, suffix, rows, last, failed)
            else:
                with write_transaction(conn, notify):
                    if positions(conn).get(f"history{suffix}", (0, 0))[1] >= last:
                        start = last  # another process applied this page meanwhile
                        continue
                    apply_page(conn, history, mastery, batch, suffix, rows, last, failed)
            applied += read
            start = last
            if progress:
                progress(applied, start)
    if drain_queue:
        drain(conn, mastery, in_transaction, waiting=notify)
    return applied


def _pages(
    store: Any, history: HistoryProjection, start: int, page: int, readers: Callable[..., Iterator[tuple]] | None
) -> Generator[tuple]:
    """(last position, pairs, their rows, failed) of each page after `start`, read and prepared here, or,
    for a large rebuild, by `readers` up to the head the store had (projections/parallel.py) and then here."""
    if readers is not None:
        for last, batch, rows, failed in readers(store, start, page):
            if batch or failed:
                yield last, batch, rows, failed
            start = last
    while True:
        batch, failed = read_page(store, start, page)
        if not batch and not failed:
            return
        last = max(p for p, *_ in batch + failed)
        yield last, *prepare(history, batch, failed), failed  # CPU work outside the writer lock
        start = last


def read_page(store: Any, start: int, page: int, stop: int | None = None) -> tuple[list, list]:
    """The next page as (position, event) pairs, and (position, type, reason) for records that cannot be read.

    A record the lean path takes (projections/lean.py) comes with its history row already built; any other
    is mapped by the store's own mapper, as `store.read` does."""
    recorder, mapper = getattr(store, "recorder", None), getattr(store, "mapper", None)
    if not lean.ENABLED or recorder is None or mapper is None:
        batch, unreadable = store.read(start, page, stop)
        return batch, [(u.position, EVENT_NAMES.get(u.topic, u.topic), problems.describe(u.error)) for u in unreadable]
    batch, failed = [], []
    keys = getattr(store, "keys", None)  # the store's key table (store/sealing.py): opens sealed bodies
    open_body = keys.open_body if keys is not None else None
    for n in recorder.select_notifications(start=start, limit=page, stop=stop, inclusive_of_start=False):
        event = lean.read(n.id, n.topic, n.state, open_body)
        if event is None:
            try:
                event = mapper.to_domain_event(n)
            except Exception as error:
                failed.append((n.id, EVENT_NAMES.get(n.topic, n.topic), problems.describe(error)))
                continue
        batch.append((n.id, event))
    return batch, failed


def prepare(history: HistoryProjection, batch: list, failed: list) -> tuple[list, list]:
    """The version rows of a page; an event whose state cannot be built, or read back, joins `failed`.

    A lean event's row is already built, from values the state model reads back (lean.py checks them)."""
    kept, rows = [], []
    for position, event in batch:
        if isinstance(event, PersonErased):  # an erasure record: nothing to project (its page moves on)
            continue
        if type(event) is lean.LeanEvent:
            kept.append((position, event))
            rows.append(event.row)
            continue
        try:
            row = version_row(position, event)
            packed.load_row(event.kind, row)  # the state readers will load
        except Exception as error:
            failed.append((position, getattr(event, "canvas_name", None), problems.describe(error)))
            continue
        kept.append((position, event))
        rows.append(row)
    return kept, rows


def drain(
    conn: sqlite3.Connection,
    mastery: MasteryProjection,
    in_transaction: bool = False,
    chunk: int = 2000,
    waiting: Callable[[], None] | None = None,
) -> None:
    """Recompute the queued mastery units, a chunk per transaction."""
    if in_transaction:
        mastery.drain(conn)
        return
    while True:
        with write_transaction(conn, waiting):
            if mastery.drain(conn, chunk) == 0:
                return


def apply_page(
    conn: sqlite3.Connection,
    history: HistoryProjection,
    mastery: MasteryProjection,
    batch: list,
    suffix: str,
    rows: list | None = None,
    last: int | None = None,
    failed: Sequence[Any] = (),
) -> None:
    """Apply one page to both projections and move their tracking positions (caller holds the transaction).

    The page is applied whole inside a SAVEPOINT; if that raises, it is applied again one event per
    SAVEPOINT, and an event that still raises is rolled back alone and recorded as a problem.
    """
    rows = rows if rows is not None else history.prepare(batch)
    for position, event_type, reason in failed:
        problems.record_event(conn, suffix, position, event_type, reason)
    try:
        _guarded(conn, lambda: _apply(conn, history, mastery, batch, rows))
    except Exception:
        for item, row in zip(batch, rows, strict=True):
            try:
                _guarded(conn, lambda: _apply(conn, history, mastery, [item], [row]))  # noqa: B023
            except Exception as error:
                problems.record_event(conn, suffix, item[0], item[1].canvas_name, problems.describe(error))
    now = datetime.now(UTC).isoformat()
    position = last if last is not None else batch[-1][0]
    for projection in (history, mastery):
        conn.execute(
            "INSERT OR REPLACE INTO rm_tracking (projection, version, position, updated_at) VALUES (?, ?, ?, ?)",
            (projection.name + suffix, projection.version, position, now),
        )


def _apply(
    conn: sqlite3.Connection, history: HistoryProjection, mastery: MasteryProjection, batch: list, rows: list
) -> None:
    changes: list[Change] = []
    history.handle_page(conn, batch, changes, rows)
    mastery.mark(conn, changes)


def _guarded(conn: sqlite3.Connection, work: Callable[[], None]) -> None:
    """Run `work` inside a SAVEPOINT: kept when it returns, rolled back alone when it raises."""
    conn.execute("SAVEPOINT guarded")
    try:
        work()
    except BaseException:
        conn.execute("ROLLBACK TO guarded")
        conn.execute("RELEASE guarded")
        raise
    conn.execute("RELEASE guarded")
