"""The bitemporal history read model: every version of every entity, and the current one.

Each stored event becomes one row of `entity_versions` (its entity's state right after it, with its
event_time, arrival time and fold key); `entity_current` keeps, per entity, the row with the greatest
fold key, so a late older event never overrides newer state. Because Canvas bodies are full snapshots
the state after an event is that event's own fold, and "as of T / known at R" is the greatest fold key
inside the cut (an index look-up). Also learned here: each course's account and each root account's
local id, the facts scale resolution needs.
"""

from __future__ import annotations

from typing import Any

import orjson

from domain.canvas import iso
from domain.events import CanvasEvent, REGISTRY
from domain.ids import local_id, shard_of
from domain.states import FOLDS

NAME, VERSION = "history", 1
TOPICS = frozenset(REGISTRY)


def refs(state: Any) -> tuple[str | None, str | None, str | None]:
    """(course, outcome, user) of a state, the columns queries select by."""
    kind_course = getattr(state, "context_type", None) == "Course"
    course = getattr(state, "context_id", None) if kind_course else None
    outcome = getattr(state, "outcome_id", None)
    if outcome is None and type(state).__name__ == "OutcomeState":
        outcome = state.id
    return course, outcome, getattr(state, "user_uuid", None)


def version_row(position: int, event: CanvasEvent) -> dict[str, Any]:
    """The history row of one event: the entity's state right after it."""
    evolve, _ = FOLDS[event.kind]
    state = evolve(event, None)
    course, outcome, user = refs(state)
    return {"position": position, "root": event.root_account, "kind": event.kind, "key": event.key,
            "fold_key": event.fold_key, "event_time": iso(event.event_time), "recorded_at": iso(event.recorded_at),
            "event_name": event.canvas_name, "course": course, "outcome": outcome, "user_uuid": user,
            "state": orjson.dumps(state.model_dump(mode="json")).decode()}


class HistoryProjection:
    """Writes entity versions, current entities, course accounts and root ids."""

    name, version, topics = NAME, VERSION, TOPICS

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix

    def handle(self, conn: Any, position: int, event: CanvasEvent, changes: list) -> None:
        """Record one event (every kept event type is handled the same way: a new version)."""
        row = version_row(position, event)
        s = self.suffix
        cols = ", ".join(row)
        marks = ", ".join("?" * len(row))
        conn.execute(f"INSERT OR IGNORE INTO entity_versions{s} ({cols}) VALUES ({marks})", list(row.values()))
        current = conn.execute(f"SELECT fold_key, course, outcome, user_uuid FROM entity_current{s} "
                               "WHERE root = ? AND kind = ? AND key = ?", (row["root"], row["kind"], row["key"])).fetchone()
        if current is None or current[0] < row["fold_key"]:
            conn.execute(f"INSERT OR REPLACE INTO entity_current{s} ({cols}) VALUES ({marks})", list(row.values()))
            changes.append((event, current, row))
        self._learn(conn, position, event, changes)

    def _learn(self, conn: Any, position: int, event: CanvasEvent, changes: list) -> None:
        s = self.suffix
        root_id = event.metadata.get("root_account_id")
        if root_id is not None:
            conn.execute(f"INSERT OR IGNORE INTO roots{s} (root, local_id, shard) VALUES (?, ?, ?)",
                         (event.root_account, local_id(root_id, shard_of(str(root_id))), shard_of(str(root_id))))
        pair = event.course_account
        if pair and pair[0] and pair[1]:
            conn.execute(f"INSERT OR IGNORE INTO course_accounts{s} (position, root, course, account, event_time, "
                         "recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                         (position, event.root_account, pair[0], pair[1], iso(event.event_time), iso(event.recorded_at)))
            changes.append(("course_account", event.root_account, pair[0]))
