"""A catch-up on the lean projection path writes the same read model, row for row, as today's path.

One real SQLite store holds a generated stream of a few thousand events and, appended after it, the
poison world's records (values no fold can use, overflowing numbers) that the lean path must leave to
today's path; two read-model files are caught up from it, one with the lean path and one with it switched
off (`lean.ENABLED`), and every table of both is compared (only the wall-clock columns are left out).
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from projections import lean
from projections.runner import catch_up
from projections.schema import connect
from sources import RawItem
from store.application import open_store
from store.ingest import ingest
from synthetic import generate
from tests.integration.poison_world import mixed_store, poison_events

CLOCK = {"rm_tracking": {"updated_at"}, "rm_problems": {"first_seen"}}  # when it ran, not what it found


def tables(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every table of a read model, its rows sorted, without the wall-clock columns."""
    found = {}
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    for name in names:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({name})") if r[1] not in CLOCK.get(name, ())]
        rows = conn.execute(f"SELECT {', '.join(columns)} FROM {name}").fetchall()
        found[name] = sorted(rows, key=lambda row: tuple((v is None, str(type(v)), str(v)) for v in row))
    return found


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    store = mixed_store(tmp_path_factory.mktemp("lean") / "store.db", seed=23)
    yield store
    store.close()


def caught_up(store, path: str, monkeypatch: pytest.MonkeyPatch, enabled: bool, page: int) -> dict:
    monkeypatch.setattr(lean, "ENABLED", enabled)
    db = connect(path)
    try:
        catch_up(store, db.conn, page=page)
        return tables(db.conn)
    finally:
        db.conn.close()


def test_the_lean_path_writes_the_same_read_model_as_todays(store, tmp_path, monkeypatch) -> None:
    before = caught_up(store, str(tmp_path / "today.db"), monkeypatch, False, 500)
    after = caught_up(store, str(tmp_path / "lean.db"), monkeypatch, True, 500)
    assert before.keys() == after.keys()
    for name in before:
        assert after[name] == before[name], name
    # The comparison means something: the stream was projected, results and all, and the poison recorded.
    kinds = {row[2] for row in after["entity_versions"]}
    assert {"result", "outcome", "user", "enrollment"} <= kinds
    assert len(after["entity_versions"]) > 3000 and len(after["mastery"]) > 100
    assert len(after["rm_problems"]) >= 7


def test_the_lean_path_takes_the_flat_kinds_and_leaves_the_poison(store) -> None:
    taken: dict[str, int] = {}
    left: list[str] = []
    for n in store.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False):
        event = lean.read(n.id, n.topic, n.state)
        kind = store.mapper.to_domain_event(n).kind
        if kind not in lean.SNAPSHOTS:
            assert event is None, kind  # outcomes and scales: nested bodies
        elif event is None:
            left.append(kind)
        else:
            taken[kind] = taken.get(kind, 0) + 1
    assert taken["result"] > 2000 and set(taken) == set(lean.SNAPSHOTS)
    # The poisoned records with an id no int() can read (a huge context id, root account id, outcome id).
    # The group whose editor's course account is huge is taken: its problem comes from the writer, as today.
    assert sorted(left) == ["link", "result", "result"]


def test_a_postgresql_store_gives_the_same_read_model_on_the_lean_path(pg_url, tmp_path, monkeypatch) -> None:
    store = open_store(pg_url)  # its records come back from psycopg, not sqlite3
    try:
        events = list(generate(600, seed=29))
        ingest(store, [RawItem("test", i + 1, json.dumps(e), e, None) for i, e in enumerate(events)], batch_size=300)
        assert store.append(list(poison_events().values())).appended
        before = caught_up(store, str(tmp_path / "today.db"), monkeypatch, False, 200)
        after = caught_up(store, str(tmp_path / "lean.db"), monkeypatch, True, 200)
        records = store.recorder.select_notifications(start=0, limit=10_000, inclusive_of_start=False)
        taken = sum(lean.read(n.id, n.topic, n.state) is not None for n in records)
    finally:
        store.close()
    assert after == before
    assert taken > 300 and len(after["entity_versions"]) > 400 and after["rm_problems"]
