"""Per root account settings (not history): the rules mode, the standard-decay flag and the time zone.

A change recomputes the root account's mastery rows in one transaction and reports what moved.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from domain.policy import effective_mode
from projections.mastery import MasteryProjection
from projections.views import View

DEFAULTS = {"mode": "auto", "standard-decay": "true", "tz": "UTC"}
KEY_COLUMNS = ("course", "user_uuid", "outcome")


def snapshot(conn: sqlite3.Connection, root: str, suffix: str = "") -> dict[tuple, dict[str, Any]]:
    """Mastery rows of a root account by (course, student, outcome)."""
    cur = conn.execute(f"SELECT * FROM mastery{suffix} WHERE root = ?", (root,))
    names = [d[0] for d in cur.description]
    return {tuple(r[names.index(k)] for k in KEY_COLUMNS): dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def mastery_diff(before: dict[tuple, dict], after: dict[tuple, dict], limit: int = 20) -> dict[str, Any]:
    """Rows whose score or rating differ, rows added, rows removed; a few examples of each."""
    changed = [k for k in before.keys() & after.keys() if _level(before[k]) != _level(after[k])]
    added, removed = after.keys() - before.keys(), before.keys() - after.keys()
    examples = []
    for key in sorted(changed)[:limit]:
        examples.append(
            {
                **dict(zip(KEY_COLUMNS, key, strict=True)),
                "before": level_label(before[key]["score"], before[key]["rating_description"]),
                "after": level_label(after[key]["score"], after[key]["rating_description"]),
            }
        )
    return {"changed": len(changed), "added": len(added), "removed": len(removed), "examples": examples}


def _level(row: dict[str, Any]) -> tuple:
    return row["score"], row["rating_description"], row["rating_points"]


def level_label(score: float | None, rating: str | None) -> str:
    """A student's level as shown in "what moved" reports: `3.3 Mastery`, `null`."""
    return f"{'null' if score is None else f'{score:g}'} {rating or ''}".strip()


def change_setting(
    conn: sqlite3.Connection, root: str, key: str, value: str, *, dry_run: bool = False
) -> dict[str, Any]:
    """Store a setting, recompute the root account, and report what moved (with `dry_run`, report what
    would move and roll everything back)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = snapshot(conn, root)
        conn.execute("INSERT OR REPLACE INTO settings (root, key, value) VALUES (?, ?, ?)", (root, key, value))
        MasteryProjection().recompute_root(conn, root)
        moved = mastery_diff(before, snapshot(conn, root))
        conn.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return moved


def set_zone(conn: sqlite3.Connection, root: str, value: str) -> str:
    """Store the root account's zone for times given without an offset (no mastery moves: it only reads
    input). ValueError naming the value when it is not an IANA zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    zone = value.strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone (e.g. UTC, America/Chicago, Europe/Berlin)") from None
    from projections.runner import write_transaction

    with write_transaction(conn):
        conn.execute("INSERT OR REPLACE INTO settings (root, key, value) VALUES (?, 'tz', ?)", (root, zone))
    return zone


def show_settings(conn: sqlite3.Connection, root: str) -> dict[str, Any]:
    view = View(conn, root)
    shown = {k: view.setting(k, v) for k, v in DEFAULTS.items()}
    shown["mode_in_force"] = effective_mode(shown["mode"], view.any_event(("scale", "method")))
    return {"root_account": root, **shown}
