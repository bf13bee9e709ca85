"""A rebuild whose mastery drain is split over a worker process (projections/rebuild_drain.py) writes what the
one-process drain writes, and a rebuild killed while its drain worker runs leaves the live tables and no
process behind.

The store is the generated stream with the poison world's records after it; the split is forced on for it
(`MIN_UNITS`), and chunks are made small so that many chunks of both shares interleave.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from projections import rebuild_drain
from projections.mastery import share_of
from projections.rebuild import SIDE, rebuild
from projections.runner import catch_up
from projections.schema import connect
from tests.conftest import ROOT
from tests.integration.poison_world import mixed_store
from tests.integration.test_lean_equivalence import tables
from tests.integration.test_parallel_rebuild import _alive, _cmdline, caught_up_store, live_tables_kept_and_rerun
from tests.reliability.procs import children

DRAIN_SPLIT = rebuild_drain.drain_split  # the real one, under the spy of each rebuild below


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    store = mixed_store(tmp_path_factory.mktemp("rdrain") / "store.db", seed=61)
    yield store
    store.close()


def rebuilt(store, path: str, split: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, list]:
    """The tables after a rebuild, and per drain_split call: (split or not, units of the smaller share, rows left)."""
    monkeypatch.setattr(rebuild_drain, "MIN_UNITS", 0 if split else 10**9)
    monkeypatch.setattr(rebuild_drain, "CHUNK", 7)
    calls: list[tuple[bool, int, int]] = []

    def spied(conn: sqlite3.Connection, suffix: str) -> bool:
        units = conn.execute(f"SELECT course || char(31) || outcome FROM mastery_dirty{suffix}").fetchall()
        queued = min(sum(share_of(u, 2) == i for (u,) in units) for i in (0, 1))  # the smaller share's units
        done = DRAIN_SPLIT(conn, suffix)
        left = conn.execute(f"SELECT COUNT(*) FROM mastery_dirty{suffix}").fetchone()[0]
        calls.append((done, queued, left))
        return done

    monkeypatch.setattr(rebuild_drain, "drain_split", spied)
    db = connect(path)
    try:
        catch_up(store, db.conn, page=500)
        report = rebuild(store, db.conn)
        return {"report": report, **tables(db.conn)}, calls
    finally:
        db.conn.close()


def test_a_rebuild_drained_by_two_processes_writes_the_same_tables(store, tmp_path, monkeypatch) -> None:
    one, serial = rebuilt(store, str(tmp_path / "one.db"), False, monkeypatch)
    two, split = rebuilt(store, str(tmp_path / "two.db"), True, monkeypatch)
    assert [done for done, _, _ in serial] == [False]
    # split: both shares (each of 5 units or more) were drained before the serial rest: the worker's too
    assert len(split) == 1 and split[0][0] is True and split[0][1] >= 5 and split[0][2] == 0
    assert one.keys() == two.keys()
    for name in one:
        assert two[name] == one[name], name
    assert len(two["mastery"]) > 100 and two["report"]["changed"] == 0 and two["report"]["added"] == 0


def test_a_rebuild_killed_while_its_drain_worker_runs_leaves_the_live_tables_and_no_process(tmp_path) -> None:
    path, before = caught_up_store(tmp_path, 67)
    code = (
        "import sys; from projections import parallel, rebuild_drain; parallel.MIN_EVENTS = 10**9; "
        "rebuild_drain.MIN_UNITS = 0; rebuild_drain.CHUNK = 1; from cli.main import main; main()"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASTERY_")}
    proc = subprocess.Popen([sys.executable, "-c", code, "--store", path, "rebuild"], cwd=ROOT, env=env)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            workers.update(p for p in children(proc.pid) if "multiprocessing" in _cmdline(p))
            if workers and _side_mastery_rows(path) > 20:
                break
            time.sleep(0.02)
        assert workers and _side_mastery_rows(path) > 20, "the rebuild never drained with its worker"
        os.kill(proc.pid, signal.SIGKILL)  # mid-drain
        proc.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.1)
        assert not any(_alive(p) for p in workers), "a drain worker outlived its killed rebuild"
    finally:
        if proc.poll() is None:
            proc.kill()

    def killed_mid_drain(conn: sqlite3.Connection) -> None:
        assert conn.execute(f"SELECT COUNT(*) FROM mastery_dirty{SIDE}").fetchone()[0] > 0, "killed too late"

    live_tables_kept_and_rerun(path, before, code, env, killed_mid_drain)


def _side_mastery_rows(path: str) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM mastery{SIDE}").fetchone()[0]
    except sqlite3.Error:
        return 0
