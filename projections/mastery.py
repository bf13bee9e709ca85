"""The mastery read model: one row per (root account, course, student, outcome), kept current.

The same `compute` answers "now" (rows written here) and "as of" (computed from the history inside the
cut), so both give the numbers Canvas would show for the events they see. Recompute triggers (issue 3):
a result → its student's row; an outcome edit → that outcome's rows; a link → that outcome in that
course; a scale, a method (or the auto mode flipping) → the root account's courses; a newly learned
course → account → that course; a settings change → everything in the root account.
A unit whose recompute raises is rolled back alone and recorded as a problem (so are results a rollup
had to leave out); the other units are written as usual.

The drain (`light=True`) reads results as light rows (`LightResult`: one `orjson.loads` of the packed
state, the fields the rollup reads, pydantic's own reading for any row that is not plain) and scores them
with `rollup_numbers`, the numbers-only entry of domain/rollup.py; queries and `explain` keep the
pydantic states and the explaining `rollup`. `LIGHT` is the internal switch tests turn off to prove the
two paths write the same table (tests/integration/test_bulk_rebuild.py).
"""

from __future__ import annotations

import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from domain.events import REGISTRY
from domain.policy import Rules, as_input, effective_mode, excluded_reason, rules
from domain.rollup import RollupScore, rollup, rollup_numbers
from projections import packed, problems
from projections.changes import COURSE_ACCOUNT, Change
from projections.views import View

NAME, VERSION = "mastery", 1
TOPICS = frozenset(REGISTRY)
LIGHT = True
_TEXTS = ("id", "user_uuid", "context_type", "workflow_state", "artifact_type", "associated_asset_type")
_NUMBERS = ("score", "percent", "possible")


class LightResult:
    """A result's state as the rollup reads it (`excluded_reason`, `as_input`), from its stored JSON."""

    __slots__ = ("attributable", "assessed_at", "associated_asset_id", *_TEXTS, *_NUMBERS)

    def __init__(self, state: dict[str, Any]) -> None:
        for name in _TEXTS + ("associated_asset_id",):
            value = state.get(name)
            if value is not None and type(value) is not str:
                raise ValueError(name)
            setattr(self, name, value)
        for name in _NUMBERS:
            value = state.get(name)
            if value is not None and type(value) not in (int, float):
                raise ValueError(name)
            setattr(self, name, None if value is None else float(value))
        attributable, at = state.get("attributable", True), state.get("assessed_at")
        if type(attributable) is not bool or (at is not None and type(at) is not str):
            raise ValueError("attributable/assessed_at")
        self.attributable = attributable
        self.assessed_at = None if at is None else datetime.fromisoformat(at)
        if self.assessed_at is not None and self.assessed_at.tzinfo is None:
            raise ValueError("assessed_at")


def light_result(row: tuple) -> Any:
    """A stored result (packed.ROW's columns) as a `LightResult`; one that is not plain is read by pydantic,
    as queries do."""
    try:
        return LightResult({"id": row[1], **packed.values("result", row[-1])})  # id: the key column
    except (ValueError, TypeError):
        return packed.load("result", row)


def light_results(view: View, match: dict[str, str]) -> list[Any]:
    """The current results matching course / outcome (/ user_uuid), in `View.states`'s order, as light rows."""
    assert not view.is_cut and set(match) <= {"course", "outcome", "user_uuid"}
    cond = "".join(f" AND c.{k} = ?" for k in match)
    rows = view.conn.execute(
        f"SELECT {packed.columns('v.')} FROM entity_current{view.suffix} c JOIN entity_versions{view.suffix} v "
        f"ON v.position = c.position WHERE c.root = ? AND c.kind = 'result'{cond}",
        (view.root, *match.values()),
    ).fetchall()
    return [light_result(r) for r in rows]


@dataclass
class CourseContext:
    """Per-course facts shared by every outcome of the course inside one view."""

    mode: str
    account: str | None
    root_local: str | None
    scales: list = field(default_factory=list)
    methods: list = field(default_factory=list)
    legacy_decay: bool = False


def course_context(view: View, course: str) -> CourseContext:
    mode = effective_mode(view.setting("mode", "auto"), view.any_event(("scale", "method")))
    ctx = CourseContext(
        mode,
        view.course_account(course),
        view.root_local_id(),
        legacy_decay=view.setting("standard-decay", "true") == "legacy",
    )
    if mode == "scale":
        ctx.scales, ctx.methods = view.states("scale"), view.states("method")
    return ctx


@dataclass
class Unit:
    """The computed mastery of one outcome in one course: rules, per-student scores, and exclusions."""

    course: str
    outcome_id: str
    outcome: Any
    rules: Rules
    scores: dict[str, RollupScore]
    counted: dict[str, list] = field(default_factory=dict)
    excluded: dict[str, list] = field(default_factory=dict)


def unit_rules(
    view: View, course: str, outcome_id: str, ctx: CourseContext, override: Callable[[Rules], Rules] | None = None
) -> Unit:
    """The outcome and the rules in force for it in the course (or a what-if's), before any result is read."""
    outcome = view.one("outcome", outcome_id)
    found = rules(ctx.mode, outcome_id, outcome, course, ctx.account, ctx.root_local, ctx.scales, ctx.methods)
    return Unit(course, outcome_id, outcome, override(found) if override else found, {})


def compute(
    view: View,
    course: str,
    outcome_id: str,
    ctx: CourseContext | None = None,
    user: str | None = None,
    override: Callable[[Rules], Rules] | None = None,
    light: bool = False,
) -> Unit:
    """Every student's (or one student's) mastery of one outcome in one course, inside the view.

    `light` (the drain): results as light rows and numbers-only scores, no steps or arithmetic."""
    ctx = ctx or course_context(view, course)
    unit = unit_rules(view, course, outcome_id, ctx, override)
    links = view.states("link", course=course, outcome=outcome_id)
    match = {"course": course, "outcome": outcome_id} | ({} if user is None else {"user_uuid": user})
    outcome = unit.outcome
    light = light and LIGHT and not view.is_cut
    for result in light_results(view, match) if light else view.states("result", **match):
        reason = excluded_reason(result, outcome, links)
        bucket = unit.excluded if reason else unit.counted
        bucket.setdefault(result.user_uuid or "", []).append((result, reason) if reason else result)
    score = rollup_numbers if light else rollup
    for student, results in unit.counted.items():
        unit.scores[student] = score(
            [as_input(r) for r in results], unit.rules.scale, unit.rules.method, legacy_decay=ctx.legacy_decay
        )
    return unit


def rows(root: str, unit: Unit) -> list[dict[str, Any]]:
    """The mastery table rows of a computed unit."""
    out = []
    for student, score in unit.scores.items():
        r, m, s = score.rating, unit.rules.method, unit.rules.scale
        out.append(
            {
                "root": root,
                "course": unit.course,
                "user_uuid": student,
                "outcome": unit.outcome_id,
                "score": score.score,
                "count": score.count,
                "submitted_at": score.submitted_at,
                "rating_description": r.description if r else None,
                "rating_points": r.points if r else None,
                "rating_color": r.color if r else None,
                "rating_mastery": None if r is None else int(r.mastery),
                "mastery": None if score.mastery is None else int(score.mastery),
                "method": m.name,
                "method_int": m.int,
                "method_source": m.source,
                "scale_source": s.source,
                "points_possible": s.points_possible,
                "mastery_points": s.mastery_points,
                "mode": unit.rules.mode,
            }
        )
    return out


def _recomputed_users(users: set[str | None]) -> list[str | None]:
    """The students to recompute of one unit: all of them at once (None) when many changed."""
    return [None] if None in users or len(users) > 3 else [*sorted(u for u in users if u is not None)]


def share_of(key: str, of: int) -> int:
    """A unit's share (0 … of-1) of a split drain: stable across processes (not Python's salted hash)."""
    return zlib.crc32(key.encode()) % of


class MasteryProjection:
    """Keeps the mastery table current from the history projection's changes.

    A page of events only queues the units it touches (`mastery_dirty`, in the page's transaction);
    `drain` recomputes them afterwards, so a unit touched by many pages of a bulk ingest (or every unit,
    when a root account's scale changes) is computed once, and a crash leaves the queue to finish.
    """

    name, version, topics = NAME, VERSION, TOPICS

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix

    def mark(self, conn: sqlite3.Connection, changes: list[Change]) -> None:
        """Queue every unit the changes of one page touch (in the page's transaction); `drain` computes them."""
        units = {u for change in changes for u in self._units(conn, change)}
        conn.executemany(
            f"INSERT OR IGNORE INTO mastery_dirty{self.suffix} (root, course, outcome, user_uuid) VALUES (?, ?, ?, ?)",
            [(r, c, o, u or "") for r, c, o, u in units],
        )

    def drain(self, conn: sqlite3.Connection, limit: int = -1, share: tuple[int, int] | None = None) -> int:
        """Recompute about `limit` queued rows, write their units and clear them; return how many rows
        (the caller holds the write transaction). `share` (i, n): only the units whose hash is i mod n.

        A chunk ends with its last unit whole (the rest of that unit's queued rows come with it), so a unit
        straddling two chunks is computed once, not once in each."""
        queued, dirty = self._queued(conn, limit, share)
        self.recompute(conn, dirty)
        self._clear(conn, queued)
        return len(queued)

    def _queued(self, conn: sqlite3.Connection, limit: int, share: tuple[int, int] | None) -> tuple[list, dict]:
        """About `limit` queued rows (of one share), the last unit whole, and the units they name."""
        where, params = "", cast(tuple[int, ...], ())
        if share is not None:
            conn.create_function("mastery_share", 2, share_of, deterministic=True)
            where, params = " WHERE mastery_share(course || char(31) || outcome, ?) = ?", (share[1], share[0])
        queued = conn.execute(
            f"SELECT root, course, outcome, user_uuid FROM mastery_dirty{self.suffix}{where} "
            "ORDER BY root, course, outcome LIMIT ?",
            (*params, limit),
        ).fetchall()
        if queued and len(queued) == limit:
            rest = conn.execute(
                f"SELECT root, course, outcome, user_uuid FROM mastery_dirty{self.suffix} "
                "WHERE root = ? AND course = ? AND outcome = ?",
                tuple(queued[-1][:3]),
            ).fetchall()
            queued = list(dict.fromkeys([tuple(q) for q in queued + rest]))
        dirty: dict[tuple[str, str, str], set[str | None]] = defaultdict(set)
        for root, course, outcome, user in queued:
            dirty[(root, course, outcome)].add(user or None)
        return queued, dirty

    def _clear(self, conn: sqlite3.Connection, queued: list) -> None:
        conn.executemany(
            f"DELETE FROM mastery_dirty{self.suffix} WHERE root = ? AND course = ? AND outcome = ? AND user_uuid = ?",
            queued,
        )

    def recompute(self, conn: sqlite3.Connection, dirty: dict[tuple[str, str, str], set[str | None]]) -> None:
        """Compute and write the rows of the given units (a whole unit when many of its students changed)."""
        contexts: dict[tuple[str, str], CourseContext] = {}
        for (root, course, outcome), users in dirty.items():
            for user in _recomputed_users(users):
                self._guarded(conn, contexts, root, course, outcome, user)

    def _compute(
        self, conn: sqlite3.Connection, contexts: dict, root: str, course: str, outcome: str, user: str | None
    ) -> Unit | Exception:
        """One unit computed (nothing written), or what it raised."""
        try:
            view = View(conn, root, suffix=self.suffix)
            ctx = contexts.get((root, course)) or contexts.setdefault((root, course), course_context(view, course))
            return compute(view, course, outcome, ctx, user, light=True)
        except Exception as error:
            return error

    def _guarded(
        self,
        conn: sqlite3.Connection,
        contexts: dict,
        root: str,
        course: str,
        outcome: str,
        user: str | None,
        computed: Unit | Exception | None = None,
    ) -> None:
        """Recompute one unit (or write one `computed` already) inside a SAVEPOINT; on failure its rows are
        removed and the reason recorded."""
        name = problems.unit_name(root, course, outcome, user)
        conn.execute("SAVEPOINT unit")
        try:
            unit = computed if computed is not None else self._compute(conn, contexts, root, course, outcome, user)
            if isinstance(unit, Exception):
                raise unit
            self.write(conn, root, unit, user)
            problems.clear_unit(conn, self.suffix, name)
            self._note_ignored(conn, root, unit, name)
        except Exception as error:
            conn.execute("ROLLBACK TO unit")
            self.write(conn, root, Unit(course, outcome, None, None, {}), user)  # type: ignore[arg-type]
            problems.record_unit(conn, self.suffix, name, f"recompute failed: {problems.describe(error)}")
        conn.execute("RELEASE unit")

    def _note_ignored(self, conn: sqlite3.Connection, root: str, unit: Unit, name: str) -> None:
        """Record each result a rollup left out (a scaled score that is not finite), by its event's position."""
        for student, score in unit.scores.items():
            for result_id in score.ignored:
                row = conn.execute(
                    f"SELECT position, (SELECT event_name FROM entity_versions{self.suffix} v "
                    f"WHERE v.position = c.position) FROM entity_current{self.suffix} c "
                    "WHERE root = ? AND kind = 'result' AND key = ?",
                    (root, result_id),
                ).fetchone()
                problems.record_unit(
                    conn,
                    self.suffix,
                    problems.unit_name(root, unit.course, unit.outcome_id, student),
                    f"result {result_id} left out of the rollup: its scaled score is not finite",
                    row[0] if row else None,
                    row[1] if row else None,
                )

    def write(self, conn: sqlite3.Connection, root: str, unit: Unit, user: str | None) -> None:
        where, params = "root = ? AND course = ? AND outcome = ?", [root, unit.course, unit.outcome_id]
        if user is not None:
            where, params = where + " AND user_uuid = ?", params + [user]
        conn.execute(f"DELETE FROM mastery{self.suffix} WHERE {where}", params)
        new = rows(root, unit)
        if new:
            cols = ", ".join(new[0])
            conn.executemany(
                f"INSERT INTO mastery{self.suffix} ({cols}) VALUES ({', '.join('?' * len(new[0]))})",
                [list(r.values()) for r in new],
            )

    def _units(self, conn: sqlite3.Connection, change: Change) -> list[tuple[str, str, str, str | None]]:
        root, kind = change.root, change.kind
        if kind == COURSE_ACCOUNT:
            return [] if change.course is None else self._course_units(conn, root, change.course)
        if kind == "result":
            units = [(root, change.course, change.outcome, change.user)]
            before = change.previous
            if before is not None and (before[0], before[1]) != (change.course, change.outcome):
                units += [(root, *before)]
            return [(r, c, o, u) for r, c, o, u in units if c and o]
        if kind == "outcome":
            return self._select(
                conn,
                "SELECT DISTINCT ?, course, outcome, NULL FROM entity_current{s} WHERE root = ? "
                "AND kind = 'result' AND outcome = ? AND course IS NOT NULL",
                (root, root, change.key),
            )
        if kind == "link":
            return [(root, change.course, change.outcome, None)] if change.course and change.outcome else []
        if kind in ("scale", "method"):
            return self.root_units(conn, root)
        return []

    def _course_units(self, conn: sqlite3.Connection, root: str, course: str) -> list:
        return self._select(
            conn,
            "SELECT DISTINCT ?, course, outcome, NULL FROM entity_current{s} WHERE root = ? "
            "AND kind = 'result' AND course = ?",
            (root, root, course),
        )

    def root_units(self, conn: sqlite3.Connection, root: str) -> list:
        return self._select(
            conn,
            "SELECT DISTINCT ?, course, outcome, NULL FROM entity_current{s} WHERE root = ? "
            "AND kind = 'result' AND course IS NOT NULL",
            (root, root),
        )

    def _select(self, conn: sqlite3.Connection, sql: str, params: tuple) -> list:
        return [tuple(r) for r in conn.execute(sql.format(s=self.suffix), params).fetchall()]

    def recompute_root(self, conn: sqlite3.Connection, root: str) -> None:
        """Recompute every unit of a root account (a settings change), in the caller's transaction."""
        conn.execute(f"DELETE FROM mastery{self.suffix} WHERE root = ?", (root,))
        self.recompute(conn, {(r, c, o): {None} for r, c, o, _ in self.root_units(conn, root)})
