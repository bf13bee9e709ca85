"""Operations commands: quarantine, export, generate, demo, config (`roster` is cli/roster.py)."""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson

from cli.context import Context, DomainError, InputOutputError, ensure_parent
from cli.render import emit_json, kv, moves, say, table
from domain.redaction import REDACTED, hide_personal


@click.group()
def quarantine() -> None:
    """Input that could not be used: list it, show it, retry it."""


@quarantine.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include items already retried.")
@click.option(
    "--limit",
    default=1000,
    show_default=True,
    type=click.IntRange(0),
    help="Show at most this many items (0: all of them).",
)
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0), help="Skip this many items first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def quarantine_list(app: Context, show_all: bool, limit: int, offset: int, as_json: bool) -> None:
    """List quarantined items with their reasons (open ones by default), saying when the list is cut."""
    from store import quarantine as q

    status = None if show_all else "open"
    items = q.list_items(app.store, status, limit or None, offset)
    total = q.count(app.store, status)
    if as_json:
        emit_json({"items": items, "total": total, "offset": offset, "limit": limit or None})
    else:
        table(
            "quarantine",
            ["id", "status", "source", "line", "reason", "received"],
            [(i["id"], i["status"], i["source"], i["line"], i["reason"], i["received_at"][:19]) for i in items],
            caption="`mastery quarantine show ID` for the raw text; `mastery quarantine retry` to try again",
        )
    if len(items) < total:
        say(
            f"showing {len(items)} of {total} from offset {offset}; use --limit N --offset M to page, --limit 0 for all"
        )


@quarantine.command("show")
@click.argument("item_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def quarantine_show(app: Context, item_id: int, as_json: bool) -> None:
    """Show one quarantined item, its reason and its raw text (tokens redacted)."""
    from store import quarantine as q

    item = q.show(app.store, item_id)
    if item is None:
        raise DomainError(f"no quarantined item {item_id}: `mastery quarantine list --all` lists them")
    if as_json:
        emit_json(item)
        return
    kv(f"quarantined item {item_id}", [(k, v) for k, v in item.items() if k != "raw_text"])
    click.echo(item["raw_text"])


@quarantine.command("retry")
@click.argument("item_ids", type=int, nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def quarantine_retry(app: Context, item_ids: tuple[int, ...], as_json: bool) -> None:
    """Parse open items again (all, or the ids given); append what is now usable."""
    from store import quarantine as q

    report = q.retry(app.store, list(item_ids) or None)
    app.caught_up()
    if as_json:
        emit_json(report)
        return
    click.echo(
        f"retried {report['retried']}: appended {report['appended']}, already stored "
        f"{report['duplicates']}, ignored {report['ignored']}, still unusable {len(report['still_bad'])}"
    )
    for bad in report["still_bad"][:20]:
        click.echo(f"  #{bad['id']}: {bad['reason']}")
    if len(report["still_bad"]) > 20:
        click.echo(f"  and {len(report['still_bad']) - 20} more: `mastery quarantine list` shows them")


@click.command()
@click.option("--since", default=None, help="Only events recorded (arrived) at or after this time.")
@click.option("--redact", is_flag=True, help="Hide user_login, client_ip and user_agent.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="File (default stdout).")
@click.pass_obj
def export(app: Context, since: str | None, redact: bool, output: str | None) -> None:
    """Write stored events as JSON Lines, in arrival order (re-ingestible).

    Every stored record is written, poison or not (the export is the backup): a record that cannot be read
    as an event is written (whatever --since: its arrival time cannot be read) as an `unreadable_record`
    line carrying its raw state, which re-ingesting keeps in the quarantine.
    """
    from domain.erasure import PersonErased
    from store.application import Unreadable

    since_time = app.parse_time(since, "--since")
    out = _open_out(output)
    try:
        for _position, item in app.store.iter_all(unreadable=True):
            if isinstance(item, Unreadable):
                out.write(orjson.dumps(unreadable_line(item, redact)) + b"\n")
                continue
            if isinstance(item, PersonErased):  # not a Canvas event: the history's own record of an erasure
                continue
            if since_time is not None and item.recorded_at < since_time:
                continue
            out.write(orjson.dumps(redacted(item.event) if redact else item.event) + b"\n")
    finally:
        if output:
            out.close()


def unreadable_line(item: Any, redact: bool) -> dict[str, Any]:
    """A stored record that cannot be read, as one JSON object: where it is, why, and its raw state
    (UTF-8 text, else base64; withheld under --redact, as it cannot be redacted field by field)."""
    import base64

    record: dict[str, Any] = {
        "position": item.position,
        "topic": item.topic,
        "originator_id": str(item.originator_id),
        "originator_version": item.originator_version,
        "reason": f"{type(item.error).__name__}: {item.error}",
    }
    if redact:
        record["state"] = REDACTED
    else:
        try:
            record["state"] = item.state.decode("utf-8")
        except UnicodeDecodeError:
            record["state_base64"] = base64.b64encode(item.state).decode("ascii")
    return {"unreadable_record": record}


def redacted(event: dict[str, Any]) -> dict[str, Any]:
    """The event with personal request fields hidden (--redact)."""
    return {**event, "metadata": hide_personal(event.get("metadata", {}))}


def _open_out(output: str | None) -> Any:
    if output is None:
        return sys.stdout.buffer
    ensure_parent(output)
    try:
        return open(output, "wb")  # noqa: SIM115
    except OSError as error:
        raise InputOutputError(f"cannot write {output!r}: {error.strerror}") from None


@click.command()
@click.option("--events", default=10_000, show_default=True, type=click.IntRange(1), help="How many events.")
@click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same stream.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="File (default stdout).")
@click.option(
    "--shape",
    type=click.Choice(["default", "wide"]),
    default="default",
    show_default=True,
    help="default: 8 outcomes a course, ~37 results per student and course; "
    "wide: 40-80 outcomes a course, ~90 results per student and course (same noise).",
)
def generate(events: int, seed: int, output: str | None, shape: str) -> None:
    """Write a realistic synthetic Live Events stream (JSON Lines) for demos and benchmarks."""
    from synthetic import generate as make
    from synthetic import to_jsonl

    out = _open_out(output)
    try:
        for line in to_jsonl(make(events, seed, shape=shape)):
            out.write(line)
    finally:
        if output:
            out.close()


@click.command()
@click.option(
    "--store",
    "store_path",
    default="demo/mastery.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to build the demo store (a new SQLite file).",
)
@click.option("--events", default=30_000, show_default=True, type=click.IntRange(100), help="Stream size.")
@click.pass_context
def demo(ctx: click.Context, store_path: str, events: int) -> None:
    """Generate a realistic stream, ingest it, and show what the tool answers."""
    from cli.demo import run

    run(ctx, store_path, events)


@click.group()
def config() -> None:
    """Per root account settings: the rules mode, the standard-decay flag, and the time zone of times given without an offset."""


SETTINGS = {"mode": ("auto", "outcome", "scale"), "standard-decay": ("true", "legacy"), "tz": ()}  # tz: any IANA zone


@config.command("set")
@click.argument("key", type=click.Choice(sorted(SETTINGS)))
@click.argument("value")
@click.option("--json", "as_json", is_flag=True, help="Print what moved as JSON.")
@click.option("--dry-run", is_flag=True, help="Say what would move and change nothing.")
@click.pass_obj
def config_set(app: Context, key: str, value: str, as_json: bool, dry_run: bool) -> None:
    """Set a setting; mastery is recomputed and what moved is printed (--dry-run: what would move)."""
    from projections.settings import change_setting, set_zone

    if key == "tz":
        if dry_run:
            raise click.UsageError("tz moves no score (it only reads times you type): set it without --dry-run")
        conn = app.caught_up()
        try:
            zone = set_zone(conn, app.root(conn), value)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="VALUE") from None
        if as_json:
            emit_json({"tz": zone})
        else:
            click.echo(f"tz = {zone}: times given without an offset are read in {zone} (--tz still wins)")
        return
    if value not in SETTINGS[key]:
        raise click.BadParameter(f"{key} takes one of: {', '.join(SETTINGS[key])}", param_hint="VALUE")
    from cli.people import everyone, labels, who
    from projections.views import View

    conn = app.caught_up()
    root = app.root(conn)
    moved = change_setting(conn, root, key, value, dry_run=dry_run)
    persons = everyone(View(conn, root))
    moved["examples"] = [{**ex, **who(persons, ex["user_uuid"])} for ex in moved["examples"]]
    if as_json:
        emit_json(moved)
        return
    moves(f"{key} = {value}" + (" would move (dry run, nothing changed)" if dry_run else ""), moved, labels(persons))


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def config_show(app: Context, as_json: bool) -> None:
    """Show the settings of the root account and the mode in force now."""
    from projections.settings import show_settings

    conn = app.caught_up()
    shown = show_settings(conn, app.root(conn))
    if as_json:
        emit_json(shown)
        return
    kv("settings", shown.items())
