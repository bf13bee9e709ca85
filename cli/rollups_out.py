"""How `rollups` reads its options and prints its answer: `--exclude` and `--section` checked, the terminal
grid (names and SIS ids from `linked.users`, in the answer's sortable-name order; the legend, the
per-outcome summary and the enrollment note under it) and the CSV for scripts on stdout (a column each for
the student's id, name and SIS id, kept as text). The exports for people and BI tools are `cli.exports`."""

from __future__ import annotations

from typing import Any

import click

from cli.context import Context, DomainError, ensure_parent
from cli.grid import grid, legend, print_line
from cli.render import console, emit_csv, emit_json, rating_cell, say
from domain.people import EXCLUDABLE
from projections.queries.csv_out import rollups_rows
from projections.queries.outcome_rollups import linked_users
from projections.queries.summary import summary_text

# --exclude names: the domain's (inactive, concluded), and Canvas's exclude[] names for them.
EXCLUDES = {name: name for name in EXCLUDABLE} | {f"{name}_enrollments": name for name in EXCLUDABLE}


def excluded_states(values: tuple[str, ...]) -> frozenset[str]:
    """`--exclude inactive,concluded` (comma-separated and/or repeated; Canvas's `*_enrollments` names too)."""
    found = set()
    for value in values:
        for part in filter(None, (p.strip() for p in value.split(","))):
            if part not in EXCLUDES:
                raise click.BadParameter(f"{part!r}: give {' and/or '.join(EXCLUDABLE)}", param_hint="--exclude")
            found.add(EXCLUDES[part])
    return frozenset(found)


def checked_section(app: Context, view: Any, course: str, section: str) -> str:
    """The local id of `--section`; exit 1 when the course's section events name other sections only."""
    from projections.queries.people import sections

    local = app.local(section, view.conn, view.root)
    known = sections(view, course)
    if known and local not in {s.id for s in known}:
        listed = ", ".join(f"{s.id} ({s.name or 'unnamed'})" for s in known)
        raise DomainError(f"course {course} has no section {section}; its sections: {listed}")
    return local


def run(
    app: Context,
    view: Any,
    course: str,
    *,
    aggregate: str | None,
    users: tuple,
    outcomes: tuple,
    excludes: tuple,
    section: str | None,
    not_mastered: bool,
    with_summary: bool,
    csv_to: str | None,
    excel: bool,
    as_long: bool,
    xlsx_to: str | None,
    as_json: bool,
) -> None:
    """The rollups command once its options are read: check them, ask, count, narrow, print or export."""
    from cli.people import student_uuid
    from projections.queries.catalog import course_name
    from projections.queries.outcome_rollups import rollups as query
    from projections.queries.summary import course_students, summary

    exclude = excluded_states(excludes)
    if users and section:
        raise click.UsageError("give --user or --section, not both (as Canvas's outcome_rollups)")
    checked_outputs(as_json=as_json, csv_to=csv_to, excel=excel, as_long=as_long, xlsx_to=xlsx_to)
    if not_mastered and len(outcomes) != 1:
        raise click.UsageError(f"--not-mastered needs exactly one --outcome (got {len(outcomes)})")
    if not_mastered and aggregate:
        raise click.UsageError("--not-mastered lists students: not with --aggregate")
    if with_summary and (not as_json or aggregate):
        raise click.UsageError(
            "--summary adds meta.summary to --json (not with --aggregate); tables and exports show it"
        )
    if aggregate and (as_long or xlsx_to):
        raise click.UsageError("--aggregate gives one course row: not with --long or --xlsx")
    course_id = app.local(course, view.conn, view.root)
    section_id = checked_section(app, view, course_id, section) if section else None
    outcome_ids = checked_outcomes(view, course, course_id, [app.local(o, view.conn, view.root) for o in outcomes])
    user_ids = [student_uuid(view, u) for u in users] or None
    answer = query(
        view.conn,
        view.root,
        course_id,
        as_of=view.as_of,
        known_at=view.known_at,
        aggregate=aggregate,
        user_ids=user_ids,
        outcome_ids=outcome_ids or None,
        exclude=exclude,
        section=section_id,
    )
    if not answer["linked"]["outcomes"]:
        raise DomainError(
            f"course {course} has no outcomes or results in the store"
            + (" at that time" if view.is_cut else "")
            + ": `mastery courses` lists the courses"
        )
    counts = None
    if not aggregate and (with_summary or not_mastered or not as_json):  # plain --json shows no counts
        listed = course_students(
            view, course_id, answer, user_ids=user_ids, outcome_ids=outcome_ids, exclude=exclude, section=section_id
        )
        counts = summary(answer, listed)
        if not_mastered:
            from projections.queries.summary import not_mastered as narrowed

            answer = narrowed(view, course_id, answer, listed, outcome_ids[0])
    if as_json:
        if with_summary and counts is not None:
            answer["meta"]["summary"] = counts
        emit_json(answer)
        return
    shown = outcome_ids[0] if not_mastered else None
    name = course_name(view, course_id)
    if csv_to == "-" and not excel and not as_long:
        rollups_csv(answer)
    elif csv_to or excel or as_long or xlsx_to:
        export(answer, course_id, name, counts, shown, csv_to=csv_to, bom=excel, as_long=as_long, xlsx_to=xlsx_to)
    else:
        rollups_table(answer, course_id, name, counts, shown)


def checked_outputs(*, as_json: bool, csv_to: str | None, excel: bool, as_long: bool, xlsx_to: str | None) -> None:
    """One output at a time: --json, the CSV family (--csv [FILE], --excel, --long) or --xlsx FILE."""
    given = [
        name
        for name, on in (
            ("--json", as_json),
            ("--csv", csv_to is not None),
            ("--excel", excel),
            ("--long", as_long),
            ("--xlsx", xlsx_to is not None),
        )
        if on
    ]
    family = {"--csv", "--excel", "--long"}
    if len(given) > 1 and not set(given) <= family:
        raise click.UsageError(f"give one output: {' or '.join(given)}, not several")
    if excel and csv_to not in (None, "-"):
        raise click.UsageError("--excel is the spreadsheet CSV on stdout; --csv FILE writes it to a file already")
    for path in (p for p in (csv_to, xlsx_to) if p not in (None, "-")):
        ensure_parent(str(path))


def checked_outcomes(view: Any, course: str, course_id: str, outcome_ids: list[str]) -> list[str]:
    """The `--outcome` ids, each one the course has (results or links as of the cut); exit 1 naming the
    course's outcomes when one is not."""
    from projections.queries.summary import outcome_titles

    if not outcome_ids:
        return []
    known = outcome_titles(view, course_id)
    ids = {oid for oid, _ in known}
    unknown = [o for o in outcome_ids if o not in ids]
    if unknown and known:
        listed = ", ".join(f"{oid} ({title or 'untitled'})" for oid, title in known)
        raise DomainError(
            f"course {course} has no outcome {', '.join(unknown)}"
            + (" at that time" if view.is_cut else "")
            + f"; its outcomes: {listed}"
        )
    return outcome_ids


def export(
    answer: dict[str, Any],
    course: str,
    name: str | None,
    counts: list[dict[str, Any]] | None,
    not_mastered: str | None,
    *,
    csv_to: str | None,
    bom: bool,
    as_long: bool,
    xlsx_to: str | None,
) -> None:
    """The exports of `cli.exports`: to a file they say on stderr what they wrote."""
    from cli import exports

    c = exports.cut(answer, course, name, not_mastered)
    note = enrollment_note(answer)
    shape = f"{len(answer['rollups'])} student(s) × {len(answer['linked']['outcomes'])} outcome(s)"
    if xlsx_to:
        exports.workbook(answer, c, counts, note, xlsx_to)
        say(f"wrote {xlsx_to}: {shape}, as of {c['as_of']}")
        return
    to_file = csv_to not in (None, "-")
    if as_long:
        header, rows = exports.long(answer, c)
        exports.write(exports.csv_text([header, *rows]), csv_to, bom or to_file)
    else:
        exports.write(exports.csv_text(exports.spreadsheet_rows(answer, c, counts, note)), csv_to, True)
    if to_file:
        say(f"wrote {csv_to} (UTF-8 with a BOM): {shape}, as of {c['as_of']}")
    elif note and as_long:
        say(note)


def student_label(user: dict[str, Any] | None, link: str | None) -> str:
    """A student's name in the table; else the Canvas user id; else the uuid's first 12 characters, which
    `--user`, `student` and `explain` take back as a prefix."""
    if link is None:
        return "course"
    if user and user.get("name"):
        return str(user["name"])
    if user and user.get("id"):
        return f"user {user['id']}"
    return link[:12]


def rollups_csv(answer: dict[str, Any]) -> None:
    emit_csv(*rollups_rows(answer))
    note = enrollment_note(answer)
    if note:
        say(note)


def rollups_table(
    answer: dict[str, Any],
    course: str,
    name: str | None,
    summary: list[dict[str, Any]] | None = None,
    not_mastered: str | None = None,
) -> None:
    """The grid in blocks that fit the terminal, then the scale legend, the summary lines and the note."""
    out = console()
    users = linked_users(answer)
    outcomes = answer["linked"]["outcomes"]
    rows = []
    for rollup in answer["rollups"]:
        link = rollup["links"].get("user")
        user = users.get(link) if link else None
        by = {s["links"]["outcome"]: s for s in rollup["scores"]}
        cells = [score_cell(by.get(o["id"]), described=not_mastered is not None) for o in outcomes]
        rows.append(([student_label(user, link), (user or {}).get("sis_user_id")], cells))
    meta = answer["meta"]
    when = f" as of {meta['as_of']}" if meta["as_of"] else ""
    known = f" known at {meta['known_at']}" if meta["known_at"] else ""
    who = f" · who has not mastered outcome {not_mastered}" if not_mastered else ""
    title = f"course {course}{' ' + name if name else ''} mastery{when}{known} ({meta['mode']} mode){who}"
    grid(title, ["student", "sis id"], [o["id"] for o in outcomes], rows, out)
    for line in legend(outcomes):
        print_line(line, out)
    print_line([f"{len(answer['rollups'])} student(s) × {len(outcomes)} outcome(s)"], out)
    if summary:
        print_line([summary_heading(summary, answer)], out)
        for s in summary:
            print_line([summary_text(s)], out)
    else:
        for o in outcomes:
            print_line([f"{o['id']} {o['title'] or '(untitled)'}"], out)
    note = enrollment_note(answer)
    if note:
        click.echo(note)


def summary_heading(summary: list[dict[str, Any]], answer: dict[str, Any]) -> str:
    count = summary[0]["students"] if summary else 0
    known = (answer["meta"].get("enrollments") or {}).get("known")
    whom = "listed by the course's enrollments" if known else "with a counted result in the course"
    return f"per outcome, of the {count} student(s) {whom}:"


def enrollment_note(answer: dict[str, Any]) -> str | None:
    """The line under the table about who is listed: why everyone with a result is (no enrollment event
    for the course), or who could not be (enrolled students without a user event)."""
    enrollments = answer["meta"].get("enrollments") or {}
    if enrollments.get("note"):
        return str(enrollments["note"])
    if enrollments.get("known", True):
        return None
    return "no enrollment events for this course: every student with a counted result is listed"


def score_cell(score: dict | None, described: bool = False) -> Any:
    """A score on its rating's colour (with the rating's description when `described`); a student's missing
    score is "no evidence" where the answer lists them for it (`--not-mastered`), else empty."""
    from rich.text import Text

    if score is None:
        return Text("no evidence", style="dim") if described else None
    if score["score"] is None and described:
        return Text("no score", style="dim")
    rating = score["rating"] or {}
    return rating_cell(score["score"], rating.get("description") if described else None, rating.get("color"))
