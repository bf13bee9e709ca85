"""Audit queries: an entity's history field by field, or everything one actor changed.

Reads the event store itself (the history is the audit trail) and the history read model for positions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.audit import entries
from domain.fold import fold_order
from domain.ids import local_id

ACTOR_FIELDS = ("user_id", "user_login", "user_sis_id", "real_user_id", "developer_key_id")


def by_entity(store: Any, conn: Any, root: str, kind: str, key: str) -> dict[str, Any]:
    """Every change of one entity in fold order."""
    events = store.stream(root, kind, key)
    positions = {r[0].rsplit("|", 1)[-1]: r[1] for r in conn.execute(
        "SELECT fold_key, position FROM entity_versions WHERE root = ? AND kind = ? AND key = ?",
        (root, kind, key)).fetchall()}
    return {"kind": kind, "id": key, "root_account": root, "entries": entries(events, positions)}


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


def by_actor(store: Any, conn: Any, root: str, who: str, since: datetime | None, until: datetime | None) -> dict:
    """Every change one actor made, each with the entity's field diff, in event-time order."""
    row = conn.execute("SELECT shard FROM roots WHERE root = ?", (root,)).fetchone()
    shard = row[0] if row else None
    hits: dict[tuple[str, str], set[str]] = {}
    for _position, event in store.iter_all():
        if event.root_account != root or not matches(event.actor, who, shard):
            continue
        if (since and event.event_time < since) or (until and event.event_time > until):
            continue
        hits.setdefault((event.kind, event.key), set()).add(event.content_hash)
    found = []
    for (kind, key), hashes in hits.items():
        trail = by_entity(store, conn, root, kind, key)["entries"]
        ordered = fold_order(store.stream(root, kind, key))
        for event, entry in zip(ordered, trail, strict=True):
            if event.content_hash in hashes:
                found.append({"kind": kind, "id": key, **entry})
    found.sort(key=lambda e: (e["event_time"], e["kind"], e["id"]))
    return {"actor": who, "root_account": root, "entries": found}
