"""An outcome calculation method's state (per Course or Account, with account-level scales) and its fold."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Any

from domain.entity import EntityState, bookkeeping
from domain.events import CanvasEvent, OutcomeCalculationMethodCreated, OutcomeCalculationMethodUpdated


class MethodState(EntityState):
    context_type: str | None = None
    context_id: str | None = None
    workflow_state: str | None = None
    calculation_method: str | None = None
    calculation_int: float | None = None
    updated_at: datetime | None = None


@singledispatch
def evolve(event: CanvasEvent, state: MethodState | None) -> MethodState | None:
    raise TypeError(f"a calculation method cannot fold {type(event).__name__}")


@evolve.register(OutcomeCalculationMethodCreated)
@evolve.register(OutcomeCalculationMethodUpdated)
def _snapshot(event: CanvasEvent, state: MethodState | None) -> MethodState:
    return MethodState.of(**bookkeeping(event, state), **snapshot_fields(event, event.body))


def snapshot_fields(event: Any, b: Any) -> dict[str, Any]:
    """The Canvas fields of a calculation method's state from its event and read body: the fold's own, and the lean
    projection path's plain-data twin (projections/lean.py passes a plain object with the body's values)."""
    return {
        "context_type": b.context_type,
        "context_id": event.local(b.context_id),
        "workflow_state": b.workflow_state,
        "calculation_method": b.calculation_method,
        "calculation_int": b.calculation_int,
        "updated_at": b.updated_at,
    }
