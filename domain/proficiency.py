"""A proficiency (mastery) scale's state and its fold."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Any

from domain.entity import EntityState, bookkeeping
from domain.events import CanvasEvent, OutcomeProficiencyCreated, OutcomeProficiencyUpdated


class ScaleState(EntityState):
    context_type: str | None = None
    context_id: str | None = None
    workflow_state: str | None = None
    ratings: list[dict[str, Any]] = []
    updated_at: datetime | None = None


@singledispatch
def evolve(event: CanvasEvent, state: ScaleState | None) -> ScaleState | None:
    raise TypeError(f"a proficiency scale cannot fold {type(event).__name__}")


@evolve.register(OutcomeProficiencyCreated)
@evolve.register(OutcomeProficiencyUpdated)
def _snapshot(event: CanvasEvent, state: ScaleState | None) -> ScaleState:
    b = event.body
    ratings = [r.model_dump() for r in b.outcome_proficiency_ratings]
    for rating in ratings:
        rating["outcome_proficiency_rating_id"] = event.local(rating.get("outcome_proficiency_rating_id"))
    return ScaleState.of(
        **bookkeeping(event, state),
        context_type=b.context_type,
        context_id=event.local(b.context_id),
        workflow_state=b.workflow_state,
        ratings=ratings,
        updated_at=b.updated_at,
    )
