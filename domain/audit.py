"""Who changed what, when: field-level differences between an entity's successive states.

Ratings (of a rubric criterion or a proficiency scale) are compared rating by rating, so a report says
"rating 2: points 4 → 3" instead of dumping two lists. Data-quality notes flag Canvas quirks the seeds
show: a body `updated_at` far from the event_time, and a "created" that follows an update in fold order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from domain.canvas import display_time
from domain.events import CanvasEvent
from domain.fold import fold_order
from domain.states import evolve

DRIFT = timedelta(hours=1)


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """Changed fields, before → after; nested criteria and rating lists compared item by item."""
    before = before or {}
    changes: list[dict[str, Any]] = []
    for key in sorted(set(before) | set(after)):
        _compare(key, before.get(key), after.get(key), changes)
    return changes


def _compare(path: str, old: Any, new: Any, out: list[dict[str, Any]]) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            _compare(f"{path}.{key}", old.get(key), new.get(key), out)
        return
    if isinstance(old, list) and isinstance(new, list) and path.endswith("ratings"):
        if len(old) != len(new):
            out.append({"field": f"{path} (count)", "before": len(old), "after": len(new)})
        for i in range(max(len(old), len(new))):
            _compare(f"{path}[{i + 1}]", old[i] if i < len(old) else None, new[i] if i < len(new) else None, out)
        return
    out.append({"field": path, "before": old, "after": new})


def notes(event: CanvasEvent, previous: CanvasEvent | None) -> list[str]:
    """Data-quality notes for one event in fold order."""
    found = []
    if event.updated_at is not None and abs(event.updated_at - event.event_time) > DRIFT:
        found.append(
            f"body updated_at {display_time(event.updated_at)} is far from event_time {display_time(event.event_time)}"
        )
    if event.rank == 0 and previous is not None:
        found.append(
            f"a creation follows {previous.canvas_name} of {display_time(previous.event_time)} "
            "in event time (Canvas re-created it, e.g. by a course copy or import)"
        )
    return found


def entries(events: Iterable[CanvasEvent], positions: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """The audit trail of one entity: every event in fold order with actor, request, diff and notes."""
    out, state, previous = [], None, None
    for event in fold_order(events):
        before: dict[str, Any] | None = state.fields() if state else None
        state = evolve(event, state)
        out.append(
            {
                "event_time": display_time(event.event_time),
                "recorded_at": display_time(event.recorded_at),
                "position": (positions or {}).get(event.content_hash),
                "event_name": event.canvas_name,
                "actor": event.actor,
                "request": event.request,
                "changes": diff(before, state.fields()),
                "notes": notes(event, previous),
            }
        )
        previous = event
    return out


def describe_actor(actor: dict[str, Any]) -> str:
    """An audit entry's actor as one line: user (login), masquerading admin, developer key, job."""
    parts = []
    if actor.get("user_login") or actor.get("user_id"):
        parts.append(f"{actor.get('user_login') or ''} (user {actor.get('user_id')})".strip())
    if actor.get("real_user_id"):
        parts.append(f"masquerading admin {actor['real_user_id']}")
    if actor.get("developer_key_id"):
        parts.append(f"developer key {actor['developer_key_id']}")
    if actor.get("job_tag"):
        parts.append(f"job {actor['job_tag']}")
    return ", ".join(parts) or "unknown actor"
