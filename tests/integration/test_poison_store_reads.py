"""The store's own reads never fail on a poison event, on SQLite and PostgreSQL (issue 10 item 1).

Beside good events, outcome 7's stream holds a poison update (its state cannot be read back) and a record
no mapper can read (written by the library's own insert, as a future bug might). A page read, a full scan
and an entity fold must answer from the other events, say which records they could not read, and skip
excluded positions. The poison helpers come from test_poison_events.py (which is at its size limit).
"""

from __future__ import annotations

from eventsourcing.persistence import StoredEvent

from domain.events import CanvasEvent, parse
from domain.fold import projector
from domain.outcome import evolve
from store.application import open_store
from tests import builders as b
from tests.integration.poison_world import good_events, poisoned, put


def seeded(url: str):
    """A store with the good course, then outcome 7's rename, its poison update and an unreadable record."""
    store = open_store(url)
    good = good_events()
    store.append(good[:3])
    rename = parse(b.outcome("7", 2, method="average", updated=True, title="Renamed"))
    bad = poisoned(b.outcome("7", 3, method="average", updated=True), put("display_name", {"not": "a string"}))
    (first, _), (second, _) = store.append([rename, bad]).appended
    store.recorder.insert_events(
        [StoredEvent(rename.stream_id, 1000, "domain.events:LearningOutcomeUpdated", b"{not json")]
    )
    unreadable = store.head()
    store.append(good[3:])
    return store, {"rename": first, "poison": second, "unreadable": unreadable}


def test_page_reads_and_full_scans_leave_out_an_unreadable_record_and_say_where_it_is(store_url):
    store, at = seeded(store_url)
    try:
        total = store.head()
        assert [p for p, _ in store.notifications()] == [p for p in range(1, total + 1) if p != at["unreadable"]]
        events, bad = store.read()
        assert len(events) == total - 1
        assert [(u.position, u.topic, u.state) for u in bad] == [
            (at["unreadable"], "domain.events:LearningOutcomeUpdated", b"{not json")
        ]
        assert [p for p, _ in store.iter_all(page=2)] == [p for p, _ in events]  # pages that hold it and not
        every = list(store.iter_all(page=2, unreadable=True))
        assert [p for p, _ in every] == list(range(1, total + 1))
        assert not isinstance(dict(every)[at["unreadable"]], CanvasEvent)  # an Unreadable, raw state kept
    finally:
        store.close()


def test_an_entity_fold_skips_poison_unreadable_and_excluded_events(store_url):
    store, at = seeded(store_url)
    try:
        records, bad = store.read_stream(b.ROOT, "outcome", "7")
        assert [p for p, _ in records] == [1, at["rename"], at["poison"]]
        assert [u.position for u in bad] == [at["unreadable"]]
        assert [e.originator_version for e in store.stream(b.ROOT, "outcome", "7")] == [1, 2, 3]
        skipped: list = []
        state = store.fold(b.ROOT, "outcome", "7", projector(evolve, skipped=skipped))
        assert (state.title, state.display_name, state.events) == ("Renamed 7", None, 2)
        assert [e.originator_version for e, _ in skipped] == [3]  # the poison update, with its error
        assert "display_name" in str(skipped[0][1])
        state = store.fold(b.ROOT, "outcome", "7", projector(evolve), excluded={at["rename"]})
        assert (state.title, state.events) == ("Outcome 7", 1)
        assert store.fold(b.ROOT, "outcome", "7", projector(evolve), excluded={1, at["rename"]}) is None
        assert store.fold(b.ROOT, "outcome", "nope", projector(evolve)) is None
    finally:
        store.close()
