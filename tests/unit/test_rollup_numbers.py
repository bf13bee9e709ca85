"""The numbers-only rollup (the mastery drain's) gives `rollup`'s numbers, and the drain's light result rows
read stored states the way pydantic does.

`rollup_numbers` leaves out the steps and the arithmetic text; every other field must equal `rollup`'s:
on every call the existing rollup tests make (their vectors, recorded by running them with a spy), and on
generated inputs (hypothesis) including non-finite scores, quiz groups, scales without points and every
method with any int.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import rollup as rollup_module
from domain.result import ResultState
from domain.rollup import (
    DEFAULT_SCALE,
    METHODS,
    ResultInput,
    RollupScore,
    criterion_scale,
    method_from,
    rollup,
    rollup_numbers,
)
from projections import packed
from projections.mastery import LightResult, light_result
from tests.unit.rollup_inputs import CRITERION, QUIZ

VECTOR_MODULES = ["test_rollup_methods.py", "test_rollup_scales.py", "test_rollup_scaling.py"]


def numbers(score: RollupScore) -> tuple:
    return (score.score, score.count, score.submitted_at, score.rating, score.mastery, score.ignored)


def assert_same(results, scale, method, legacy_decay=False) -> None:
    try:
        full = rollup(results, scale, method, legacy_decay=legacy_decay)
    except ValueError as error:  # a call the rollup refuses is refused alike
        with pytest.raises(ValueError, match=re.escape(str(error))):
            rollup_numbers(results, scale, method, legacy_decay=legacy_decay)
        return
    lean = rollup_numbers(results, scale, method, legacy_decay=legacy_decay)
    assert (lean.steps, lean.arithmetic) == ((), "")
    assert numbers(lean) == numbers(full), (results, scale, method, legacy_decay)


class Spy:
    """A pytest plugin putting a recording `rollup` into every collected rollup test module."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple, dict]] = []
        self.patched: set[str] = set()

    def record(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return rollup(*args, **kwargs)

    def pytest_collection_finish(self, session) -> None:
        for item in session.items:
            if getattr(item.module, "rollup", None) is rollup:
                item.module.rollup = self.record
                self.patched.add(item.module.__name__)


def test_every_call_of_the_existing_rollup_tests_gives_the_same_numbers(request: pytest.FixtureRequest):
    here = request.path.parent
    spy = Spy()
    try:
        code = pytest.main(
            [str(here / name) for name in VECTOR_MODULES] + ["-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
            plugins=[spy],
        )
    finally:
        for name in VECTOR_MODULES:
            module = __import__(f"tests.unit.{name[:-3]}", fromlist=["rollup"])
            module.rollup = rollup
    assert code == 0
    assert len(spy.patched) == len(VECTOR_MODULES)
    assert len(spy.calls) > 400  # the vectors and the existing properties' examples
    for args, kwargs in spy.calls:
        results, scale, method = args
        assert_same(list(results), scale, method, kwargs.get("legacy_decay", False))


_TIMES = [None, datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, 0, 0, 0, 700_000, tzinfo=UTC)]
_TIMES += [datetime(2020, 1, 2, 5, tzinfo=UTC), datetime(2020, 1, 2, 7, tzinfo=timezone(timedelta(hours=2)))]
_NUMBER = st.one_of(
    st.none(), st.floats(-1e308, 1e308, allow_nan=False), st.sampled_from([math.inf, -math.inf, math.nan, 0.0, 3.0])
)
_SCALES = [
    CRITERION,
    DEFAULT_SCALE,
    criterion_scale({"points_possible": 0, "mastery_points": 2, "ratings": []}, "zero possible"),
    criterion_scale({"ratings": [{"description": "A", "points": 4}]}, "no points"),
]
_results = st.lists(
    st.builds(
        ResultInput,
        id=st.sampled_from(["1", "2", "10", "100", "a"]),
        score=_NUMBER,
        percent=_NUMBER,
        possible=_NUMBER,
        assessed_at=st.sampled_from(_TIMES),
        artifact_type=st.sampled_from([None, QUIZ, "RubricAssessment"]),
        associated_asset_type=st.sampled_from([None, "Quizzes::Quiz"]),
        associated_asset_id=st.sampled_from([None, "7", "8"]),
    ),
    max_size=9,
)


@settings(max_examples=1000, deadline=None)
@given(
    results=_results,
    scale=st.sampled_from(_SCALES),
    name=st.sampled_from([*METHODS, "unknown"]),
    n=st.one_of(st.none(), st.integers(-2, 120)),
    legacy=st.booleans(),
)
def test_numbers_only_rollup_equals_rollup_on_generated_inputs(results, scale, name, n, legacy):
    assert_same(results, scale, method_from(name, n, "test"), legacy)


def test_the_numbers_only_rollup_shares_the_helpers_not_a_copy(monkeypatch: pytest.MonkeyPatch):
    # A change to one shared helper changes both entry points alike.
    monkeypatch.setattr(rollup_module, "ruby_round", lambda value: 42.0)
    results = [ResultInput("1", 2.0, None, None, None)]
    assert rollup_numbers(results, CRITERION, method_from("highest", None, "t")).score == 42.0
    assert rollup(results, CRITERION, method_from("highest", None, "t")).score == 42.0


_states = st.builds(
    ResultState,
    root_account=st.just("1"),
    id=st.sampled_from(["5", "77"]),
    first_event_time=st.just(datetime(2020, 1, 1, tzinfo=UTC)),
    last_event_time=st.just(datetime(2020, 1, 1, tzinfo=UTC)),
    last_event_name=st.just("learning_outcome_result_created"),
    last_position_hash=st.just("ab"),
    events=st.just(1),
    created_seen=st.booleans(),
    attributable=st.booleans(),
    user_uuid=st.one_of(st.none(), st.just("u-1")),
    outcome_id=st.just("3"),
    context_type=st.sampled_from([None, "Course", "Account"]),
    score=st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False), st.integers(-5, 5)),
    possible=st.one_of(st.none(), st.floats(0, 10)),
    percent=st.one_of(st.none(), st.floats(0, 1)),
    assessed_at=st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
    artifact_type=st.sampled_from([None, QUIZ]),
    associated_asset_type=st.sampled_from([None, "Quizzes::Quiz"]),
    associated_asset_id=st.sampled_from([None, "7"]),
    workflow_state=st.sampled_from([None, "active", "deleted"]),
)
_READ = ("attributable", "id", "user_uuid", "context_type", "workflow_state", "score", "percent", "possible")
_READ += ("assessed_at", "artifact_type", "associated_asset_type", "associated_asset_id")


def _stored(state_json: str) -> tuple:
    """The history row's columns (packed.ROW) of a result state, as `light_results` selects them."""
    plain = orjson.loads(state_json)
    folded = bytes(8) + b"\x01" + bytes(8) + bytes(32)  # packed.fold_key's layout: time, rank, updated_at, hash
    return (
        plain["root_account"],
        plain["id"],
        plain["last_event_time"],
        "x",
        folded,
        packed.pack_json("result", state_json),
    )


@settings(max_examples=500, deadline=None)
@given(state=_states)
def test_a_light_result_reads_a_stored_state_as_pydantic_does(state: ResultState):
    stored = state.model_dump_json()
    light, model = light_result(_stored(stored)), ResultState.model_validate_json(stored)
    assert isinstance(light, LightResult)
    assert {f: getattr(light, f) for f in _READ} == {f: getattr(model, f) for f in _READ}


def test_a_state_that_is_not_plain_is_read_by_pydantic():
    stored = ResultState.model_validate(
        {"root_account": "1", "id": "5", "first_event_time": "2020-01-01T00:00:00Z"}
        | {"last_event_time": "2020-01-01T00:00:00Z", "last_event_name": "x", "last_position_hash": "a"}
        | {"events": 1, "created_seen": True, "outcome_id": "3", "score": 2.0}
    ).model_dump_json()
    odd = stored.replace('"score":2.0', '"score":"2.5"')
    assert isinstance(light_result(_stored(odd)), ResultState) and light_result(_stored(odd)).score == 2.5
    assert isinstance(light_result(_stored(stored)), LightResult)
