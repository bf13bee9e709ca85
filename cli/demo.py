"""`mastery demo`: a realistic synthetic stream ingested into a fresh store, then the main answers."""

from __future__ import annotations

from pathlib import Path

import click

from cli.context import Context, InputOutputError, Settings

DAMAGED = (
    b'{"metadata": {"event_name": "learning_outcome_result_created", "event_time": "2025-12-01T10:00:00Z", "ro\n'
    b'{"metadata": {"event_name": "learning_outcome_created", "event_time": "2025-12-01T10:00:01Z"}, '
    b'"body": {"learning_outcome_id": "1"}}\n'
    b'{"metadata": {"event_name": "learning_outcome_result_updated", "event_time": "yesterday", '
    b'"root_account_uuid": "demo"}, "body": {"id": "9", "learning_outcome_id": "1", "score": "4"}}\n'
)


def step(ctx: click.Context, *argv: str) -> None:
    """Run one `mastery` command by name, as a user would type it, through the group's command table."""
    group = ctx.find_root().command
    assert isinstance(group, click.Group)
    command = group.get_command(ctx, argv[0])
    assert command is not None, f"no command {argv[0]!r} in the table"
    with command.make_context(argv[0], list(argv[1:]), parent=ctx) as sub:
        command.invoke(sub)


def run(ctx: click.Context, store_path: str, events: int) -> None:
    """Generate → ingest → courses → rollups of the busiest course → an audit → verify."""
    folder = Path(store_path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputOutputError(f"cannot create {str(folder)!r}: {error.strerror}") from None
    stream = folder / f"live-events-{events}.jsonl"
    if not stream.exists():
        click.secho(f"\n== generating {events:,} realistic Canvas Live Events → {stream}", bold=True)
        step(ctx, "generate", "--events", str(events), "--seed", "7", "--output", str(stream))
        with stream.open("ab") as out:  # real dumps carry damage too: the demo shows where it goes
            out.write(DAMAGED)
    app = Context(Settings(store_path, None, None, "UTC"), access="create")
    ctx.obj = app
    ctx.call_on_close(app.close)
    click.secho(
        f"\n== mastery --store {store_path} ingest {stream}  (run it twice: nothing is stored twice)", bold=True
    )
    step(ctx, "ingest", str(stream))
    app.settings.account = _main_account(app)
    click.secho("\n== mastery courses", bold=True)
    step(ctx, "courses")
    course = _busiest_course(app)
    click.secho(f"\n== mastery rollups --course {course}", bold=True)
    step(ctx, "rollups", "--course", course)
    click.secho(f"\n== mastery rollups --course {course} --as-of 2025-10-01", bold=True)
    step(ctx, "rollups", "--course", course, "--as-of", "2025-10-01")
    click.secho(f"\n== mastery scale --course {course}", bold=True)
    step(ctx, "scale", "--course", course)
    outcome = _edited_outcome(app)
    if outcome:
        click.secho(f"\n== mastery audit outcome {outcome}", bold=True)
        step(ctx, "audit", "outcome", outcome)
    click.secho("\n== mastery quarantine list", bold=True)
    step(ctx, "quarantine", "list")
    click.secho("\n== mastery verify", bold=True)
    step(ctx, "verify")


def _main_account(app: Context) -> str:
    conn = app.caught_up()
    row = conn.execute(
        "SELECT root, COUNT(*) AS n FROM entity_current GROUP BY root ORDER BY n DESC LIMIT 1"
    ).fetchone()
    return row[0]


def _busiest_course(app: Context) -> str:
    conn = app.caught_up()
    row = conn.execute(
        "SELECT course, COUNT(*) AS n FROM mastery WHERE root = ? GROUP BY course ORDER BY n DESC, course LIMIT 1",
        (app.settings.account,),
    ).fetchone()
    return row[0] if row else "1"


def _edited_outcome(app: Context) -> str | None:
    conn = app.caught_up()
    row = conn.execute(
        "SELECT key, COUNT(*) AS n FROM entity_versions WHERE root = ? AND kind = 'outcome' "
        "GROUP BY key ORDER BY n DESC, key LIMIT 1",
        (app.settings.account,),
    ).fetchone()
    return row[0] if row else None
