"""A learning outcome's state and its fold."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Any

from domain.entity import EntityState, bookkeeping
from domain.events import CanvasEvent, LearningOutcomeCreated, LearningOutcomeUpdated


class OutcomeState(EntityState):
    title: str | None = None
    display_name: str | None = None
    short_description: str | None = None
    description: str | None = None
    vendor_guid: str | None = None
    context_type: str | None = None
    context_id: str | None = None
    calculation_method: str | None = None
    calculation_int: float | None = None
    rubric_criterion: dict[str, Any] | None = None
    workflow_state: str | None = None
    updated_at: datetime | None = None


@singledispatch
def evolve(event: CanvasEvent, state: OutcomeState | None) -> OutcomeState | None:
    raise TypeError(f"an outcome cannot fold {type(event).__name__}")


@evolve.register(LearningOutcomeCreated)
@evolve.register(LearningOutcomeUpdated)
def _snapshot(event: CanvasEvent, state: OutcomeState | None) -> OutcomeState:
    b = event.body
    criterion = event.raw_body.get("rubric_criterion")
    return OutcomeState.of(
        **bookkeeping(event, state),
        title=b.title,
        display_name=b.display_name,
        short_description=b.short_description,
        description=b.description,
        vendor_guid=b.vendor_guid,
        context_type=b.context_type,
        context_id=event.local(b.context_id),
        calculation_method=b.calculation_method,
        calculation_int=b.calculation_int,
        rubric_criterion=criterion if isinstance(criterion, dict) else None,
        workflow_state=b.workflow_state,
        updated_at=b.updated_at,
    )
