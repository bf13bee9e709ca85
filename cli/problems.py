"""`mastery problems`: events and units the projections skipped, and the operator's exclusions.

`problems` lists them (position, type, reason, first seen) with the accounting of the stored events;
`problems exclude POSITION` makes every read model skip one stored event (the store is never touched)
and rebuilds; `problems include POSITION` undoes it. Exit 1 for a position that is not there.
"""

from __future__ import annotations

import click

from cli.context import Context, DomainError
from cli.render import emit_json, say, table


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def problems(ctx: click.Context, as_json: bool) -> None:
    """Events and units the projections could not use (skipped, with the reason), and exclusions."""
    if ctx.invoked_subcommand is not None:
        return
    from projections.problems import listing

    app: Context = ctx.obj
    answer = listing(app.store, app.caught_up())
    if as_json:
        emit_json(answer)
        return
    table(
        "problems",
        ["position", "type", "reason", "unit", "first seen"],
        [(p["position"], p["type"], p["reason"], p["unit"], p["first_seen"][:19]) for p in answer["problems"]],
        caption="`mastery problems exclude POSITION` makes the read models skip an event",
    )
    if answer["exclusions"]:
        table(
            "excluded",
            ["position", "reason", "excluded at"],
            [(e["position"], e["reason"], e["excluded_at"][:19]) for e in answer["exclusions"]],
        )
    c = answer["counts"]
    say(f"{c['stored']} stored = {c['applied']} applied + {c['skipped']} skipped + {c['excluded']} excluded")


@problems.command("exclude")
@click.argument("position", type=click.IntRange(1))
@click.option("--reason", default=None, help="Why (kept with the exclusion).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def exclude(app: Context, position: int, reason: str | None, as_json: bool) -> None:
    """Skip the stored event at POSITION in every read model (kept across rebuilds), then rebuild."""
    from projections.rebuild import UnknownPosition
    from projections.rebuild import exclude as run

    try:
        report = run(app.store, app.caught_up(), position, reason)
    except UnknownPosition as error:
        raise DomainError(str(error)) from None
    _done(report, f"excluded position {position}", as_json)


@problems.command("include")
@click.argument("position", type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def include(app: Context, position: int, as_json: bool) -> None:
    """Undo an exclusion: the event at POSITION counts again, then rebuild."""
    from projections.rebuild import UnknownPosition
    from projections.rebuild import include as run

    try:
        report = run(app.store, app.caught_up(), position)
    except UnknownPosition as error:
        raise DomainError(str(error)) from None
    _done(report, f"included position {position}", as_json)


def _done(report: dict, what: str, as_json: bool) -> None:
    if as_json:
        emit_json(report)
        return
    moved = report["rebuild"]
    click.echo(
        f"{what}; rebuilt: mastery changed {moved['changed']}, added {moved['added']}, removed {moved['removed']}"
    )
