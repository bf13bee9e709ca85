"""A rebuild whose records are read by reader processes (projections/parallel.py) writes what one process
writes, and a rebuild killed while its readers run leaves the live tables and no process behind.

The store is the generated stream with the poison world's records after it; the readers are forced on
for it (`MIN_EVENTS`) and pages are made small, so that many pages, both readers and odd splits are used.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from projections import parallel
from projections import rebuild as rebuild_module
from projections.rebuild import exclude, rebuild
from projections.runner import catch_up
from projections.schema import claim, connect
from store.application import open_store
from tests.conftest import ROOT
from tests.integration.poison_world import mixed_store
from tests.integration.test_lean_equivalence import tables
from tests.reliability.procs import children


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    store = mixed_store(tmp_path_factory.mktemp("parallel") / "store.db", seed=47)
    yield store
    store.close()


def rebuilt(store, path: str, readers: bool, monkeypatch: pytest.MonkeyPatch, excluded: int | None = None) -> dict:
    monkeypatch.setattr(parallel, "MIN_EVENTS", 0 if readers else 10**9)
    monkeypatch.setattr(rebuild_module, "BULK_PAGE", 333)
    used: list[bool] = []
    pages = parallel.pages
    monkeypatch.setattr(parallel, "pages", lambda *a: used.append(True) or pages(*a))
    db = connect(path)
    try:
        catch_up(store, db.conn, page=500)
        report = exclude(store, db.conn, excluded, "test") if excluded else rebuild(store, db.conn)
        assert used == ([True] if readers else [])
        return {"report": report, **tables(db.conn)}
    finally:
        db.conn.close()


def test_a_rebuild_read_by_reader_processes_writes_the_same_tables(store, tmp_path, monkeypatch) -> None:
    one = rebuilt(store, str(tmp_path / "one.db"), False, monkeypatch)
    two = rebuilt(store, str(tmp_path / "two.db"), True, monkeypatch)
    assert one.keys() == two.keys()
    for name in one:
        assert two[name] == one[name], name
    assert len(two["entity_versions"]) > 3000 and len(two["mastery"]) > 100 and two["rm_problems"]


def test_an_exclusion_is_skipped_by_a_rebuild_read_in_processes(store, tmp_path, monkeypatch) -> None:
    db = connect(str(tmp_path / "probe.db"))
    catch_up(store, db.conn)
    (position,) = db.conn.execute("SELECT position FROM entity_versions WHERE kind = 'result' LIMIT 1 OFFSET 999")
    db.conn.close()
    one = rebuilt(store, str(tmp_path / "one.db"), False, monkeypatch, excluded=position[0])
    two = rebuilt(store, str(tmp_path / "two.db"), True, monkeypatch, excluded=position[0])
    for found in (one, two):
        found["rm_exclusions"] = [row[:2] for row in found["rm_exclusions"]]  # without when it was made
    assert two == one and one["rm_exclusions"] == [(position[0], "test")]
    assert position[0] not in {row[0] for row in two["entity_versions"]}


def caught_up_store(tmp_path, seed: int) -> tuple[str, dict]:
    """A mixed store of 6,000 events with its read model caught up (as a command's session stamps it),
    and its tables: what a killed rebuild must leave."""
    path = str(tmp_path / "store.db")
    mixed_store(tmp_path / "store.db", seed=seed, events=6000).close()
    live_store, db = open_store(path), connect(path)
    catch_up(live_store, db.conn)
    claim(db.conn, live_store.store_id)
    before = tables(db.conn)
    db.conn.close()
    live_store.close()
    return path, before


def test_a_rebuild_killed_while_its_readers_run_leaves_the_live_tables_and_no_process(tmp_path) -> None:
    path, before = caught_up_store(tmp_path, 53)
    code = (
        "import sys; from projections import parallel, rebuild; parallel.MIN_EVENTS = 0; rebuild.BULK_PAGE = 100; "
        "from cli.main import main; main()"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASTERY_")}
    proc = subprocess.Popen([sys.executable, "-c", code, "--store", path, "rebuild"], cwd=ROOT, env=env)
    readers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            readers.update(p for p in children(proc.pid) if "multiprocessing" in _cmdline(p))
            if _side_rows(path) > 500:
                break
            time.sleep(0.02)
        assert readers and _side_rows(path) > 500, "the rebuild never loaded with its readers"
        os.kill(proc.pid, signal.SIGKILL)  # mid-load
        proc.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(p) for p in readers):
            time.sleep(0.1)
        assert not any(_alive(p) for p in readers), "a reader outlived its killed rebuild"
    finally:
        if proc.poll() is None:
            proc.kill()
    live_tables_kept_and_rerun(path, before, code, env)


def live_tables_kept_and_rerun(path: str, before: dict, code: str, env: dict, check=None) -> None:
    """After a killed rebuild: the live tables are as they were (`check` looks at the file first), and a
    rebuild run again leaves every table as it was."""
    db = connect(path)
    try:
        if check is not None:
            check(db.conn)
        live = {k: v for k, v in tables(db.conn).items() if not k.endswith("_rebuild")}
        live["rm_tracking"] = [row for row in live["rm_tracking"] if not row[0].endswith("_rebuild")]
        assert live == before
    finally:
        db.conn.close()
    again = subprocess.run([sys.executable, "-c", code, "--store", path, "rebuild"], cwd=ROOT, env=env, timeout=300)
    assert again.returncode == 0
    db = connect(path)
    try:
        assert tables(db.conn) == before
    finally:
        db.conn.close()


def _side_rows(path: str) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM entity_versions_rebuild").fetchone()[0]
    except sqlite3.Error:
        return 0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_postgresql_store_rebuilt_with_readers_gives_the_same_tables(pg_url, tmp_path, monkeypatch) -> None:
    import json

    from sources import RawItem
    from store.ingest import ingest
    from synthetic import generate
    from tests.integration.poison_world import poison_events

    store = open_store(pg_url)  # the readers open it again by its URL
    try:
        events = list(generate(1500, seed=59))
        ingest(store, [RawItem("test", i + 1, json.dumps(e), e, None) for i, e in enumerate(events)], batch_size=300)
        assert store.append(list(poison_events().values())).appended
        one = rebuilt(store, str(tmp_path / "one.db"), False, monkeypatch)
        two = rebuilt(store, str(tmp_path / "two.db"), True, monkeypatch)
    finally:
        store.close()
    assert two == one and len(two["entity_versions"]) > 1000
