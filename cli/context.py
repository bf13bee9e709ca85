"""What every command needs: the store and read model it names, the root account, and time parsing.

Errors here are `click` exceptions with exit codes from DESIGN's contract (1 domain, 2 usage, 3 I/O,
4 broken history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from domain.ids import local_id


class DomainError(click.ClickException):
    """Not found, or another domain error: exit code 1."""

    exit_code = 1


class InputOutputError(click.ClickException):
    """A file, folder, database or server could not be read or written: exit code 3."""

    exit_code = 3


class BrokenHistory(click.ClickException):
    """The hash chain or the head witness says the history was changed or cut: exit code 4."""

    exit_code = 4


@dataclass
class Settings:
    """The global options, read once by the group."""

    store_url: str
    read_db: str | None
    account: str | None
    tz: str


class Context:
    """Opens the store and the read model lazily, and catches the read model up before a query."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Any = None
        self._db: Any = None

    @property
    def store(self) -> Any:
        if self._store is None:
            from store.application import StoreError, open_store
            try:
                self._store = open_store(self.settings.store_url)
            except StoreError as error:
                raise InputOutputError(str(error)) from None
        return self._store

    @property
    def read_path(self) -> str:
        if self.settings.read_db:
            return self.settings.read_db
        if self.store.is_postgres:
            return "mastery-read.db"
        return self.settings.store_url.removeprefix("sqlite:///").removeprefix("sqlite://")

    @property
    def db(self) -> Any:
        """The read model, refused (exit 3) when it was built from another store."""
        if self._db is None:
            db = self.open_read_model()
            from projections.schema import claim
            owner = claim(db.conn, self.store.store_id)
            if owner is not None:
                db.conn.close()
                raise InputOutputError(
                    f"read model {self.read_path!r} belongs to another event store (store id {owner}), not to "
                    f"{self.store.safe_url} (store id "
                    f"{self.store.store_id}): give this store its own read model with --read-db FILE, or run "
                    "`mastery rebuild --adopt` to rebuild this one from this store")
            self._db = db
        return self._db

    def open_read_model(self) -> Any:
        """The read-model file as it is, whoever it belongs to (for `rebuild --adopt`)."""
        from projections.schema import connect
        try:
            return connect(self.read_path)
        except Exception as error:
            raise InputOutputError(f"cannot open read model {self.read_path!r}: {error}") from None

    def adopt(self) -> Any:
        """The read model for a rebuild that may take it over from another store (stamped after the swap)."""
        if self._db is None:
            self._db = self.open_read_model()
        return self._db

    @property
    def conn(self) -> Any:
        return self.db.conn

    def caught_up(self, progress: Any = None) -> Any:
        """The read-model connection after applying every stored event (a no-op when current)."""
        from projections.runner import catch_up, check_versions
        stale = check_versions(self.conn)
        if stale:
            raise DomainError(f"the read model was built by another version of {', '.join(stale)}: "
                              "run `mastery rebuild` to rebuild it from the history")
        catch_up(self.store, self.conn, progress=progress)
        return self.conn

    def root(self, conn: Any = None) -> str:
        """The root account: --account, or the only one the store holds."""
        conn = conn or self.caught_up()
        roots = [r[0] for r in conn.execute("SELECT root FROM roots ORDER BY root").fetchall()]
        wanted = self.settings.account
        if wanted:
            if roots and wanted not in roots:
                raise DomainError(f"root account {wanted!r} is not in the store; {_some(roots)}")
            return wanted
        if len(roots) == 1:
            return roots[0]
        if not roots:
            raise DomainError("the store holds no events yet: run `mastery ingest FILE` first")
        raise DomainError(f"the store holds {len(roots)} root accounts; choose one with --account ROOT "
                          f"(or MASTERY_ACCOUNT, or ?account= over HTTP); {_some(roots)}")

    def local(self, value: str, conn: Any, root: str) -> str:
        """An id given by the user, reduced like the keys (DESIGN decision 1)."""
        row = conn.execute("SELECT shard FROM roots WHERE root = ?", (root,)).fetchone()
        return local_id(value.strip(), row[0] if row else None) or value

    def parse_time(self, text: str | None, option: str) -> datetime | None:
        return parse_cli_time(text, self.settings.tz, option)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        if self._db is not None:
            self._db.conn.close()


def validation_message(error: Any, where: str) -> str:
    """A pydantic ValidationError as one line: where, then each field that is wrong, why, and what it got."""
    problems = []
    for item in error.errors(include_url=False):
        field = ".".join(str(p) for p in item["loc"]) or "value"
        if item["type"] == "missing":
            problems.append(f"field {field} is missing")
        else:
            why = item["msg"].removeprefix("Value error, ")
            problems.append(f"field {field}: {why} (got {item['input']!r:.40})")
    return f"{where}: " + "; ".join(problems)


def _some(roots: list[str], shown: int = 5) -> str:
    """A few of the root accounts, and how many more there are (a store may hold hundreds of tenants)."""
    more = len(roots) - shown
    return "it holds " + ", ".join(roots[:shown]) + (f" and {more} more" if more > 0 else "")


def parse_cli_time(text: str | None, tz: str, option: str = "--as-of") -> datetime | None:
    """A date (the end of that day) or a time; without an offset it is read in --tz."""
    if text is None:
        return None
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {tz!r} (e.g. UTC, America/Denver)", param_hint="--tz") from None
    value = text.strip()
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).date()
            end = datetime.combine(day, time(23, 59, 59, 999999), zone)
            return end.astimezone(UTC)
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date or time (e.g. 2019-12-01 or 2019-11-02T00:00:00Z)",
                                 param_hint=option) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def ensure_parent(path: str) -> None:
    parent = Path(path).parent
    if not parent.exists():
        raise InputOutputError(f"folder {str(parent)!r} does not exist")
