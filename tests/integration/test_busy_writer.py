"""A read that waits on another writer of the read model says so after a second, then goes on waiting
and writes once the other writer is done (real SQLite files, a real second connection holding the lock)."""

from __future__ import annotations

import sqlite3
import threading
import time

from projections.runner import NOTICE_AFTER_MS, write_transaction
from projections.schema import BUSY_TIMEOUT_MS, connect


def test_a_wait_on_another_writer_is_told_once_after_a_second_and_then_completes(tmp_path):
    path = tmp_path / "read.db"
    db = connect(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the writer lock
    told: list[float] = []
    done = threading.Event()
    started = time.monotonic()

    def write() -> None:
        with write_transaction(db.conn, lambda: told.append(time.monotonic() - started)):
            db.conn.execute("INSERT INTO rm_meta (key, value) VALUES ('k', 'v')")
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert not done.wait(NOTICE_AFTER_MS / 1000 + 1.0), "the lock is held: nothing can be written yet"
    assert len(told) == 1 and told[0] >= NOTICE_AFTER_MS / 1000 * 0.9
    other.execute("COMMIT")
    writer.join(10)
    assert done.is_set() and told == told[:1], "told once, then the write went through"
    assert db.conn.execute("SELECT value FROM rm_meta WHERE key = 'k'").fetchone() == ("v",)
    assert db.conn.execute("PRAGMA busy_timeout").fetchone() == (BUSY_TIMEOUT_MS,), "the full wait is back"
    other.close()


def test_an_uncontended_write_is_not_told(tmp_path):
    db = connect(tmp_path / "read.db")
    told: list[str] = []
    with write_transaction(db.conn, lambda: told.append("waiting")):
        db.conn.execute("INSERT INTO rm_meta (key, value) VALUES ('k', 'v')")
    assert told == []
