"""The state one server process shares between requests: the store, the read model, and their locks.

The event store's own connection pool is safe across threads; appends still go one at a time (SQLite
has one writer, and PostgreSQL's table lock serialises them anyway), so a waiting request queues here
instead of spinning on the database's busy handler. The read model is one SQLite connection: every read
holds `read_lock` while it catches the model up and queries it. Reads run on a few threads of their own,
so a burst of page views never takes the threads deliveries need. While no delivery has arrived for a
second, a background thread catches the read model up, so the next read finds it current.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import anyio

from projections.session import Session, Settings
from web.errors import Problem

MAX_ID = 255  # characters of an id in a path or query
MAX_DIGITS = 30  # digits of a numeric id (Canvas ids have at most 17)
IDLE = 1.0  # seconds without a delivery before the background catch-up runs
READERS = 4  # threads for reads
log = logging.getLogger("mastery.serve")


class Service:
    """One server's store, read model and locks."""

    def __init__(self, settings: Settings) -> None:
        self.session = Session(settings.store_url, settings.read_db, settings.account, settings.tz)
        self.append_lock = threading.Lock()
        self.read_lock = threading.RLock()
        self._last_append = time.monotonic()
        self._stop = threading.Event()
        self._limiter: anyio.CapacityLimiter | None = None
        self._follower: threading.Thread | None = None

    @property
    def context(self) -> Session:
        """The session (the name `cli/web.py` uses to catch it up before listening)."""
        return self.session

    @property
    def store(self) -> Any:
        return self.session.store

    def ingest(self, items: list[Any]) -> Any:
        """Append one request's items in one transaction; the counts once it is committed."""
        from store.ingest import ingest

        with self.append_lock:
            try:
                return ingest(self.store, items, batch_size=len(items) + 1)
            finally:
                self._last_append = time.monotonic()

    async def read(self, func: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking read on the readers' threads."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(READERS)
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter)

    @contextmanager
    def reading(self, account: str | None) -> Iterator[Reader]:
        """The read model, caught up, for one request (held alone until the block ends)."""
        with self.read_lock:
            conn = self.session.caught_up()
            yield Reader(self, conn, self.session.root(conn, account))

    @contextmanager
    def reading_all(self) -> Iterator[Any]:
        """The read model, caught up, with no root account chosen (for what lists every account)."""
        with self.read_lock:
            yield self.session.caught_up()

    def follow(self) -> None:
        """Start catching the read model up in the background whenever deliveries pause."""
        self._follower = threading.Thread(target=self._follow, name="mastery-catch-up", daemon=True)
        self._follower.start()

    def _follow(self) -> None:
        while not self._stop.wait(IDLE / 2):
            if time.monotonic() - self._last_append < IDLE:
                continue
            try:
                with self.read_lock:
                    self.session.caught_up()
            except Exception as error:  # reads report it; this thread only must not die
                log.warning("background catch-up failed: %s", error)
                self._stop.wait(30)

    def close(self) -> None:
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=60)
        with self.read_lock, self.append_lock:
            self.session.close()


class Reader:
    """What one read request uses: the connection, its root account, id and time parsing."""

    def __init__(self, service: Service, conn: Any, root: str) -> None:
        self.service, self.conn, self.root = service, conn, root

    @property
    def store(self) -> Any:
        return self.service.store

    def local(self, value: str, name: str) -> str:
        """The id `value` of parameter `name` reduced to a local id; 400 when it cannot be an id."""
        return self.service.session.local(checked_id(value, name), self.conn, self.root)

    def time(self, text: str | None, name: str) -> datetime | None:
        """The time of parameter `name`; 400 when it is not one or lies beyond the years 1 to 9999 in UTC."""
        try:
            return self.service.session.parse_time(text or None, name)
        except (OverflowError, ValueError):
            raise Problem(400, f"{name}: {text!r} is out of range (times are years 1 to 9999 in UTC)") from None

    def view(self, as_of: datetime | None = None, known_at: datetime | None = None) -> Any:
        from projections.views import View

        return View(self.conn, self.root, as_of, known_at)


def checked_id(value: str, name: str) -> str:
    """`value` when it can be an id (Canvas's `SHARD~LOCAL` form as the global id's digits); otherwise a
    400 saying which parameter and why."""
    from domain.ids import untilde

    text = value.strip()
    if len(text) > MAX_ID:
        raise Problem(400, f"{name}: an id of {len(text)} characters is not an id (at most {MAX_ID})")
    text = untilde(text)
    if text.isdigit() and (len(text) > MAX_DIGITS or not text.isascii()):
        raise Problem(
            400,
            f"{name}: {text[:40]!r}... is not a Canvas id (at most {MAX_DIGITS} ASCII digits)"
            if len(text) > 40
            else f"{name}: {text!r} is not a Canvas id (ASCII digits only)",
        )
    return text if text != value.strip() else value
