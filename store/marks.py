"""What a store location holds before the library opens it, and how it may be opened.

The `eventsourcing` library opens any path it is given read-write, switches it to WAL and creates its
tables: a read would then create a store at a typo's path or add our tables to someone else's database.
So a store is looked at first, here, without writing a byte to it: a SQLite file's header says whether it
is SQLite at all and carries our mark (`PRAGMA application_id` = `APPLICATION_ID`, `PRAGMA user_version`
= `SCHEMA_VERSION`, written when the store is created); a file without the mark is ours only when it holds
our tables (a store made before the mark), and it is marked when next opened for writing.

Access is what a command needs: "create" (ingest, roster import, demo: a missing store is made), "write"
(an existing store is changed) or "read" (an existing store is opened `mode=ro`, or `immutable=1` when
its folder is read-only so that SQLite cannot make the WAL's shared-memory file beside it).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

Access = Literal["create", "write", "read"]
ACCESSES: tuple[Access, ...] = ("create", "write", "read")

APPLICATION_ID = 0x4F4D5354  # "OMST": an outcome-mastery event store (PRAGMA application_id, 1330467668)
SCHEMA_VERSION = 1  # PRAGMA user_version of the store's tables
SQLITE_HEADER = b"SQLite format 3\x00"
STORE_TABLES = frozenset({"stored_events", "event_chain", "event_hashes", "store_meta"})
HINT = "give --store or MASTERY_STORE; the demo's is demo/mastery.db"


class NotAStore(Exception):
    """The location holds no store of ours (missing, a folder, not SQLite, another program's database)."""


@dataclass(frozen=True)
class Found:
    """What a SQLite store path holds: `kind` is missing, empty, ours, unmarked (ours, made before the
    mark), foreign, not-sqlite or folder; `newer` when its schema version is above ours."""

    path: Path
    kind: str
    newer: bool = False


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))


def inspect(path: Path) -> Found:
    """What is at `path`, read without changing it (the header, then the table names if needed)."""
    if path.is_dir():
        return Found(path, "folder")
    if not path.exists():
        return Found(path, "missing")
    with path.open("rb") as f:
        header = f.read(100)
    if not header:
        return Found(path, "empty")
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        return Found(path, "not-sqlite")
    app_id = int.from_bytes(header[68:72], "big")
    version = int.from_bytes(header[60:64], "big")
    if app_id == APPLICATION_ID:
        return Found(path, "ours", newer=version > SCHEMA_VERSION)
    # Unmarked in the file itself: the mark may still sit in the WAL (a store being created right now),
    # or the file predates the mark. Ask SQLite, read-only.
    app_id, version, tables = _look_inside(path)
    if app_id == APPLICATION_ID:
        return Found(path, "ours", newer=version > SCHEMA_VERSION)
    if app_id != 0:
        return Found(path, "foreign")
    if STORE_TABLES <= tables:
        return Found(path, "unmarked")
    return Found(path, "empty" if not tables else "foreign")


def _look_inside(path: Path) -> tuple[int, int, set[str]]:
    conn = sqlite3.connect(read_uri(path), uri=True)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return int(app_id), int(version), {r[0] for r in rows}
    finally:
        conn.close()


def writable(path: Path) -> bool:
    """Whether this process may write the file and make files beside it (the WAL, its shared memory).
    A read-only filesystem says no even to root; permission bits say no to everyone else."""
    return _folder_writable(path) and (not path.exists() or os.access(path, os.W_OK))


def _folder_writable(path: Path) -> bool:
    return os.access(path.parent if str(path.parent) else Path("."), os.W_OK)


def read_uri(path: Path) -> str:
    """A URI opening `path` read-only: `mode=ro`, plus `immutable=1` when its folder cannot be written
    (SQLite could not make the WAL's shared-memory file there, and nobody can be writing there either) —
    unless a WAL with content lies beside it, which `immutable` would ignore."""
    base = f"file:{quote(str(path.resolve()))}?mode=ro"
    wal = Path(f"{path}-wal")
    if _folder_writable(path) or (wal.exists() and wal.stat().st_size > 0):
        return base
    return base + "&immutable=1"


def check(found: Found, access: Access) -> None:
    """Refuse what `access` may not open (NotAStore, with the message a user sees)."""
    path = found.path
    if found.kind == "folder":
        raise NotAStore(f"{path} is a folder, not a store file ({HINT})")
    if found.kind == "not-sqlite":
        raise NotAStore(f"{path} is not a SQLite database, so not an outcome-mastery store ({HINT})")
    if found.kind == "foreign":
        raise NotAStore(f"{path} is a SQLite database but not an outcome-mastery store; it was left as it was")
    if found.newer:
        raise NotAStore(f"{path} was made by a newer outcome-mastery (store schema above {SCHEMA_VERSION})")
    if found.kind in ("missing", "empty") and access != "create":
        raise NotAStore(f"no store at {path} ({HINT})")
    if access != "read" and found.kind != "missing" and not writable(path):
        raise NotAStore(f"store {path} is read-only (this command writes to it); queries can still read it")


def require_tables(found: set[str], events_table: str, where: str, schema: str) -> None:
    """Refuse a PostgreSQL schema that lacks a store's tables (`found`: the tables it holds)."""
    missing = sorted({events_table, "event_chain", "event_hashes", "store_meta"} - found)
    if missing:
        held = "holds no tables" if not found else f"holds {len(found)} table(s) but not {', '.join(missing)}"
        raise NotAStore(f"no outcome-mastery store at {where} (schema {schema!r} {held}); `mastery ingest` creates one")
