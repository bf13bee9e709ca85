"""A student's outcome result: its state and its fold (regrades replace, deletions mark)."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Any

from domain.entity import EntityState, bookkeeping
from domain.events import CanvasEvent, LearningOutcomeResultCreated, LearningOutcomeResultUpdated


class ResultState(EntityState):
    attributable: bool = True
    user_uuid: str | None = None
    outcome_id: str
    context_type: str | None = None
    context_id: str | None = None
    score: float | None = None
    possible: float | None = None
    percent: float | None = None
    attempt: float | None = None
    assessed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    artifact_type: str | None = None
    artifact_id: str | None = None
    associated_asset_type: str | None = None
    associated_asset_id: str | None = None
    workflow_state: str | None = None
    title: str | None = None


@singledispatch
def evolve(event: CanvasEvent, state: ResultState | None) -> ResultState | None:
    raise TypeError(f"a result cannot fold {type(event).__name__}")


@evolve.register(LearningOutcomeResultCreated)
@evolve.register(LearningOutcomeResultUpdated)
def _snapshot(event: CanvasEvent, state: ResultState | None) -> ResultState:
    return ResultState.of(**bookkeeping(event, state), **snapshot_fields(event, event.body))


def snapshot_fields(event: Any, b: Any) -> dict[str, Any]:
    """The Canvas fields of a result's state from its event and read body: the fold's own, and the lean
    projection path's plain-data twin (projections/lean.py passes a plain object with the body's values)."""
    return {
        "attributable": event.attributable,
        "user_uuid": b.user_uuid,
        "outcome_id": event.local(b.learning_outcome_id) or "",
        "context_type": b.result_context_type,
        "context_id": event.local(b.result_context_id),
        "score": b.score,
        "possible": b.possible,
        "percent": b.percent,
        "attempt": b.attempt,
        "assessed_at": b.assessed_at,
        "created_at": b.created_at,
        "updated_at": b.updated_at,
        "artifact_type": b.artifact_type,
        "artifact_id": b.artifact_id,
        "associated_asset_type": b.associated_asset_type,
        "associated_asset_id": event.local(b.associated_asset_id),
        "workflow_state": b.workflow_state,
        "title": b.title,
    }
