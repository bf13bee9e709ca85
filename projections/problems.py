"""Problems and exclusions: what the projections could not use, and the events an operator told them to skip.

A projection never stops on one event (DESIGN decision 10). An event that cannot be read, folded or
applied is skipped; its position, type and reason go to `rm_problems` (per read model: a rebuild makes its
own and swaps it in). A unit (course, outcome, student) whose recompute fails, or whose rollup had to leave
a result out, is recorded the same way. `rm_exclusions` holds the positions an operator excluded: the
catch-up skips them (the immutable store is never touched); `projections.rebuild.exclude`/`include`
change them, since each change is followed by a rebuild. It has no rebuild suffix, so a rebuild keeps it.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

REASON_CHARS = 500


def ensure(conn: sqlite3.Connection, suffix: str = "") -> None:
    """Create the problems table of a read model (and the shared exclusions table) when missing."""
    found = {
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
            (f"rm_problems{suffix}", "rm_exclusions"),
        )
    }
    if len(found) == 2:
        return  # the usual case: no statement that would want the writer lock
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS rm_problems{suffix} (key TEXT PRIMARY KEY, position INTEGER, "
        "event_type TEXT, unit TEXT, reason TEXT NOT NULL, first_seen TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS rm_exclusions (position INTEGER PRIMARY KEY, reason TEXT, "
        "excluded_at TEXT NOT NULL)"
    )


def describe(error: BaseException) -> str:
    """One line saying what went wrong, short enough to list."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


def now() -> str:
    """The moment a problem or exclusion is recorded."""
    return datetime.now(UTC).isoformat()


def record_event(conn: sqlite3.Connection, suffix: str, position: int, event_type: str | None, reason: str) -> None:
    """Note that the event at `position` was skipped (the first sighting's time is kept)."""
    conn.execute(
        f"INSERT INTO rm_problems{suffix} (key, position, event_type, unit, reason, first_seen) "
        "VALUES (?, ?, ?, NULL, ?, ?) ON CONFLICT (key) DO UPDATE SET reason = excluded.reason",
        (f"event:{position}", position, event_type, reason, now()),
    )


def unit_name(root: str, course: str, outcome: str, user: str | None) -> str:
    return f"root {root} course {course} outcome {outcome}" + (f" student {user}" if user else "")


def record_unit(
    conn: sqlite3.Connection,
    suffix: str,
    unit: str,
    reason: str,
    position: int | None = None,
    event_type: str | None = None,
) -> None:
    """Note that a unit's recompute failed or left something out (keyed by unit, and by event when known)."""
    key = f"unit:{unit}" if position is None else f"result:{position}"
    conn.execute(
        f"INSERT INTO rm_problems{suffix} (key, position, event_type, unit, reason, first_seen) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET reason = excluded.reason, "
        "unit = excluded.unit",
        (key, position, event_type, unit, reason, now()),
    )


def clear_unit(conn: sqlite3.Connection, suffix: str, unit: str) -> None:
    """A unit computed cleanly: forget the problems it had (a whole outcome's: its students' too)."""
    conn.execute(
        f"DELETE FROM rm_problems{suffix} WHERE unit = ? OR (unit LIKE ? AND ? NOT LIKE '% student %')",
        (unit, unit + " student %", unit),
    )


def excluded(conn: sqlite3.Connection, low: int, high: int) -> set[int]:
    """The excluded positions in [low, high]."""
    rows = conn.execute("SELECT position FROM rm_exclusions WHERE position BETWEEN ? AND ?", (low, high))
    return {r[0] for r in rows}


def keep_first_seen(conn: sqlite3.Connection, side: str) -> None:
    """Before a rebuild's swap: problems seen before keep the time they were first seen."""
    conn.execute(
        f"UPDATE rm_problems{side} SET first_seen = (SELECT a.first_seen FROM rm_problems a "
        f"WHERE a.key = rm_problems{side}.key) WHERE key IN (SELECT key FROM rm_problems)"
    )


def stored_positions(store: Any, position: int | None = None) -> int:
    """How many events the store holds (or, given a position, whether one is stored there: 0 or 1)."""
    return store.recorder.count_positions(position)


def listing(store: Any, conn: sqlite3.Connection) -> dict[str, Any]:
    """Every problem and exclusion, and how the stored events are accounted for:
    stored = applied + skipped (a problem) + excluded."""
    ensure(conn)
    problems = [
        {"position": r[0], "type": r[1], "unit": r[2], "reason": r[3], "first_seen": r[4]}
        for r in conn.execute(
            "SELECT position, event_type, unit, reason, first_seen FROM rm_problems "
            "ORDER BY position IS NULL, position, key"
        )
    ]
    exclusions = [
        {"position": r[0], "reason": r[1], "excluded_at": r[2]}
        for r in conn.execute("SELECT position, reason, excluded_at FROM rm_exclusions ORDER BY position")
    ]
    applied = conn.execute("SELECT COUNT(*) FROM entity_versions").fetchone()[0]
    skipped = conn.execute("SELECT COUNT(*) FROM rm_problems WHERE key LIKE 'event:%'").fetchone()[0]
    counts = {"stored": stored_positions(store), "applied": applied, "skipped": skipped, "excluded": len(exclusions)}
    return {"problems": problems, "exclusions": exclusions, "counts": counts}
