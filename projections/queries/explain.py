"""Explain and what-if: how one student's score came about, and what other rules would give.

Both run the same `compute` as the read model; what-if writes nothing.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from domain.canvas import display_time
from domain.policy import Rules
from domain.rollup import Method, Scale, method_from, proficiency_scale
from projections.mastery import compute, course_context
from projections.queries.outcome_rollups import course_outcomes, rating_json
from projections.views import View


def explain(view: View, course: str, outcome_id: str, user: str) -> dict[str, Any]:
    """Which results counted (in order, scaled) and which did not, the rules and where from, the arithmetic."""
    unit = compute(view, course, outcome_id, user=user)
    score = unit.scores.get(user)
    m, s = unit.rules.method, unit.rules.scale
    return {
        "student": user,
        "course": course,
        "outcome": outcome_id,
        "outcome_title": unit.outcome.title if unit.outcome else None,
        "as_of": display_time(view.as_of),
        "known_at": display_time(view.known_at),
        "mode": unit.rules.mode,
        "method": {"name": m.name, "int": m.int, "source": m.source, "note": m.note},
        "scale": {
            "source": s.source,
            "points_possible": s.points_possible,
            "mastery_points": s.mastery_points,
            "ratings": [rating_json(r) for r in s.ratings],
        },
        "counted": [
            {
                "result": st.result_id,
                "assessed_at": display_time(st.assessed_at),
                "raw_score": st.raw_score,
                "scaled_score": st.scaled_score,
                "how": st.how,
            }
            for st in (score.steps if score else ())
        ],
        "excluded": [{"result": r.id, "score": r.score, "reason": reason} for r, reason in unit.excluded.get(user, [])],
        "arithmetic": score.arithmetic if score else None,
        "score": score.score if score else None,
        "count": score.count if score else 0,
        "rating": rating_json(score.rating) if score else None,
        "mastery": score.mastery if score else None,
    }


def what_if(
    view: View, course: str, method: str | None, int_: int | None, scale_ratings: list[dict] | None
) -> dict[str, Any]:
    """Each student's level now and under another method and/or scale (nothing is written)."""
    new_method = method_from(method, int_, "what-if") if method else None
    new_scale = proficiency_scale(scale_ratings, "what-if scale") if scale_ratings else None

    def override(rules: Rules) -> Rules:
        return dataclasses.replace(rules, method=new_method or rules.method, scale=new_scale or rules.scale)

    ctx = course_context(view, course)
    moves, unchanged = [], 0
    for outcome_id in course_outcomes(view, course):
        now, then = compute(view, course, outcome_id, ctx), compute(view, course, outcome_id, ctx, override=override)
        for user in sorted(now.scores):
            before, after = now.scores[user], then.scores[user]
            if (before.score, _level(before)) == (after.score, _level(after)):
                unchanged += 1
                continue
            moves.append(
                {
                    "student": user,
                    "outcome": outcome_id,
                    "before": before.score,
                    "after": after.score,
                    "before_rating": _level(before),
                    "after_rating": _level(after),
                }
            )
    return {
        "course": course,
        "method": _method_json(new_method),
        "scale": _scale_json(new_scale),
        "moved": len(moves),
        "unchanged": unchanged,
        "changes": moves,
    }


def _level(score: Any) -> str | None:
    return score.rating.description if score.rating else None


def _method_json(method: Method | None) -> dict | None:
    return None if method is None else {"name": method.name, "int": method.int, "note": method.note}


def _scale_json(scale: Scale | None) -> dict | None:
    if scale is None:
        return None
    return {
        "points_possible": scale.points_possible,
        "mastery_points": scale.mastery_points,
        "ratings": [rating_json(r) for r in scale.ratings],
    }
