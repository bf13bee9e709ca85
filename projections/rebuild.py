"""Rebuild side by side: replay the whole history into new tables beside the live ones, then swap.

The live read model keeps answering while the new tables fill. The swap is one write transaction: catch
the new tables up to the head (events ingested meanwhile are not lost), compare, drop the live tables and
rename the new ones. Killed at any moment, the live tables are untouched and the next rebuild starts
clean (leftover side tables are dropped first). `--dry-run` compares and drops the new tables.
The problems table is rebuilt too (a problem seen before keeps its first-seen time); the operator's
exclusions (`rm_exclusions`) are not a rebuilt table: they are kept, and the rebuild skips those events.
`exclude` / `include` change an exclusion and rebuild (here, so that problems.py never imports the rebuild).

In bulk (reviews/performance.md P9, without its relaxed durability): the load queues no mastery unit, so
the versions and current tables' secondary indexes are left out while loading and built after the load in
one sorted pass each; then every unit a current result or link names is queued whole by one statement and
the queue drained once (chunks end on whole units, so every unit is computed once). Queuing page by page
cost more with size: a scale, method or outcome event queued every unit of its root or outcome by
scanning the current results loaded so far (O(n) per such event: 73 of 176 s at 1M events).
Safety: nothing is relaxed. The side tables live in the read model's own file with its own settings (WAL,
the same synchronous level); each page and each drain chunk is an ordinary transaction; the live tables
are touched only by the swap's single transaction. A rebuild killed at any moment (before, during or after
the index build) leaves only side tables, which the next rebuild drops. A page-by-page catch-up would also
queue units no current result or link names any more (a result that moved away): in tables that start
empty those compute to no row. The index the load itself reads (course accounts by time) is there from
the start. A large queue is drained over both cores first (projections/rebuild_drain.py: a worker process
takes half of the units), then the rest serially, so the tables are exactly the serial drain's.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

from projections import parallel, problems, rebuild_drain
from projections.mastery import MasteryProjection
from projections.runner import PROJECTIONS, catch_up, drain, write_transaction
from projections.schema import ensure_schema
from projections.settings import level_label

SIDE = "_rebuild"
# Events per load transaction. 5,000 (P9's) measured no faster at 200k events here and raised the peak
# RSS from 179 to 236 MB: the page's events and rows are held at once. With the deferred indexes the
# commits are cheap enough at the catch-up's own page size.
BULK_PAGE = 1000
# Queued units per drain transaction. Each queued row is a whole unit here (not one student's), so the
# catch-up's 2,000 rows were 2,000 units at once: 310 MB peak RSS at 1M events; 250 keeps it near the load's.
DRAIN_CHUNK = 250
TABLES = (
    "entity_versions",
    "entity_current",
    "course_accounts",
    "roots",
    "root_ids",
    "root_hosts",
    "mastery",
    "mastery_dirty",
    "rm_problems",
)


class _Unqueued(MasteryProjection):
    """The mastery projection of a rebuild's load: nothing is queued per page (`_queue_units` after it)."""

    def mark(self, conn: sqlite3.Connection, changes: list) -> None:
        return None


def _queue_units(conn: sqlite3.Connection) -> None:
    """Queue, whole, every unit a loaded current result or link names (what `mark` keeps: course and outcome)."""
    with write_transaction(conn):
        conn.execute(
            f"INSERT OR IGNORE INTO mastery_dirty{SIDE} (root, course, outcome, user_uuid) "
            f"SELECT DISTINCT root, course, outcome, '' FROM entity_current{SIDE} "
            "WHERE kind IN ('result', 'link') AND course <> '' AND outcome <> ''"
        )


def drop_side_tables(conn: sqlite3.Connection) -> None:
    with write_transaction(conn):
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}{SIDE}")
        conn.execute("DELETE FROM rm_tracking WHERE projection LIKE ?", (f"%{SIDE}",))


def rebuild(
    store: Any, conn: sqlite3.Connection, *, dry_run: bool = False, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Rebuild every read model from the history; report what moved (mastery: score or rating)."""
    import sqlite_utils

    drop_side_tables(conn)
    db, tag = sqlite_utils.Database(conn), uuid.uuid4().hex[:8]
    ensure_schema(db, suffix=SIDE, index_tag=tag, bulk=True)
    problems.ensure(conn)
    problems.ensure(conn, SIDE)
    readers = parallel.pages if parallel.worthwhile(store, 0) else None  # the side tables start empty
    catch_up(
        store,
        conn,
        page=BULK_PAGE,
        suffix=SIDE,
        drain_queue=False,
        progress=progress,
        readers=readers,
        mastery=_Unqueued(SIDE),
    )
    ensure_schema(db, suffix=SIDE, index_tag=tag)  # the deferred indexes, over the loaded tables
    _queue_units(conn)
    rebuild_drain.drain_split(conn, SIDE)  # a large queue: half of it in a worker process, side by side
    drain(conn, MasteryProjection(SIDE), chunk=DRAIN_CHUNK)  # whatever is left (all of it when not split)
    with write_transaction(conn):
        catch_up(store, conn, suffix=SIDE, in_transaction=True)
        report = _compare(conn)
        if dry_run:
            for table in TABLES:
                conn.execute(f"DROP TABLE {table}{SIDE}")
            conn.execute("DELETE FROM rm_tracking WHERE projection LIKE ?", (f"%{SIDE}",))
        else:
            _swap(conn)
    report["dry_run"] = dry_run
    return report


def _compare(conn: sqlite3.Connection) -> dict[str, Any]:
    """What moved between the live and the rebuilt tables, computed in SQL (bounded memory)."""
    mastery = _diff(
        conn, "mastery", ("root", "course", "user_uuid", "outcome"), ("score", "rating_description", "rating_points")
    )
    history = _diff(
        conn, "entity_current", ("root", "kind", "key"), ("fold_key", "position", "course", "outcome", "user_uuid")
    )
    moved = _differs(("score", "rating_description", "rating_points"))
    examples = [
        {
            "course": r[0],
            "user_uuid": r[1],
            "outcome": r[2],
            "before": level_label(r[3], r[4]),
            "after": level_label(r[5], r[6]),
        }
        for r in conn.execute(
            f"SELECT a.course, a.user_uuid, a.outcome, a.score, a.rating_description, b.score, b.rating_description "
            f"FROM mastery a JOIN mastery{SIDE} b USING (root, course, user_uuid, outcome) WHERE {moved} "
            "ORDER BY 1, 2, 3 LIMIT 20"
        )
    ]
    return {**mastery, "examples": examples, "read_models": {"mastery": mastery, "history": history}}


def _differs(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"a.{c} IS NOT b.{c}" for c in columns)


def _diff(conn: sqlite3.Connection, table: str, key: tuple[str, ...], columns: tuple[str, ...]) -> dict[str, int]:
    using = ", ".join(key)
    changed = conn.execute(
        f"SELECT COUNT(*) FROM {table} a JOIN {table}{SIDE} b USING ({using}) WHERE {_differs(columns)}"
    ).fetchone()[0]
    added = conn.execute(
        f"SELECT COUNT(*) FROM {table}{SIDE} b LEFT JOIN {table} a USING ({using}) WHERE a.{key[-1]} IS NULL"
    ).fetchone()[0]
    removed = conn.execute(
        f"SELECT COUNT(*) FROM {table} a LEFT JOIN {table}{SIDE} b USING ({using}) WHERE b.{key[-1]} IS NULL"
    ).fetchone()[0]
    return {"changed": changed, "added": added, "removed": removed}


def _swap(conn: sqlite3.Connection) -> None:
    problems.keep_first_seen(conn, SIDE)
    for table in TABLES:
        conn.execute(f"DROP TABLE {table}")
        conn.execute(f"ALTER TABLE {table}{SIDE} RENAME TO {table}")
    conn.execute("DELETE FROM rm_tracking WHERE projection NOT LIKE ?", (f"%{SIDE}",))
    for projection in PROJECTIONS:
        conn.execute(
            "UPDATE rm_tracking SET projection = ?, version = ? WHERE projection = ?",
            (projection.name, projection.version, projection.name + SIDE),
        )


# Exclusions change what the projections count, so each is followed by a rebuild (DESIGN decision 10).
class UnknownPosition(LookupError):
    """No stored event at that position (exclude), or the position is not excluded (include)."""


def exclude(store: Any, conn: sqlite3.Connection, position: int, reason: str | None) -> dict[str, Any]:
    """Make the projections skip the event at `position`, then rebuild so every answer reflects it."""
    if problems.stored_positions(store, position) == 0:
        raise UnknownPosition(f"no stored event at position {position}")
    problems.ensure(conn)
    with write_transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO rm_exclusions (position, reason, excluded_at) VALUES (?, ?, ?)",
            (position, reason, problems.now()),
        )
    return {"excluded": position, "reason": reason, "rebuild": rebuild(store, conn)}


def include(store: Any, conn: sqlite3.Connection, position: int) -> dict[str, Any]:
    """Undo an exclusion, then rebuild so the event counts again."""
    problems.ensure(conn)
    with write_transaction(conn):
        if conn.execute("DELETE FROM rm_exclusions WHERE position = ?", (position,)).rowcount == 0:
            raise UnknownPosition(f"position {position} is not excluded")
    return {"included": position, "rebuild": rebuild(store, conn)}
