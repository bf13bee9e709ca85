"""The cheaper mastery drain and the bulk rebuild write the same read model, row for row, as before.

A real SQLite store holds a generated stream and, after it, the poison world's records (values no fold can
use, overflowing numbers, results whose scaled score is not finite). Read-model files caught up from it
with the light drain (`mastery.LIGHT`) and without it are compared table by table (only the wall-clock
columns left out, as in test_lean_equivalence.py).
"""

from __future__ import annotations

import json

import pytest

from projections import mastery
from projections.runner import catch_up
from projections.schema import connect
from sources import RawItem
from store.application import open_store
from store.ingest import ingest
from synthetic import generate
from tests.integration.poison_world import good_events, overflowing_events, poison_events
from tests.integration.test_lean_equivalence import tables


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("bulk") / "store.db"
    store = open_store(str(path))
    events = list(generate(4000, seed=31))
    ingest(store, [RawItem("test", i + 1, json.dumps(e), e, None) for i, e in enumerate(events)], batch_size=700)
    odd = good_events() + list(poison_events().values()) + list(overflowing_events().values())
    assert len(store.append(odd).appended) == len(odd)
    yield store
    store.close()


def caught_up(store, path: str, page: int = 500) -> dict:
    db = connect(path)
    try:
        catch_up(store, db.conn, page=page)
        return tables(db.conn)
    finally:
        db.conn.close()


def test_the_light_drain_writes_the_same_read_model_as_the_explaining_one(store, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(mastery, "LIGHT", False)
    before = caught_up(store, str(tmp_path / "explaining.db"))
    monkeypatch.setattr(mastery, "LIGHT", True)
    after = caught_up(store, str(tmp_path / "light.db"))
    assert before.keys() == after.keys()
    for name in before:
        assert after[name] == before[name], name
    # The comparison means something: many units, every method's numbers, the left-out results recorded.
    assert len(after["mastery"]) > 300
    assert len({row[12] for row in after["mastery"]}) >= 2  # the method column
    assert any("left out of the rollup" in str(row) for row in after["rm_problems"])
