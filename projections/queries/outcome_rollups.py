"""Course rollups in Canvas's `outcome_rollups` shape, now (mastery table) or as of a cut (computed).

Returns plain dicts (DESIGN's JSON): rollups in Canvas's order (sortable name, then user_uuid), scores by
numeric outcome id, students with no counted result left out; `--aggregate mean|median` gives one course
rollup instead. Where the course's enrollment events are known, only its enrolled students are listed
(and aggregated): `exclude` and `section` as in `projections.queries.people.enrolled`, all inside the cut.
`links.user` is the Canvas user id (local) when a user event told us one, else the user_uuid; `linked.users`
names the students listed. An outcome whose rules or scores cannot be computed is left out of the answer
(its unit is in `mastery problems`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.canvas import display_time
from domain.ids import id_key
from domain.rollup import Rating, RollupScore, course_aggregate, rating_for
from projections.mastery import Unit, compute, course_context, unit_rules
from projections.queries.people import Person, enrolled, people, student_order
from projections.views import View

NO_SECTIONS = "no enrollment events for this course: its sections are unknown, so no student is listed"


def course_outcomes(view: View, course: str) -> list[str]:
    """Outcomes with results or links in the course (inside the view), by numeric id."""
    found = view.outcomes_with_results(course)
    found |= {s.outcome_id for s in view.states("link", course=course) if s.workflow_state != "deleted"}
    return sorted(found, key=id_key)


def units(view: View, course: str, outcome_ids: list[str] | None = None) -> list[Unit]:
    """Computed units: from the history inside a cut, or the materialised mastery rows for "now"."""
    ctx = course_context(view, course)
    out = []
    for outcome in outcome_ids or course_outcomes(view, course):
        try:
            unit = compute(view, course, outcome, ctx) if view.is_cut else unit_rules(view, course, outcome, ctx)
        except Exception:  # bad data in one outcome never fails the course; the recompute recorded it
            continue
        if not view.is_cut:
            unit.scores = stored_scores(view, unit)
        out.append(unit)
    return out


def stored_scores(view: View, unit: Unit) -> dict[str, Any]:
    """The current mastery rows of one outcome in one course, as rollup scores."""
    rows = view.conn.execute(
        f"SELECT user_uuid, score, count, submitted_at, rating_description, rating_points, rating_color, "
        f"rating_mastery, mastery FROM mastery{view.suffix} WHERE root = ? AND course = ? AND outcome = ?",
        (view.root, unit.course, unit.outcome_id),
    ).fetchall()
    return {
        r[0]: RollupScore(
            score=r[1],
            count=r[2],
            submitted_at=r[3],
            mastery=None if r[8] is None else bool(r[8]),
            rating=None if r[5] is None else Rating(r[4], r[5], r[6], bool(r[7])),
            steps=(),
            arithmetic="",
        )
        for r in rows
    }


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
    return {
        "score": score.score,
        "count": score.count,
        "mastery": score.mastery,
        "title": None,
        "submitted_at": score.submitted_at,
        "hide_points": False,
        "links": {"outcome": unit.outcome_id},
        "rating": rating_json(score.rating),
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
    computed = [u for u in units(view, course, outcome_ids)]
    by_user: dict[str, list] = {}
    for unit in computed:
        for user, score in unit.scores.items():
            if allowed is None or user in allowed:
                by_user.setdefault(user, []).append(score_json(unit, score))
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
        return {"rollups": [_aggregate(computed, course, aggregate, allowed)], "linked": linked, "meta": meta}
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


def _aggregate(computed: list[Unit], course: str, stat: str, allowed: set[str] | None) -> dict[str, Any]:
    scores = []
    for unit in computed:
        values = [s.score for u, s in unit.scores.items() if allowed is None or u in allowed]
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
