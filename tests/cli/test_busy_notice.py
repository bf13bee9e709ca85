"""A query that waits on another writer of its read model says so after a second instead of sitting
silent, then answers once that writer commits (a real second SQLite connection holds the lock)."""

from __future__ import annotations

import sqlite3
import threading
import time

from tests.conftest import mastery, seed_events, write_jsonl


def test_a_query_behind_a_busy_writer_says_it_waits_then_answers(tmp_path):
    store, read_db = str(tmp_path / "s.db"), str(tmp_path / "read.db")
    events = seed_events("current")
    mastery("--store", store, "ingest", str(write_jsonl(tmp_path / "a.jsonl", events[:5])), check=True)
    mastery("--store", store, "--read-db", read_db, "courses", check=True)  # read.db is current
    mastery("--store", store, "ingest", str(write_jsonl(tmp_path / "b.jsonl", events[5:])), check=True)

    other = sqlite3.connect(read_db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing read.db
    ran: list = []
    query = threading.Thread(target=lambda: ran.append(mastery("--store", store, "--read-db", read_db, "courses")))
    started = time.monotonic()
    query.start()
    time.sleep(2.0)
    assert query.is_alive(), "the query waits for the writer"
    other.execute("COMMIT")
    other.close()
    query.join(30)
    assert ran and ran[0].returncode == 0, ran
    told = ran[0].stderr.decode()
    assert told.count("waiting for another process writing the read model") == 1 and read_db in told
    assert time.monotonic() - started >= 2.0
    quiet = mastery("--store", store, "--read-db", read_db, "courses")  # nobody else writes: nothing said
    assert quiet.returncode == 0 and b"waiting" not in quiet.stderr
