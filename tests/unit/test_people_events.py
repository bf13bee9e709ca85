"""People and places events: parsing (keys, SIS ids as text, what is refused and why), the folds, Canvas's
sortable name, and fold order: arrival order and duplicates never change a user's or an enrollment's state."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import InvalidEvent, parse
from domain.fold import fold
from domain.people import sortable_name
from domain.states import evolve
from tests import builders as b
from tests.unit.test_folds import NOW, stored


def test_each_people_event_is_keyed_by_its_local_id():
    assert parse(b.user("41", "u41", "Ada Lovelace")).key == "41"  # user_id is global
    assert parse(b.course("5")).key == "5"
    assert parse(b.section("12", "5")).key == "12"  # section ids are local already
    assert parse(b.enrollment("3", "5", "41")).key == "3"  # enrollment ids are global
    assert parse(b.enrollment_state("3", 1)).key == "3"
    kinds = {parse(e).cls.kind for e in (b.user("1", "u", "A"), b.course("1"), b.section("1", "1"))}
    assert kinds == {"user", "course", "section"}
    assert parse(b.enrollment_state("3", 1)).stream_id != parse(b.enrollment("3", "5", "41")).stream_id


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e["body"].pop("user_id"), "body.user_id: required field is missing"),
        (lambda e: e["body"].update(user_id=""), "body.user_id: an id must not be empty"),
        (lambda e: e["body"].update(user_sis_id={"x": 1}), "body.user_sis_id: an SIS id must be a string"),
        (lambda e: e["body"].update(name=["Ada"]), "body.name: must be a string or null"),
        (lambda e: e["body"].update(updated_at="yesterday"), "body.updated_at: unreadable time"),
    ],
)
def test_a_user_event_the_folds_cannot_read_is_refused_with_its_reason(change, reason):
    event = b.user("41", "u41", "Ada Lovelace")
    change(event)
    with pytest.raises(InvalidEvent, match=reason.replace(".", r"\.")):
        parse(event)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (b.enrollment("3", "5", "41"), "course_id"),
        (b.enrollment("3", "5", "41"), "user_id"),
        (b.enrollment("3", "5", "41"), "enrollment_id"),
        (b.course("5"), "course_id"),
        (b.section("12", "5"), "course_section_id"),
        (b.enrollment_state("3", 1), "enrollment_id"),
    ],
)
def test_people_events_without_the_ids_they_are_keyed_or_folded_by_are_refused(event, field):
    event = copy.deepcopy(event)
    event["body"].pop(field)
    with pytest.raises(InvalidEvent, match=f"body.{field}: required field is missing"):
        parse(event)


def test_sis_ids_are_always_text_with_their_leading_zeros():
    assert fold(evolve, [stored(b.user("41", "u41", "Ada", sis="007"))]).sis_user_id == "007"
    event = b.user("41", "u41", "Ada")
    event["body"]["user_sis_id"] = 7  # a producer that sends a number
    assert fold(evolve, [stored(event)]).sis_user_id == "7"
    assert fold(evolve, [stored(b.section("12", "5", sis="0012"))]).sis_source_id == "0012"


def test_unknown_fields_of_people_events_are_kept_verbatim():
    event = b.enrollment("3", "5", "41")
    event["body"]["user_uuid"] = "a newer producer's field"
    event["body"]["limit_privileges_to_course_section"] = {"odd": [1, 2]}
    assert parse(event).event["body"] == event["body"]


def test_the_folds_reduce_ids_and_keep_the_fields_queries_read():
    user = fold(evolve, [stored(b.user("41", "u41", "Ada Lovelace", sis="007", login="ada"))])
    assert (user.id, user.uuid, user.global_id, user.login, user.short_name) == ("41", "u41", b.g(41), "ada", "Ada")
    course = fold(evolve, [stored(b.course("5", name="Algebra", account="70"))])
    assert (course.id, course.name, course.account_id, course.workflow_state) == ("5", "Algebra", "70", "available")
    section = fold(evolve, [stored(b.section("12", "5", name="P1"))])
    assert (section.id, section.course_id, section.name) == ("12", "5", "P1")
    enrollment = fold(evolve, [stored(b.enrollment("3", "5", "41", section_id="12"))])
    # Global ids in the enrollment, local in the section: the same local ids after the fold.
    assert (enrollment.course_id, enrollment.user_id, enrollment.section_id) == ("5", "41", "12")
    assert fold(evolve, [stored(b.enrollment_state("3", 1, "pending_active"))]).state == "pending_active"


def test_a_later_update_wins_and_a_late_older_one_does_not():
    created = stored(b.enrollment("3", "5", "41", day=0))
    deleted = stored(b.enrollment("3", "5", "41", day=5, state="deleted", updated=True))
    older = stored(b.enrollment("3", "5", "41", day=2, state="inactive", updated=True))
    for order in ([created, deleted, older], [older, deleted, created]):
        state = fold(evolve, order)
        assert state.workflow_state == "deleted" and state.events == 3 and state.created_seen
    assert fold(evolve, [created, deleted, older], as_of=b.T0 + timedelta(days=3)).workflow_state == "inactive"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", "Lovelace, Ada"),
        ("Mary Ann Evans", "Evans, Mary Ann"),
        ("Martin Luther King Jr.", "King, Martin Luther Jr."),
        ("John Smith III", "Smith, John III"),
        ("Prince", "Prince"),
        ("Lovelace, Ada", "Lovelace, Ada"),
        ("  Grace   Hopper ", "Hopper, Grace"),
        (None, None),
    ],
)
def test_sortable_name_is_derived_like_canvas_for_a_name_without_one(name, expected):
    assert sortable_name(name) == expected


def test_a_sortable_name_the_body_sends_is_kept():
    event = b.user("41", "u41", "Ada Lovelace")
    event["body"]["sortable_name"] = "Byron, Augusta Ada"
    assert fold(evolve, [stored(event)]).sortable_name == "Byron, Augusta Ada"
    assert fold(evolve, [stored(b.user("41", "u41", "Ada Lovelace"))]).sortable_name == "Lovelace, Ada"


def people_event(kind: int, seconds: int, value: int, updated: int) -> dict:
    day = seconds / 86400
    if kind == 0:
        event = b.user("41", "u41", f"Name {value}", day, sis=f"00{value}", updated=bool(updated))
    else:
        states = ("active", "invited", "inactive", "completed", "deleted", "rejected")
        event = b.enrollment("3", "5", "41", day, state=states[value % 6], updated=bool(updated))
    if value % 2:  # some bodies without updated_at (it then sorts first)
        event["body"].pop("updated_at")
    return event


people_histories = st.integers(0, 1).flatmap(
    lambda kind: st.lists(
        st.builds(people_event, st.just(kind), st.integers(0, 3), st.integers(0, 6), st.integers(0, 1)),
        min_size=1,
        max_size=8,
    )
)


@settings(max_examples=150, deadline=None)
@given(history=people_histories, data=st.data())
def test_any_arrival_order_and_duplication_give_the_same_people_state(history, data):
    events = [stored(e) for e in history]
    expected = fold(evolve, events)
    shuffled = data.draw(st.permutations(events))
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=5))
    later = [e.model_copy(update={"recorded_at": NOW + timedelta(days=1), "originator_version": 9}) for e in repeats]
    assert fold(evolve, [*shuffled, *later]) == expected
