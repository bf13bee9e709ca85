"""`mastery demo`: a realistic synthetic stream of one district ingested into a fresh store, the main
answers, and a "try next" block of exact commands on that store with ids it holds (each works as printed).

The generator makes two root accounts (districts); the demo keeps the busier one's events only, so a
new user's first hand-typed command needs no `--account`. A store built by an older demo that holds
several still gets commands that work: each then names the account (`--account UUID`).
"""

from __future__ import annotations

import shlex
from collections import Counter
from pathlib import Path
from typing import Any

import click
import orjson

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
        kept, dropped = _one_district(stream)
        click.echo(f"kept the {kept:,} events of the busiest district (root account), left out the other's {dropped:,}")
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
    click.secho(f"\n{TRY_NEXT}", bold=True)
    for line in try_next(app, store_path, course):
        click.echo(line)
    click.echo(
        f"\nThe web grid: MASTERY_INGEST_TOKEN=$(openssl rand -hex 16) {PROG} --store {shlex.quote(store_path)} "
        f"serve, then http://127.0.0.1:8000/courses/{course}"
    )


TRY_NEXT = "== try next (each command works on this store as printed)"
PROG = ".venv/bin/mastery" if Path(".venv/bin/mastery").exists() else "mastery"  # as `make demo` installs it


def _one_district(stream: Path) -> tuple[int, int]:
    """Keep the events of the root account with the most events (rewriting the file): how many were
    kept and how many left out."""
    lines = stream.read_bytes().splitlines(keepends=True)
    roots = [orjson.loads(line).get("metadata", {}).get("root_account_uuid") for line in lines]
    main = Counter(r for r in roots if r).most_common(1)[0][0]
    kept = [line for line, root in zip(lines, roots, strict=True) if root == main]
    stream.write_bytes(b"".join(kept))
    return len(kept), len(lines) - len(kept)


def try_next(app: Context, store_path: str, course: str) -> list[str]:
    """Exact commands on the demo's store with its own ids: the busiest course, a student with results
    in it (by name when the name is theirs alone), an outcome of theirs, and a day with results."""
    from cli.people import everyone
    from projections.views import View

    conn = app.caught_up()
    root = app.root(conn)
    several = conn.execute("SELECT COUNT(*) FROM roots").fetchone()[0] > 1
    base = f"{PROG} --store {shlex.quote(store_path)}" + (f" --account {root}" if several else "")
    row = conn.execute(
        "SELECT user_uuid, outcome FROM mastery WHERE root = ? AND course = ? AND count > 0 "
        "ORDER BY count DESC, user_uuid, outcome LIMIT 1",
        (root, course),
    ).fetchone()
    persons = everyone(View(conn, root))
    lines = [f"{base} courses", f"{base} rollups --course {course}"]
    day = _middle_day(conn, root, course)
    if day:
        lines.append(f"{base} rollups --course {course} --as-of {day}")
    if row:
        student, outcome = row[0], row[1]
        named = _name(persons, student)
        who = shlex.quote(named or student)
        lines += [
            f"{base} student {who} --course {course}" + (f"  # user_uuid {student}" if named else ""),
            f"{base} explain {who} --course {course} --outcome {outcome}",
            f"{base} outcome {outcome}",
            f"{base} rollups --course {course} --outcome {outcome} --not-mastered",
        ]
        person = persons.get(student)
        if person is not None and person.id:  # erasure takes an identifier, never a name
            lines.append(f"{base} erase --user {person.id} --dry-run  # what erasing them would remove")
    edited = _edited_outcome(app) or (row[1] if row else None)
    if edited:
        lines.append(f"{base} audit outcome {edited}")
    folder = Path(store_path).parent
    lines += [
        f"{base} tree --course {course}",
        f"{base} what-if --course {course} --method latest",
        f"{base} rollups --course {course} --csv > {shlex.quote(str(folder / f'course-{course}.csv'))}",
        f"{base} rollups --course {course} --xlsx {shlex.quote(str(folder / f'course-{course}.xlsx'))}",
        f"{base} report --course {course} --html {shlex.quote(str(folder / f'course-{course}.html'))}",
        f"{base} accounts",
    ]
    return lines


def _name(persons: dict[str, Any], uuid: str) -> str | None:
    """The student's name when no one else in the account has it (so the name alone finds them)."""
    person = persons.get(uuid)
    if person is None or not person.name:
        return None
    same = [p for p in persons.values() if p.name and p.name.casefold() == person.name.casefold()]
    return str(person.name) if len(same) == 1 else None


def _middle_day(conn: Any, root: str, course: str) -> str | None:
    """The day of the course's middle result: an --as-of with some results before it and some after."""
    (n,) = conn.execute(
        "SELECT COUNT(*) FROM entity_versions WHERE root = ? AND kind = 'result' AND course = ?", (root, course)
    ).fetchone()
    if not n:
        return None
    (when,) = conn.execute(
        "SELECT event_time FROM entity_versions WHERE root = ? AND kind = 'result' AND course = ? "
        "ORDER BY event_time LIMIT 1 OFFSET ?",
        (root, course, n // 2),
    ).fetchone()
    return str(when)[:10]


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
