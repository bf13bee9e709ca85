"""The synthetic Canvas Live Events stream: exact size, determinism, every rule exercised, bounded memory."""

from __future__ import annotations

import collections
import hashlib
import os
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import orjson
import pytest

from domain.events import REGISTRY
from synthetic import generate, to_jsonl

# People and places (tests/unit/test_synthetic_people.py): kept once domain has their event classes; until
# then `ingest` counts them as ignored. Either way, they are not the noise of `ignored_fraction`.
PEOPLE = {
    "user_created",
    "user_updated",
    "course_created",
    "course_updated",
    "course_section_created",
    "course_section_updated",
    "enrollment_created",
    "enrollment_updated",
    "enrollment_state_created",
    "enrollment_state_updated",
}
KEPT = set(REGISTRY) | PEOPLE  # every stored event type, and the people events
OUTCOME_KEPT = set(REGISTRY) - PEOPLE
METHODS = {
    "highest",
    "latest",
    "average",
    "decaying_average",
    "weighted_average",
    "standard_decaying_average",
    "n_mastery",
}
RESULTS = {"learning_outcome_result_created", "learning_outcome_result_updated"}
SHARDS = {2107, 2108}
GLOBAL = 10**13
EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
BODY_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def stream() -> list[dict]:
    return list(generate(20_000, seed=0))


def _name(event: dict) -> str:
    return event["metadata"]["event_name"]


def _named(stream: list[dict], *names: str) -> list[dict]:
    return [e for e in stream if _name(e) in names]


def _shard(event: dict) -> int:
    return int(event["metadata"]["root_account_id"]) // GLOBAL


def _ids(value, key: str = ""):
    """Every (key, value) of an `id` / `*_id` field, nested lists and dicts included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _ids(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _ids(item, key)
    elif key == "id" or key.endswith("_id"):
        yield key, value


@pytest.mark.parametrize("size", [0, 1, 7, 500, 5000])
def test_generate_yields_exactly_the_number_of_events_asked_for(size):
    assert sum(1 for _ in generate(size, seed=3)) == size


def test_the_same_seed_gives_byte_identical_json_lines():
    assert b"".join(to_jsonl(generate(3000, seed=5))) == b"".join(to_jsonl(generate(3000, seed=5)))


def test_a_different_seed_gives_a_different_stream():
    assert b"".join(to_jsonl(generate(3000, seed=5))) != b"".join(to_jsonl(generate(3000, seed=6)))


def test_output_does_not_depend_on_the_interpreters_hash_seed():
    code = (
        "import hashlib; from synthetic import generate, to_jsonl; "
        "print(hashlib.sha256(b''.join(to_jsonl(generate(2000, seed=9)))).hexdigest())"
    )
    root = Path(__file__).resolve().parents[2]
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert digests == {hashlib.sha256(b"".join(to_jsonl(generate(2000, seed=9)))).hexdigest() + "\n"}


def test_consumers_may_change_the_events_they_receive_without_changing_later_ones():
    clean = [orjson.dumps(e) for e in generate(5000, seed=2)]
    seen = []
    for event in generate(5000, seed=2):
        seen.append(orjson.dumps(event))
        for part in event.values():
            for value in part.values():
                if isinstance(value, (dict, list)):
                    value.clear()
            part.clear()
    assert seen == clean


def test_every_kept_event_name_appears_in_a_20k_stream(stream):
    assert KEPT <= {_name(e) for e in stream}


def test_ignored_event_types_make_up_about_the_ignored_fraction(stream):
    ignored = [e for e in stream if _name(e) not in KEPT]  # the people events take ~5% of the stream
    assert {_name(e) for e in ignored} >= {
        "submission_created",
        "submission_updated",
        "grade_change",
        "rubric_assessed",
        "logged_in",
        "asset_accessed",
    }
    assert 0.12 < len(ignored) / len(stream) < 0.18


def test_every_calculation_method_appears_with_valid_missing_and_invalid_ints(stream):
    outcomes = [e["body"] for e in _named(stream, "learning_outcome_created")]
    assert {b.get("calculation_method") for b in outcomes} >= METHODS | {None}
    pairs = {(b.get("calculation_method"), b.get("calculation_int")) for b in outcomes}
    assert ("highest", 65) in pairs  # as the seeds send it
    assert pairs & {("decaying_average", 0), ("decaying_average", 150)}
    assert ("decaying_average", None) in pairs and ("n_mastery", None) in pairs
    assert any(m == "n_mastery" and 1 <= (i or 0) <= 10 for m, i in pairs)


def test_outcomes_have_criteria_of_three_to_six_ratings_and_some_have_none(stream):
    outcomes = [e["body"] for e in _named(stream, "learning_outcome_created")]
    criteria = [b["rubric_criterion"] for b in outcomes if "rubric_criterion" in b]
    assert {len(c["ratings"]) for c in criteria} <= {3, 4, 5, 6}
    assert len({(c.get("points_possible"), c.get("mastery_points")) for c in criteria}) > 5
    assert len(criteria) < len(outcomes)


def test_exact_redeliveries_make_up_about_the_duplicate_fraction(stream):
    copies = collections.Counter(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in stream)
    assert 0.01 < sum(n - 1 for n in copies.values()) / len(stream) < 0.03


def test_some_events_arrive_after_a_later_event(stream):
    times = [e["metadata"]["event_time"] for e in stream]
    assert sum(later < earlier for earlier, later in zip(times, times[1:], strict=False)) > 0.02 * len(stream)


def test_without_late_or_duplicate_delivery_event_times_never_go_back():
    events = list(generate(5000, seed=4, duplicate_fraction=0, late_fraction=0))
    times = [e["metadata"]["event_time"] for e in events]
    assert times == sorted(times)
    assert len({orjson.dumps(e) for e in events}) == len(events)


def test_the_fractions_can_be_turned_off():
    events = list(generate(5000, seed=4, ignored_fraction=0, duplicate_fraction=0, legacy_fraction=0))
    assert {_name(e) for e in events} <= KEPT
    assert all("id" in e["body"] for e in _named(events, *RESULTS))


def test_two_root_accounts_reuse_the_same_local_ids(stream):
    roots = {(e["metadata"]["root_account_uuid"], _shard(e)) for e in stream}
    assert {shard for _, shard in roots} == SHARDS and len(roots) == 2
    assert all(len(uuid) == 40 for uuid, _ in roots)
    outcome_ids = {
        s: {e["body"]["learning_outcome_id"] for e in _named(stream, "learning_outcome_created") if _shard(e) == s}
        for s in SHARDS
    }
    assert outcome_ids[2107] & outcome_ids[2108]


def test_only_the_main_root_account_has_scales_and_methods(stream):
    settings = [e for e in stream if _name(e).startswith(("outcome_proficiency", "outcome_calculation_method"))]
    assert settings and {_shard(e) for e in settings} == {2107}


def test_old_shape_results_have_a_title_and_no_id_or_user(stream):
    old = [e["body"] for e in _named(stream, *RESULTS) if "id" not in e["body"]]
    assert old and all("user_uuid" not in b and "result_context_id" not in b and ", " in b["title"] for b in old)


def test_metadata_ids_are_global_on_the_root_accounts_shard(stream):
    fields = ("root_account_id", "user_id", "real_user_id", "user_account_id", "context_id", "context_account_id")
    for event in stream:
        meta = event["metadata"]
        for key in fields:
            if key in meta:
                assert int(meta[key]) // GLOBAL == _shard(event), (key, meta[key])


def test_outcome_body_ids_are_local(stream):
    for event in _named(stream, *OUTCOME_KEPT):  # the people events' ids: test_synthetic_people.py
        for key, value in _ids(event["body"]):
            assert isinstance(value, str) and value.isdigit() and int(value) < GLOBAL, (key, value)


def test_results_refer_to_outcomes_created_in_the_same_root_account(stream):
    created = {(_shard(e), e["body"]["learning_outcome_id"]) for e in _named(stream, "learning_outcome_created")}
    used = {(_shard(e), e["body"]["learning_outcome_id"]) for e in _named(stream, *RESULTS)}
    assert used and used <= created


def test_result_ids_are_unique_per_root_account_and_updates_reuse_them(stream):
    created = collections.Counter(
        (_shard(e), e["body"]["id"]) for e in _named(stream, "learning_outcome_result_created") if "id" in e["body"]
    )
    duplicated = {orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in stream}
    assert sum(created.values()) - len(created) <= len(stream) - len(duplicated)  # only re-deliveries repeat
    updated = [e for e in _named(stream, "learning_outcome_result_updated")]
    assert updated and all((_shard(e), e["body"]["id"]) in created for e in updated)


def test_regrades_come_later_with_a_new_score_and_an_updated_at(stream):
    first = {
        (_shard(e), e["body"]["id"]): e for e in _named(stream, "learning_outcome_result_created") if "id" in e["body"]
    }
    regrades = [e for e in _named(stream, "learning_outcome_result_updated") if "workflow_state" not in e["body"]]
    assert regrades
    for event in regrades:
        before = first[(_shard(event), event["body"]["id"])]
        assert event["metadata"]["event_time"] > before["metadata"]["event_time"]
        assert event["body"]["updated_at"] and event["body"]["created_at"] == before["body"]["created_at"]
    assert sum(
        e["body"]["score"] != first[(_shard(e), e["body"]["id"])]["body"]["score"] for e in regrades
    ) > 0.8 * len(regrades)


def test_results_exercise_every_rule_of_the_rollups(stream):
    bodies = [e["body"] for e in _named(stream, *RESULTS)]
    assert any(b.get("workflow_state") == "deleted" for b in bodies)
    assert any("score" in b and b["score"] is None for b in bodies)
    assert any(b.get("result_context_type") == "Account" for b in bodies)
    assert any(b.get("percent") == 0.0 and isinstance(b["percent"], float) for b in bodies)
    assert any("percent" not in b and b.get("score") is not None for b in bodies)
    assert {b.get("artifact_type") for b in bodies} >= {"RubricAssessment", "Quizzes::QuizSubmission"}


def test_quiz_results_of_one_student_share_the_quiz_asset_and_each_has_possible(stream):
    quiz = [
        e["body"]
        for e in _named(stream, "learning_outcome_result_created")
        if e["body"].get("associated_asset_type") == "Quizzes::Quiz"
    ]
    groups = collections.Counter((b["user_uuid"], b["learning_outcome_id"], b["associated_asset_id"]) for b in quiz)
    assert all("possible" in b for b in quiz)
    assert max(groups.values()) >= 2


def test_students_have_several_results_per_outcome_and_take_several_courses(stream):
    bodies = [e["body"] for e in _named(stream, "learning_outcome_result_created") if "user_uuid" in e["body"]]
    per_pair = collections.Counter((b["user_uuid"], b["result_context_id"], b["learning_outcome_id"]) for b in bodies)
    assert sum(per_pair.values()) / len(per_pair) > 2
    courses = collections.defaultdict(set)
    for b in bodies:
        courses[b["user_uuid"]].add(b["result_context_id"])
    assert len(courses) > 100 and sum(map(len, courses.values())) / len(courses) > 2


def test_outcomes_links_groups_and_scales_change_over_the_term(stream):
    states = {(_name(e), e["body"].get("workflow_state")) for e in stream}
    assert {
        ("learning_outcome_updated", "deleted"),
        ("learning_outcome_updated", "archived"),
        ("learning_outcome_link_updated", "deleted"),
        ("outcome_proficiency_updated", "deleted"),
    } <= states
    ratings = [
        r for e in _named(stream, "outcome_proficiency_updated") for r in e["body"]["outcome_proficiency_ratings"]
    ]
    assert any(r["workflow_state"] == "deleted" for r in ratings)
    contexts = {e["body"]["context_type"] for e in _named(stream, "outcome_proficiency_created")}
    assert contexts == {"Account", "Course"}


def test_a_group_whose_parent_is_never_emitted_occurs(stream):
    groups = [e["body"] for e in _named(stream, "learning_outcome_group_created")]
    known = {(b["context_type"], b["context_id"], b["learning_outcome_group_id"]) for b in groups}
    orphans = [
        b
        for b in groups
        if "parent_outcome_group_id" in b
        and (b["context_type"], b["context_id"], b["parent_outcome_group_id"]) not in known
    ]
    assert orphans


def test_times_are_iso_utc_with_milliseconds_and_body_times_sometimes_carry_an_offset(stream):
    assert all(EVENT_TIME.match(e["metadata"]["event_time"]) for e in stream)
    assert min(e["metadata"]["event_time"] for e in _named(stream, *OUTCOME_KEPT)) >= "2025-08-15"
    assert min(e["metadata"]["event_time"] for e in stream) >= "2025-08-11"  # the SIS import before the term
    stamps = [
        b[key]
        for b in (e["body"] for e in _named(stream, *KEPT))
        for key in ("assessed_at", "created_at", "updated_at")
        if key in b
    ]
    assert all(BODY_TIME.match(s) for s in stamps)
    offsets = [s for s in stamps if not s.endswith("Z")]
    assert 0 < len(offsets) < 0.1 * len(stamps)


def test_actors_include_masquerading_admins_api_keys_background_jobs_and_leaked_tokens(stream):
    metadata = [e["metadata"] for e in stream]
    assert any("real_user_id" in m for m in metadata)
    assert any("developer_key_id" in m for m in metadata)
    assert {m.get("job_tag") for m in metadata} >= {
        "OutcomeImport#run",
        "Canvas::Migration::Worker::CourseCopyWorker#perform",
        "RubricAssessment#update_outcomes_for_assessment",
        "Quizzes::SubmissionGrader#update_outcomes",
    }
    assert any("access_token=" in (m.get("url") or "") + (m.get("referrer") or "") for m in metadata)


def test_course_events_carry_the_course_and_its_sub_account(stream):
    accounts = collections.defaultdict(set)
    for m in (e["metadata"] for e in stream):
        if m.get("context_type") == "Course":
            assert {"context_account_id", "context_role", "user_id", "request_id", "url"} <= m.keys()
            accounts[m["context_id"]].add(m["context_account_id"])
    assert len(accounts) >= 3 and all(len(a) == 1 for a in accounts.values())


def test_to_jsonl_writes_one_newline_terminated_json_line_per_event():
    events = list(generate(50, seed=1))
    lines = list(to_jsonl(events))
    assert len(lines) == 50 and all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)
    assert [orjson.loads(line) for line in lines] == events


def test_fractions_at_their_limits_still_give_exactly_the_events_asked_for():
    events = generate(
        3000, seed=8, ignored_fraction=0.95, duplicate_fraction=0.5, late_fraction=1.0, legacy_fraction=1.0
    )
    assert sum(1 for _ in events) == 3000


@pytest.mark.parametrize(
    "arguments",
    [{"events": -1}, {"events": 1.5}, {"ignored_fraction": 1.0}, {"duplicate_fraction": -0.1}, {"late_fraction": 2}],
)
def test_generate_refuses_a_negative_size_or_an_impossible_fraction(arguments):
    with pytest.raises(ValueError):
        generate(**{"events": 10, **arguments})


@pytest.mark.slow
def peak_while_generating(events: int) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in generate(events, seed=1))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_stream_is_generated_in_bounded_memory():
    small_count, small = peak_while_generating(10_000)
    count, peak = peak_while_generating(60_000)
    assert (small_count, count) == (10_000, 60_000)
    # Six times the events, about the same peak (the whole list of 60k would take ~100 MB).
    assert peak < 1.5 * small + 4 * 2**20 and peak < 50 * 2**20, (small, peak)
