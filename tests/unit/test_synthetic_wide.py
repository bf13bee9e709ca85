"""The wide synthetic stream (`generate(shape="wide")`, `mastery generate --shape wide`): many more outcomes
per course and results per student than the default stream, the same noise, deterministic, ingested whole."""

from __future__ import annotations

import collections
import json
import statistics

import orjson
import pytest

from synthetic import IGNORED_EVENT_NAMES, generate, to_jsonl
from tests.conftest import mastery, mastery_json

SIZE = 20_000


@pytest.fixture(scope="module")
def streams() -> dict[str, list[dict]]:
    return {shape: list(generate(SIZE, seed=0, shape=shape)) for shape in ("default", "wide")}


def _widths(stream: list[dict]) -> tuple[dict, collections.Counter]:
    """Outcomes linked in each course, and results created per (course, student), counted from the events."""
    outcomes: dict[str, set] = collections.defaultdict(set)
    results: collections.Counter = collections.Counter()
    for event in stream:
        name, body = event["metadata"]["event_name"], event["body"]
        if name == "learning_outcome_link_created" and body["context_type"] == "Course":
            outcomes[body["context_id"]].add(body["learning_outcome_id"])
        elif name == "learning_outcome_result_created" and body.get("result_context_type") == "Course":
            results[(body["result_context_id"], body["user_uuid"])] += 1
    return outcomes, results


def test_wide_courses_have_many_more_outcomes_and_results_per_student(streams):
    default_outcomes, default_results = _widths(streams["default"])
    wide_outcomes, wide_results = _widths(streams["wide"])
    per_course = sorted(len(v) for v in wide_outcomes.values())
    assert per_course[0] >= 30 and per_course[-1] <= 80, per_course  # 40-80, a few links left out or late
    assert statistics.median(per_course) >= 4 * statistics.median(len(v) for v in default_outcomes.values())
    assert statistics.median(wide_results.values()) >= 2 * statistics.median(default_results.values())
    assert statistics.median(wide_results.values()) >= 60


def test_wide_keeps_the_same_noise(streams):
    for stream in streams.values():
        assert len(stream) == SIZE
    shares = {}
    for shape, stream in streams.items():
        lines = collections.Counter(orjson.dumps(e) for e in stream)
        names = collections.Counter(e["metadata"]["event_name"] for e in stream)
        ignored = sum(n for name, n in names.items() if name in IGNORED_EVENT_NAMES)
        shares[shape] = (sum(n - 1 for n in lines.values()) / SIZE, ignored / SIZE, names["user_created"] > 0)
    (dup_d, ign_d, people_d), (dup_w, ign_w, people_w) = shares["default"], shares["wide"]
    assert abs(dup_d - dup_w) < 0.01 and abs(ign_d - ign_w) < 0.03 and people_d and people_w


def test_wide_outcome_and_link_ids_never_meet_across_courses(streams):
    owner: dict[tuple, str] = {}
    for event in streams["wide"]:
        name, body = event["metadata"]["event_name"], event["body"]
        if name == "learning_outcome_created":
            key, context = ("outcome", body["learning_outcome_id"]), body["context_id"]
        elif name == "learning_outcome_link_created":
            key, context = ("link", body["learning_outcome_link_id"]), body["context_id"]
        else:
            continue
        root = event["metadata"]["root_account_uuid"]
        assert owner.setdefault((root, *key), context) == context, (key, context)


def test_the_wide_stream_is_deterministic_and_differs_from_the_default():
    wide = b"".join(to_jsonl(generate(3000, seed=5, shape="wide")))
    assert wide == b"".join(to_jsonl(generate(3000, seed=5, shape="wide")))
    assert wide != b"".join(to_jsonl(generate(3000, seed=6, shape="wide")))
    assert wide != b"".join(to_jsonl(generate(3000, seed=5)))
    assert b"".join(to_jsonl(generate(3000, seed=5, shape="default"))) == b"".join(to_jsonl(generate(3000, seed=5)))


def test_an_unknown_shape_is_refused():
    with pytest.raises(ValueError, match="shape"):
        generate(10, shape="tall")
    assert mastery("generate", "--events", "10", "--shape", "tall").returncode == 2


def test_mastery_generate_wide_is_ingested_with_nothing_quarantined(tmp_path):
    source, store = tmp_path / "wide.jsonl", str(tmp_path / "wide.db")
    mastery("generate", "--events", "6000", "--seed", "4", "--shape", "wide", "-o", str(source), check=True)
    assert source.read_bytes() == b"".join(to_jsonl(generate(6000, seed=4, shape="wide")))
    counts = mastery_json("--store", store, "ingest", str(source))
    assert counts["quarantined"] == 0 and counts["read"] == 6000
    assert counts["appended"] + counts["duplicates"] + counts["ignored"] == 6000
    status = json.loads(mastery("--store", store, "quarantine", "list", "--json", check=True).stdout)
    assert status["total"] == 0
