"""The quarantine: input we could not use, kept with its reason, where an operator can see and retry it.

Rows are never deleted. A retry re-reads the kept raw text with today's parser: what is now usable is
appended (as a duplicate if it was stored meanwhile) and its row is marked `retried`; the rest stays open
with the current reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from domain.events import Ignored, InvalidEvent, parse
from store.application import EventStore


def _row(row: Any) -> dict[str, Any]:
    return dict(row)


def list_items(
    store: EventStore, status: str | None = "open", limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]]:
    """Quarantined items (open ones by default), oldest first: all of them, or limit from offset."""
    return [_row(r) for r in store.chained.select_quarantine(status, limit, offset)]


def count(store: EventStore, status: str | None = "open") -> int:
    """How many items list_items would give without a limit."""
    return store.chained.count_quarantine(status)


def _open_ids(store: EventStore, page: int = 1000) -> Iterator[int]:
    """Every open item's id, oldest first, read a page at a time (no cap: a retry covers them all)."""
    last = 0
    while True:
        ids = store.chained.open_quarantine_ids(last, page)
        if not ids:
            return
        yield from ids
        last = ids[-1]


def show(store: EventStore, item_id: int) -> dict[str, Any] | None:
    """One quarantined item with its raw text."""
    row = store.chained.quarantine_item(item_id)
    return _row(row) if row is not None else None


def counts(store: EventStore) -> dict[str, int]:
    rows = store.query("SELECT status, COUNT(*) AS n FROM quarantine GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


def retry(store: EventStore, item_ids: list[int] | None = None, *, page: int = 1000) -> dict[str, Any]:
    """Re-parse open items (every one, read page ids at a time, or those given); append the usable
    ones and mark them retried."""
    items = (show(store, i) for i in (item_ids or _open_ids(store, page)))
    report: dict[str, Any] = {"retried": 0, "appended": 0, "duplicates": 0, "ignored": 0, "still_bad": []}
    for item in filter(None, items):
        if item["status"] != "open":
            continue
        outcome = _retry_one(store, item)
        report["retried"] += 1
        if outcome in ("appended", "duplicates", "ignored"):
            report[outcome] += 1
        else:
            report["still_bad"].append({"id": item["id"], "reason": outcome})
    return report


def _retry_one(store: EventStore, item: dict[str, Any]) -> str:
    try:
        parsed = parse(orjson.loads(item["raw_text"]))
    except (orjson.JSONDecodeError, InvalidEvent) as error:
        reason = f"invalid JSON: {error}" if isinstance(error, orjson.JSONDecodeError) else str(error)
        _mark(store, item["id"], "open", reason)
        return reason
    if isinstance(parsed, Ignored):
        _mark(store, item["id"], "retried", f"a {parsed.event_name} event: not kept")
        return "ignored"
    result = store.append([parsed], [], [f"quarantine #{item['id']}"])
    _mark(store, item["id"], "retried", "appended" if result.appended else "already stored")
    return "appended" if result.appended else "duplicates"


def _mark(store: EventStore, item_id: int, status: str, note: str) -> None:
    resolved = datetime.now(UTC).isoformat() if status != "open" else None
    store.chained.mark_quarantine(item_id, status, resolved, note)
