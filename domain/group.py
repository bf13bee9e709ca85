"""An outcome group's state and its fold, and the group tree (orphans and cycles reported, never looped)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import singledispatch
from typing import Any

from domain.entity import EntityState, bookkeeping
from domain.events import CanvasEvent, LearningOutcomeGroupCreated, LearningOutcomeGroupUpdated
from domain.ids import id_key


class GroupState(EntityState):
    title: str | None = None
    description: str | None = None
    vendor_guid: str | None = None
    parent_id: str | None = None
    context_type: str | None = None
    context_id: str | None = None
    workflow_state: str | None = None
    updated_at: datetime | None = None


@singledispatch
def evolve(event: CanvasEvent, state: GroupState | None) -> GroupState | None:
    raise TypeError(f"a group cannot fold {type(event).__name__}")


@evolve.register(LearningOutcomeGroupCreated)
@evolve.register(LearningOutcomeGroupUpdated)
def _snapshot(event: CanvasEvent, state: GroupState | None) -> GroupState:
    return GroupState.of(**bookkeeping(event, state), **snapshot_fields(event, event.body))


def snapshot_fields(event: Any, b: Any) -> dict[str, Any]:
    """The Canvas fields of a group's state from its event and read body: the fold's own, and the lean
    projection path's plain-data twin (projections/lean.py passes a plain object with the body's values)."""
    return {
        "title": b.title,
        "description": b.description,
        "vendor_guid": b.vendor_guid,
        "parent_id": event.local(b.parent_outcome_group_id),
        "context_type": b.context_type,
        "context_id": event.local(b.context_id),
        "workflow_state": b.workflow_state,
        "updated_at": b.updated_at,
    }


def tree(groups: Iterable[GroupState]) -> dict:
    """Roots, children, orphans (parent never seen) and cycles of a set of groups."""
    by_id = {g.id: g for g in groups}
    children: dict[str, list[str]] = {}
    roots, orphans = [], []
    for g in by_id.values():
        if g.parent_id is None:
            roots.append(g.id)
        elif g.parent_id not in by_id:
            orphans.append(g.id)
        else:
            children.setdefault(g.parent_id, []).append(g.id)
    reachable = _reachable(roots + orphans, children)
    cycles = sorted(gid for gid in by_id if gid not in reachable)
    key = id_key
    return {
        "roots": sorted(roots, key=key),
        "orphans": sorted(orphans, key=key),
        "cycles": cycles,
        "children": {k: sorted(v, key=key) for k, v in children.items()},
    }


def path(group_id: str, groups: dict[str, GroupState]) -> list[str]:
    """Titles from the top group down to this one; stops at an orphan or a cycle."""
    titles, seen, current = [], set(), groups.get(group_id)
    while current is not None and current.id not in seen:
        seen.add(current.id)
        titles.append(current.title or f"group {current.id}")
        current = groups.get(current.parent_id) if current.parent_id else None
    return list(reversed(titles))


def _reachable(starts: list[str], children: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, []))
    return seen
