"""Stores are told apart from other files without changing them: our SQLite stores carry a mark
(application_id/user_version), older unmarked ones are known by their tables and marked by the next
write, another program's database or a non-SQLite file is refused and left byte for byte as it was, a
read-only store is read through mode=ro/immutable and still answers, and a PostgreSQL schema without
our tables is refused by reads and writes without a table being made.

Tests run as root here, and root ignores permission bits: the read-only folder is a real read-only bind
mount when the tests run as root (root cannot write there either), and chmod 0555 otherwise."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.events import parse
from store.application import StoreError, open_store
from store.marks import APPLICATION_ID, SCHEMA_VERSION
from tests.conftest import mastery, mastery_json, seed_events, write_jsonl


def _seeds(tmp_path: Path) -> str:
    return str(write_jsonl(tmp_path / "seeds.jsonl", seed_events()))


def _ingested(path: Path, tmp_path: Path) -> Path:
    mastery("--store", str(path), "ingest", _seeds(tmp_path), check=True)
    return path


def _marks(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA application_id").fetchone()[0], conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def _fingerprint(folder: Path, shm: bool = True) -> dict[str, tuple[str, int]]:
    """Every file of a folder: its content hash and modification time (ns). `shm=False` leaves out the
    WAL's shared-memory index, which every SQLite reader of a WAL file touches (it holds read locks, not
    data, and is rebuilt from the WAL when missing)."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if p.is_file() and (shm or not p.name.endswith("-shm"))
    }


def test_another_programs_sqlite_file_is_refused_by_every_command_and_left_byte_identical(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.executescript("CREATE TABLE grades (student TEXT, score REAL); INSERT INTO grades VALUES ('ana', 4.0);")
    conn.close()
    before = _fingerprint(tmp_path)
    for argv in (("courses",), ("rollups", "--course", "1"), ("config", "set", "mode", "scale"), ("ingest", "-")):
        result = mastery("--store", str(other), *argv, input=b"")
        assert result.returncode == 3, (argv, result.stderr)
        assert f"{other} is a SQLite database but not an outcome-mastery store" in result.stderr.decode()
    assert _fingerprint(tmp_path) == before  # same bytes, same mtime, and no -wal/-shm beside it
    tables = sqlite3.connect(other).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("grades",)]


def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("user_uuid,name\n" * 20)
    before = _fingerprint(tmp_path)
    for argv in (("courses",), ("ingest", "-")):
        result = mastery("--store", str(notes), *argv, input=b"")
        assert result.returncode == 3 and "notes.txt is not a SQLite database" in result.stderr.decode()
    folder = mastery("--store", str(tmp_path), "courses")
    assert folder.returncode == 3 and "is a folder, not a store file" in folder.stderr.decode()
    assert _fingerprint(tmp_path) == before


def test_a_store_from_before_the_mark_still_opens_and_the_next_write_marks_it(tmp_path):
    store = _ingested(tmp_path / "old.db", tmp_path)
    assert _marks(store) == (APPLICATION_ID, SCHEMA_VERSION)
    conn = sqlite3.connect(store)
    conn.execute("PRAGMA application_id = 0")
    conn.execute("PRAGMA user_version = 0")
    conn.close()
    assert mastery_json("--store", str(store), "courses")["courses"]  # known by its tables
    assert _marks(store) == (0, 0)  # a read does not mark it
    mastery("--store", str(store), "ingest", _seeds(tmp_path), check=True)
    assert _marks(store) == (APPLICATION_ID, SCHEMA_VERSION)


def test_a_store_of_a_newer_schema_is_refused(tmp_path):
    store = _ingested(tmp_path / "s.db", tmp_path)
    conn = sqlite3.connect(store)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    result = mastery("--store", str(store), "courses")
    assert result.returncode == 3 and "newer outcome-mastery" in result.stderr.decode()


def test_a_read_opens_the_store_mode_ro_and_leaves_its_bytes_and_mtime_unchanged(tmp_path):
    (tmp_path / "store").mkdir()
    store = _ingested(tmp_path / "store" / "s.db", tmp_path)
    read = open_store(str(store), access="read")
    try:
        assert "mode=ro" in read.factory.datastore.pool.db_name  # type: ignore[attr-defined]
        with pytest.raises(Exception, match="readonly"):
            read.query("INSERT INTO store_meta (key, value) VALUES ('x', 'y')", commit=True)
    finally:
        read.close()
    before = _fingerprint(store.parent, shm=False)
    read_db = str(tmp_path / "read.db")  # the read model elsewhere: the store and its WAL must not change
    assert mastery_json("--store", str(store), "--read-db", read_db, "courses")["courses"]
    assert mastery("--store", str(store), "--read-db", read_db, "rollups", "--course", "1", check=True).stdout
    assert _fingerprint(store.parent, shm=False) == before and set(before) >= {"s.db", "s.db-wal"}


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a writable folder, the same folder read-only): a read-only bind mount as root, chmod 0555 else."""
    source, view = tmp_path / "src", tmp_path / "ro"
    source.mkdir()
    view.mkdir()
    if os.geteuid() != 0:
        yield source, source
        return
    subprocess.run(["mount", "--bind", str(source), str(view)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
        yield source, view
    finally:
        subprocess.run(["umount", str(view)], check=False)
        if os.path.ismount(view):
            subprocess.run(["umount", "-l", str(view)], check=True)


def test_a_store_in_a_read_only_folder_is_read_and_answers_without_a_byte_changed(tmp_path, read_only_folder, caplog):
    writable, read_only = read_only_folder
    behind = open_store(str(writable / "behind.db"))  # appended through the store alone: no read model yet
    behind.append([parse(e) for e in seed_events()])
    behind.close()
    _ingested(writable / "current.db", tmp_path)
    mastery("--store", str(writable / "current.db"), "courses", check=True)  # caught up while still writable
    if read_only == writable:  # not root: the permission bits are obeyed
        for path in writable.iterdir():
            path.chmod(0o444)
        writable.chmod(0o555)
    assert not os.access(read_only, os.W_OK)  # really read-only for this process
    before = _fingerprint(writable)
    opened = open_store(str(read_only / "behind.db"), access="read")
    assert opened.factory.datastore.pool.db_name.endswith("?mode=ro&immutable=1")  # type: ignore[attr-defined]
    opened.close()
    try:
        for name, copied in (("behind.db", True), ("current.db", False)):
            store = str(read_only / name)
            caplog.clear()
            courses = mastery("--store", store, "courses", "--json")
            assert courses.returncode == 0, courses.stderr
            assert [c["course"] for c in json.loads(courses.stdout)["courses"]] == ["1", "565", "1234", "32054"]
            rollups = mastery("--store", store, "rollups", "--course", "1")
            assert rollups.returncode == 0 and b"course 1" in rollups.stdout, rollups.stderr
            # stderr for a user: a read model behind the store is caught up in a copy; a current one is read in place
            assert ("answering from a copy of its read model in memory" in caplog.text) is copied, (name, caplog.text)
            refused = mastery("--store", store, "ingest", _seeds(tmp_path))
            assert refused.returncode == 3 and "is read-only" in refused.stderr.decode()
        assert _fingerprint(writable) == before
    finally:
        writable.chmod(0o755)


def _pg_tables(url: str) -> list[str]:
    psycopg = pytest.importorskip("psycopg")
    base, schema = url.split("?schema=")
    with psycopg.connect(base) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", (schema,)
        ).fetchall()
    return [r[0] for r in rows]


def test_postgresql_reads_and_writes_refuse_a_schema_without_a_store_and_create_nothing(tmp_path, pg_url):
    read_db = str(tmp_path / "read.db")
    for argv in (("courses",), ("rollups", "--course", "1"), ("config", "set", "mode", "scale"), ("verify",)):
        result = mastery("--store", pg_url, "--read-db", read_db, *argv)
        assert result.returncode == 3, (argv, result.stderr)
        assert "no outcome-mastery store at postgresql://" in result.stderr.decode()
    assert _pg_tables(pg_url) == [] and not Path(read_db).exists()
    with pytest.raises(StoreError, match="holds no tables"):
        open_store(pg_url, access="read")
    mastery("--store", pg_url, "--read-db", read_db, "ingest", _seeds(tmp_path), check=True)
    assert {"event_chain", "mastery_events", "store_meta"} <= set(_pg_tables(pg_url))
    assert mastery_json("--store", pg_url, "--read-db", read_db, "courses")["courses"]


def test_a_read_model_file_of_its_own_is_marked_and_another_programs_database_is_not_used_as_one(tmp_path):
    from projections.schema import READ_MODEL_ID

    store = _ingested(tmp_path / "s.db", tmp_path)
    read = tmp_path / "read.db"
    assert mastery_json("--store", str(store), "--read-db", str(read), "courses")["courses"]
    assert _marks(read)[0] == READ_MODEL_ID
    given_as_store = mastery("--store", str(read), "courses")  # a read model is not a store
    assert given_as_store.returncode == 3 and "not an outcome-mastery store" in given_as_store.stderr.decode()
    other = tmp_path / "other" / "grades.db"
    other.parent.mkdir()
    conn = sqlite3.connect(other)
    conn.executescript("CREATE TABLE grades (student TEXT); INSERT INTO grades VALUES ('ana');")
    conn.close()
    before = _fingerprint(other.parent)
    refused = mastery("--store", str(store), "--read-db", str(other), "courses")
    assert refused.returncode == 3 and "not an outcome-mastery read model" in refused.stderr.decode()
    assert _fingerprint(other.parent) == before
