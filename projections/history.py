"""The bitemporal history read model: every version of every entity, and the current one.

Each stored event becomes one row of `entity_versions` (its entity's state right after it, with its
event_time, arrival time and fold key); `entity_current` keeps, per entity, the row with the greatest
fold key, so a late older event never overrides newer state. Because Canvas bodies are full snapshots
the state after an event is that event's own fold, and "as of T / known at R" is the greatest fold key
inside the cut (an index look-up). Also learned here: each course's account (from a course event's
`account_id`, or an editor standing in the course) and each root account's local id, the facts scale
resolution needs, and the hosts a root account's events name (`accounts`, the several-accounts error).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

from domain.canvas import iso
from domain.events import REGISTRY, CanvasEvent
from domain.ids import local_id, shard_of
from domain.states import FOLDS
from projections import packed
from projections.changes import COURSE_ACCOUNT, Change

NO_SHARD = -1  # root_ids.shard of an id that is not numeric (a key column cannot be NULL)
# 2: current rows point at their version; 3: the root id by majority (root_ids); 4: states packed (packed.py)
NAME, VERSION = "history", 4
COLUMNS = (
    "position",
    "root",
    "kind",
    "key",
    "fold_key",
    "event_time",
    "recorded_at",
    "event_name",
    "course",
    "outcome",
    "user_uuid",
    "state",
)
# The current row of an entity points at its winning version instead of copying the state.
CURRENT_COLUMNS = ("root", "kind", "key", "fold_key", "position", "course", "outcome", "user_uuid")
TOPICS = frozenset(REGISTRY)


def refs(state: Any) -> tuple[str | None, str | None, str | None]:
    """(course, outcome, user) of a state, the columns queries select by."""
    kind_course = getattr(state, "context_type", None) == "Course"
    # Sections and enrollments name their course; a course is its own (people states: domain/people.py).
    course = getattr(state, "context_id", None) if kind_course else getattr(state, "course_id", None)
    outcome = getattr(state, "outcome_id", None)
    if outcome is None and type(state).__name__ == "OutcomeState":
        outcome = state.id
    return course, outcome, getattr(state, "user_uuid", None)


def root_hosts(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    """The hosts an event's metadata names for its root account: the part of `root_account_lti_guid` after
    the root's uuid ("<uuid>.district.instructure.com"), and the request's `hostname`."""
    found = []
    guid, hostname = metadata.get("root_account_lti_guid"), metadata.get("hostname")
    if isinstance(guid, str) and "." in guid.partition(".")[2]:
        found.append(("lti_guid", guid.partition(".")[2][:255]))
    if isinstance(hostname, str) and hostname.strip():
        found.append(("hostname", hostname.strip()[:255]))
    return found


def hosts(conn: sqlite3.Connection, suffix: str = "") -> dict[str, str]:
    """Each root account's host: the one its lti_guid names, else the first of its request hostnames."""
    found: dict[str, dict[str, str]] = {}
    for root, source, host in conn.execute(f"SELECT root, source, host FROM root_hosts{suffix} ORDER BY host"):
        found.setdefault(root, {}).setdefault(source, host)
    return {root: named.get("lti_guid") or named["hostname"] for root, named in found.items()}


def version_row(position: int, event: CanvasEvent) -> dict[str, Any]:
    """The history row of one event: the entity's state right after it."""
    evolve, _ = FOLDS[event.kind]
    state = evolve(event, None)
    return history_row(position, event, refs(state), packed.pack_json(event.kind, state.model_dump_json()))


def history_row(position: int, event: Any, pointed: tuple, state: str) -> dict[str, Any]:
    """The row `entity_versions` keeps: the event's identity and times, the refs its state points at, and
    the state packed (projections/packed.py; by `version_row`, or by projections/lean.py from the stored
    bytes: the same row)."""
    course, outcome, user = pointed
    return {
        "position": position,
        "root": event.root_account,
        "kind": event.kind,
        "key": event.key,
        "fold_key": packed.fold_key(event),
        "event_time": iso(event.event_time),
        "recorded_at": iso(event.recorded_at),
        "event_name": event.canvas_name,
        "course": course,
        "outcome": outcome,
        "user_uuid": user,
        "state": state,
    }


def _entity_change(event: CanvasEvent, row: dict[str, Any], current: tuple | None) -> Change:
    """The change of an entity whose current row a page replaced (`current`: its fold key and refs before)."""
    return Change(
        event.kind,
        event.root_account,
        event.key,
        row["course"],
        row["outcome"],
        row["user_uuid"],
        None if current is None else (current[1], current[2], current[3]),
    )


class HistoryProjection:
    """Writes entity versions, current entities, course accounts and root ids."""

    name, version, topics = NAME, VERSION, TOPICS

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix

    def prepare(self, batch: list[tuple[int, CanvasEvent]]) -> list[dict[str, Any]]:
        """The version rows of a page: pure work, done before the write lock is taken."""
        return [version_row(position, event) for position, event in batch]

    def handle_page(
        self,
        conn: sqlite3.Connection,
        batch: list[tuple[int, CanvasEvent]],
        changes: list[Change],
        rows: list[dict[str, Any]] | None = None,
    ) -> None:
        """Record a page of events (every kept event type the same way: a new version), in few statements."""
        s = self.suffix
        rows = rows if rows is not None else self.prepare(batch)
        cols, marks = ", ".join(COLUMNS), ", ".join("?" * len(COLUMNS))
        conn.executemany(
            f"INSERT OR IGNORE INTO entity_versions{s} ({cols}) VALUES ({marks})",
            [[r[c] for c in COLUMNS] for r in rows],
        )
        current = self._current(conn, {(r["root"], r["kind"], r["key"]) for r in rows})
        winners: dict[tuple, tuple[CanvasEvent, dict]] = {}
        for (_, event), row in zip(batch, rows, strict=True):
            key = (row["root"], row["kind"], row["key"])
            best = winners[key][1]["fold_key"] if key in winners else (current[key][0] if key in current else b"")
            if row["fold_key"] > best:
                winners[key] = (event, row)
        current_cols = ", ".join(CURRENT_COLUMNS)
        conn.executemany(
            f"INSERT OR REPLACE INTO entity_current{s} ({current_cols}) "
            f"VALUES ({', '.join('?' * len(CURRENT_COLUMNS))})",
            [[row[c] for c in CURRENT_COLUMNS] for _, row in winners.values()],
        )
        changes.extend(_entity_change(event, row, current.get(key)) for key, (event, row) in winners.items())
        self._learn(conn, batch, changes)

    def _current(self, conn: sqlite3.Connection, keys: set[tuple]) -> dict[tuple, tuple]:
        """The current fold key and refs of each entity a page touches (primary-key look-ups)."""
        by_kind: dict[tuple[str, str], list[str]] = {}
        for root, kind, key in keys:
            by_kind.setdefault((root, kind), []).append(key)
        found: dict[tuple, tuple] = {}
        for (root, kind), names in by_kind.items():
            for i in range(0, len(names), 500):
                part = names[i : i + 500]
                rows = conn.execute(
                    f"SELECT key, fold_key, course, outcome, user_uuid FROM entity_current{self.suffix} "
                    f"WHERE root = ? AND kind = ? AND key IN ({','.join('?' * len(part))})",
                    (root, kind, *part),
                )
                found.update(((root, kind, r[0]), tuple(r[1:])) for r in rows)
        return found

    def _learn(self, conn: sqlite3.Connection, batch: list[tuple[int, CanvasEvent]], changes: list[Change]) -> None:
        s = self.suffix
        pairs = []
        seen: Counter[tuple[str, str, int | None]] = Counter()
        hosts: set[tuple[str, str, str]] = set()
        for position, event in batch:
            hosts.update((event.root_account, source, host) for source, host in root_hosts(event.metadata))
            root_id = event.metadata.get("root_account_id")
            if root_id is not None:
                shard = shard_of(str(root_id))
                local = local_id(root_id, shard)
                if local is not None:
                    seen[(event.root_account, local, shard)] += 1
            pair = event.course_account
            if pair and pair[0] and pair[1]:
                pairs.append(
                    (position, event.root_account, pair[0], pair[1], iso(event.event_time), iso(event.recorded_at))
                )
        self._learn_roots(conn, seen, changes)
        conn.executemany(f"INSERT OR IGNORE INTO root_hosts{s} (root, source, host) VALUES (?, ?, ?)", hosts)
        courses = {(p[1], p[2]) for p in pairs}
        before = {c: self._latest_account(conn, *c) for c in courses}
        conn.executemany(
            f"INSERT OR IGNORE INTO course_accounts{s} (position, root, course, account, event_time, "
            "recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            pairs,
        )
        # Only a course whose account is newly learned or has changed needs its mastery recomputed.
        changes.extend(
            Change(COURSE_ACCOUNT, root, None, course)
            for root, course in courses
            if self._latest_account(conn, root, course) != before[(root, course)]
        )

    def _learn_roots(
        self, conn: sqlite3.Connection, seen: Counter[tuple[str, str, int | None]], changes: list[Change]
    ) -> None:
        """A root account's own id is the one most of its events give (then the smallest), so neither the
        order of arrival nor a stray or hostile `root_account_id` decides it; when the choice moves, every
        course of the root with results is recomputed (its root-level scale and method may change)."""
        s = self.suffix
        conn.executemany(
            f"INSERT INTO root_ids{s} (root, local_id, shard, events) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (root, local_id, shard) DO UPDATE SET events = events + excluded.events",
            [(root, local, NO_SHARD if shard is None else shard, n) for (root, local, shard), n in seen.items()],
        )
        for root in sorted({key[0] for key in seen}):
            best = conn.execute(
                f"SELECT local_id, shard FROM root_ids{s} WHERE root = ? ORDER BY events DESC, local_id, shard LIMIT 1",
                (root,),
            ).fetchone()
            held = conn.execute(f"SELECT local_id, shard FROM roots{s} WHERE root = ?", (root,)).fetchone()
            if held is not None and (held[0], NO_SHARD if held[1] is None else held[1]) == tuple(best):
                continue
            held_shard = None if best[1] == NO_SHARD else best[1]
            conn.execute(
                f"INSERT OR REPLACE INTO roots{s} (root, local_id, shard) VALUES (?, ?, ?)", (root, best[0], held_shard)
            )
            courses = conn.execute(
                f"SELECT DISTINCT course FROM entity_current{s} WHERE root = ? AND kind = 'result' "
                "AND course IS NOT NULL",
                (root,),
            ).fetchall()
            changes.extend(Change(COURSE_ACCOUNT, root, None, course) for (course,) in courses)

    def _latest_account(self, conn: sqlite3.Connection, root: str, course: str) -> str | None:
        row = conn.execute(
            f"SELECT account FROM course_accounts{self.suffix} WHERE root = ? AND course = ? "
            "ORDER BY event_time DESC, account DESC LIMIT 1",
            (root, course),
        ).fetchone()
        return row[0] if row else None
