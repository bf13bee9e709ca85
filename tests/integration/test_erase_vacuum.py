"""`store.erasure.vacuum` rewrites a file that holds the event store only where no event position can move."""

from __future__ import annotations

import sqlite3


def _file_with_free_pages(path, rowids: list[int]) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, state BLOB)")
    for rowid in rowids:
        conn.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, state) VALUES (?, 'a', ?, x'00')",
            (rowid, rowid),
        )
    conn.execute("CREATE TABLE scratch (v BLOB)")
    conn.executemany("INSERT INTO scratch VALUES (randomblob(4000))", [()] * 50)
    conn.execute("DROP TABLE scratch")
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] > 0
    return conn


def test_positions_one_to_n_are_vacuumed_and_kept(tmp_path):
    from store.erasure import vacuum

    conn = _file_with_free_pages(tmp_path / "s.db", [1, 2, 3])
    vacuum(conn)
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert [r[0] for r in conn.execute("SELECT rowid FROM stored_events ORDER BY rowid")] == [1, 2, 3]


def test_positions_with_a_gap_are_never_risked(tmp_path):
    from store.erasure import vacuum

    conn = _file_with_free_pages(tmp_path / "s.db", [1, 3])
    vacuum(conn)
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] > 0  # left as it was
    assert [r[0] for r in conn.execute("SELECT rowid FROM stored_events ORDER BY rowid")] == [1, 3]
