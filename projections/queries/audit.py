"""Audit queries: an entity's history field by field, or everything one actor changed.

Reads the event store itself (the history is the audit trail, positions included).
A record that cannot be read, or an event that cannot be folded (what the projections skip, DESIGN
decision 10), is left out of the trail and listed under `unreadable` with its position and reason.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.audit import entries
from domain.canvas import display_time
from domain.erasure import PersonErased
from domain.events import TOPICS, CanvasEvent
from domain.fold import fold_order
from domain.ids import local_id
from domain.states import evolve
from projections.problems import describe

EVENT_NAMES = {topic: cls.canvas_name for cls, topic in TOPICS.items()}

ACTOR_FIELDS = ("user_id", "user_login", "user_sis_id", "real_user_id", "developer_key_id")


def by_entity(store: Any, conn: sqlite3.Connection, root: str, kind: str, key: str) -> dict[str, Any]:
    """Every change of one entity in fold order, and the records of it that could not be read."""
    events, positions, unreadable = trail_events(store, root, kind, key)
    erased = erasure_entries(store, root, lambda e: kind == "user" and key in e.info.get("user_ids", []))
    return {
        "kind": kind,
        "id": key,
        "root_account": root,
        "entries": entries(events, positions) + erased,
        "unreadable": unreadable,
    }


def erasure_entries(store: Any, root: str, wanted: Callable[[Any], bool]) -> list[dict[str, Any]]:
    """The erasures (`mastery erase`) `wanted` picks, as audit entries (pseudonyms only, no personal value)."""
    from store.erasure import erasure_records

    found = []
    for position, record in erasure_records(store, root):
        if not wanted(record):
            continue
        info = record.info
        found.append(
            {
                "event_time": display_time(record.event_time),
                "recorded_at": display_time(record.recorded_at),
                "position": position,
                "event_name": record.canvas_name,
                "actor": {"job_tag": f"mastery erase, asked by {record.requested_by}"},
                "request": {},
                "changes": [
                    {"field": f"personal values of {p}", "before": "encrypted", "after": "erased person"}
                    for p in record.pseudonyms
                ],
                "notes": [f"reason: {info.get('reason') or '(none given)'}"]
                + (["results dropped from every cut"] if info.get("with_results") else []),
            }
        )
    return found


def trail_events(store: Any, root: str, kind: str, key: str) -> tuple[list[CanvasEvent], dict[str, int], list]:
    """The entity's events an audit can show with their positions (by content hash), and the position,
    type and reason of each record it cannot show."""
    records, bad = store.read_stream(root, kind, key)
    unreadable = [_unreadable(u.position, EVENT_NAMES.get(u.topic, u.topic), u.error) for u in bad]
    events, positions = [], {}
    for position, event in records:
        try:
            event.fold_key  # noqa: B018 (validates the body the trail sorts by)
            evolve(event, None).fields()
        except Exception as error:
            unreadable.append(_unreadable(position, event.canvas_name, error))
            continue
        events.append(event)
        positions[event.content_hash] = position
    return events, positions, sorted(unreadable, key=lambda u: u["position"])


def _unreadable(position: int, event_type: str, error: BaseException) -> dict[str, Any]:
    return {"position": position, "type": event_type, "reason": describe(error)}


def matches(actor: dict[str, Any], who: str, shard: int | None) -> bool:
    """WHO is a user id (any form), login, SIS id, masquerading real user, developer key, or job_tag prefix."""
    wanted = who.strip()
    reduced = local_id(wanted, shard)
    for field in ACTOR_FIELDS:
        value = actor.get(field)
        if value is None:
            continue
        if str(value) == wanted or (str(value).isdigit() and local_id(str(value), shard) == reduced):
            return True
    tag = actor.get("job_tag")
    return bool(tag) and str(tag).startswith(wanted)


def by_actor(
    store: Any, conn: sqlite3.Connection, root: str, who: str, since: datetime | None, until: datetime | None
) -> dict:
    """Every change one actor made, each with the entity's field diff, in event-time order (and the
    positions that could not be read, so could not be searched)."""
    row = conn.execute("SELECT shard FROM roots WHERE root = ?", (root,)).fetchone()
    shard = row[0] if row else None
    hits: dict[tuple[str, str], set[str]] = {}
    unreadable: dict[int, dict[str, Any]] = {}
    for position, event in store.iter_all(unreadable=True):
        if isinstance(event, PersonErased):  # an erasure record: listed below, by who asked
            continue
        if not isinstance(event, CanvasEvent):  # a record the store could not map
            unreadable[position] = _unreadable(position, EVENT_NAMES.get(event.topic, event.topic), event.error)
            continue
        try:
            if event.root_account != root or not matches(event.actor, who, shard):
                continue
        except Exception as error:
            unreadable[position] = _unreadable(position, event.canvas_name, error)
            continue
        if (since and event.event_time < since) or (until and event.event_time > until):
            continue
        hits.setdefault((event.kind, event.key), set()).add(event.content_hash)
    found = []
    for (kind, key), hashes in hits.items():
        events, positions, bad = trail_events(store, root, kind, key)
        unreadable.update((u["position"], u) for u in bad)
        for event, entry in zip(fold_order(events), entries(events, positions), strict=True):
            if event.content_hash in hashes:
                found.append({"kind": kind, "id": key, **entry})
    found += [
        {"kind": "erasure", "id": str(e["position"]), **e}
        for e in erasure_entries(store, root, lambda r: r.requested_by == who.strip())
    ]
    found.sort(key=lambda e: (e["event_time"], e["kind"], e["id"]))
    return {
        "actor": who,
        "root_account": root,
        "entries": found,
        "unreadable": [unreadable[p] for p in sorted(unreadable)],
    }


def closest_actors(
    store: Any, conn: sqlite3.Connection, root: str, who: str, limit: int = 3
) -> tuple[bool, list[str], list[str]]:
    """Whether any event of the root account (at any time) is by WHO; else the actors the audit knows
    that look most like WHO (logins, SIS ids, user ids, developer keys, job tags; difflib), closest first,
    and the logins seen most often (what to type when nothing looks alike)."""
    import difflib

    row = conn.execute("SELECT shard FROM roots WHERE root = ?", (root,)).fetchone()
    shard = row[0] if row else None
    known: set[str] = set()
    logins: Counter[str] = Counter()
    for _position, event in store.iter_all(unreadable=True):
        if not isinstance(event, CanvasEvent):
            continue
        try:
            if event.root_account != root:
                continue
            actor = event.actor
        except Exception:  # noqa: S112 (an event that cannot be read is no actor to suggest)
            continue
        if matches(actor, who, shard):
            return True, [], []
        if actor.get("user_login"):
            logins[str(actor["user_login"])] += 1
        known.update(str(v) for k, v in actor.items() if v is not None and (k in ACTOR_FIELDS or k == "job_tag"))
    wanted = who.strip()
    close = difflib.get_close_matches(wanted, sorted(known), n=limit, cutoff=0.6)
    if not close and len(wanted) >= 3:  # a case slip or a part of a login
        folded = wanted.casefold()
        close = sorted(k for k in known if folded in k.casefold())[:limit]
    return False, close, [login for login, _n in logins.most_common(limit)]
