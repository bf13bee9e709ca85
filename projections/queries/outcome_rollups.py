"""Course rollups in Canvas's `outcome_rollups` shape, now (mastery table) or as of a cut (computed).

Returns plain dicts (DESIGN's JSON): rollups in Canvas's order (sortable name, then user_uuid), scores by
numeric outcome id, students with no counted result left out; `--aggregate mean|median` gives one course
rollup instead. Where the course's enrollment events are known, only its enrolled students are listed
(and aggregated): `exclude` and `section` as in `projections.queries.people.enrolled`, all inside the cut.
`links.user` is the Canvas user id (local) when a user event told us one, else the user_uuid; `linked.users`
names the students listed. An outcome whose rules or scores cannot be computed is left out of the answer
(its unit is in `mastery problems`).

A course is read in bulk (its outcomes' states in one read, "now" its mastery rows in one query) and a cut
is scored with the numbers-only rollup; the cells of one answer share equal `links` and `rating` dicts, so
callers read an answer and never edit it in place (copy it first, as `summary.not_mastered` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.canvas import display_time
from domain.ids import id_key
from domain.policy import as_input, excluded_reason, rules
from domain.rollup import course_aggregate, rating_for, rollup_numbers
from projections.mastery import CourseContext, Unit, course_context
from projections.queries.people import Person, enrolled, people, student_order
from projections.views import View

NO_SECTIONS = "no enrollment events for this course: its sections are unknown, so no student is listed"


def course_outcomes(view: View, course: str) -> list[str]:
    """Outcomes with results or links in the course (inside the view), by numeric id."""
    found = view.outcomes_with_results(course)
    found |= {s.outcome_id for s in view.states("link", course=course) if s.workflow_state != "deleted"}
    return sorted(found, key=id_key)


def units(
    view: View, course: str, outcome_ids: list[str] | None = None, allowed: set[str] | None = None
) -> list[Scored]:
    """Each outcome's unit (its rules) with its students' score JSON: the mastery rows of the course (one
    read) for "now", numbers-only rollups of the results inside a cut (`mastery explain` shows the steps).
    Students outside `allowed` (None: everyone) may be left out: no answer shows them."""
    ctx = course_context(view, course)
    wanted = outcome_ids or course_outcomes(view, course)
    states = outcome_states(view, wanted)
    stored = None if view.is_cut else stored_cells(view, course, allowed)
    out = []
    for outcome_id in wanted:
        try:
            outcome = states[outcome_id] if states is not None else view.one("outcome", outcome_id)
            found = rules(ctx.mode, outcome_id, outcome, course, ctx.account, ctx.root_local, ctx.scales, ctx.methods)
            unit = Unit(course, outcome_id, outcome, found, {})
            cells = stored.get(outcome_id, {}) if stored is not None else cut_cells(view, unit, ctx, allowed)
        except Exception:  # bad data in one outcome never fails the course; the recompute recorded it
            continue
        out.append(Scored(unit, cells))
    return out


@dataclass
class Scored:
    """One outcome's unit and its students' scores, as `score_json` gives them, by user_uuid."""

    unit: Unit
    cells: dict[str, dict[str, Any]]


def outcome_states(view: View, outcome_ids: list[str]) -> dict[str, Any] | None:
    """The outcomes' states by id in one read (None for one never seen), or None when a state cannot be
    read: the caller then reads each on its own, so only the unreadable outcome is left out."""
    try:
        found = {s.id: s for s in view.states_among("outcome", "key", outcome_ids)} if outcome_ids else {}
    except Exception:
        return None
    return {o: found.get(o) for o in outcome_ids}


def stored_cells(view: View, course: str, allowed: set[str] | None) -> dict[str, dict[str, dict[str, Any]]]:
    """The course's current mastery rows as score JSON, by outcome then user_uuid (one read of the course)."""
    sql = (
        "SELECT outcome, user_uuid, score, count, submitted_at, rating_description, rating_points, rating_color, "
        f"rating_mastery, mastery FROM mastery{view.suffix} WHERE root = ? AND course = ?"
    )
    params: tuple = (view.root, course)
    if allowed is not None and len(allowed) <= 500:  # a few students (`mastery student`): their rows only
        sql += f" AND user_uuid IN ({','.join('?' * len(allowed))})"
        params += tuple(sorted(allowed))
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    shared: dict[Any, dict[str, Any]] = {}  # equal `links` and `rating` dicts once: an answer is read, not edited
    for row in view.conn.execute(sql, params).fetchall():
        cells.setdefault(row[0], {})[row[1]] = stored_cell(row, shared)
    return cells


def stored_cell(row: tuple, shared: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    """`score_json` of one mastery row (outcome, user_uuid, score … mastery as `stored_cells` reads them)."""
    outcome, _, score, count, submitted, description, points, color, rating_mastery, mastery = row
    links = shared.get(outcome) or shared.setdefault(outcome, {"outcome": outcome})
    rating = None
    if points is not None:
        key = (description, repr(points), color, bool(rating_mastery))  # repr: -0.0 is not 0.0 in the JSON
        rating = shared.get(key) or shared.setdefault(
            key, {"description": description, "points": points, "color": color, "mastery": key[3]}
        )
    return {
        "score": score,
        "count": count,
        "mastery": None if mastery is None else bool(mastery),
        "title": None,
        "submitted_at": submitted,
        "hide_points": False,
        "links": links,
        "rating": rating,
    }


def cut_cells(view: View, unit: Unit, ctx: CourseContext, allowed: set[str] | None) -> dict[str, dict[str, Any]]:
    """Each student's score inside the cut, from the counted results (`compute`'s rules, numbers only)."""
    links = view.states("link", course=unit.course, outcome=unit.outcome_id)
    counted: dict[str, list] = {}
    for result in view.states("result", course=unit.course, outcome=unit.outcome_id):
        student = result.user_uuid or ""
        if (allowed is None or student in allowed) and excluded_reason(result, unit.outcome, links) is None:
            counted.setdefault(student, []).append(as_input(result))
    scale, method, shared_links = unit.rules.scale, unit.rules.method, {"outcome": unit.outcome_id}
    ratings: dict[int, dict[str, Any] | None] = {}  # by identity: rating_for gives the scale's own Rating objects
    cells = {}
    for student, inputs in counted.items():
        score = rollup_numbers(inputs, scale, method, legacy_decay=ctx.legacy_decay)
        rating = score.rating  # one links dict, one dict per rating of the scale, as in `stored_cells`
        if rating is not None and id(rating) not in ratings:
            ratings[id(rating)] = rating_json(rating)
        shared = None if rating is None else ratings[id(rating)]
        cells[student] = cell_json(score, shared_links, shared)
    return cells


def rating_json(rating: Any) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {
        "description": rating.description,
        "points": rating.points,
        "color": rating.color,
        "mastery": rating.mastery,
    }


def outcome_json(unit: Unit) -> dict[str, Any]:
    s, m = unit.rules.scale, unit.rules.method
    title = unit.outcome.title if unit.outcome else None
    return {
        "id": unit.outcome_id,
        "title": title,
        "points_possible": s.points_possible,
        "mastery_points": s.mastery_points,
        "ratings": [rating_json(r) for r in s.ratings],
        "calculation_method": m.name,
        "calculation_int": m.int,
    }


def score_json(unit: Unit, score: Any) -> dict[str, Any]:
    return cell_json(score, {"outcome": unit.outcome_id}, rating_json(score.rating))


def cell_json(score: Any, links: dict[str, Any], rating: dict[str, Any] | None) -> dict[str, Any]:
    """One score of a rollup (Canvas's shape), its `links` and `rating` dicts given."""
    return {
        "score": score.score,
        "count": score.count,
        "mastery": score.mastery,
        "title": None,
        "submitted_at": score.submitted_at,
        "hide_points": False,
        "links": links,
        "rating": rating,
    }


def rollups(
    conn: Any,
    root: str,
    course: str,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    aggregate: str | None = None,
    user_ids: list[str] | None = None,
    outcome_ids: list[str] | None = None,
    mode: str | None = None,
    exclude: frozenset[str] = frozenset(),
    section: str | None = None,
) -> dict[str, Any]:
    """The Canvas outcome_rollups answer for a course (`user_ids`: user_uuids, callers resolve)."""
    view = View(conn, root, as_of, known_at)
    listed = enrolled(view, course, exclude=exclude, section=section)
    note = listed.note
    allowed: set[str] | None = None if user_ids is None else set(user_ids)
    if listed.known:
        allowed = set(listed.students) if allowed is None else allowed & listed.students
    elif section is not None:
        allowed, note = set(), NO_SECTIONS
    scored = units(view, course, outcome_ids, allowed)
    computed = [s.unit for s in scored]
    by_user: dict[str, list] = {}
    for s in scored:
        for user, cell in s.cells.items():
            if allowed is None or user in allowed:
                by_user.setdefault(user, []).append(cell)
    meta = {
        "as_of": display_time(as_of),
        "known_at": display_time(known_at),
        "mode": computed[0].rules.mode if computed else course_context(view, course).mode,
        "enrollments": {"known": listed.known, "note": note},
    }
    named = people(view, set(by_user))
    order = sorted(by_user, key=lambda u: student_order(u, named.get(u)))
    linked = {"outcomes": [outcome_json(u) for u in computed], "users": [user_json(u, named.get(u)) for u in order]}
    if aggregate:
        return {"rollups": [_aggregate(scored, course, aggregate, allowed)], "linked": linked, "meta": meta}
    items = [{"scores": by_user[u], "links": {"user": user_link(u, named.get(u)), "course": course}} for u in order]
    return {"rollups": items, "linked": linked, "meta": meta}


def user_link(uuid: str, person: Person | None) -> str:
    """`links.user`: the Canvas user id when the events told us one, else the user_uuid."""
    return person.id if person is not None and person.id else uuid


def user_json(uuid: str, person: Person | None) -> dict[str, Any]:
    if person is None:
        return {"id": None, "uuid": uuid, "name": None, "sortable_name": None, "sis_user_id": None}
    return {
        "id": person.id,
        "uuid": uuid,
        "name": person.name,
        "sortable_name": person.sortable_name,
        "sis_user_id": person.sis_user_id,
    }


def _aggregate(scored: list[Scored], course: str, stat: str, allowed: set[str] | None) -> dict[str, Any]:
    scores = []
    for s in scored:
        unit = s.unit
        values = [c["score"] for u, c in s.cells.items() if allowed is None or u in allowed]
        if not values:
            continue
        value, count = course_aggregate(values, stat)
        mastery_points = unit.rules.scale.mastery_points
        scores.append(
            {
                "score": value,
                "count": count,
                "mastery": None if value is None or mastery_points is None else value >= mastery_points,
                "title": None,
                "submitted_at": None,
                "hide_points": False,
                "links": {"outcome": unit.outcome_id},
                "rating": rating_json(rating_for(value, unit.rules.scale)),
            }
        )
    return {"scores": scores, "links": {"course": course}}


def linked_users(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`linked.users` by what `links.user` may hold: the Canvas user id, or the uuid when none is known."""
    by: dict[str, dict[str, Any]] = {}
    for user in answer["linked"].get("users") or []:
        by[user["uuid"]] = user
        if user.get("id"):
            by[user["id"]] = user
    return by
