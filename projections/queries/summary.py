"""The answers a teacher asks of a course's rollups, as plain data: who has not mastered an outcome (students
with no evidence for it included, as Canvas's Learning Mastery Gradebook shows them), and each outcome's
counts — mastered / below / no score / no evidence — over the course's students.

The rollups answer (`projections.queries.outcome_rollups.rollups`) lists only students with a counted
result, and with `outcome_ids` only those with one for those outcomes. The course's students are wider:
where enrollment events are known, the students they list (`people.enrolled`, with the same exclude and
section, narrowed to the students asked for); where none are, everyone the course's rollup lists for any
outcome. Whether a score is mastery is the answer's own `mastery` (score ≥ the scale's mastery points,
`domain.rollup`), never decided again here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from domain.ids import id_key
from projections.queries.outcome_rollups import course_outcomes, linked_users, rollups, user_json, user_link
from projections.queries.people import enrolled, people, student_order
from projections.views import View

# What a student's cell is, for one outcome (the summary's words).
MASTERED, BELOW, NO_SCORE, NO_EVIDENCE = "mastered", "below", "no score", "no evidence"


@dataclass(frozen=True)
class Students:
    """The course's students for the summary (user_uuids, in Canvas's order) and how they were found."""

    uuids: tuple[str, ...]
    from_enrollments: bool


def outcome_titles(view: View, course: str) -> list[tuple[str, str | None]]:
    """The course's outcomes (results or links inside the cut), by numeric id, with their titles."""
    found = []
    for oid in course_outcomes(view, course):
        state = view.one("outcome", oid)
        found.append((oid, getattr(state, "title", None)))
    return found


def course_students(
    view: View,
    course: str,
    answer: dict[str, Any],
    *,
    user_ids: list[str] | None = None,
    outcome_ids: list[str] | None = None,
    exclude: frozenset[str] = frozenset(),
    section: str | None = None,
) -> Students:
    """The students a summary counts over: see the module docstring. `answer` is the rollups answer made
    with the same arguments (its students are always among them)."""
    listed = {u["uuid"] for u in answer["linked"].get("users") or []}
    known = enrolled(view, course, exclude=exclude, section=section)
    if known.known:
        found = set(known.students)
    elif section is not None:
        found = set()
    elif outcome_ids:
        wider = rollups(
            view.conn,
            view.root,
            course,
            as_of=view.as_of,
            known_at=view.known_at,
            user_ids=user_ids,
            exclude=exclude,
            section=section,
        )
        found = {u["uuid"] for u in wider["linked"].get("users") or []}
    else:
        found = set(listed)
    if user_ids is not None:
        found &= set(user_ids)
    found |= listed
    named = people(view, found)
    return Students(tuple(sorted(found, key=lambda u: student_order(u, named.get(u)))), known.known)


def status(score: dict[str, Any] | None) -> str:
    """One student's cell for one outcome, in the summary's words."""
    if score is None:
        return NO_EVIDENCE
    if score.get("mastery") is True:
        return MASTERED
    if score.get("mastery") is False:
        return BELOW
    return NO_SCORE  # results, but no score (e.g. n_mastery below n results) or a scale without mastery points


def scores_by_student(answer: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """user_uuid → outcome id → score, from a rollups answer."""
    users = linked_users(answer)
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for rollup in answer["rollups"]:
        link = rollup["links"].get("user")
        if link is None:
            continue
        uuid = (users.get(link) or {}).get("uuid") or link
        found[uuid] = {s["links"]["outcome"]: s for s in rollup["scores"]}
    return found


def summary(answer: dict[str, Any], students: Students) -> list[dict[str, Any]]:
    """Per outcome of the answer: how many of the students have mastered it, are below, have results but no
    score, or have no evidence (no counted result) — the four add up to `students`."""
    scores = scores_by_student(answer)
    out = []
    for o in answer["linked"]["outcomes"]:
        counts = {MASTERED: 0, BELOW: 0, NO_SCORE: 0, NO_EVIDENCE: 0}
        for uuid in students.uuids:
            counts[status(scores.get(uuid, {}).get(o["id"]))] += 1
        out.append(
            {
                "outcome": o["id"],
                "title": o["title"],
                "students": len(students.uuids),
                "mastered": counts[MASTERED],
                "below": counts[BELOW],
                "no_score": counts[NO_SCORE],
                "no_evidence": counts[NO_EVIDENCE],
            }
        )
    return sorted(out, key=lambda s: id_key(s["outcome"]))


def not_mastered(view: View, course: str, answer: dict[str, Any], students: Students, outcome: str) -> dict[str, Any]:
    """The answer narrowed to the students who have not mastered `outcome`: below it, no score, or no
    evidence at all. A student with no evidence is a rollup with empty `scores` (Canvas's shape for a
    student without results), named in `linked.users`; the order stays Canvas's."""
    scores = scores_by_student(answer)
    named = people(view, set(students.uuids))
    by_uuid = {u["uuid"]: u for u in answer["linked"].get("users") or []}
    rollups_out, users_out = [], []
    for uuid in students.uuids:
        held = scores.get(uuid, {})
        if status(held.get(outcome)) == MASTERED:
            continue
        person = named.get(uuid)
        users_out.append(by_uuid.get(uuid) or user_json(uuid, person))
        rollups_out.append(
            {
                "scores": [held[outcome]] if outcome in held else [],
                "links": {"user": user_link(uuid, person), "course": course},
            }
        )
    narrowed = copy.deepcopy(answer)
    narrowed["rollups"] = rollups_out
    narrowed["linked"]["users"] = users_out
    return narrowed


def summary_text(s: dict[str, Any]) -> str:
    """ "4 Reading: mastered 26/34 · 5 below · 3 no evidence" (· N no score, when some have no score): the
    line under the terminal table, on the page and in the report."""
    line = f"{s['outcome']} {s['title'] or '(untitled)'}: mastered {s['mastered']}/{s['students']}"
    line += f" · {s['below']} below · {s['no_evidence']} no evidence"
    if s["no_score"]:
        line += f" · {s['no_score']} no score"
    return line
