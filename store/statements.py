"""The store's own reads and writes outside the append (a stream's records, the hash chain, the quarantine,
positions) and the append's look-ups (stored hashes, next versions), written once for both recorders. Each recorder class says its dialect: the parameter mark
(`ph`), the column holding an event's position (`position`), how LIMIT says "no limit" (`no_limit`), and
what a statement's transaction needs first (`_scope`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

QUARANTINE_COLUMNS = "id, source, line, reason, received_at, status, resolved_at, note"
CHUNK = 500  # parameters per IN (...) look-up


class RecorderStatements:
    """Statements on the store's tables; mixed into the SQLite and PostgreSQL recorders."""

    ph = "?"
    position = "rowid"
    no_limit = "-1"
    datastore: Any
    events_table_name: str

    def _scope(self, c: Any) -> None:
        """What a transaction runs before its statement (PostgreSQL: the store's schema)."""

    def _stream_param(self, stream: UUID) -> Any:
        return stream

    def run(self, sql: str, params: Sequence[Any] = (), *, commit: bool = False) -> list[Any]:
        """Run one statement in its own transaction; its rows (none for a statement that returns none)."""
        with self.datastore.transaction(commit=commit) as c:
            self._scope(c)
            c.execute(sql, params)
            try:
                return list(c.fetchall())
            except Exception:  # a statement that returns no rows
                return []

    # -- look-ups of the append, in its write transaction (cursor `c`) -------------------------------
    def _existing(self, c: Any, table: str, column: str, values: set[str]) -> set[str]:
        found: set[str] = set()
        ordered = sorted(values)
        for i in range(0, len(ordered), CHUNK):
            part = ordered[i : i + CHUNK]
            marks = ",".join([self.ph] * len(part))
            c.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", part)
            found.update(row[column] for row in c.fetchall())
        return found

    def _next_versions(self, c: Any, streams: set[UUID]) -> dict[UUID, int]:
        versions = dict.fromkeys(streams, 1)
        ordered = sorted(streams)
        for i in range(0, len(ordered), CHUNK):
            part = [self._stream_param(s) for s in ordered[i : i + CHUNK]]
            marks = ",".join([self.ph] * len(part))
            c.execute(
                f"SELECT originator_id, MAX(originator_version) AS v FROM {self.events_table_name} "
                f"WHERE originator_id IN ({marks}) GROUP BY originator_id",
                part,
            )
            for row in c.fetchall():
                oid = row["originator_id"]
                versions[oid if isinstance(oid, UUID) else UUID(oid)] = row["v"] + 1
        return versions

    def stream_records(self, stream: UUID) -> list[Any]:
        """One stream's stored records in version order: position, version, topic, state."""
        return self.run(
            f"SELECT {self.position} AS position, originator_version AS version, topic, state "
            f"FROM {self.events_table_name} WHERE originator_id = {self.ph} ORDER BY originator_version",
            (self._stream_param(stream),),
        )

    def count_positions(self, position: int | None = None) -> int:
        """How many events are stored (or, given a position, whether one is stored there: 0 or 1)."""
        if position is None:
            rows = self.run(f"SELECT COUNT(*) AS n FROM {self.events_table_name}")
        else:
            rows = self.run(
                f"SELECT COUNT(*) AS n FROM {self.events_table_name} WHERE {self.position} = {self.ph}", (position,)
            )
        return int(rows[0]["n"]) if rows else 0

    def link_at(self, position: int) -> str | None:
        rows = self.run(f"SELECT hash FROM event_chain WHERE position = {self.ph}", (position,))
        return rows[0]["hash"] if rows else None

    def chain_page(self, after: int, page: int) -> list[tuple]:
        """Up to `page` events after a position with their chain link (None when it has none)."""
        pos = f"e.{self.position}"
        sql = (
            f"SELECT {pos} AS position, e.originator_id, e.originator_version, e.topic, e.state, c.hash "
            f"FROM {self.events_table_name} e LEFT JOIN event_chain c ON c.position = {pos} "
            f"WHERE {pos} > {self.ph} ORDER BY {pos} LIMIT {self.ph}"
        )
        return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in self.run(sql, (after, page))]

    def orphan_link(self) -> int | None:
        """The first chain link whose event is gone, if any."""
        rows = self.run(
            f"SELECT MIN(position) AS p FROM event_chain WHERE position NOT IN "
            f"(SELECT {self.position} FROM {self.events_table_name})"
        )
        value = rows[0]["p"] if rows else None
        return int(value) if value is not None else None

    def _status(self, status: str | None) -> tuple[str, list[Any]]:
        return (f"WHERE status = {self.ph}", [status]) if status else ("", [])

    def select_quarantine(self, status: str | None, limit: int | None, offset: int) -> list[Any]:
        """Quarantined items with the status (any when None), oldest first, `limit` of them from `offset`."""
        where, params = self._status(status)
        page = f" LIMIT {self.no_limit if limit is None else int(limit)} OFFSET {int(offset)}"
        return self.run(f"SELECT {QUARANTINE_COLUMNS} FROM quarantine {where} ORDER BY id{page}", params)

    def count_quarantine(self, status: str | None) -> int:
        where, params = self._status(status)
        return self.run(f"SELECT COUNT(*) AS n FROM quarantine {where}", params)[0]["n"]

    def open_quarantine_ids(self, after: int, page: int) -> list[int]:
        """Up to `page` open items' ids after an id, in order."""
        rows = self.run(
            f"SELECT id FROM quarantine WHERE status = 'open' AND id > {self.ph} ORDER BY id LIMIT {int(page)}", [after]
        )
        return [row["id"] for row in rows]

    def quarantine_item(self, item_id: int) -> Any | None:
        """One quarantined item with its raw text, or None."""
        rows = self.run(f"SELECT {QUARANTINE_COLUMNS}, raw_text FROM quarantine WHERE id = {self.ph}", [item_id])
        return rows[0] if rows else None

    def mark_quarantine(self, item_id: int, status: str, resolved_at: str | None, note: str) -> None:
        ph = self.ph
        self.run(
            f"UPDATE quarantine SET status = {ph}, resolved_at = {ph}, note = {ph} WHERE id = {ph}",
            [status, resolved_at, note, item_id],
            commit=True,
        )
