"""The history projection hands the mastery projection typed `Change` records: each entity change names
the refs its current row now has and the ones it had before the page; each course account change names
its course."""

from __future__ import annotations

import dataclasses
import json

import pytest

from projections.changes import COURSE_ACCOUNT, Change
from projections.history import HistoryProjection
from projections.schema import connect
from sources import RawItem
from store.application import open_store
from store.ingest import ingest
from synthetic import generate


def _refs(conn) -> dict[tuple, tuple]:
    return {
        tuple(r[:3]): tuple(r[3:])
        for r in conn.execute("SELECT root, kind, key, course, outcome, user_uuid FROM entity_current").fetchall()
    }


@pytest.fixture
def pages(tmp_path):
    events = list(generate(600, seed=5))
    store = open_store(str(tmp_path / "store.db"))
    ingest(store, [RawItem("test", i + 1, json.dumps(e), e, None) for i, e in enumerate(events)], batch_size=500)
    batch, unreadable = store.read(0, 10_000)
    store.close()
    assert batch and not unreadable
    half = len(batch) // 2
    yield connect(str(tmp_path / "rm.db")).conn, batch[:half], batch[half:]


def test_every_change_is_a_frozen_change_naming_the_refs_the_current_row_now_has(pages):
    conn, first, _ = pages
    changes: list = []
    HistoryProjection().handle_page(conn, first, changes)
    assert changes and all(isinstance(c, Change) for c in changes)
    with pytest.raises(dataclasses.FrozenInstanceError):
        changes[0].course = "elsewhere"
    now = _refs(conn)
    entities = [c for c in changes if c.kind != COURSE_ACCOUNT]
    assert {c.kind for c in entities} >= {"outcome", "link", "result"}
    for c in entities:
        assert (c.course, c.outcome, c.user) == now[(c.root, c.kind, c.key)]
        assert c.previous is None  # a fresh read model: every entity is new
    accounts = [c for c in changes if c.kind == COURSE_ACCOUNT]
    assert accounts and all(c.key is None and c.course for c in accounts)


def test_a_later_page_names_the_refs_each_entity_had_before_it(pages):
    conn, first, second = pages
    HistoryProjection().handle_page(conn, first, [])
    before = _refs(conn)
    changes: list = []
    HistoryProjection().handle_page(conn, second, changes)
    seen = [c for c in changes if c.kind != COURSE_ACCOUNT and (c.root, c.kind, c.key) in before]
    assert seen
    for c in seen:
        assert c.previous == before[(c.root, c.kind, c.key)]
