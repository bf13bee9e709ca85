"""Fuzzed input: arbitrary JSON and mutated Canvas events never raise, and every item is accounted for;
hostile values in every field the folds read are quarantined or harmless, and a good course still answers."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.states import FOLDS
from projections.queries.catalog import course_rules, courses, outcome_tree
from projections.queries.explain import explain
from projections.queries.outcome_rollups import rollups
from projections.runner import catch_up
from projections.schema import connect
from projections.views import View
from sources import RawItem, read_sources
from store.application import open_store
from store.ingest import ingest
from tests import builders as b
from tests.conftest import seed_events

SEEDS = seed_events("current") + seed_events("legacy")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
odd = st.sampled_from(
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "1e400",
        "\u0000",
        "\ud7ff\ufeff",
        "😀" * 50,
        "x" * 5000,
        "\u202e",
        "[" * 300,
        '"5"',
        "true",
    ]
)


@st.composite
def mutated_event(draw):
    event = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        part = draw(st.sampled_from(["metadata", "body"]))
        target = event.get(part)
        if not isinstance(target, dict) or not target:
            continue
        key = draw(st.sampled_from(sorted(target)))
        action = draw(st.sampled_from(["drop", "retype", "extra", "huge", "deep"]))
        if action == "drop":
            del target[key]
        elif action == "retype":
            target[key] = draw(json_values)
        elif action == "extra":
            target[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
        elif action == "huge":
            target[key] = "🎓" * draw(st.integers(1000, 20000))
        else:
            nested = value = {}
            for _ in range(draw(st.integers(50, 400))):
                value["x"] = {}
                value = value["x"]
            target[key] = nested
    return json.dumps(event)


line = st.one_of(
    mutated_event(),
    json_values.map(json.dumps),
    odd,
    st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
    st.sampled_from(SEEDS).map(json.dumps).map(lambda s: s[: len(s) // 2]),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(lines=st.lists(line, min_size=1, max_size=25))
def test_fuzzed_input_never_raises_and_every_item_is_accounted_for(tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "in.jsonl"
    path.write_bytes(("\n".join(line.replace("\n", " ") for line in lines) + "\n").encode("utf-8", "surrogatepass"))
    store = open_store(str(folder / "s.db"))
    try:
        counts = ingest(store, read_sources([str(path)]))
        again = ingest(store, read_sources([str(path)]))
        assert counts.balanced() and again.balanced()
        assert again.appended == 0 and again.quarantined == 0
        assert store.verify()[1] is None
    finally:
        store.close()


# ----------------------------------------------------------------------------- hostile values, well-formed events

GOOD_USERS = ("studentA000000000000000000000000000000000", "studentB000000000000000000000000000000000")
GOOD = [
    b.outcome("1", 0),
    b.link("11", "1", "5", 0),
    b.group("900", "5", 0),
    b.scale("7", "Account", "1", 0, [4, 3, 0], 3),
    b.method("8", "Account", "1", 0, "highest"),
    b.result("1", GOOD_USERS[0], 3, 1, rid="501"),
    b.result("1", GOOD_USERS[0], 5, 2, rid="502"),
    b.result("1", GOOD_USERS[1], 1, 1, rid="503", percent=0.2, possible=5),
]
META = [
    "event_time",
    "root_account_id",
    "user_id",
    "user_login",
    "user_sis_id",
    "real_user_id",
    "job_tag",
    "context_type",
    "context_id",
    "context_account_id",
    "url",
    "http_method",
    "client_ip",
    "extra",
]
CRITERION = [
    "rubric_criterion",
    "rubric_criterion.mastery_points",
    "rubric_criterion.points_possible",
    "rubric_criterion.ratings",
    "rubric_criterion.ratings.0",
    "rubric_criterion.ratings.0.points",
    "rubric_criterion.ratings.0.description",
    "rubric_criterion.ratings.0.color",
    "rubric_criterion.ratings.0.id",
]
RATING = [
    f"outcome_proficiency_ratings.0.{f}"
    for f in ("points", "mastery", "color", "description", "id", "outcome_proficiency_rating_id", "workflow_state")
]
# Another course (6) and outcome (2) of the same root account: whatever of them is stored leaves course 5 alone.
TEMPLATES = [
    (
        b.outcome("2", 3),
        [
            "learning_outcome_id",
            "title",
            "display_name",
            "short_description",
            "description",
            "vendor_guid",
            "context_type",
            "context_id",
            "calculation_method",
            "calculation_int",
            "workflow_state",
            "updated_at",
            *CRITERION,
        ],
    ),
    (
        b.group("901", "6", 3),
        [
            "learning_outcome_group_id",
            "parent_outcome_group_id",
            "title",
            "description",
            "vendor_guid",
            "context_type",
            "context_id",
            "workflow_state",
            "updated_at",
        ],
    ),
    (
        b.link("12", "2", "6", 3),
        [
            "learning_outcome_link_id",
            "learning_outcome_id",
            "learning_outcome_group_id",
            "context_type",
            "context_id",
            "workflow_state",
        ],
    ),
    (
        b.scale("71", "Course", "6", 3, [4, 3, 0], 3),
        [
            "outcome_proficiency_id",
            "context_type",
            "context_id",
            "workflow_state",
            "outcome_proficiency_ratings",
            *RATING,
        ],
    ),
    (
        b.method("81", "Course", "6", 3, "decaying_average", 65),
        [
            "outcome_calculation_method_id",
            "context_type",
            "context_id",
            "workflow_state",
            "calculation_method",
            "calculation_int",
        ],
    ),
    (
        b.result("2", GOOD_USERS[0], 4, 3, rid="601", course="6", percent=0.5, possible=4, artifact="Quizzes::Quiz"),
        [
            "id",
            "user_uuid",
            "learning_outcome_id",
            "result_context_type",
            "result_context_id",
            "score",
            "possible",
            "percent",
            "attempt",
            "assessed_at",
            "created_at",
            "updated_at",
            "artifact_type",
            "artifact_id",
            "associated_asset_type",
            "associated_asset_id",
            "workflow_state",
            "title",
        ],
    ),
]


hostile_values = (
    st.sampled_from(
        [
            None,
            True,
            0,
            -1,
            2**63,
            2**64,
            -(2**63) - 1,
            10**30,
            1e16,
            1e308,
            -1e308,
            5e-324,
            float("inf"),
            float("-inf"),
            float("nan"),
            "",
            "   ",
            "x" * 300,
            "9" * 31,
            "9" * 5000,
            "²",
            "a\ud800",
            "\udfff",
            "t" * 1_000_001,
            [],
            [1, "a"],
            {},
            {"a": {"b": 1}},
            b.nested(70),
            b.nested(253),
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+01:00",
            "not a time",
            "Course",
            "deleted",
        ]
    )
    | json_values
)


def _substitute(event: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    target = event
    for part in parents:
        if isinstance(target, list):  # an earlier substitution may have made a list of another shape
            if not part.isdigit() or int(part) >= len(target):
                return
            target = target[int(part)]
        else:
            target = target.get(part)
        if not isinstance(target, (dict, list)):
            return
    if isinstance(target, list):
        if not last.isdigit():
            return
        if int(last) < len(target) and value is KeyError:
            del target[int(last)]
        elif int(last) < len(target):
            target[int(last)] = value
    elif value is KeyError:
        target.pop(last, None)
    else:
        target[last] = value


@st.composite
def hostile_event(draw):
    template, fields = draw(st.sampled_from(TEMPLATES))
    event = copy.deepcopy(template)
    for _ in range(draw(st.integers(1, 3))):
        part = draw(st.sampled_from(["metadata", "body"]))
        field = draw(st.sampled_from(META if part == "metadata" else [*fields, "extra"]))
        value = draw(st.just(KeyError) | hostile_values)
        _substitute(event, f"{part}.{field}", value)
    return event


def _course_answers(conn) -> dict:
    """Every query of the good course (5), in process; plus the store-wide ones, which must answer too."""
    view = View(conn, b.ROOT)
    courses(view), outcome_tree(view), [view.states(kind) for kind in FOLDS]  # answer, whatever else is stored
    answers = {
        "rollups": rollups(conn, b.ROOT, "5"),
        "median": rollups(conn, b.ROOT, "5", aggregate="median"),
        "tree": outcome_tree(view, "5"),
        "rules": course_rules(view, "5"),
        "explain": [explain(view, "5", "1", user) for user in GOOD_USERS],
    }
    return json.loads(json.dumps(answers, default=str))


def _raw(events: list) -> list[RawItem]:
    return [RawItem("fuzz", i + 1, json.dumps(e), e, None) for i, e in enumerate(events)]


def _answers_for(folder, events: list):
    store = open_store(str(folder / "s.db"))
    try:
        counts = ingest(store, _raw(events), batch_size=7)
        db = connect(str(folder / "read.db"))
        catch_up(store, db.conn)
        return counts, _course_answers(db.conn)
    finally:
        store.close()


@pytest.fixture(scope="module")
def clean_answers(tmp_path_factory):
    return _answers_for(tmp_path_factory.mktemp("clean"), GOOD)[1]


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(hostile=st.lists(hostile_event(), min_size=1, max_size=6), at=st.integers(0, len(GOOD)))
def test_hostile_values_in_every_field_the_folds_read_never_break_a_query_of_a_good_course(
    tmp_path_factory, clean_answers, hostile, at
):
    events = GOOD[:at] + hostile + GOOD[at:]
    counts, answers = _answers_for(tmp_path_factory.mktemp("hostile"), events)
    assert counts.read == len(events) and counts.balanced()
    assert counts.appended + counts.duplicates >= len(GOOD)
    assert answers == clean_answers
