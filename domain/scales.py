"""Mastery scales: the ratings a rollup score is read against (docs/canvas-rollups.md §2 and §6).

Two kinds of scale reach a rollup: an outcome's own `rubric_criterion` (outcome mode) and an account or
course `outcome_proficiency` (scale mode). Both become one `Scale`: active ratings, highest points first,
each with a colour, plus the `points_possible` and `mastery_points` that scale a result's percent. Pure:
no I/O. `domain.rollup` re-exports every public name here, so callers import from `domain.rollup`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.ids import id_key

__all__ = ["Rating", "Scale", "criterion_scale", "proficiency_scale", "DEFAULT_SCALE", "rating_for", "default_colors"]


@dataclass(frozen=True)
class Rating:
    description: str | None
    points: float
    color: str | None  # 6 hex digits, no '#', upper case as given
    mastery: bool  # the scale's own flag on this rating (marks the mastery level)
    id: str | None = None


@dataclass(frozen=True)
class Scale:
    ratings: tuple[Rating, ...]  # active ratings only, ordered points descending (ties: numeric id, then list order)
    points_possible: float | None
    mastery_points: float | None
    source: str  # human text, e.g. "outcome 12345 rubric_criterion", "Canvas default criterion"


def _ordered(ratings: list[Rating]) -> tuple[Rating, ...]:
    # §6: points descending, ties by numeric id, then list order (sorted() is stable).
    return tuple(sorted(ratings, key=lambda r: (-r.points, id_key(r.id))))


def _color(value: Any) -> str | None:
    # Canvas stores colours without '#'; tolerate a producer that adds one. Case is kept as given.
    if value is None or str(value).strip() == "":
        return None
    return str(value).strip().lstrip("#")


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


# ---------------------------------------------------------------------------------------------- outcome mode

# app/models/learning_outcome.rb `default_rubric_criterion`: what an outcome without a criterion uses.
_DEFAULT_CRITERION: dict[str, Any] = {
    "ratings": [
        {"description": "Exceeds Expectations", "points": 5},
        {"description": "Meets Expectations", "points": 3},
        {"description": "Does Not Meet Expectations", "points": 0},
    ],
    "mastery_points": 3,
    "points_possible": 5,
}

UNCOLOURED = "666666"  # §6: "666666 where that gives none" (Canvas leaves these ratings without a colour)


def _mastery_index(points: list[float], mastery_points: float | None) -> int:
    # learning_outcome.rb `find_mastery_index`: the first rating whose points equal mastery_points; failing
    # that, the top rating for 1-4 ratings and the second for 5 or more.
    for i, p in enumerate(points):
        if mastery_points is not None and p == mastery_points:
            return i
    return 0 if len(points) <= 4 else 1


def default_colors(count: int, mastery_index: int) -> list[str]:
    """Canvas's default colours for an outcome criterion, top rating first (§6).

    learning_outcome.rb `meets_color_criteria` + `find_or_set_default_mastery_colors`, in the palette the
    doc gives (0B874B/0374B5/E0061F: the palette of the Canvas version the doc was written against; newer
    Canvas uses 03893D/2B7ABC/E62429 - the doc wins). Where Canvas sets no colour we give 666666.
    """
    second = mastery_index == 1
    if count == 1:
        return ["0B874B"]
    if count == 2:
        return ["0B874B", "555555"]
    if count == 3:
        return ["0374B5", "0B874B", "555555"] if second else ["0B874B", "FAB901", "555555"]
    if count == 4 and mastery_index != 2:
        return ["0374B5", "0B874B", "FAB901", "555555"] if second else ["0B874B", "FAB901", "E0061F", "555555"]
    if count == 5 and second:
        return ["0374B5", "0B874B", "FAB901", "E0061F", "555555"]
    if count == 6 and second:
        return ["0374B5", "0B874B", "FAB901", "D97900", "E0061F", "555555"]
    return [UNCOLOURED] * count


def criterion_scale(criterion: dict | None, source: str) -> Scale:
    """An outcome's `rubric_criterion` as a Scale; None (or {}) means Canvas's default criterion (§2)."""
    if not criterion:
        criterion, source = _DEFAULT_CRITERION, "Canvas default criterion"
    given = [r for r in criterion.get("ratings") or [] if r.get("points") is not None]  # unplaceable: skipped
    # learning_outcome.rb `rubric_criterion=` sorts ratings by points, highest first.
    given.sort(key=lambda r: -float(r["points"]))
    points = [float(r["points"]) for r in given]
    top = points[0] if points else None
    possible = _float_or(criterion.get("points_possible"), top)
    mastery_points = _float_or(criterion.get("mastery_points"), top)
    index = _mastery_index(points, mastery_points)
    colors = default_colors(len(given), index)
    ratings = [
        Rating(
            description=r.get("description"),
            points=p,
            color=_color(r.get("color")) or colors[i],  # Canvas's `||=`: a colour already there is kept
            mastery=i == index,  # learning_outcome.rb `set_mastery_level`
            id=None if r.get("id") is None else str(r["id"]),
        )
        for i, (r, p) in enumerate(zip(given, points, strict=True))
    ]
    return Scale(tuple(ratings), possible, mastery_points, source)


def _float_or(value: Any, default: float | None) -> float | None:
    return default if value is None else float(value)


# ------------------------------------------------------------------------------------------------ scale mode


def proficiency_scale(ratings: list[dict], source: str) -> Scale:
    """An `outcome_proficiency`'s ratings as a Scale: deleted ratings skipped, top active rating = possible."""
    active = [
        Rating(
            description=r.get("description"),
            points=float(r["points"]),
            color=_color(r.get("color")),
            mastery=_flag(r.get("mastery")),
            id=_rating_id(r),
        )
        for r in ratings
        if r.get("workflow_state") != "deleted" and r.get("points") is not None
    ]
    ordered = _ordered(active)
    possible = ordered[0].points if ordered else None
    flagged = [r.points for r in ordered if r.mastery]
    # Canvas allows one mastery rating per scale; should several be flagged, the highest one counts.
    return Scale(ordered, possible, flagged[0] if flagged else None, source)


def _rating_id(rating: dict) -> str | None:
    value = rating.get("outcome_proficiency_rating_id", rating.get("id"))
    return None if value is None else str(value)


# §2: Canvas's default proficiency scale (what scale mode uses when no scale is found for the course).
DEFAULT_SCALE = Scale(
    ratings=(
        Rating("Exceeds Mastery", 4.0, "0374B5", False),
        Rating("Mastery", 3.0, "0B874B", True),
        Rating("Near Mastery", 2.0, "FAB901", False),
        Rating("Below Mastery", 1.0, "D97900", False),
        Rating("No Evidence", 0.0, "E0061F", False),
    ),
    points_possible=4.0,
    mastery_points=3.0,
    source="Canvas default scale",
)


def rating_for(score: float | None, scale: Scale) -> Rating | None:
    """§6: the first rating, by points descending, whose points are at most the score; None below the lowest."""
    if score is None:
        return None
    # Re-sorting is stable, so a Scale already in §6 order (ties by id) keeps its tie order.
    for rating in sorted(scale.ratings, key=lambda r: -r.points):
        if rating.points <= score:
            return rating
    return None
