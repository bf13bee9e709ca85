"""A machine that dies mid-ingest or while an ingest starts loses nothing and leaves no process: kill -9 a
real ingest, run it again, get one clean run's state."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthetic import generate, to_jsonl
from tests.conftest import ROOT, mastery
from tests.reliability.procs import children, in_session
from tests.reliability.test_orphaned_follower import is_follower, wait_for

pytestmark = pytest.mark.slow


def stream_with_bad_lines(path: Path, events: int) -> Path:
    with path.open("wb") as out:
        for i, line in enumerate(to_jsonl(generate(events, seed=21))):
            out.write(line)
            if i % 2500 == 17:
                out.write(b'{"metadata": {"event_name": "learning_outcome_created"}, "body": broken\n')
    return path


def state_of(db: Path) -> dict:
    """What must equal one clean run: folded states, read-model rows, stored events, quarantine (no times)."""
    conn = sqlite3.connect(db)
    try:
        return {
            "current": sorted(
                conn.execute(
                    "SELECT c.root, c.kind, c.key, c.fold_key, v.state FROM entity_current c "
                    "JOIN entity_versions v ON v.position = c.position"
                )
            ),
            "mastery": sorted(conn.execute("SELECT * FROM mastery"), key=repr),
            "events": sorted(
                conn.execute(
                    "SELECT originator_id, topic, hash FROM stored_events "
                    "JOIN event_hashes ON position = stored_events.rowid"
                )
            ),
            "quarantine": sorted(conn.execute("SELECT raw_hash, source, line, reason, status FROM quarantine")),
            "versions": conn.execute("SELECT COUNT(*) FROM entity_versions").fetchone(),
        }
    finally:
        conn.close()


def progress(db: Path) -> tuple[int, int, int]:
    """(events stored, position the read model reached, mastery units still queued) of an interrupted run."""
    conn = sqlite3.connect(db)
    try:
        stored = conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
        tracked = conn.execute("SELECT MIN(position) FROM rm_tracking").fetchone()[0] or 0
        queued = conn.execute("SELECT COUNT(*) FROM mastery_dirty").fetchone()[0]
        return stored, tracked, queued
    except sqlite3.OperationalError:  # killed before the tables existed
        return 0, 0, 0
    finally:
        conn.close()


def start_ingest(store: Path, source: Path) -> subprocess.Popen:
    """A real ingest in a session of its own, so that every process it starts can be found by its session.

    The store gets a copy of the clean run's key table: the dedup hashes `state_of` compares are keyed
    per person (issue 15), so only a store with the same people's keys can equal the clean run."""
    clean_keys = source.parent / "clean.db.keys"
    if clean_keys.exists():
        shutil.copy(clean_keys, f"{store}.keys")
    code = "from cli.main import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "--store", str(store), "ingest", str(source), "--json"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> tuple[Path, dict]:
    """A stream of 20,000 events (23 MB: the ingest starts a follower) and the state one clean run leaves."""
    folder = tmp_path_factory.mktemp("crash")
    source = stream_with_bad_lines(folder / "in.jsonl", 20_000)
    clean = folder / "clean.db"
    assert mastery("--store", str(clean), "ingest", str(source), "--json").returncode == 0
    expected = state_of(clean)
    assert expected["quarantine"] and expected["mastery"]
    return source, expected


def test_kill_minus_nine_mid_ingest_then_rerun_equals_one_clean_run(tmp_path, clean_run):
    source, expected = clean_run

    rng = random.Random(20261123)
    for attempt, delay in enumerate(rng.uniform(0.4, 2.6) for _ in range(5)):
        crashed = tmp_path / f"crashed{attempt}.db"
        process = start_ingest(crashed, source)
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert progress(crashed) != (len(expected["events"]),) * 2 + (0,), "the kill came after the ingest finished"
        rerun = mastery("--store", str(crashed), "ingest", str(source), "--json")
        assert rerun.returncode == 0, rerun.stderr
        assert state_of(crashed) == expected
        assert mastery("--store", str(crashed), "verify").returncode == 0
    assert not orphans(tmp_path), "a projecting process outlived its killed ingest"


def orphans(folder: Path, deadline: float = 10.0) -> list[str]:
    """Other processes still holding a file of this test open once deadline seconds have passed (the
    ingest's follower must not outlive it); any found are killed so that none outlives the test."""
    end = time.monotonic() + deadline
    while True:
        found = set()
        for fd in Path("/proc").glob("[0-9]*/fd/*"):
            try:
                if str(folder) in os.readlink(fd) and fd.parts[2] != str(os.getpid()):
                    found.add(fd.parts[2])
            except OSError:
                continue
        if not found or time.monotonic() > end:
            break
        time.sleep(0.05)
    for pid in found:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
    return sorted(found)


def test_kill_minus_nine_while_an_ingest_starts_leaves_no_process_and_a_rerun_equals_one_clean_run(tmp_path, clean_run):
    source, expected = clean_run
    moments = {  # the early moments of an ingest's life, each seen from outside
        "right after spawn": lambda process, store: True,
        "once its store file exists": lambda process, store: store.exists(),
        "while its follower starts": lambda process, store: any(map(is_follower, children(process.pid))),
    }
    for n, (moment, reached) in enumerate(moments.items()):
        crashed = tmp_path / f"early{n}.db"
        process = start_ingest(crashed, source)
        try:
            assert wait_for(lambda p=process, c=crashed, r=reached: r(p, c) or p.poll() is not None, 60), moment
            assert process.poll() is None, f"the ingest ended before {moment}"
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            assert wait_for(lambda pid=process.pid: not in_session(pid), 10.0), (
                f"killed {moment}: a process outlived it"
            )
        finally:
            for pid in in_session(process.pid):
                os.kill(pid, signal.SIGKILL)
        assert progress(crashed)[0] < len(expected["events"]), f"killed {moment}: after the ingest was done"
        rerun = mastery("--store", str(crashed), "ingest", str(source), "--json")
        assert rerun.returncode == 0, rerun.stderr
        assert state_of(crashed) == expected, f"killed {moment}: the rerun differs from one clean run"
        assert mastery("--store", str(crashed), "verify").returncode == 0


def test_kill_minus_nine_during_the_split_mastery_drain_leaves_no_process_and_a_rerun_equals_one_clean_run(
    tmp_path, clean_run
):
    """The last phase of a large ingest: every event stored and projected, the ingest and its follower each
    draining a share of the queued mastery units (projections/drain.py). Killed there, the follower stops
    at its next chunk, and a rerun leaves exactly what one clean run leaves."""
    source, expected = clean_run
    stored = len(expected["events"])

    def draining(p: Path) -> bool:
        done, tracked, queued = progress(p)
        return done == stored and tracked >= stored and queued > 0

    crashed = tmp_path / "drain.db"
    process = start_ingest(crashed, source)
    try:
        end = time.monotonic() + 120
        while not draining(crashed) and process.poll() is None and time.monotonic() < end:
            time.sleep(0.002)  # the drain of 20,000 events lasts a fraction of a second
        assert process.poll() is None, "the ingest ended before its drain was seen"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        left = wait_for(lambda: not in_session(process.pid), 10.0) or [
            (pid, Path(f"/proc/{pid}/cmdline").read_bytes()[:300], Path(f"/proc/{pid}/wchan").read_text())
            for pid in in_session(process.pid)
        ]
        assert left is True, f"a process outlived the killed ingest: {left}"
    finally:
        for pid in in_session(process.pid):
            os.kill(pid, signal.SIGKILL)
    rerun = mastery("--store", str(crashed), "ingest", str(source), "--json")
    assert rerun.returncode == 0, rerun.stderr
    assert state_of(crashed) == expected
