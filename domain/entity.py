"""What every folded state shares: its key and the bookkeeping of the events that made it.

Canvas bodies are full snapshots (a missing field means null), so each fold is last-writer-wins in fold
order: the state's fields come from the last event's body; the bookkeeping remembers the first and last.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict

from domain.events import CanvasEvent

BOOKKEEPING = {
    "root_account",
    "id",
    "first_event_time",
    "last_event_time",
    "last_event_name",
    "last_position_hash",
    "events",
    "created_seen",
}


class EntityState(BaseModel):
    """Base of the folded states (frozen)."""

    model_config = ConfigDict(frozen=True)
    root_account: str
    id: str
    first_event_time: datetime
    last_event_time: datetime
    last_event_name: str
    last_position_hash: str
    events: int
    created_seen: bool

    @classmethod
    def of(cls, **fields: Any) -> Self:
        """Build from a Canvas body its event already validated (no second validation on the hot path)."""
        return cls.model_construct(**fields)  # type: ignore[return-value]  # pydantic types it as the base

    @property
    def deleted(self) -> bool:
        return getattr(self, "workflow_state", None) == "deleted"

    def fields(self) -> dict[str, Any]:
        """The Canvas fields of the state, without bookkeeping (what an audit compares)."""
        return self.model_dump(mode="json", exclude=BOOKKEEPING)


def bookkeeping(event: CanvasEvent, state: EntityState | None) -> dict[str, Any]:
    """The shared fields after applying one event on top of a state (None for the first event)."""
    return {
        "root_account": event.root_account,
        "id": event.key,
        "first_event_time": state.first_event_time if state else event.event_time,
        "last_event_time": event.event_time,
        "last_event_name": event.canvas_name,
        "last_position_hash": event.content_hash,
        "events": (state.events if state else 0) + 1,
        "created_seen": (state.created_seen if state else False) or event.rank == 0,
    }
