"""Fold order (DESIGN decision 3) and the projector function the store's entity folds use.

Events of one entity are applied in the order (event_time, created before updated, body updated_at with
missing first, content hash), whatever order they arrived in; repeats of one event count once; an as-of
cut keeps events with event_time ≤ T and a known-at cut keeps events recorded by R.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from domain.events import CanvasEvent

ProjectorFunc = Callable[[Any, Iterable[CanvasEvent]], Any]
Evolve = Callable[[CanvasEvent, Any], Any]


def in_cut(event: CanvasEvent, as_of: datetime | None = None, known_at: datetime | None = None) -> bool:
    """Whether an event lies inside an as-of / known-at cut."""
    if as_of is not None and event.event_time > as_of:
        return False
    return known_at is None or event.recorded_at <= known_at


def fold_order(
    events: Iterable[CanvasEvent], as_of: datetime | None = None, known_at: datetime | None = None
) -> list[CanvasEvent]:
    """The events inside the cut, each once, in fold order."""
    unique: dict[str, CanvasEvent] = {}
    for event in events:
        if in_cut(event, as_of, known_at):
            unique.setdefault(event.content_hash, event)
    return sorted(unique.values(), key=lambda e: e.fold_key)


def fold(
    evolve: Evolve,
    events: Iterable[CanvasEvent],
    state: Any = None,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> Any:
    """Apply evolve over the events in fold order."""
    for event in fold_order(events, as_of, known_at):
        state = evolve(event, state)
    return state


def projector(
    evolve: Evolve,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    skipped: list[tuple[CanvasEvent, Exception]] | None = None,
) -> ProjectorFunc:
    """A projector (the library's `projector_func` shape, used by `EventStore.fold`) that sorts and cuts
    before folding.

    An event that cannot be folded (its fold key or its evolve raises, or the state it makes cannot be read
    back: what the projections skip, DESIGN decision 10) is left out, so the state comes from the other
    events; `skipped`, when given, collects each such event with its error.
    """

    def project(state: Any, events: Iterable[CanvasEvent]) -> Any:
        for event in fold_order(_sortable(events, skipped), as_of, known_at):
            try:
                state = _checked(evolve(event, state))
            except Exception as error:
                if skipped is not None:
                    skipped.append((event, error))
        return state

    return project


def _sortable(events: Iterable[CanvasEvent], skipped: list | None) -> Iterable[CanvasEvent]:
    for event in events:
        try:
            event.fold_key  # noqa: B018 (validates the body; cached for the sort)
        except Exception as error:
            if skipped is not None:
                skipped.append((event, error))
            continue
        yield event


def _checked(state: Any) -> Any:
    """The state, once it is known to read back as its own class (as the history read model stores it)."""
    if isinstance(state, BaseModel):
        type(state).model_validate_json(state.model_dump_json(warnings=False))
    return state
