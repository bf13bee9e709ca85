"""History commands: explain a score, rebuild the read models side by side, what-if another method."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
import orjson

from cli.context import BrokenHistory, Context, DomainError, InputOutputError
from cli.queries import _view, json_option
from cli.render import Progress, emit_json, kv, moves, table
from cli.snapshots import cut_options
from domain.ids import id_key
from domain.rollup import METHODS

NAMES = ("history", "mastery")


@click.command()
@click.argument("student_ref", metavar="STUDENT")
@click.option("--course", required=True, help="Canvas course id.")
@click.option("--outcome", "outcome_id", required=True, help="Canvas outcome id.")
@cut_options
@json_option
@click.pass_obj
def explain(
    app: Context, student_ref: str, course: str, outcome_id: str, as_of: str | None, known_at: str | None, as_json: bool
) -> None:
    """How a student's score came about: results counted and not, order, scaling, rules, arithmetic.

    STUDENT is a Canvas user id, sis_user_id:X, a user_uuid or its unique start, or the exact name.
    """
    from cli.people import everyone, label, student_uuid, who
    from projections.queries.explain import explain as query

    view = _view(app, as_of, known_at)
    uuid = student_uuid(view, student_ref)
    persons = everyone(view)
    answer = query(view, app.local(course, view.conn, view.root), app.local(outcome_id, view.conn, view.root), uuid)
    shown = who(persons, uuid)
    name = label(persons.get(uuid), uuid) + (f" (SIS {shown['sis_user_id']})" if shown["sis_user_id"] else "")
    if not answer["counted"] and not answer["excluded"]:
        raise DomainError(f"student {name} has no results for outcome {outcome_id} in course {course}")
    if as_json:
        emit_json({**answer, **shown})
        return
    m, s = answer["method"], answer["scale"]
    kv(
        f"{name} · course {answer['course']} · outcome {answer['outcome']} {answer['outcome_title'] or ''}",
        [
            ("mode", answer["mode"]),
            ("method", f"{m['name']} {m['int'] or ''} — {m['source']}"),
            ("method note", m["note"]),
            ("scale", f"{s['source']} (possible {s['points_possible']}, mastery {s['mastery_points']})"),
            ("score", answer["score"]),
            ("rating", (answer["rating"] or {}).get("description")),
            ("mastery", answer["mastery"]),
            ("arithmetic", answer["arithmetic"]),
        ],
    )
    table(
        "counted, in calculation order",
        ["result", "assessed_at", "raw", "scaled", "how"],
        [(c["result"], c["assessed_at"], c["raw_score"], c["scaled_score"], c["how"]) for c in answer["counted"]],
    )
    if answer["excluded"]:
        table(
            "not counted",
            ["result", "score", "why"],
            [(x["result"], x["score"], x["reason"]) for x in answer["excluded"]],
        )


@click.command()
@click.argument("name", required=False, type=click.Choice(NAMES))
@click.option("--dry-run", is_flag=True, help="Build and compare, then throw the new tables away.")
@click.option("--adopt", is_flag=True, help="Rebuild a read model that belongs to another store from this one.")
@json_option
@click.pass_obj
def rebuild(app: Context, name: str | None, dry_run: bool, adopt: bool, as_json: bool) -> None:
    """Replay the history into new read-model tables beside the live ones, swap, and report what moved."""
    from projections.rebuild import rebuild as run
    from projections.schema import restamp

    checked, position, why = app.store.verify()
    if position is not None:  # never rebuild answers from a history that verify calls broken
        raise BrokenHistory(
            f"refused: the history is broken at position {position}: {why} "
            f"({checked} events verified before it); see `mastery verify`"
        )
    conn = app.adopt().conn if adopt else app.conn
    head = app.store.head()
    with Progress(not as_json, "rebuilding", total=head) as bar:
        report = run(app.store, conn, dry_run=dry_run, progress=lambda n, pos: bar(pos))
    if adopt and not dry_run:
        restamp(conn, app.store.store_id)
    report["rebuilt"] = list(NAMES)  # both, whatever NAME says: mastery is computed from the history
    if as_json:
        emit_json(report)
        return
    history = report["read_models"]["history"]["changed"]
    moves(
        f"{'dry run, nothing swapped' if dry_run else 'rebuilt'} (history entities changed: {history}); mastery",
        report,
        student_labels(app, conn),
    )


@click.command("what-if")
@click.option("--course", required=True, help="Canvas course id.")
@click.option("--method", type=click.Choice(list(METHODS)), default=None, help="The calculation method to try.")
@click.option("--int", "int_", type=int, default=None, help="The method's parameter (weight, N).")
@click.option(
    "--scale",
    "scale_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="A JSON file with a mastery scale: a list of ratings {description, points, mastery, color}.",
)
@cut_options
@json_option
@click.pass_obj
def what_if(
    app: Context,
    course: str,
    method: str | None,
    int_: int | None,
    scale_file: str | None,
    as_of: str | None,
    known_at: str | None,
    as_json: bool,
) -> None:
    """How each student's level would move under another method or scale; writes nothing."""
    from projections.queries.explain import what_if as query

    if method is None and scale_file is None:
        raise click.UsageError("give --method (and --int) and/or --scale FILE.json")
    from cli.people import everyone, label, who

    view = _view(app, as_of, known_at)
    answer = query(view, app.local(course, view.conn, view.root), method, int_, _ratings(scale_file))
    persons = everyone(view)
    answer["changes"] = sorted(
        ({**c, **who(persons, c["student"])} for c in answer["changes"]),
        key=lambda c: (id_key(c["outcome"]), _order(persons, c["student"])),
    )
    if as_json:
        emit_json(answer)
        return
    click.echo(f"{answer['moved']} student-outcome score(s) would move, {answer['unchanged']} would not")
    table(
        "what would move",
        ["student", "sis id", "outcome", "now", "then", "rating now", "rating then"],
        [
            (
                label(persons.get(c["student"]), c["student"]),
                c["sis_user_id"],
                c["outcome"],
                c["before"],
                c["after"],
                c["before_rating"],
                c["after_rating"],
            )
            for c in answer["changes"][:200]
        ],
    )


def _order(persons: dict, uuid: str) -> tuple:
    from projections.queries.people import student_order

    person = persons.get(uuid)
    return student_order(uuid, person)


def student_labels(app: Context, conn: sqlite3.Connection) -> dict[str, str]:
    """Names (and SIS ids) of the store's people for "what moved" lines; none when no root can be chosen."""
    from cli.people import everyone, labels
    from projections.views import View

    try:
        return labels(everyone(View(conn, app.root(conn))))
    except click.ClickException:
        return {}


def _ratings(path: str | None) -> list[dict] | None:
    if path is None:
        return None
    try:
        data = orjson.loads(Path(path).read_bytes())
    except OSError as error:
        raise InputOutputError(f"cannot read {path!r}: {error.strerror}") from None
    except orjson.JSONDecodeError as error:
        raise DomainError(f"{path}: not JSON ({error})") from None
    ratings = data.get("outcome_proficiency_ratings", data.get("ratings")) if isinstance(data, dict) else data
    if not isinstance(ratings, list) or not all(isinstance(r, dict) and "points" in r for r in ratings):
        raise DomainError(f"{path}: expected a list of ratings with points (or an object with `ratings`)")
    return ratings
