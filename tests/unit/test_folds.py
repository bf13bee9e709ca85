"""Folds: last writer wins in fold order, whatever the arrival order; as-of cuts; the group tree."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import group, outcome
from domain.events import parse
from domain.fold import fold, fold_order
from domain.states import evolve
from tests.conftest import seed_events

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def stored(event: dict, recorded_at: datetime = NOW, version: int = 1):
    """A stored event object, as the store gives it back, without a store."""
    p = parse(event)
    return p.cls(originator_id=p.stream_id, originator_version=version, **p.state(recorded_at, "test"))


def seeds_by_name() -> dict[str, dict]:
    return {e["metadata"]["event_name"]: e for e in seed_events("current")}


def test_late_older_update_does_not_override_newer_creation():
    # The seeds: the creation (5 Nov, course copy) is later in event time than the update (1 Nov).
    created, updated = (stored(seeds_by_name()[n]) for n in ("learning_outcome_created", "learning_outcome_updated"))
    for order in ([created, updated], [updated, created]):
        state = fold(outcome.evolve, order)
        assert state.rubric_criterion["mastery_points"] == 2
        assert state.last_event_name == "learning_outcome_created"
        assert state.events == 2


def test_as_of_a_moment_between_gives_the_update():
    events = [stored(seeds_by_name()[n]) for n in ("learning_outcome_created", "learning_outcome_updated")]
    state = fold(outcome.evolve, events, as_of=datetime(2019, 11, 2, tzinfo=UTC))
    assert state.rubric_criterion["mastery_points"] == 3
    assert len(state.rubric_criterion["ratings"]) == 6
    assert fold(outcome.evolve, events, as_of=datetime(2019, 10, 1, tzinfo=UTC)) is None


def test_known_at_keeps_only_events_recorded_by_then():
    created = stored(seeds_by_name()["learning_outcome_created"], recorded_at=NOW + timedelta(days=2))
    updated = stored(seeds_by_name()["learning_outcome_updated"], recorded_at=NOW)
    state = fold(outcome.evolve, [created, updated], known_at=NOW + timedelta(days=1))
    assert state.rubric_criterion["mastery_points"] == 3


def test_created_sorts_before_updated_at_equal_event_time():
    names = ("outcome_proficiency_created", "outcome_proficiency_updated")
    created, updated = (stored(seeds_by_name()[n]) for n in names)
    assert created.event_time == updated.event_time
    assert [e.canvas_name for e in fold_order([updated, created])] == list(names)


def test_same_event_twice_is_folded_once():
    created = stored(seeds_by_name()["learning_outcome_created"])
    assert fold(outcome.evolve, [created, created]).events == 1


def outcome_event(seconds: int, rank: int, updated_at: int | None, mastery: int, title: str) -> dict:
    event = copy.deepcopy(seeds_by_name()["learning_outcome_updated" if rank else "learning_outcome_created"])
    event["metadata"]["event_time"] = (NOW + timedelta(seconds=seconds)).isoformat()
    if updated_at is None:
        event["body"].pop("updated_at", None)
    else:
        event["body"]["updated_at"] = (NOW + timedelta(seconds=updated_at)).isoformat()
    event["body"]["rubric_criterion"]["mastery_points"] = mastery
    event["body"]["title"] = title
    return event


histories = st.lists(
    st.builds(
        outcome_event,
        st.integers(0, 3),
        st.integers(0, 1),
        st.one_of(st.none(), st.integers(0, 3)),
        st.integers(0, 5),
        st.sampled_from(["a", "b", "c"]),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(history=histories, data=st.data())
def test_any_arrival_order_and_duplication_give_the_same_state(history, data):
    events = [stored(e) for e in history]
    expected = fold(evolve, events)
    shuffled = data.draw(st.permutations(events))
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=5))
    later = [e.model_copy(update={"recorded_at": NOW + timedelta(days=1), "originator_version": 9}) for e in repeats]
    assert fold(evolve, [*shuffled, *later]) == expected


def group_event(gid: str, parent: str | None) -> dict:
    event = copy.deepcopy(seeds_by_name()["learning_outcome_group_created"])
    event["body"]["learning_outcome_group_id"] = gid
    if parent is None:
        event["body"].pop("parent_outcome_group_id")
    else:
        event["body"]["parent_outcome_group_id"] = parent
    event["metadata"]["event_time"] = (NOW + timedelta(seconds=int(gid))).isoformat()
    return event


def test_group_tree_reports_orphans_and_cycles_instead_of_looping():
    pairs = [("1", None), ("2", "1"), ("3", "2"), ("4", "99"), ("5", "6"), ("6", "5")]
    states = [fold(group.evolve, [stored(group_event(g, p))]) for g, p in pairs]
    shape = group.tree(states)
    assert shape["roots"] == ["1"]
    assert shape["children"] == {"1": ["2"], "2": ["3"], "5": ["6"], "6": ["5"]}
    assert shape["orphans"] == ["4"]
    assert shape["cycles"] == ["5", "6"]
    by_id = {s.id: s for s in states}
    assert group.path("3", by_id) == ["Official Standards for K-12 Math Education"] * 3
    assert len(group.path("5", by_id)) == 2


def test_stored_events_carry_who_and_when():
    event = stored(seeds_by_name()["learning_outcome_updated"])
    assert event.actor["user_login"] == "oxana@example.com"
    assert event.actor["user_id"] == "21070000000000001"
    assert event.request["request_id"] == "1dd9dc6f-2fb0-4c19-a6c5-7ee1bf3ed295"
    assert event.recorded_at == NOW
