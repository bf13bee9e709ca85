"""The narrative end-to-end test: the Canvas documentation's payloads in, through the real CLI, answers out.

The whole story runs the real `mastery` process (console entry point's code, exit codes, stdout); the
other tests call the same group in process."""

from __future__ import annotations

import json
import random

from projections.queries.people import NO_ENROLLMENTS
from tests.conftest import STUDENT, mastery, mastery_json, mastery_process, seed_events, write_jsonl


def ingest(tmp_path, events, name="in.jsonl", *extra):
    path = write_jsonl(tmp_path / name, events)
    return mastery_json("--store", str(tmp_path / "s.db"), "ingest", str(path), *extra)


def process_json(*args: str) -> dict:
    return json.loads(mastery_process(*args, "--json", check=True).stdout)


def test_seed_payloads_tell_the_whole_story(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    counts = process_json(*store, "ingest", str(write_jsonl(tmp_path / "in.jsonl", seed_events("current"))))
    assert counts.pop("head").startswith("10:")
    assert counts == {"read": 10, "appended": 10, "duplicates": 0, "quarantined": 0, "ignored": 0}

    # Outcome 12345 is the creation's state (5 Nov is later than the update's 1 Nov) ...
    now = process_json(*store, "outcome", "12345")
    assert now["rubric_criterion"]["mastery_points"] == 2 and now["last_event_name"] == "learning_outcome_created"
    # ... and as of 2 Nov it was the update's: mastery 3, six ratings.
    then = process_json(*store, "outcome", "12345", "--as-of", "2019-11-02T00:00:00Z")
    assert then["rubric_criterion"]["mastery_points"] == 3 and len(then["rubric_criterion"]["ratings"]) == 6

    # The student's mastery of outcome 1 in course 1: the root account's scale applies now ...
    rollups = process_json(*store, "rollups", "--course", "1")
    score = rollups["rollups"][0]["scores"][0]
    assert rollups["rollups"][0]["links"] == {"user": STUDENT, "course": "1"}
    assert (score["score"], score["rating"]["description"], score["rating"]["color"], score["mastery"]) == (
        4.0,
        "Exceeds Mastery",
        "02672D",
        True,
    )
    no_enrollments = {"known": False, "note": NO_ENROLLMENTS}
    assert rollups["meta"] == {"as_of": None, "known_at": None, "mode": "scale", "enrollments": no_enrollments}
    # ... and on 1 Dec 2019 no scale existed yet: outcome mode, Canvas's default criterion.
    past = process_json(*store, "rollups", "--course", "1", "--as-of", "2019-12-01")
    score = past["rollups"][0]["scores"][0]
    assert (score["score"], score["rating"]["description"], score["rating"]["color"]) == (
        5.0,
        "Exceeds Expectations",
        "0374B5",
    )
    assert past["meta"]["mode"] == "outcome" and past["meta"]["as_of"] == "2019-12-01T23:59:59.999Z"

    # Who changed outcome 12345: the update by oxana, then the course-copy creation, with the diff.
    trail = process_json(*store, "audit", "outcome", "12345")["entries"]
    assert [(e["event_name"], e["actor"]["user_login"], e["actor"]["job_tag"]) for e in trail] == [
        ("learning_outcome_updated", "oxana@example.com", None),
        ("learning_outcome_created", None, "Canvas::Migration::Worker::CourseCopyWorker#perform"),
    ]
    changes = {c["field"]: (c["before"], c["after"]) for c in trail[1]["changes"]}
    assert changes["rubric_criterion.mastery_points"] == (3, 2)
    assert changes["rubric_criterion.points_possible"] == (5, 3)
    assert changes["rubric_criterion.ratings (count)"] == (6, 4)
    assert any("creation follows" in n for n in trail[1]["notes"])

    assert mastery_process(*store, "verify").returncode == 0


def test_any_order_and_any_repetition_of_the_seeds_gives_the_same_answers(tmp_path):
    events = seed_events("current") + seed_events("legacy")
    answers = []
    for trial in range(3):
        shuffled = events * (trial + 1)
        random.Random(trial).shuffle(shuffled)
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        counts = ingest(folder, shuffled)
        assert counts["appended"] == 14 and counts["read"] == len(shuffled)
        store = ("--store", str(folder / "s.db"))
        answers.append(
            (
                mastery_json(*store, "outcome", "12345"),
                mastery_json(*store, "rollups", "--course", "1"),
                mastery_json(*store, "tree"),
            )
        )
    for answer in answers[1:]:
        assert answer[0]["rubric_criterion"] == answers[0][0]["rubric_criterion"]
        assert answer[1:] == answers[0][1:]


def test_both_seed_files_ingest_with_every_item_accounted_for(tmp_path):
    store = str(tmp_path / "s.db")
    for generation in ("current", "legacy"):
        path = write_jsonl(tmp_path / f"{generation}.jsonl", seed_events(generation))
        counts = mastery_json("--store", store, "ingest", str(path))
        assert counts["read"] == 10
        assert counts["read"] == counts["appended"] + counts["duplicates"] + counts["quarantined"] + counts["ignored"]
    # The two pages share six payloads verbatim; results and scale colours differ.
    assert json.loads(mastery("--store", store, "verify", "--json").stdout)["checked"] == 14


def test_state_views_of_the_seeds_student_scale_tree_and_courses(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    ingest(tmp_path, seed_events("current"))
    roster = tmp_path / "roster.csv"
    roster.write_text(f"user_uuid,name,sis_id\n{STUDENT},Elena Student,S-42\n")
    mastery(*store, "roster", "import", str(roster), check=True)

    student = mastery_json(*store, "student", STUDENT)
    assert (student["name"], student["sis_id"]) == ("Elena Student", "S-42")
    assert [(s["course"], s["outcome"], s["score"]) for s in student["scores"]] == [("1", "1", 4.0)]
    assert mastery(*store, "student", "nobody").returncode == 1

    rules = mastery_json(*store, "scale", "--course", "1")
    assert (rules["mode"], rules["root_account_local_id"]) == ("scale", "1")
    (only,) = rules["outcomes"]
    assert only["scale_source"] == "root account 1 scale 1" and only["method"] == "highest"
    assert [r["color"] for r in only["ratings"]] == ["02672D", "03893D", "FAB901", "FD5D10", "E62429"]
    before = mastery_json(*store, "scale", "--course", "1", "--as-of", "2019-12-01")
    assert before["mode"] == "outcome" and before["outcomes"][0]["scale_source"].startswith("Canvas default criterion")

    tree = mastery_json(*store, "tree")
    assert [o["id"] for o in tree["orphans"]] == ["75033"]  # its parent 75032 was never seen
    assert tree["orphans"][0]["path"] == ["Official Standards for K-12 Math Education"]
    assert {c["course"] for c in mastery_json(*store, "courses")["courses"]} >= {"1", "565"}
    table = mastery(*store, "rollups", "--course", "1", check=True).stdout.decode()
    assert "Elena Student" in table and "4" in table
