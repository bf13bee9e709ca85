"""What every command needs, as click sees it: the session of `projections.session` with its errors
turned into `click` exceptions carrying DESIGN's exit codes (1 domain, 2 usage, 3 I/O, 4 broken history).

`to_click(error)` is the one mapping from a session error to an exit code; `Context` applies it to every
session call the commands make, so a command never sees a session error itself. `ACCESS` says which
commands may create or change a store; every other command opens it for reading only, so a read never
creates a store at a mistyped path nor changes one (exit 3 instead; DESIGN).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from projections.session import (
    BadInput,
    NotFound,
    Session,
    SessionError,
    Settings,
    StaleReadModel,
    StoreMismatch,
    Unavailable,
    parse_moment,
)

__all__ = [
    "BadInput",
    "ACCESS",
    "BrokenHistory",
    "Context",
    "DomainError",
    "InputOutputError",
    "NotFound",
    "Session",
    "SessionError",
    "Settings",
    "StaleReadModel",
    "StoreMismatch",
    "Unavailable",
    "clicked",
    "command_access",
    "ensure_parent",
    "parse_cli_time",
    "to_click",
    "validation_message",
]


# How each command opens the store, by its path below `mastery`; any command not named reads.
ACCESS: dict[str, str] = {
    "ingest": "create",
    "roster import": "create",
    "demo": "create",
    "serve": "write",  # `serve --create` makes a missing store
    "quarantine retry": "write",
    "config set": "write",
    "problems exclude": "write",
    "problems include": "write",
    "rebuild": "write",
    "erase": "write",
    "migrate encrypt": "write",
}


def command_access(ctx: click.Context | None) -> str:
    """The store access of the command running in `ctx` (the innermost one): `ACCESS`, else "read"."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    path = " ".join(reversed(names))
    return ACCESS.get(path, "read")


class DomainError(click.ClickException):
    """Not found, or another domain error: exit code 1."""

    exit_code = 1


class InputOutputError(click.ClickException):
    """A file, folder, database or server could not be read or written: exit code 3."""

    exit_code = 3


class BrokenHistory(click.ClickException):
    """The hash chain or the head witness says the history was changed or cut: exit code 4."""

    exit_code = 4


def to_click(error: SessionError) -> click.ClickException:
    """The click exception (and so the exit code) of a session error: bad input 2, unavailable or another
    store's read model 3, anything else (not found, several accounts, stale read model) 1."""
    if isinstance(error, BadInput):
        return click.BadParameter(str(error), param_hint=error.option)
    if isinstance(error, Unavailable):
        return InputOutputError(str(error))
    return DomainError(str(error))


@contextmanager
def clicked() -> Iterator[None]:
    """Run a block whose session errors leave it as click exceptions."""
    try:
        yield
    except SessionError as error:
        raise to_click(error) from None


class Context(Session):
    """The session of one command invocation, built from the group's global options."""

    def __init__(self, settings: Settings, access: str | None = None) -> None:
        super().__init__(settings.store_url, settings.read_db, settings.account, settings.tz, access or "read")
        self.settings = settings
        self.fixed_access = access

    def store_access(self) -> str:
        """The access given, else the one of the command asking (read from click's current context)."""
        return self.fixed_access or command_access(click.get_current_context(silent=True))

    @property
    def store(self) -> Any:
        with clicked():
            return super().store

    @property
    def db(self) -> Any:
        """The read model, refused (exit 3) when it was built from another store."""
        with clicked():
            return super().db

    def open_read_model(self) -> Any:
        with clicked():
            return super().open_read_model()

    def adopt(self) -> Any:
        with clicked():
            return super().adopt()

    def caught_up(self, progress: Any = None) -> Any:
        if self.waiting is None:
            self.waiting = self.tell_waiting
        with clicked():
            return super().caught_up(progress)

    def tell_waiting(self) -> None:
        """Said once, after a second of waiting, instead of sitting silent behind another writer."""
        click.echo(
            f"waiting for another process writing the read model at {self.read_path} (an ingest, a rebuild "
            "or serve); it goes on by itself once that one commits (at most 30 s)",
            err=True,
        )

    def root(self, conn: Any = None, account: str | None = None) -> str:
        with clicked():
            return super().root(conn, account)

    def check_store(self, access: str) -> None:
        with clicked():
            super().check_store(access)

    def parse_time(self, text: str | None, option: str) -> datetime | None:
        with clicked():
            moment = super().parse_time(text, option)
        if moment is not None and moment > datetime.now(UTC) and option in ("--as-of", "--known-at"):
            click.echo(
                f"note: {option} {text} is in the future; nothing is known beyond now, so this is the state now",
                err=True,
            )
        return moment


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


def parse_cli_time(text: str | None, tz: str, option: str = "--as-of") -> datetime | None:
    """A date (the end of that day) or a time; without an offset it is read in --tz (exit 2 when not one)."""
    with clicked():
        return parse_moment(text, tz, option)


def ensure_parent(path: str) -> None:
    parent = Path(path).parent
    if not parent.exists():
        raise InputOutputError(f"folder {str(parent)!r} does not exist")
