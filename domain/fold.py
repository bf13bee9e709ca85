"""Fold order (DESIGN decision 3) and the projector function our folds give `repository.get`.

Events of one entity are applied in the order (event_time, created before updated, body updated_at with
missing first, content hash), whatever order they arrived in; repeats of one event count once; an as-of
cut keeps events with event_time ≤ T and a known-at cut keeps events recorded by R.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from domain.events import CanvasEvent

ProjectorFunc = Callable[[Any, Iterable[CanvasEvent]], Any]
Evolve = Callable[[CanvasEvent, Any], Any]


def in_cut(event: CanvasEvent, as_of: datetime | None = None, known_at: datetime | None = None) -> bool:
    """Whether an event lies inside an as-of / known-at cut."""
    if as_of is not None and event.event_time > as_of:
        return False
    return known_at is None or event.recorded_at <= known_at


def fold_order(events: Iterable[CanvasEvent], as_of: datetime | None = None,
               known_at: datetime | None = None) -> list[CanvasEvent]:
    """The events inside the cut, each once, in fold order."""
    unique: dict[str, CanvasEvent] = {}
    for event in events:
        if in_cut(event, as_of, known_at):
            unique.setdefault(event.content_hash, event)
    return sorted(unique.values(), key=lambda e: e.fold_key)


def fold(evolve: Evolve, events: Iterable[CanvasEvent], state: Any = None, *,
         as_of: datetime | None = None, known_at: datetime | None = None) -> Any:
    """Apply evolve over the events in fold order."""
    for event in fold_order(events, as_of, known_at):
        state = evolve(event, state)
    return state


def projector(evolve: Evolve, as_of: datetime | None = None, known_at: datetime | None = None) -> ProjectorFunc:
    """A `projector_func` for the library's `repository.get` that sorts and cuts before folding."""
    def project(state: Any, events: Iterable[CanvasEvent]) -> Any:
        return fold(evolve, events, state, as_of=as_of, known_at=known_at)
    return project
