"""An outcome link's state (an outcome placed in a group of a context) and its fold."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Any

from domain.entity import EntityState, bookkeeping
from domain.events import CanvasEvent, LearningOutcomeLinkCreated, LearningOutcomeLinkUpdated


class LinkState(EntityState):
    outcome_id: str
    group_id: str | None = None
    context_type: str | None = None
    context_id: str | None = None
    workflow_state: str | None = None
    updated_at: datetime | None = None


@singledispatch
def evolve(event: CanvasEvent, state: LinkState | None) -> LinkState | None:
    raise TypeError(f"a link cannot fold {type(event).__name__}")


@evolve.register(LearningOutcomeLinkCreated)
@evolve.register(LearningOutcomeLinkUpdated)
def _snapshot(event: CanvasEvent, state: LinkState | None) -> LinkState:
    return LinkState.of(**bookkeeping(event, state), **snapshot_fields(event, event.body))


def snapshot_fields(event: Any, b: Any) -> dict[str, Any]:
    """The Canvas fields of a link's state from its event and read body: the fold's own, and the lean
    projection path's plain-data twin (projections/lean.py passes a plain object with the body's values)."""
    return {
        "outcome_id": event.local(b.learning_outcome_id) or "",
        "group_id": event.local(b.learning_outcome_group_id),
        "context_type": b.context_type,
        "context_id": event.local(b.context_id),
        "workflow_state": b.workflow_state,
        "updated_at": b.updated_at,
    }
