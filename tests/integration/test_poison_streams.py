"""Poison beside good events in one entity's own stream, and stored records that cannot be read.

The fold of an entity skips what it cannot use and says so; export writes every record as stored and
audit names the positions it could not read (issue 10 item 1b, DESIGN decision 10).
"""

from __future__ import annotations

import json

from domain.events import parse
from projections import problems
from projections.queries.outcome_rollups import rollups
from projections.runner import catch_up
from projections.schema import connect
from store.application import open_store
from tests import builders as b
from tests.conftest import mastery
from tests.integration.poison_world import GOOD_COURSE, good_events, poisoned, put, scores


def test_a_stored_record_that_cannot_be_read_is_skipped_with_its_reason(tmp_path):
    """A record no mapper can read (written by the library's own insert, as a future bug might): the page
    around it is read one record at a time and the rest of the history is applied."""
    import uuid

    from eventsourcing.persistence import StoredEvent

    path = str(tmp_path / "store.db")
    store, db = open_store(path), connect(path)
    good = good_events()
    store.append(good[:2])
    store.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "domain.events:LearningOutcomeCreated", b"{not json")])
    store.append(good[2:5])
    assert catch_up(store, db.conn) == 6
    assert scores(rollups(db.conn, b.ROOT, "5")) == GOOD_COURSE
    answer = problems.listing(store, db.conn)
    assert [(p["position"], p["type"]) for p in answer["problems"]] == [(3, "learning_outcome_created")]
    assert "JSONDecodeError" in answer["problems"][0]["reason"]
    assert answer["counts"] == {"stored": 6, "applied": 5, "skipped": 1, "excluded": 0}
    store.close()
    db.conn.close()


def outcome_seven_poison(world) -> dict[str, int]:
    """Outcome 7's own stream gets a good rename, a poison update after it and a record that cannot be read;
    then the world's store and read model are closed, for the commands to open."""
    from eventsourcing.persistence import StoredEvent

    store = world["store"]
    rename = parse(b.outcome("7", 2, method="average", updated=True, title="Renamed"))
    bad = poisoned(b.outcome("7", 3, method="average", updated=True), put("display_name", {"not": "a string"}))
    (first, _), (second, _) = store.append([rename, bad]).appended
    store.recorder.insert_events(
        [StoredEvent(rename.stream_id, 1000, "domain.events:LearningOutcomeUpdated", b"{not json")]
    )
    at = {"rename": first, "poison": second, "unreadable": store.head()}
    world["conn"].close()
    store.close()
    return at


def test_mastery_outcome_folds_around_poison_in_its_own_stream_and_skips_exclusions(world):
    at = outcome_seven_poison(world)
    store_arg = ["--store", world["path"]]
    state = json.loads(mastery(*store_arg, "outcome", "7", "--json", check=True).stdout)
    assert (state["title"], state["display_name"], state["events"]) == ("Renamed 7", None, 2)
    only_poison = mastery(*store_arg, "outcome", "8", "--json")  # its one event cannot be folded
    assert only_poison.returncode == 1 and b"Traceback" not in only_poison.stderr
    assert b"outcome 8 has no events" in only_poison.stderr
    assert mastery(*store_arg, "problems", "exclude", str(at["rename"])).returncode == 0
    state = json.loads(mastery(*store_arg, "outcome", "7", "--json", check=True).stdout)
    assert (state["title"], state["events"]) == ("Outcome 7", 1)  # the excluded rename is skipped too


def test_the_http_outcome_answers_200_beside_poison_in_its_own_stream(world, tmp_path):
    from tests.web.conftest import TOKEN, in_process, stop

    outcome_seven_poison(world)
    server = in_process(world["path"], {"MASTERY_INGEST_TOKEN": TOKEN})
    try:
        answer = server.get("/api/v1/outcomes/7")
        assert answer.status_code == 200, answer.text
        assert (answer.json()["id"], answer.json()["title"]) == (7, "Renamed 7")  # the rename beside poison
        assert server.get("/api/v1/outcomes/8").status_code == 404
    finally:
        stop(server)


def test_export_writes_every_stored_record_as_stored_and_a_re_ingest_loses_nothing(world, tmp_path):
    import contextlib
    import sqlite3

    import orjson

    from store import codec, quarantine

    outcome_seven_poison(world)
    with contextlib.closing(sqlite3.connect(world["path"])) as raw:
        states = [bytes(r[0]) for r in raw.execute("SELECT state FROM stored_events ORDER BY rowid")]
    out = tmp_path / "export.jsonl"
    mastery("--store", world["path"], "export", "-o", str(out), check=True)
    lines = out.read_bytes().splitlines()
    assert len(lines) == len(states) == 21
    opened = open_store(world["path"])  # a stored event's personal values are sealed: export opens them
    try:
        for line, state in zip(lines, states, strict=True):
            if state == b"{not json":
                assert orjson.loads(line)["unreadable_record"]["state"] == "{not json"
            else:
                stored = orjson.loads(codec.decode(state))["event"]
                assert "personal" in stored or "user_uuid" not in stored["body"]  # sealed where personal
                assert line == orjson.dumps(opened.mapper.open_event(stored))  # the Canvas event as it arrived
    finally:
        opened.close()
    again = mastery("--store", str(tmp_path / "again.db"), "ingest", "--json", str(out))
    assert again.returncode == 0, again.stderr
    counts = json.loads(again.stdout)
    assert counts["read"] == counts["appended"] + counts["quarantined"] == len(lines)
    copy_store = open_store(str(tmp_path / "again.db"))
    try:
        kept = {orjson.dumps(e.event) for _, e in copy_store.iter_all()}
        kept |= {quarantine.show(copy_store, i["id"])["raw_text"].encode() for i in quarantine.list_items(copy_store)}
    finally:
        copy_store.close()
    assert kept == set(lines)  # each line is stored again or quarantined with its text: nothing lost


def test_audit_lists_what_it_can_and_names_the_positions_it_could_not_read(world):
    at = outcome_seven_poison(world)
    store_arg = ["--store", world["path"]]
    trail = mastery(*store_arg, "audit", "outcome", "7", "--json")
    assert trail.returncode == 0, trail.stderr
    answer = json.loads(trail.stdout)
    assert [e["position"] for e in answer["entries"]] == [1, at["rename"], at["poison"]]  # 1: its creation
    unread = [(u["position"], u["type"]) for u in answer["unreadable"]]
    assert unread == [(at["unreadable"], "learning_outcome_updated")]
    assert "JSONDecodeError" in answer["unreadable"][0]["reason"]
    actor = json.loads(mastery(*store_arg, "audit", "--actor", "teacher@example.com", "--json", check=True).stdout)
    assert {at["rename"], at["poison"]} <= {e["position"] for e in actor["entries"]}
    assert {at["unreadable"], world["poison"]["huge result context"]} <= {u["position"] for u in actor["unreadable"]}
    only_poison = mastery(*store_arg, "audit", "result", "504")  # its one event cannot be folded
    assert only_poison.returncode == 1 and b"Traceback" not in only_poison.stderr
    assert f"position {world['poison']['huge result context']}".encode() in only_poison.stderr
    assert mastery(*store_arg, "audit", "outcome", "7").returncode == 0  # the rendered trail too
