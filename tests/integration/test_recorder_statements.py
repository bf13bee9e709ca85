"""Dialect SQL lives on the recorders: the SQLite and PostgreSQL recorders each say their parameter mark,
position column and "no limit", and the store, the quarantine and the problems listing call one method
each, which answers the same on both databases."""

from __future__ import annotations

import re

import pytest

from domain.events import parse
from domain.ids import stream_id
from store import quarantine
from store.application import open_store
from store.persistence import BadItem
from tests.conftest import ROOT, SEED_ROOT, seed_events


@pytest.fixture
def store(store_url, tmp_path):
    s = open_store(store_url, chain_key=None, state_home=str(tmp_path))
    s.append(
        [parse(e) for e in seed_events()],
        [BadItem(f"{{oops {i}", "dump.jsonl", i, "invalid JSON") for i in range(1, 4)],
    )
    yield s
    s.close()


def test_the_store_quarantine_and_problems_modules_choose_no_sql_dialect():
    for path in ("store/application.py", "store/quarantine.py", "projections/problems.py"):
        text = (ROOT / path).read_text()
        assert not re.search(r'"%s"|\browid\b|\bnotification_id\b|is_postgres else', text), path


def test_a_streams_records_come_in_version_order_with_their_positions(store):
    records = store.recorder.stream_records(stream_id(SEED_ROOT, "outcome", "12345"))
    assert [int(r["version"]) for r in records] == list(range(1, len(records) + 1))
    assert len(records) >= 2 and all(1 <= int(r["position"]) <= store.head() for r in records)
    assert [p for p, _ in store.read_stream(SEED_ROOT, "outcome", "12345")[0]] == [int(r["position"]) for r in records]


def test_positions_and_the_chain_read_the_same_on_both_databases(store):
    recorder = store.recorder
    assert recorder.count_positions() == store.head() == 10
    assert (recorder.count_positions(3), recorder.count_positions(11)) == (1, 0)
    page = recorder.chain_page(2, 4)
    assert [row[0] for row in page] == [3, 4, 5, 6] and all(row[-1] for row in page)
    assert recorder.link_at(3) == page[0][-1] and recorder.link_at(99) is None
    assert recorder.orphan_link() is None
    assert store.verify()[1] is None


def test_the_quarantine_lists_counts_pages_and_marks_on_both_databases(store):
    everything = quarantine.list_items(store)  # no limit: "-1" on SQLite, "ALL" on PostgreSQL
    assert [i["line"] for i in everything] == [1, 2, 3] and quarantine.count(store) == 3
    assert [i["line"] for i in quarantine.list_items(store, limit=1, offset=1)] == [2]
    first = everything[0]["id"]
    assert store.recorder.open_quarantine_ids(first, 10) == [i["id"] for i in everything[1:]]
    assert quarantine.show(store, first)["raw_text"] == "{oops 1" and quarantine.show(store, 10_000) is None
    report = quarantine.retry(store, [first])
    assert report["still_bad"] and quarantine.show(store, first)["status"] == "open"
    store.recorder.mark_quarantine(first, "dismissed", "2026-01-01T00:00:00+00:00", "by hand")
    assert quarantine.count(store) == 2 and quarantine.count(store, None) == 3
    assert quarantine.list_items(store, "dismissed")[0]["note"] == "by hand"
