"""Concurrent writers: two ingests and a rebuild on one SQLite store, four ingests on PostgreSQL.
Nothing is lost or doubled, and "database is locked" never reaches a user."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from synthetic import generate, to_jsonl
from tests.conftest import ROOT, mastery

pytestmark = pytest.mark.slow
CODE = "from cli.main import main; main()"


def write_stream(path, events, seed):
    path.write_bytes(b"".join(to_jsonl(generate(events, seed=seed))))
    return path


def start(*args):
    return subprocess.Popen(
        [sys.executable, "-c", CODE, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def finish(procs):
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()
        assert b"locked" not in err and b"Traceback" not in err
        results.append(out)
    return results


def test_two_ingests_and_a_rebuild_on_one_sqlite_store(tmp_path):
    a = write_stream(tmp_path / "a.jsonl", 8000, 1)
    both = tmp_path / "b.jsonl"  # overlaps with a: half of a, then its own events
    both.write_bytes(
        b"".join(a.read_bytes().splitlines(keepends=True)[::2]) + b"".join(to_jsonl(generate(4000, seed=2)))
    )
    store = ("--store", str(tmp_path / "s.db"))
    mastery(*store, "ingest", str(write_stream(tmp_path / "warm.jsonl", 500, 3)), check=True)
    outs = finish(
        [
            start(*store, "ingest", str(a), "--json"),
            start(*store, "ingest", str(both), "--json"),
            start(*store, "rebuild", "--json"),
        ]
    )
    counts = [json.loads(o) for o in outs[:2]]
    for c in counts:
        assert c["read"] == c["appended"] + c["duplicates"] + c["quarantined"] + c["ignored"]
    clean = ("--store", str(tmp_path / "clean.db"))
    for source in (tmp_path / "warm.jsonl", a, both):
        mastery(*clean, "ingest", str(source), check=True)
    got, want = (sqlite3.connect(tmp_path / name) for name in ("s.db", "clean.db"))
    query = "SELECT COUNT(*), COUNT(DISTINCT hash) FROM event_hashes"
    assert got.execute(query).fetchone() == want.execute(query).fetchone()
    assert (
        got.execute("SELECT COUNT(*) FROM stored_events").fetchone()
        == want.execute("SELECT COUNT(*) FROM stored_events").fetchone()
    )
    rows = "SELECT root, course, user_uuid, outcome, score, rating_description FROM mastery ORDER BY 1, 2, 3, 4"
    mastery(*store, "courses", "--account", "x", check=False)  # any query catches the read model up
    finish([start(*store, "verify")])
    assert list(got.execute(rows)) == list(want.execute(rows))


def test_four_ingests_into_postgresql_lose_and_double_nothing(tmp_path, pg_url):
    sources = [write_stream(tmp_path / f"{i}.jsonl", 3000, seed=i % 2) for i in range(4)]  # pairs overlap fully
    # the store is made first (a read such as `verify` no longer creates one): an ingest of nothing
    mastery("--store", pg_url, "--read-db", str(tmp_path / "r0.db"), "ingest", "-", input=b"", check=True)
    outs = finish(
        [
            start("--store", pg_url, "--read-db", str(tmp_path / f"r{i}.db"), "ingest", str(s), "--json")
            for i, s in enumerate(sources)
        ]
    )
    appended = sum(json.loads(o)["appended"] for o in outs)
    clean = tmp_path / "clean.db"
    for s in sources[:2]:
        mastery("--store", str(clean), "ingest", str(s), check=True)
    distinct = sqlite3.connect(clean).execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    assert appended == distinct
    verify = json.loads(mastery("--store", pg_url, "--read-db", str(tmp_path / "r0.db"), "verify", "--json").stdout)
    assert verify["ok"] and verify["checked"] == distinct
