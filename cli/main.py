"""The `mastery` group: its global options, the one table of commands, and errors turned into exit codes.

Command modules define plain click commands and never import this module; the table below names each
one as "module:attribute" and the group imports a module only when one of its commands is asked for.
The global options (--store, --read-db, --account, --tz) are accepted before the command and after it
(`mastery courses --store X` is `mastery --store X courses`); given in both places, the one after the
command wins. Exit codes (DESIGN): 0 ok (also with quarantined input), 1 not found or domain error, 2 usage,
3 input/output error, 4 `verify` found a broken history. The mapping lives in `Mastery.main`, so click's
`CliRunner` sees the same codes and one-line messages as a user; no traceback ever reaches a user.
"""

from __future__ import annotations

import sqlite3
import sys
from importlib import import_module
from typing import Any

import click

from cli.context import Context, SessionError, Settings, to_click
from projections.session import package_version

COMMANDS: dict[str, str] = {
    "ingest": "cli.ingest:ingest",
    "verify": "cli.ingest:verify",
    "rollups": "cli.queries:rollups",
    "student": "cli.queries:student",
    "courses": "cli.queries:courses",
    "accounts": "cli.people:accounts",
    "outcome": "cli.queries:outcome",
    "tree": "cli.queries:tree",
    "scale": "cli.queries:scale",
    "audit": "cli.queries:audit",
    "explain": "cli.history:explain",
    "rebuild": "cli.history:rebuild",
    "what-if": "cli.history:what_if",
    "problems": "cli.problems:problems",
    "quarantine": "cli.operations:quarantine",
    "export": "cli.operations:export",
    "generate": "cli.operations:generate",
    "demo": "cli.operations:demo",
    "config": "cli.operations:config",
    "roster": "cli.roster:roster",
    "serve": "cli.web:serve",
    "report": "cli.web:report",
    "snapshot": "cli.snapshots:snapshot",
    "erase": "cli.erase:erase",
    "migrate": "cli.migrate:migrate",
}


# The global options a command also takes after its name: (flags, Settings field, help). Not added to
# `demo` (its own --store says where to build) nor `generate` (it opens no store).
GLOBALS: list[tuple[tuple[str, ...], str, str]] = [
    (("--store", "store_url"), "store_url", "Same as `mastery --store` before the command; this one wins."),
    (("--read-db", "read_db"), "read_db", "Same as `mastery --read-db`; this one wins."),
    (("--account", "account"), "account", "Same as `mastery --account`; this one wins."),
    (("--tz", "tz"), "tz", "Same as `mastery --tz`; this one wins."),
]
WITHOUT_GLOBALS = {"demo", "generate"}


def _setter(field: str) -> Any:
    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        app = ctx.find_object(Context)
        if value is not None and app is not None:
            setattr(app.settings, field, _zone(ctx, param, value) if field == "tz" else value)

    return callback


def _zone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--tz checked when given (not only once a time is parsed): a typo is a usage error at once."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {value!r} (e.g. UTC, America/Denver)", ctx, param) from None
    return value


def _version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """--version as click's `version_option` prints it, the version read only when asked for: reading
    the installed metadata imports importlib.metadata and email (~15 ms) that no other command needs."""
    if value and not ctx.resilient_parsing:
        click.echo(f"mastery, version {package_version()}")
        ctx.exit()


def with_globals(command: click.Command) -> click.Command:
    """Give a command (and a group's subcommands) the global options, once; each writes into the
    group's Context when given, after the group's own values were set, so the later one wins."""
    if getattr(command, "_mastery_globals", False):
        return command
    taken = {opt for p in command.params for opt in getattr(p, "opts", [])}
    for (flag, name), field, text in GLOBALS:
        if flag not in taken:
            command.params.append(
                click.Option([flag, name], default=None, expose_value=False, callback=_setter(field), help=text)
            )
    command._mastery_globals = True  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_globals(sub)
    return command


class Failure(click.ClickException):
    """An error that is not click's own, shown as one line with the exit code DESIGN gives it."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class; each Failure has its own


# Errors that are not click's own, most specific first: their type, exit code, and how the line reads.
# The one place where the layers' plain exceptions (not found, store error, ...) get their DESIGN exit code.
EXIT_CODES: list[tuple[type[BaseException], int, str]] = [
    (
        sqlite3.OperationalError,
        3,
        "the database is busy or unreadable ({error}); try again when the other writer is done",
    ),
    (OSError, 3, "{error}"),
]


def failure(error: BaseException) -> Failure:
    """What a user is told, and the exit code, for an error that reached the group (1 when unforeseen)."""
    for kind, exit_code, message in EXIT_CODES:
        if isinstance(error, kind):
            return Failure(message.format(error=error), exit_code)
    return Failure(f"{type(error).__name__}: {error}", 1)


class Mastery(click.Group):
    """A group whose commands come from `COMMANDS`, imported on first use, and whose `main` maps errors."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(import_module(module), attribute)
        assert isinstance(command, click.Command), f"{target} is not a click command"
        return command if cmd_name in WITHOUT_GLOBALS else with_globals(command)

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run a command; in standalone mode (a user, or `CliRunner`) every failure becomes a message on
        stderr and an exit code, never a traceback. Commands return None, so an int back is an exit code."""
        try:
            rv = super().main(args, prog_name or "mastery", complete_var, standalone_mode=False, **extra)
        except click.ClickException as error:
            if not standalone_mode:
                raise
            error.show()
            sys.exit(error.exit_code)
        except SessionError as error:  # raised outside a Context (e.g. `serve`'s catch-up before it listens)
            if not standalone_mode:
                raise to_click(error) from error
            to_click(error).show()
            sys.exit(to_click(error).exit_code)
        except click.Abort:
            if not standalone_mode:
                raise
            click.echo("aborted", err=True)
            sys.exit(1)
        except (BrokenPipeError, KeyboardInterrupt):
            if not standalone_mode:
                raise
            sys.exit(1)
        except Exception as error:  # no traceback for users; the message says what failed
            if not standalone_mode:
                raise failure(error) from error
            failure(error).show()
            sys.exit(failure(error).exit_code)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) and not isinstance(rv, bool) else 0)


@click.group(
    cls=Mastery,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="The global options may also follow the command, where they win: "
    "`mastery courses --store demo/mastery.db`. Only ingest, roster import, demo and serve --create "
    "create a store; the others need one, and queries never change it.",
)
@click.option(
    "--version", is_flag=True, expose_value=False, is_eager=True, callback=_version, help="Show the version and exit."
)
@click.option(
    "--store",
    "store_url",
    envvar="MASTERY_STORE",
    default="mastery.db",
    show_default=True,
    help="Event store: a SQLite file path, or a postgresql://user@host:port/db[?schema=S] URL.",
)
@click.option(
    "--read-db",
    envvar="MASTERY_READ_DB",
    default=None,
    help="Read-model SQLite file (default: the store file; mastery-read.db for PostgreSQL).",
)
@click.option(
    "--account",
    envvar="MASTERY_ACCOUNT",
    default=None,
    help="Root account uuid (implied when the store holds only one).",
)
@click.option(
    "--tz",
    envvar="MASTERY_TZ",
    default=None,
    callback=_zone,
    help="Time zone for --as-of/--known-at/--since values given without an offset "
    "(default: the root account's `config set tz`, else UTC).",
)
@click.pass_context
def cli(ctx: click.Context, store_url: str, read_db: str | None, account: str | None, tz: str | None) -> None:
    """Canvas outcome mastery from Live Events: every event kept, state as of any moment, who changed what."""
    app = Context(Settings(store_url, read_db, account, tz))
    ctx.obj = app
    ctx.call_on_close(app.close)


mastery = cli


def main() -> None:
    """The `mastery` console script."""
    cli.main(prog_name="mastery")
