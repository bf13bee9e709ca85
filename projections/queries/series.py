"""Mastery over time and the spread of ratings, as plain data for charts.

`student_series`: one student's rollup score for each outcome of a course right after each of their results
arrived (a point per distinct result event time inside the cut), each computed by the same `compute` as every
as-of answer, with the view cut at that moment: the score the rollups would have given then, with the rules
(scale, method) in force then. No second calculation. When the score at the cut itself differs from the last
result's (a scale or method changed since), a last point (`kind` "cut") says so.

`rating_distribution`: per outcome of a rollups answer, how many listed students hold each rating of the
outcome's scale (in the scale's order, highest points first), and how many have a score but no rating.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from domain.canvas import display_time
from domain.ids import id_key
from domain.values import parse_time
from projections.mastery import compute, course_context
from projections.queries.outcome_rollups import outcome_json, rating_json
from projections.views import View


def result_times(view: View, course: str, user: str) -> dict[str, list[str]]:
    """The distinct event times (stored text) of the student's result events in the course, per outcome,
    oldest first, inside the view's cut."""
    cut, params = view.cut_sql()
    rows = view.conn.execute(
        f"SELECT DISTINCT outcome, event_time FROM entity_versions{view.suffix} WHERE root = ? AND kind = 'result' "
        f"AND course = ? AND user_uuid = ? AND outcome IS NOT NULL{cut} ORDER BY event_time",
        (view.root, course, user, *params),
    ).fetchall()
    found: dict[str, list[str]] = {}
    for outcome, when in rows:
        found.setdefault(outcome, []).append(when)
    return {o: found[o] for o in sorted(found, key=id_key)}


def student_series(
    conn: sqlite3.Connection,
    root: str,
    course: str,
    user: str,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    outcome_ids: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Per outcome (numeric order): the outcome as the rollups link it at the cut, and `points`, one per
    result event time: `at`, `kind` ("result"), `score` (None while no counted result), `count`, `rating`,
    `mastery`; then a `kind` "cut" point at the cut (as_of, else now) when its score or rating differs."""
    view = View(conn, root, as_of, known_at)
    times = result_times(view, course, user)
    wanted = set(outcome_ids) if outcome_ids is not None else None
    out = []
    for outcome_id, moments in times.items():
        if wanted is not None and outcome_id not in wanted:
            continue
        try:
            final = compute(view, course, outcome_id, user=user)
        except Exception:  # an outcome whose rules cannot be computed is left out, as the rollups leave it
            continue
        points = []
        for when in moments:
            moment = parse_time(when)
            then = View(conn, root, moment, known_at)
            unit = compute(then, course, outcome_id, course_context(then, course), user=user)
            points.append(_point(display_time(moment), "result", unit.scores.get(user)))
        last = _point(display_time(as_of or datetime.now(UTC)), "cut", final.scores.get(user))
        if points and (points[-1]["score"], points[-1]["rating"]) != (last["score"], last["rating"]):
            points.append(last)
        out.append({"outcome": outcome_json(final), "points": points})
    return out


def _point(at: str | None, kind: str, score: Any) -> dict[str, Any]:
    return {
        "at": at,
        "kind": kind,
        "score": score.score if score else None,
        "count": score.count if score else 0,
        "rating": rating_json(score.rating) if score else None,
        "mastery": score.mastery if score else None,
    }


def rating_distribution(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """Per outcome of a rollups answer (its order): `ratings` [{description, points, color, count}] in the
    scale's order, `unrated` (a score no rating covers, or a null score) and `students` (the total)."""
    out = []
    for outcome in answer["linked"]["outcomes"]:
        scale = outcome["ratings"] or []
        counts = [0] * len(scale)
        unrated = 0
        for rollup in answer["rollups"]:
            for s in rollup["scores"]:
                if s["links"]["outcome"] != outcome["id"]:
                    continue
                rating = s["rating"]
                place = next(
                    (
                        i
                        for i, r in enumerate(scale)
                        if rating and (r["description"], r["points"]) == (rating["description"], rating["points"])
                    ),
                    None,
                )
                if place is None or s["score"] is None:
                    unrated += 1
                else:
                    counts[place] += 1
        out.append(
            {
                "outcome": outcome["id"],
                "title": outcome["title"],
                "mastery_points": outcome["mastery_points"],
                "ratings": [{**r, "count": n} for r, n in zip(scale, counts, strict=True)],
                "unrated": unrated,
                "students": sum(counts) + unrated,
            }
        )
    return out
