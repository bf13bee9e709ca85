"""`mastery ingest` and `mastery verify`: keep Canvas Live Events in the store, and check its hash chain.

Plain click commands; `cli/main.py` lists them in the command table.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from cli.context import Context, InputOutputError
from cli.render import IngestProgress, Progress, emit_json, say, table, warn

# `ingest --strict` when some input could not be used: the rest is stored, unlike exit 3 (nothing read).
STRICT_EXIT = 5
# Input above this many bytes (or stdin) gets a projecting process beside the ingest.
LARGE_BYTES = 8_000_000
STOPPED_EXIT = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C


@click.command()
@click.argument("paths", nargs=-1, type=str)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option(
    "--strict",
    is_flag=True,
    help=f"Exit {STRICT_EXIT} (after storing the rest) if any item of the input could not be used (quarantined).",
)
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
    app: Context,
    paths: tuple[str, ...],
    as_json: bool,
    strict: bool,
    batch: int,
    max_item_bytes: int,
    max_file_bytes: int,
) -> None:
    """Keep Canvas Live Events from files, folders, .gz or stdin (-), exactly once.

    In folders, only files named like events are read (.json, .jsonl, .ndjson, .jsonlines or no
    extension, each maybe .gz); the others are listed as skipped. A file named here is always read.
    Progress shows on a terminal (not with --json). Ctrl-C stops after the last whole batch (exit 130);
    running the same command again continues, storing nothing twice."""
    from sources import Inputs, SourceError, read_sources
    from store.ingest import Stopped
    from store.ingest import ingest as run

    given = list(paths) or ["-"]
    stored = {"events": 0}  # events this run stored, batch by batch (for a Ctrl-C at any moment)
    try:
        try:
            inputs = Inputs(given, sys.stdin.buffer if "-" in given else None)
        except SourceError as error:
            raise InputOutputError(str(error)) from None
        items = read_sources(
            given, stdin=sys.stdin.buffer, max_item_bytes=max_item_bytes, max_file_bytes=max_file_bytes, inputs=inputs
        )
        follow = "-" in given or (inputs.total or 0) > LARGE_BYTES
        app.db  # noqa: B018  (refuse another store's read model before a follower process writes to it)
        try:
            with IngestProgress(not as_json, "ingesting", inputs.total) as bar, _following(app, follow):

                def batch_done(done: Any) -> None:
                    stored["events"] = done.appended
                    bar(inputs.done, done.read)

                counts = run(app.store, items, batch_size=batch, on_batch=batch_done)
            with Progress(not as_json, "projecting") as projected:
                app.caught_up(progress=lambda n, _pos: projected(n))
        except SourceError as error:
            raise InputOutputError(str(error)) from None
    except Stopped as stopped:
        _stopped(stopped.counts.appended)
    except KeyboardInterrupt:
        _stopped(stored["events"])
    if as_json:
        last = app.store.last_link()
        report: dict[str, Any] = {**counts.as_json(), "head": str(last) if last else None}
        if inputs.skipped:  # the two lists only when not empty: the counts' shape stays DESIGN's
            report["skipped"] = inputs.skipped
        if counts.warnings():
            report["warnings"] = counts.warnings()
        if counts.refused:  # only when an erased person's values came again: the shape stays DESIGN's
            report["refused"] = counts.refused
        emit_json(report)
    else:
        _ingest_summary(counts, inputs.skipped)
    if counts.refused:
        warn(
            f"{counts.refused} event(s) name a person who was erased: their personal values were refused "
            "(the erasure wins); the events are stored with placeholders"
        )
    for found in counts.warnings():
        warn(found["message"])
    if strict and counts.unusable:
        say(
            f"--strict: {counts.unusable} item(s) of this input could not be used (quarantined, see "
            f"`mastery quarantine list`); the rest is stored"
        )
        raise click.exceptions.Exit(STRICT_EXIT)


def _stopped(stored: int) -> None:
    """Ctrl-C: say what was kept and how to go on (no traceback), and exit 130."""
    say(f"stopped after {stored} events were stored; run the same command again to continue — nothing is stored twice")
    raise click.exceptions.Exit(STOPPED_EXIT)


@contextmanager
def _following(app: Context, enabled: bool) -> Iterator[None]:
    """A projecting process beside the ingest (projections.follower). It is started with Ctrl-C ignored,
    which it inherits: a terminal's Ctrl-C reaches the whole process group, and would print the child's
    traceback; the ingest stops it instead (SIGTERM: its writes are transactions, so a rerun resumes)."""
    from projections.follower import Follower

    follower = Follower(app.settings.store_url, app.read_path, enabled)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if enabled and main else None
    try:
        follower.__enter__()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    try:
        yield
    except KeyboardInterrupt:
        _terminate(follower)
        raise
    finally:
        try:
            follower.__exit__(None, None, None)  # it projects up to the head, then ends
        except KeyboardInterrupt:  # Ctrl-C while waiting for that
            _terminate(follower)
            raise


def _terminate(follower: Any) -> None:
    if follower.process is not None:
        follower.process.terminate()
        follower.process.join()
        follower.process = None  # stopped: its exit neither waits for it nor drains a share after Ctrl-C


def _ingest_summary(counts: Any, skipped: list[str]) -> None:
    rows = [(k, v) for k, v in counts.as_json().items()]
    table("ingest", ["", "events"], rows)
    if counts.ignored_by_name:
        names = ", ".join(f"{n} {c}" for n, c in counts.ignored_by_name.most_common(8))
        say(f"ignored (types not kept): {names}")
    if counts.quarantined:
        say(f"{counts.quarantined} item(s) quarantined: see `mastery quarantine list`")
    if skipped:
        shown = ", ".join(skipped[:8]) + (f" and {len(skipped) - 8} more" if len(skipped) > 8 else "")
        say(f"skipped {len(skipped)} file(s) in folders, not named like events (name one to read it): {shown}")


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
    from store import migrate

    encrypted = migrate.record(app.store)
    if head is not None and migrate.matches_old_head(app.store, head):  # a head kept before `migrate encrypt`
        say(
            f"the head given is the last link before `migrate encrypt` re-chained the history at "
            f"{encrypted['sealed_at']} (its record in the store); the history is checked against its witness"
        )
        head = None
    checked, position, why = app.store.verify(head=head)
    if position is not None and head is not None and migrate.predates(app.store, head):
        why = f"{why}; that head predates `migrate encrypt`, which re-chained the history ({encrypted['sealed_at']})"
    last = app.store.last_link()
    report = {
        "ok": position is None,
        "checked": checked,
        "first_bad_position": position,
        "reason": why,
        "head": str(last) if last else None,
        "witness": app.store.witness_status(),
        "encrypted": encrypted or None,
        "personal_fields": "sealed" if migrate.is_sealed(app.store) else "clear",
    }
    if as_json:
        emit_json(report)
    elif position is None:
        click.echo(f"ok: {checked} events, hash chain intact; {report['witness']}")
        if encrypted:
            say(
                f"personal fields encrypted by `migrate encrypt` at {encrypted['sealed_at']}: the chain was "
                f"re-computed then over the sealed events (last link before: {encrypted['sealed_from_head']})"
            )
        elif checked and report["personal_fields"] == "clear":
            say("personal fields are stored in the clear (a store made before encryption): `mastery migrate encrypt`")
    else:
        click.echo(f"BROKEN at position {position}: {why} ({checked} events verified before it)")
    if position is not None:
        sys.exit(4)
