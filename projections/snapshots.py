"""Named snapshots: a cut (as of a time, as known at a time) kept under a name, per root account.

Report cards are made from one cut; a year later the same name must give the same numbers. A snapshot
pins both times: `as_of` (the state of that moment) and `known_at` (only events recorded by then; the
moment it was made when not given), so events delivered later never change what it shows. Snapshots are
settings of the read model (like `config set`), kept through `rebuild`; they are never changed or
deleted once made, so a name always means the cut it was made with.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from domain.values import display_time, iso, parse_time

MAX_NAME = 200


class SnapshotError(ValueError):
    """A snapshot that cannot be made or found as asked (the message says why)."""


@dataclass(frozen=True)
class Snapshot:
    name: str
    as_of: datetime
    known_at: datetime
    created_at: datetime
    note: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "as_of": display_time(self.as_of),
            "known_at": display_time(self.known_at),
            "created_at": display_time(self.created_at),
            "note": self.note,
        }


def ensure(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS snapshots (root TEXT NOT NULL, name TEXT NOT NULL, as_of TEXT NOT NULL, "
        "known_at TEXT NOT NULL, created_at TEXT NOT NULL, note TEXT, PRIMARY KEY (root, name))"
    )


def checked_name(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise SnapshotError('a snapshot needs a name (e.g. "Q1 report cards")')
    if len(text) > MAX_NAME:
        raise SnapshotError(f"a snapshot name has at most {MAX_NAME} characters (this one has {len(text)})")
    return text


def create(
    conn: sqlite3.Connection,
    root: str,
    name: str,
    as_of: datetime,
    known_at: datetime,
    now: datetime,
    note: str | None = None,
) -> Snapshot:
    """Keep a new snapshot; a name already taken in this root account is refused, never overwritten."""
    name = checked_name(name)
    if known_at > now:
        raise SnapshotError(f"known at {display_time(known_at)} is in the future: nothing is known beyond now")
    ensure(conn)
    found = get(conn, root, name)
    if found is not None:
        raise SnapshotError(
            f"snapshot {name!r} exists (as of {display_time(found.as_of)}, known at "
            f"{display_time(found.known_at)}); snapshots are never changed: choose another name"
        )
    conn.execute(
        "INSERT INTO snapshots (root, name, as_of, known_at, created_at, note) VALUES (?, ?, ?, ?, ?, ?)",
        (root, name, iso(as_of), iso(known_at), iso(now), note),
    )
    return Snapshot(name, as_of, known_at, now, note)


def get(conn: sqlite3.Connection, root: str, name: str) -> Snapshot | None:
    if not _exists(conn):
        return None
    row = conn.execute(
        "SELECT name, as_of, known_at, created_at, note FROM snapshots WHERE root = ? AND name = ?",
        (root, " ".join(name.split())),
    ).fetchone()
    return _snapshot(row) if row else None


def listed(conn: sqlite3.Connection, root: str) -> list[Snapshot]:
    """Every snapshot of the root account, the newest first."""
    if not _exists(conn):
        return []
    rows = conn.execute(
        "SELECT name, as_of, known_at, created_at, note FROM snapshots WHERE root = ? ORDER BY created_at DESC, name",
        (root,),
    ).fetchall()
    return [_snapshot(r) for r in rows]


def _exists(conn: sqlite3.Connection) -> bool:
    return (
        conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshots'").fetchone() is not None
    )


def _snapshot(row: tuple) -> Snapshot:
    name, as_of, known_at, created_at, note = row
    return Snapshot(name, parse_time(as_of), parse_time(known_at), parse_time(created_at), note)
