"""Ctrl-C during a real ingest: both processes (the ingest and its projecting follower) stop quietly, exit
130 with what was stored and how to go on; a rerun of the same command stores the rest, nothing twice."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, mastery, mastery_json
from tests.reliability.procs import in_session
from tests.reliability.test_crash import state_of
from tests.reliability.test_orphaned_follower import is_follower, wait_for

pytestmark = pytest.mark.slow

EVENTS = 12_000  # about 14 MB: over the size at which the ingest starts a follower


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    """A generated stream (`mastery generate`) and the state one clean, uninterrupted ingest leaves."""
    folder = tmp_path_factory.mktemp("ctrl_c")
    source = folder / "big.jsonl"
    assert mastery("generate", "--events", str(EVENTS), "--seed", "7", "-o", str(source)).returncode == 0
    assert source.stat().st_size > 8_000_000
    clean = folder / "clean.db"
    assert mastery("--store", str(clean), "ingest", str(source), "--json").returncode == 0
    return source, state_of(clean)


def as_in_a_terminal() -> None:
    """Ctrl-C as a terminal's foreground command gets it: a test run started in the background (`cmd &`
    in a script, as a CI runner may) passes SIGINT on ignored, and Python then keeps it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stored(db: Path) -> int:
    """Events in the store so far, read without creating or changing anything."""
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:  # the tables are not made yet, or a writer holds the lock for a moment
        return 0


def follower_of(session: int) -> bool:
    return any(is_follower(pid) for pid in in_session(session))


@pytest.mark.parametrize("to", ["the terminal's process group", "the ingest only"])
def test_ctrl_c_stops_both_processes_quietly_with_exit_130_and_a_rerun_stores_the_rest(tmp_path, generated, to):
    source, expected = generated
    db = tmp_path / "s.db"
    # The clean run's key table: the dedup hashes `state_of` compares are keyed per person (issue 15).
    shutil.copy(source.parent / "clean.db.keys", f"{db}.keys")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASTERY_")}
    ingest = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", "--store", str(db), "ingest", str(source)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal gives a command; its pid is the group's
        preexec_fn=as_in_a_terminal,
    )
    try:
        assert wait_for(lambda: stored(db) > 0 and follower_of(ingest.pid) or ingest.poll() is not None, 120)
        assert ingest.poll() is None, "the ingest ended before it could be interrupted"
        if to == "the ingest only":
            os.kill(ingest.pid, signal.SIGINT)
        else:  # what Ctrl-C in a terminal does: SIGINT to every process of the foreground group
            os.killpg(ingest.pid, signal.SIGINT)
        out, err = ingest.communicate(timeout=60)
    finally:
        if ingest.poll() is None:
            os.killpg(ingest.pid, signal.SIGKILL)
            ingest.wait()
    message = err.decode()
    assert ingest.returncode == 130, message
    assert "Traceback" not in message and "KeyboardInterrupt" not in message, message
    kept = stored(db)
    assert 0 < kept < len(expected["events"])
    assert message.strip().endswith(
        f"stopped after {kept} events were stored; run the same command again to continue — nothing is stored twice"
    ), message
    assert wait_for(lambda: not in_session(ingest.pid), 10), "a process of the ingest outlived it"

    rerun = mastery_json("--store", str(db), "ingest", str(source))
    assert rerun["appended"] == len(expected["events"]) - kept
    assert rerun["read"] == rerun["appended"] + rerun["duplicates"] + rerun["quarantined"] + rerun["ignored"]
    assert state_of(db) == expected  # every input item accounted for once: one clean run's state
    assert mastery("--store", str(db), "verify").returncode == 0
