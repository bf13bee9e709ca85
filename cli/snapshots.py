"""`mastery snapshot create|list|show`: a cut kept under a name (report cards), and `--snapshot NAME`
wherever `--as-of` / `--known-at` are taken (`cut_options`), so the same numbers come back later."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import click

from cli.context import Context, DomainError
from cli.render import emit_json, say, table


def cut_options(func: Any) -> Any:
    """`--as-of`, `--known-at`, and `--snapshot NAME` (the two times of a named snapshot; not with them)."""

    @functools.wraps(func)
    def chosen(*args: Any, snapshot: str | None = None, **kwargs: Any) -> Any:
        if snapshot is not None:
            if kwargs.get("as_of") or kwargs.get("known_at"):
                raise click.UsageError("--snapshot names both times: give it without --as-of and --known-at")
            cut = named(click.get_current_context().find_object(Context), snapshot)
            kwargs["as_of"], kwargs["known_at"] = _text(cut.as_of), _text(cut.known_at)
        return func(*args, **kwargs)

    chosen = click.option(
        "--snapshot", default=None, metavar="NAME", help="The cut of a named snapshot (`mastery snapshot list`)."
    )(chosen)
    chosen = click.option("--known-at", default=None, help="Only events recorded by this time (what we knew then).")(
        chosen
    )
    return click.option("--as-of", default=None, help="State as of this time (a date means the end of that day).")(
        chosen
    )


def named(app: Context | None, name: str) -> Any:
    """The snapshot `name` of the chosen root account; exit 1 naming the ones there are."""
    from projections import snapshots

    if app is None:  # pragma: no cover - every command runs under the group
        raise click.UsageError("--snapshot needs the mastery group")
    conn = app.caught_up()
    root = app.root(conn)
    found = snapshots.get(conn, root, name)
    if found is None:
        known = [s.name for s in snapshots.listed(conn, root)]
        raise DomainError(
            f"no snapshot {name!r}"
            + (f"; there are: {', '.join(repr(k) for k in known[:10])}" if known else "; none was made yet")
            + " (`mastery snapshot create NAME --as-of TIME`)"
        )
    return found


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@click.group()
def snapshot() -> None:
    """Named cuts for report cards: the same numbers back, whatever is delivered later."""


@snapshot.command("create")
@click.argument("name")
@click.option("--as-of", default=None, help="The state of this time (default: now; a date means the end of that day).")
@click.option("--known-at", default=None, help="Only events recorded by this time (default: now, when it is made).")
@click.option("--note", default=None, help="A line saying what it is for.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def create(app: Context, name: str, as_of: str | None, known_at: str | None, note: str | None, as_json: bool) -> None:
    """Keep the cut NAME: as of a time, as known at a time (both pinned; later deliveries change nothing)."""
    from projections import snapshots
    from projections.runner import write_transaction

    now = datetime.now(UTC)
    conn = app.caught_up()
    root = app.root(conn)
    as_of_time = app.parse_time(as_of, "--as-of") or now
    known_at_time = app.parse_time(known_at, "--known-at") or now
    try:
        with write_transaction(conn):
            made = snapshots.create(conn, root, name, as_of_time, known_at_time, now, note)
    except snapshots.SnapshotError as error:
        raise DomainError(str(error)) from None
    if as_json:
        emit_json(made.as_json())
        return
    shown = made.as_json()
    say(f"snapshot {made.name!r}: as of {shown['as_of']}, known at {shown['known_at']}")
    say(f"use it with --snapshot {click.style(repr(made.name), bold=True)} wherever --as-of is taken")


@snapshot.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_snapshots(app: Context, as_json: bool) -> None:
    """The snapshots of the root account, newest first."""
    from projections import snapshots

    conn = app.caught_up()
    found = [s.as_json() for s in snapshots.listed(conn, app.root(conn))]
    if as_json:
        emit_json({"snapshots": found})
        return
    if not found:
        say("no snapshots yet: `mastery snapshot create NAME --as-of TIME`")
        return
    table(
        None,
        ["name", "as of", "known at", "made", "note"],
        [[s["name"], s["as_of"], s["known_at"], s["created_at"], s["note"] or ""] for s in found],
    )


@snapshot.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(app: Context, name: str, as_json: bool) -> None:
    """One snapshot's cut."""
    found = named(app, name).as_json()
    if as_json:
        emit_json(found)
        return
    for key in ("name", "as_of", "known_at", "created_at", "note"):
        click.echo(f"{key.replace('_', ' ')}: {found[key] or ''}")
