"""Query commands: rollups, student, courses, outcome, tree, scale, audit. Parse, call, render."""

from __future__ import annotations

from typing import Any

import click

from cli.charts import chart_option, write_student_chart
from cli.context import Context, DomainError
from cli.render import emit_json, kv, swatch, table
from cli.snapshots import cut_options
from domain.ids import KINDS, id_key


def json_option(func: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def _view(app: Context, as_of: str | None, known_at: str | None) -> Any:
    from projections.views import View

    conn = app.caught_up()
    return View(conn, app.root(conn), app.parse_time(as_of, "--as-of"), app.parse_time(known_at, "--known-at"))


@click.command()
@click.option("--course", required=True, help="Canvas course id (local or global).")
@click.option("--aggregate", type=click.Choice(["mean", "median"]), default=None, help="One course rollup.")
@click.option(
    "--user",
    "users",
    multiple=True,
    help="Only these students (Canvas user id, sis_user_id:X, user_uuid or its start, exact name); repeatable.",
)
@click.option("--outcome", "outcomes", multiple=True, help="Only these outcomes; repeatable.")
@click.option(
    "--exclude",
    "excludes",
    multiple=True,
    help="Leave out students whose enrollments are all inactive and/or concluded: inactive,concluded.",
)
@click.option("--section", default=None, help="Only the students of this section (Canvas course section id).")
@click.option(
    "--not-mastered",
    is_flag=True,
    help="With one --outcome: only the students who have not mastered it, those with no evidence included.",
)
@click.option(
    "--csv",
    "csv_to",
    is_flag=False,
    flag_value="-",
    default=None,
    metavar="[FILE]",
    help="CSV. On stdout (no FILE): for scripts, ids in the headers. To FILE: for spreadsheets (UTF-8 BOM, the "
    "cut on row 1, 'Title (id)' headers, a mastered column, the summary under the grid).",
)
@click.option(
    "--summary",
    "with_summary",
    is_flag=True,
    help="With --json: add meta.summary, each outcome's mastered / below / no score / no evidence counts.",
)
@click.option("--excel", is_flag=True, help="The spreadsheet CSV (with its BOM) on stdout, e.g. to redirect.")
@click.option(
    "--long", "as_long", is_flag=True, help="CSV with one row per student × outcome, the cut on every row (BI tools)."
)
@click.option(
    "--xlsx",
    "xlsx_to",
    default=None,
    metavar="FILE",
    help="An Excel workbook: cells in rating colours, SIS ids as text, a Summary sheet with the cut.",
)
@cut_options
@json_option
@click.pass_obj
def rollups(app: Context, course: str, as_of: str | None, known_at: str | None, **options: Any) -> None:
    """Each student's mastery of each outcome in a course, as Canvas's outcome_rollups gives it.

    Students are those the course's enrollments list as of the cut (student enrollments, not deleted or
    rejected), in sortable-name order; a course with no enrollment event lists everyone with a counted
    result, and says so under the table. Under the table, each outcome's count of students who mastered it,
    are below it or have no evidence for it.
    """
    from cli.rollups_out import run

    run(app, _view(app, as_of, known_at), course, **options)  # the options, checked and used there


@click.command()
@click.argument("student_ref", metavar="STUDENT")
@click.option("--course", default=None, help="Only this course.")
@cut_options
@json_option
@chart_option
@click.pass_obj
def student(
    app: Context,
    student_ref: str,
    course: str | None,
    as_of: str | None,
    known_at: str | None,
    as_json: bool,
    chart_path: str | None,
) -> None:
    """One student's mastery across courses and outcomes.

    STUDENT is a Canvas user id (local or global), sis_user_id:X, a user_uuid or its unique start, or the
    exact name (full, sortable or short; any case).
    """
    from cli.people import everyone, label, student_uuid, who
    from cli.rollups_out import score_cell
    from projections.queries.outcome_rollups import rollups as query

    view = _view(app, as_of, known_at)
    uuid = student_uuid(view, student_ref)
    courses = (
        [app.local(course, view.conn, view.root)]
        if course
        else [
            r[0]
            for r in view.conn.execute(
                "SELECT DISTINCT course FROM entity_versions WHERE root = ? AND kind = "
                "'result' AND user_uuid = ? AND course IS NOT NULL",
                (view.root, uuid),
            )
        ]
    )
    found, unlisted = [], []
    for c in sorted(courses, key=id_key):
        answer = query(view.conn, view.root, c, as_of=view.as_of, known_at=view.known_at, user_ids=[uuid])
        titles = {o["id"]: o["title"] for o in answer["linked"]["outcomes"]}
        if not answer["rollups"] and (answer["meta"].get("enrollments") or {}).get("known"):
            unlisted.append(c)
        for rollup in answer["rollups"]:
            found += [
                {
                    "course": c,
                    "outcome": s["links"]["outcome"],
                    "title": titles.get(s["links"]["outcome"]),
                    **{k: s[k] for k in ("score", "count", "mastery", "submitted_at", "rating")},
                }
                for s in rollup["scores"]
            ]
    persons = everyone(view)
    person, shown = persons.get(uuid), who(persons, uuid)
    if not found:
        why = f": not listed in course {', '.join(unlisted)} (its enrollments, as of then)" if unlisted else ""
        raise DomainError(
            f"no counted results for student {label(person, uuid)}" + (f" in course {course}" if course else "") + why
        )
    if chart_path:
        write_student_chart(
            view, uuid, shown["name"] or uuid, sorted({f["course"] for f in found}, key=id_key), chart_path
        )
    if as_json:
        emit_json(
            {
                "user_uuid": uuid,
                "id": shown["user_id"],
                "name": shown["name"],
                "sis_id": shown["sis_user_id"],
                "scores": found,
            }
        )
        return
    title = label(person, uuid) + (f" · SIS {shown['sis_user_id']}" if shown["sis_user_id"] else "")
    table(
        title + (f" · user {shown['user_id']}" if shown["user_id"] else "") + f" · {uuid}",
        ["course", "outcome", "title", "score", "count", "mastery", "latest"],
        [
            (f["course"], f["outcome"], f["title"], score_cell(f), f["count"], f["mastery"], f["submitted_at"])
            for f in found
        ],
    )


@click.command()
@cut_options
@json_option
@click.pass_obj
def courses(app: Context, as_of: str | None, known_at: str | None, as_json: bool) -> None:
    """Courses in the store: name, state, account and counts (now or as of a time)."""
    from projections.queries.catalog import named_courses

    view = _view(app, as_of, known_at)
    found = named_courses(view)
    if as_json:
        emit_json({"courses": found})
        return
    table(
        "courses",
        ["course", "name", "state", "account", "students", "outcomes", "results"],
        [
            (c["course"], c["name"], c["workflow_state"], c["account"], c["students"], c["outcomes"], c["results"])
            for c in found
        ],
    )


@click.command()
@click.argument("outcome_id")
@cut_options
@json_option
@click.pass_obj
def outcome(app: Context, outcome_id: str, as_of: str | None, known_at: str | None, as_json: bool) -> None:
    """An outcome's folded Canvas fields, now or as of a time (rebuilt from its events)."""
    from domain.fold import projector
    from domain.outcome import evolve

    view = _view(app, as_of, known_at)
    key = app.local(outcome_id, view.conn, view.root)
    from projections.problems import excluded

    state = app.store.fold(
        view.root,
        "outcome",
        key,
        projector(evolve, view.as_of, view.known_at),
        excluded(view.conn, 1, app.store.head()),
    )
    if state is None:
        raise DomainError(f"outcome {outcome_id} has no events" + (" by that time" if view.is_cut else ""))
    data = state.model_dump(mode="json")
    if as_json:
        emit_json(data)
        return
    criterion = data.pop("rubric_criterion") or {}
    kv(
        f"outcome {key}",
        [(k, v) for k, v in data.items()]
        + [("mastery_points", criterion.get("mastery_points")), ("points_possible", criterion.get("points_possible"))],
    )
    table(
        "ratings",
        ["points", "description"],
        [(r.get("points"), r.get("description")) for r in criterion.get("ratings") or []],
    )


@click.command()
@click.option("--course", default=None, help="Only this course's groups.")
@cut_options
@json_option
@click.pass_obj
def tree(app: Context, course: str | None, as_of: str | None, known_at: str | None, as_json: bool) -> None:
    """The outcome group tree with the outcomes linked in each group; orphans and cycles flagged."""
    from rich.tree import Tree

    from cli.render import console
    from projections.queries.catalog import outcome_tree

    view = _view(app, as_of, known_at)
    answer = outcome_tree(view, app.local(course, view.conn, view.root) if course else None)
    if as_json:
        emit_json(answer)
        return
    top = Tree(f"outcome groups{' of course ' + course if course else ''}")
    for node in answer["roots"]:
        _branch(top, node)
    for node in answer["orphans"]:
        _branch(top, node, "(orphan: parent never seen) ")
    for gid in answer["cycles"]:
        top.add(f"[red]group {gid}: in a parent cycle[/red]")
    console().print(top)


def _branch(parent: Any, node: dict, prefix: str = "") -> None:
    from rich.markup import escape

    here = parent.add(f"{prefix}[bold]{escape(node['title'] or 'group ' + node['id'])}[/bold] ({node['id']})")
    for o in node["outcomes"]:
        here.add(f"outcome {o['id']}: {escape(o['title'] or '')}")
    for child in node["children"]:
        _branch(here, child)


@click.command()
@click.option("--course", required=True, help="Canvas course id.")
@cut_options
@json_option
@click.pass_obj
def scale(app: Context, course: str, as_of: str | None, known_at: str | None, as_json: bool) -> None:
    """The mode, mastery scale and calculation method in force in a course, and where they come from."""
    from projections.queries.catalog import course_rules

    view = _view(app, as_of, known_at)
    answer = course_rules(view, app.local(course, view.conn, view.root))
    if as_json:
        emit_json(answer)
        return
    kv(
        f"course {course}",
        [
            ("mode", answer["mode"]),
            ("account", answer["account"]),
            ("root account id", answer["root_account_local_id"]),
        ],
    )
    table(
        "calculation per outcome",
        ["outcome", "title", "method", "int", "method from", "scale from"],
        [
            (o["outcome"], o["title"], o["method"], o["int"], o["method_source"], o["scale_source"])
            for o in answer["outcomes"]
        ],
    )
    shown = set()
    for o in answer["outcomes"]:
        if o["scale_source"] in shown:
            continue
        shown.add(o["scale_source"])
        table(
            f"{o['scale_source']} (possible {o['points_possible']}, mastery {o['mastery_points']})",
            ["points", "rating", "colour", "mastery"],
            [(r["points"], r["description"], swatch(r["color"]), r["mastery"]) for r in o["ratings"]],
        )


@click.command()
@click.argument("kind", type=click.Choice(KINDS), required=False)
@click.argument("entity_id", required=False)
@click.option(
    "--actor", default=None, help="Changes by a user id, login, SIS id, masquerader, developer key or job tag."
)
@click.option("--since", default=None, help="With --actor: events at or after this time.")
@click.option("--until", default=None, help="With --actor: events at or before this time.")
@click.option("--redact", is_flag=True, help="Hide user_login, client_ip and user_agent.")
@json_option
@click.pass_obj
def audit(
    app: Context,
    kind: str | None,
    entity_id: str | None,
    actor: str | None,
    since: str | None,
    until: str | None,
    redact: bool,
    as_json: bool,
) -> None:
    """Who changed what, when: an entity's history field by field, or everything one actor did."""
    from cli.audit import by_actor, by_entity, render

    if actor:
        answer = by_actor(app, actor, since, until)
    elif kind is not None and entity_id is not None:
        answer = by_entity(app, kind, entity_id)
    else:
        raise click.UsageError("give KIND ID (e.g. `audit outcome 12345`) or --actor WHO")
    if redact:
        from cli.audit import redact_entries

        redact_entries(answer["entries"])
    if as_json:
        emit_json(answer)
    else:
        render(answer)
