"""Rebuild side by side: replay the whole history into new tables beside the live ones, then swap.

The live read model keeps answering while the new tables fill. The swap is one write transaction: catch
the new tables up to the head (events ingested meanwhile are not lost), compare, drop the live tables and
rename the new ones. Killed at any moment, the live tables are untouched and the next rebuild starts
clean (leftover side tables are dropped first). `--dry-run` compares and drops the new tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from projections.runner import PROJECTIONS, catch_up, write_transaction
from projections.schema import ensure_schema
from projections.settings import mastery_diff

SIDE = "_rebuild"
TABLES = ("entity_versions", "entity_current", "course_accounts", "roots", "mastery", "mastery_dirty")


def drop_side_tables(conn: Any) -> None:
    with write_transaction(conn):
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}{SIDE}")
        conn.execute("DELETE FROM rm_tracking WHERE projection LIKE ?", (f"%{SIDE}",))


def rebuild(store: Any, conn: Any, *, dry_run: bool = False,
            progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Rebuild every read model from the history; report what moved (mastery: score or rating)."""
    import sqlite_utils
    drop_side_tables(conn)
    ensure_schema(sqlite_utils.Database(conn), suffix=SIDE, index_tag=uuid.uuid4().hex[:8])
    catch_up(store, conn, suffix=SIDE, progress=progress)
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


def _compare(conn: Any) -> dict[str, Any]:
    before, after = _mastery(conn, ""), _mastery(conn, SIDE)
    report = mastery_diff(before, after)
    report["read_models"] = {"mastery": {k: report[k] for k in ("changed", "added", "removed")},
                             "history": _history_diff(conn)}
    return report


def _mastery(conn: Any, suffix: str) -> dict[tuple, dict[str, Any]]:
    cur = conn.execute(f"SELECT * FROM mastery{suffix}")
    names = [d[0] for d in cur.description]
    return {(r[0], r[1], r[2], r[3]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def _history_diff(conn: Any) -> dict[str, int]:
    def rows(suffix: str) -> dict[tuple, tuple]:
        cur = conn.execute(f"SELECT root, kind, key, fold_key, course, outcome, user_uuid, state "
                           f"FROM entity_current{suffix}")
        return {r[:3]: r[3:] for r in cur.fetchall()}
    old, new = rows(""), rows(SIDE)
    changed = sum(1 for k in old.keys() & new.keys() if old[k] != new[k])
    return {"changed": changed, "added": len(new.keys() - old.keys()), "removed": len(old.keys() - new.keys())}


def _swap(conn: Any) -> None:
    for table in TABLES:
        conn.execute(f"DROP TABLE {table}")
        conn.execute(f"ALTER TABLE {table}{SIDE} RENAME TO {table}")
    conn.execute("DELETE FROM rm_tracking WHERE projection NOT LIKE ?", (f"%{SIDE}",))
    for projection in PROJECTIONS:
        conn.execute("UPDATE rm_tracking SET projection = ?, version = ? WHERE projection = ?",
                     (projection.name, projection.version, projection.name + SIDE))
