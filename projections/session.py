"""One session on a store and its read model, shared by both entry points (`cli/` and `web/`).

A `Session` opens the event store and its read model lazily, with the access its command needs (DESIGN:
a read never creates or changes a store; `store/marks.py`), refuses a read model stamped by another
store, catches the read model up before a query, resolves the root account and reduces user-given ids.
Its errors are plain exceptions, so it knows nothing of click or HTTP: `cli/context.py` maps them to
DESIGN's exit codes (1 domain, 2 usage, 3 I/O) and `web/errors.py` to HTTP statuses.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.ids import local_id

log = logging.getLogger("mastery.session")


def package_version() -> str:
    """The installed outcome-mastery version (both entry points report it), or "0+unknown" when not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("outcome-mastery")
    except PackageNotFoundError:
        return "0+unknown"


class SessionError(Exception):
    """Something a session cannot do as asked; the subclasses say what kind (the message says what)."""


class NotFound(SessionError):
    """A named thing is not there: a root account the store does not hold, or no events at all."""


class SeveralAccounts(SessionError):
    """The store holds several root accounts and none was chosen."""


class StaleReadModel(SessionError):
    """The read model was built by another version of a projection: it must be rebuilt first."""


class Unavailable(SessionError):
    """The event store or the read model cannot be opened, read or written."""


class StoreMismatch(Unavailable):
    """The read model belongs to another event store (its store-id stamp is not this store's)."""


class BadInput(SessionError):
    """A value given by the user (a time, a time zone) is not one; `option` names where it was given."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass
class Settings:
    """Where the store and the read model are, the account asked for, and the zone of times without one."""

    store_url: str
    read_db: str | None = None
    account: str | None = None
    tz: str | None = None  # None: the root account's `config set tz`, else UTC


class Session:
    """Opens the store and the read model lazily, and catches the read model up before a query.

    `access` is how the store is opened: "create" (the default, for the web service and library callers:
    a missing store is made), "write" (it must exist) or "read" (it must exist; opened read-only)."""

    def __init__(
        self,
        store_url: str,
        read_db: str | None = None,
        account: str | None = None,
        tz: str | None = None,
        access: str = "create",
    ) -> None:
        self.settings = Settings(store_url, read_db, account, tz)
        self.access = access
        self._store: Any = None
        self._db: Any = None
        self._in_place = False  # a read-only read model read as it is: nothing to catch up
        self._zone: str | None = None  # the stored `config set tz`, read once
        self.waiting: Callable[[], None] | None = None  # told once when another writer holds the read model > 1 s

    def store_access(self) -> str:
        """How this session opens the store (a subclass may decide per command)."""
        return self.access

    @property
    def store(self) -> Any:
        if self._store is None:
            self._store = self._open_store(self.store_access())
        return self._store

    def _open_store(self, access: str) -> Any:
        from store.application import StoreError, open_store

        try:
            return open_store(self.settings.store_url, access=access)  # type: ignore[arg-type]
        except StoreError as error:
            raise Unavailable(str(error)) from None

    def check_store(self, access: str) -> None:
        """Open the store as `access` allows (Unavailable when it may not be), then let it go again."""
        self._open_store(access).close()

    @property
    def read_path(self) -> str:
        if self.settings.read_db:
            return self.settings.read_db
        if self.store.is_postgres:
            return "mastery-read.db"
        return self.settings.store_url.removeprefix("sqlite:///").removeprefix("sqlite://")

    @property
    def db(self) -> Any:
        """The read model, refused (StoreMismatch) when it was built from another store."""
        if self._db is None:
            store = self.store  # first: a read model is never made beside what is not a store of ours
            db = self._read_only_model(store) if self._read_only() else self.open_read_model()
            from projections.schema import claim

            owner = None if self._in_place else claim(db.conn, store.store_id)  # in place: checked, read-only
            if owner is not None:
                db.conn.close()
                raise StoreMismatch(
                    f"read model {self.read_path!r} belongs to another event store (store id {owner}), not to "
                    f"{self.store.safe_url} (store id "
                    f"{self.store.store_id}): give this store its own read model with --read-db FILE, or run "
                    "`mastery rebuild --adopt` to rebuild this one from this store"
                )
            self._db = db
        return self._db

    def open_read_model(self) -> Any:
        """The read-model file as it is, whoever it belongs to (for `rebuild --adopt`)."""
        from projections.schema import connect

        try:
            return connect(self.read_path)
        except Exception as error:
            raise Unavailable(f"cannot open read model {self.read_path!r}: {error}") from None

    def _read_only(self) -> bool:
        """Whether a read finds the read model where it cannot write it (a read-only file or folder)."""
        from pathlib import Path

        from store.marks import writable

        return self.store_access() == "read" and not writable(Path(self.read_path))

    def _read_only_model(self, store: Any) -> Any:
        """The read model of a store this process cannot write: in place when current, else a copy in
        memory caught up for this session only (`projections/readonly.py`)."""
        from pathlib import Path

        from projections.readonly import in_memory, in_place

        path = Path(self.read_path)
        db = in_place(path, store)
        if db is not None:
            self._in_place = True
            return db
        try:
            db = in_memory(path)
        except Exception as error:
            raise Unavailable(f"cannot read the read model {self.read_path!r}: {error}") from None
        log.warning("note: %s cannot be written: answering from a copy of its read model in memory", path)
        return db

    def adopt(self) -> Any:
        """The read model for a rebuild that may take it over from another store (stamped after the swap)."""
        if self._db is None:
            self._db = self.open_read_model()
        return self._db

    @property
    def conn(self) -> Any:
        return self.db.conn

    def caught_up(self, progress: Callable[[int, int], None] | None = None) -> Any:
        """The read-model connection after applying every stored event (a no-op when current)."""
        from projections.runner import catch_up, check_versions

        stale = check_versions(self.conn)
        if stale:
            raise StaleReadModel(
                f"the read model was built by another version of {', '.join(stale)}: "
                "run `mastery rebuild` to rebuild it from the history"
            )
        if not self._in_place:  # a read-only read model in place is current: nothing to apply
            catch_up(self.store, self.conn, progress=progress, waiting=self.waiting)
        return self.conn

    def root(self, conn: Any = None, account: str | None = None) -> str:
        """The root account: `account`, else the session's, else the only one the store holds."""
        conn = conn or self.caught_up()
        roots = [r[0] for r in conn.execute("SELECT root FROM roots ORDER BY root").fetchall()]
        wanted = account or self.settings.account
        if wanted:
            if roots and wanted not in roots:
                raise NotFound(f"root account {wanted!r} is not in the store; {_some(roots)}")
            return wanted
        if len(roots) == 1:
            return str(roots[0])
        if not roots:
            raise NotFound("the store holds no events yet: run `mastery ingest FILE` first")
        from projections.history import hosts as root_hosts

        hosts = root_hosts(conn)
        named = [f"{r} ({hosts[r]})" if hosts.get(r) else r for r in roots]
        raise SeveralAccounts(
            f"the store holds {len(roots)} root accounts; choose one with --account ROOT "
            f"(or MASTERY_ACCOUNT, or ?account= over HTTP); {_some(named)}"
        )

    def local(self, value: str, conn: Any, root: str) -> str:
        """An id given by the user, reduced like the keys (DESIGN decision 1)."""
        row = conn.execute("SELECT shard FROM roots WHERE root = ?", (root,)).fetchone()
        return local_id(value.strip(), row[0] if row else None) or value

    def parse_time(self, text: str | None, option: str) -> datetime | None:
        return None if text is None else parse_moment(text, self.zone(), option)

    def zone(self) -> str:
        """The zone of times given without an offset: --tz / MASTERY_TZ, else the root account's
        `config set tz`, else UTC."""
        if self.settings.tz:
            return self.settings.tz
        if self._zone is None:
            self._zone = self._stored_zone() or "UTC"
        return self._zone

    def _stored_zone(self) -> str | None:
        try:
            conn = self.conn
            root = self.root(conn)
            row = conn.execute("SELECT value FROM settings WHERE root = ? AND key = 'tz'", (root,)).fetchone()
        except (SessionError, sqlite3.Error):  # no store, no account chosen, no settings yet: UTC
            return None
        return str(row[0]) if row else None

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        if self._db is not None:
            self._db.conn.close()


def _some(roots: list[str], shown: int = 5) -> str:
    """A few of the root accounts, and how many more there are (a store may hold hundreds of tenants)."""
    more = len(roots) - shown
    return "it holds " + ", ".join(roots[:shown]) + (f" and {more} more" if more > 0 else "")


DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}|\d{8}")  # a day, ISO extended or basic


def parse_moment(text: str | None, tz: str, option: str = "--as-of") -> datetime | None:
    """A date (the end of that day) or a time; without an offset it is read in `tz`. BadInput when it is
    not one (OverflowError when the moment lies beyond the years 1 to 9999 in UTC)."""
    if text is None:
        return None
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"unknown time zone {tz!r} (e.g. UTC, America/Denver)", "--tz") from None
    value = text.strip()
    try:
        if DATE_ONLY.fullmatch(value):  # 2025-10-01 and 20251001 alike: the end of that day
            day = date.fromisoformat(value)
            end = datetime.combine(day, time(23, 59, 59, 999999), zone)
            return end.astimezone(UTC)
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise BadInput(f"{text!r} is not a date or time (e.g. 2019-12-01 or 2019-11-02T00:00:00Z)", option) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
