"""How `rollups` reads its options and prints its answer: `--exclude` and `--section` checked, the table
(names and SIS ids from `linked.users`, in the answer's sortable-name order, the enrollment note under it)
and the CSV (a column each for the student's id, name and SIS id, kept as text)."""

from __future__ import annotations

from typing import Any

import click

from cli.context import Context, DomainError
from cli.render import emit_csv, rating_cell, say, table
from domain.people import EXCLUDABLE
from projections.queries.csv_out import rollups_rows
from projections.queries.outcome_rollups import linked_users

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


def rollups_table(answer: dict[str, Any], course: str, name: str | None) -> None:
    users = linked_users(answer)
    outcomes = answer["linked"]["outcomes"]
    columns = ["student", "sis id"] + [o["id"] for o in outcomes]
    rows = []
    for rollup in answer["rollups"]:
        link = rollup["links"].get("user")
        user = users.get(link) if link else None
        by = {s["links"]["outcome"]: s for s in rollup["scores"]}
        rows.append(
            [student_label(user, link), (user or {}).get("sis_user_id")]
            + [score_cell(by.get(o["id"])) for o in outcomes]
        )
    meta = answer["meta"]
    when = f" as of {meta['as_of']}" if meta["as_of"] else ""
    legend = "; ".join(f"{o['id']}: {o['title'] or '(untitled)'}" for o in outcomes)
    table(
        f"course {course}{' ' + name if name else ''} mastery{when} ({meta['mode']} mode)",
        columns,
        rows,
        caption=f"{len(answer['rollups'])} student(s) × {len(outcomes)} outcome(s) — {legend}",
    )
    note = enrollment_note(answer)
    if note:
        click.echo(note)


def enrollment_note(answer: dict[str, Any]) -> str | None:
    """The line under the table about who is listed: why everyone with a result is (no enrollment event
    for the course), or who could not be (enrolled students without a user event)."""
    enrollments = answer["meta"].get("enrollments") or {}
    if enrollments.get("note"):
        return str(enrollments["note"])
    if enrollments.get("known", True):
        return None
    return "no enrollment events for this course: every student with a counted result is listed"


def score_cell(score: dict | None) -> Any:
    if score is None:
        return None
    rating = score["rating"] or {}
    return rating_cell(score["score"], None, rating.get("color"))
