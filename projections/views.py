"""Reading entity states from the history read model, now or inside an as-of / known-at cut.

`View(db, root)` reads the current tables; `View(db, root, as_of=…, known_at=…)` reads the versions
table and keeps, per entity, the greatest fold key inside the cut. Both return the same folded state
objects, so every query and the mastery calculation run the same code for "now" and "as of".
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.canvas import iso
from projections import packed

FILTERS = {"course", "outcome", "user_uuid", "key"}


@dataclass
class View:
    """The states of one root account's entities, now (no cut) or as of a cut."""

    conn: sqlite3.Connection
    root: str
    as_of: datetime | None = None
    known_at: datetime | None = None
    suffix: str = ""

    @property
    def is_cut(self) -> bool:
        return self.as_of is not None or self.known_at is not None

    def states(self, kind: str, **match: str | None) -> list[Any]:
        """States of one kind, matching course / outcome / user_uuid / key exactly where given."""
        assert set(match) <= FILTERS, match
        cond = "".join(f" AND {'c' if not self.is_cut else 'v'}.{k} = ?" for k in match)
        if not self.is_cut:
            rows = self.conn.execute(
                f"SELECT {packed.columns('v.')} FROM entity_current{self.suffix} c JOIN entity_versions{self.suffix} v "
                f"ON v.position = c.position WHERE c.root = ? AND c.kind = ?{cond}",
                (self.root, kind, *match.values()),
            ).fetchall()
            return [packed.load(kind, r) for r in rows]
        cut, cut_params = self._cut()
        rows = self.conn.execute(
            f"SELECT {packed.columns()} FROM entity_versions{self.suffix} v WHERE root = ? AND kind = ?{cond}{cut}",
            (self.root, kind, *match.values(), *cut_params),
        ).fetchall()
        return _latest(kind, rows)

    def states_among(self, kind: str, column: str, values: set[str] | list[str]) -> list[Any]:
        """States of one kind whose `column` (key or user_uuid) is one of `values` (chunked look-ups)."""
        assert column in ("key", "user_uuid"), column
        wanted, found = sorted(set(values)), []
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ",".join("?" * len(part))
            if not self.is_cut:
                rows = self.conn.execute(
                    f"SELECT {packed.columns('v.')} FROM entity_current{self.suffix} c "
                    f"JOIN entity_versions{self.suffix} v "
                    f"ON v.position = c.position WHERE c.root = ? AND c.kind = ? AND c.{column} IN ({marks})",
                    (self.root, kind, *part),
                ).fetchall()
                found += [packed.load(kind, r) for r in rows]
                continue
            cut, cut_params = self._cut()
            rows = self.conn.execute(
                f"SELECT {packed.columns()} FROM entity_versions{self.suffix} WHERE root = ? AND kind = ? "
                f"AND {column} IN ({marks}){cut}",
                (self.root, kind, *part, *cut_params),
            ).fetchall()
            found += _latest(kind, rows)
        return found

    def outcomes_with_results(self, course: str) -> set[str]:
        """Outcomes any result in the course (inside the cut) is for."""
        table, alias = (f"entity_versions{self.suffix}", "v") if self.is_cut else (f"entity_current{self.suffix}", "c")
        cut, params = self._cut() if self.is_cut else ("", ())
        rows = self.conn.execute(
            f"SELECT DISTINCT outcome FROM {table} {alias} WHERE root = ? AND kind = 'result' AND course = ?{cut}",
            (self.root, course, *params),
        ).fetchall()
        return {r[0] for r in rows if r[0]}

    def cut_sql(self) -> tuple[str, tuple]:
        """The SQL condition (and its parameters) of this view's cut on a versions-like table."""
        return self._cut()

    def _cut(self) -> tuple[str, tuple]:
        sql, params = "", []
        if self.as_of is not None:
            sql += " AND event_time <= ?"
            params.append(iso(self.as_of))
        if self.known_at is not None:
            sql += " AND recorded_at <= ?"
            params.append(iso(self.known_at))
        return sql, tuple(params)

    def one(self, kind: str, key: str) -> Any:
        found = self.states(kind, key=key)
        return found[0] if found else None

    def any_event(self, kinds: tuple[str, ...]) -> bool:
        """Whether the cut holds any event of these kinds for this root account."""
        marks = ",".join("?" * len(kinds))
        cut, params = self._cut()
        row = self.conn.execute(
            f"SELECT 1 FROM entity_versions{self.suffix} WHERE root = ? AND kind IN ({marks}){cut} LIMIT 1",
            (self.root, *kinds, *params),
        ).fetchone()
        return row is not None

    def course_account(self, course: str) -> str | None:
        """The course's account, as last learned inside the cut.

        At equal event times the greater account id wins, so arrival order never decides.
        """
        cut, params = self._cut()
        row = self.conn.execute(
            f"SELECT account FROM course_accounts{self.suffix} WHERE root = ? AND course = ?"
            f"{cut} ORDER BY event_time DESC, account DESC LIMIT 1",
            (self.root, course, *params),
        ).fetchone()
        return row[0] if row else None

    def root_local_id(self) -> str | None:
        row = self.conn.execute(f"SELECT local_id FROM roots{self.suffix} WHERE root = ?", (self.root,)).fetchone()
        return row[0] if row else None

    def setting(self, key: str, default: str) -> str:
        row = self.conn.execute("SELECT value FROM settings WHERE root = ? AND key = ?", (self.root, key)).fetchone()
        return row[0] if row else default


def _latest(kind: str, rows: list[tuple]) -> list[Any]:
    """Per entity, the state of the row with the greatest fold key (rows: packed.ROW's columns)."""
    best: dict[str, tuple] = {}
    for row in rows:
        key, fold_key = row[1], row[4]
        if key not in best or best[key][4] < fold_key:
            best[key] = row
    return [packed.load(kind, row) for row in best.values()]
