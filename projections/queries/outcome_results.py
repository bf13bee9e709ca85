"""A course's outcome results in Canvas's OutcomeResult shape (`GET /api/v1/courses/:id/outcome_results`,
canvas-lms lib/api/v1/outcome_results.rb `outcome_result_json`), and the alignments results name.

The results listed are the ones the course's rollups count (projections.mastery.compute: not deleted, of a
known outcome, …) of the students its rollups list (its student enrollments, when enrollment events are
known), now or inside a cut, by numeric result id. Per result: `id`, `score`, `possible`,
`percent`, `submitted_or_assessed_at` (the event's assessed_at: result events carry no submitted_at),
`mastery` (the result's score, scaled as the rollup scales it, at or above the scale's mastery points; null
without them), `hide_points` and `hidden` false (no event tells them), and `links` {user (the Canvas user id
when a user event told it, else the user_uuid), learning_outcome, alignment and assignment (Canvas's asset
strings, e.g. `assignment_42`, from the result's associated asset; null when the event names none)}.

Alignments: events know an outcome's alignments only through the results assessed on them, so
`include[]=alignments` and `include[]=outcomes.alignments` list the assets some counted result names (for
these results / for the course's outcomes); an alignment nobody was assessed on is unknown here. Its `name`
is the result's title when the event carried one, else null; `html_url` is null.
"""

from __future__ import annotations

import re
from typing import Any

from domain.canvas import display_time
from domain.ids import id_key
from projections.mastery import Unit, compute, course_context
from projections.queries.outcome_rollups import course_outcomes, outcome_json
from projections.queries.people import enrolled, people
from projections.views import View

ASSET_NAMES = {"Quizzes::Quiz": "quiz", "Assignment": "assignment", "WikiPage": "wiki_page"}


def asset_string(kind: str | None, asset_id: str | None) -> str | None:
    """Canvas's `asset_string` of an associated asset (`assignment_42`); None when there is none."""
    if not kind or not asset_id:
        return None
    name = ASSET_NAMES.get(kind) or re.sub(r"(?<!^)(?=[A-Z])", "_", kind.split("::")[-1]).lower()
    return f"{name}_{asset_id}"


def counted_units(view: View, course: str, outcome_ids: list[str] | None = None) -> list[Unit]:
    """Each outcome's computed unit (its counted results), skipping one whose rules cannot be read."""
    ctx = course_context(view, course)
    out = []
    for outcome in outcome_ids or course_outcomes(view, course):
        try:
            out.append(compute(view, course, outcome, ctx))
        except Exception:  # bad data in one outcome never fails the course (see `mastery problems`)
            continue
    return out


def _mastery(result: Any, unit: Unit) -> bool | None:
    scale = unit.rules.scale
    if result.score is None or scale.mastery_points is None:
        return None
    points = scale.points_possible if scale.points_possible else scale.mastery_points
    scaled = result.percent * points if result.percent is not None and points else result.score
    return bool(scaled >= scale.mastery_points)


def _id(value: str) -> int | str:
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 30 else value


def outcome_results(
    view: View, course: str, *, user_uuids: list[str] | None = None, outcome_ids: list[str] | None = None
) -> dict[str, Any]:
    """`{"outcome_results": [...], "units": [...]}`: the rows (all of them; the caller pages) and the units
    they came from (for `linked.outcomes`)."""
    units = counted_units(view, course, outcome_ids)
    wanted = None if user_uuids is None else set(user_uuids)
    listed = enrolled(view, course)
    if listed.known:  # the course's students only, as its rollups list them
        wanted = set(listed.students) if wanted is None else wanted & listed.students
    rows = []
    for unit in units:
        for user, results in unit.counted.items():
            if wanted is None or user in wanted:
                rows += [(unit, user, r) for r in results]
    named = people(view, {user for _, user, _ in rows})
    rows.sort(key=lambda row: id_key(row[2].id))
    out = []
    for unit, user, r in rows:
        person = named.get(user)
        is_assignment = r.associated_asset_type == "Assignment"
        out.append(
            {
                "id": _id(r.id),
                "score": r.score,
                "mastery": _mastery(r, unit),
                "possible": r.possible,
                "percent": r.percent,
                "hide_points": False,
                "hidden": False,
                "submitted_or_assessed_at": display_time(r.assessed_at) if r.assessed_at else None,
                "_uuid": user,  # the caller's, for linked.users; not sent
                "links": {
                    "user": person.id if person is not None and person.id else user,
                    "learning_outcome": unit.outcome_id,
                    "alignment": asset_string(r.associated_asset_type, r.associated_asset_id),
                    "assignment": asset_string("Assignment", r.associated_asset_id) if is_assignment else None,
                },
            }
        )
    return {"outcome_results": out, "units": units}


def linked_outcomes(units: list[Unit]) -> list[dict[str, Any]]:
    return [outcome_json(u) for u in units]


def alignments(units: list[Unit], result_ids: set[str] | None = None) -> list[dict[str, Any]]:
    """The assets counted results name (only those results, when `result_ids` is given), by asset string:
    Canvas's OutcomeAlignment `{"id", "name", "html_url"}`."""
    found: dict[str, str | None] = {}
    for unit in units:
        for results in unit.counted.values():
            for r in results:
                key = asset_string(r.associated_asset_type, r.associated_asset_id)
                if key is None or (result_ids is not None and r.id not in result_ids):
                    continue
                found[key] = found.get(key) or r.title
    return [{"id": key, "name": found[key], "html_url": None} for key in sorted(found)]


def assignments(units: list[Unit]) -> list[dict[str, Any]]:
    """The assignments counted results name: Canvas's `{"id", "name", "html_url", "submission_types"}`."""
    found: dict[str, str | None] = {}
    for unit in units:
        for results in unit.counted.values():
            for r in results:
                if r.associated_asset_type == "Assignment" and r.associated_asset_id:
                    found[r.associated_asset_id] = found.get(r.associated_asset_id) or r.title
    return [
        {"id": _id(key), "name": found[key], "html_url": None, "submission_types": None}
        for key in sorted(found, key=id_key)
    ]
