"""`mastery ingest` and `mastery verify`: keep Canvas Live Events in the store, and check its hash chain.

Plain click commands; `cli/main.py` lists them in the command table.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from cli.context import Context, InputOutputError
from cli.render import Progress, emit_json, say, table


@click.command()
@click.argument("paths", nargs=-1, type=str)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option(
    "--batch", default=2000, show_default=True, type=click.IntRange(1, 100_000), help="Events per store transaction."
)
@click.option(
    "--max-item-bytes",
    envvar="MASTERY_MAX_ITEM_BYTES",
    default=4 << 20,
    show_default=True,
    type=click.IntRange(1024),
    help="Longest item kept; a longer one is quarantined as its first 4 KiB.",
)
@click.option(
    "--max-file-bytes",
    envvar="MASTERY_MAX_FILE_BYTES",
    default=2 << 30,
    show_default=True,
    type=click.IntRange(1),
    help="Most (decompressed) bytes read from one input; the rest is quarantined as skipped.",
)
@click.pass_obj
def ingest(
    app: Context, paths: tuple[str, ...], as_json: bool, batch: int, max_item_bytes: int, max_file_bytes: int
) -> None:
    """Keep Canvas Live Events from files, folders, .gz or stdin (-), exactly once."""
    from projections.follower import Follower
    from sources import SourceError, read_sources
    from store.ingest import ingest as run

    items = read_sources(
        list(paths) or ["-"], stdin=sys.stdin.buffer, max_item_bytes=max_item_bytes, max_file_bytes=max_file_bytes
    )
    follow = _large(paths)
    app.db  # noqa: B018  (refuse another store's read model before a follower process writes to it)
    try:
        with Progress(not as_json, "ingesting") as bar, Follower(app.settings.store_url, app.read_path, follow):
            counts = run(app.store, items, batch_size=batch, on_batch=lambda c: bar(c.read))
        with Progress(not as_json, "projecting") as bar:
            app.caught_up(progress=lambda n, _pos: bar(n))
    except SourceError as error:
        raise InputOutputError(str(error)) from None
    if as_json:
        last = app.store.last_link()
        emit_json({**counts.as_json(), "head": str(last) if last else None})
        return
    _ingest_summary(counts)


def _large(paths: tuple[str, ...]) -> bool:
    """Whether the input is big enough for a projecting process beside the ingest to pay off."""
    import os

    from sources import SourceError, iter_paths

    try:
        return sum(os.path.getsize(p) for p in iter_paths(list(paths)) if p != "-") > 8_000_000 or "-" in paths
    except (OSError, SourceError):
        return False  # the reader reports the missing path


def _ingest_summary(counts: Any) -> None:
    rows = [(k, v) for k, v in counts.as_json().items()]
    table("ingest", ["", "events"], rows)
    if counts.ignored_by_name:
        names = ", ".join(f"{n} {c}" for n, c in counts.ignored_by_name.most_common(8))
        say(f"ignored (types not kept): {names}")
    if counts.quarantined:
        say(f"{counts.quarantined} item(s) quarantined: see `mastery quarantine list`")


@click.command()
@click.option(
    "--head",
    "head_text",
    default=None,
    metavar="POSITION:HASH",
    help="A head kept elsewhere (`ingest --json` prints it): the history must still reach it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def verify(app: Context, head_text: str | None, as_json: bool) -> None:
    """Recompute the hash chain, check it reaches its head witness; exit 4 naming the first bad position."""
    from store.witness import parse_head

    try:
        head = parse_head(head_text) if head_text is not None else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--head") from None
    checked, position, why = app.store.verify(head=head)
    last = app.store.last_link()
    report = {
        "ok": position is None,
        "checked": checked,
        "first_bad_position": position,
        "reason": why,
        "head": str(last) if last else None,
        "witness": app.store.witness_status(),
    }
    if as_json:
        emit_json(report)
    elif position is None:
        click.echo(f"ok: {checked} events, hash chain intact; {report['witness']}")
    else:
        click.echo(f"BROKEN at position {position}: {why} ({checked} events verified before it)")
    if position is not None:
        sys.exit(4)
