"""The synthetic stream's people and places (issue 12): users, courses, sections and enrollments, with the
body fields of docs/canvas-people-events.md, who is enrolled where, who leaves, and the late course."""

from __future__ import annotations

import collections

import orjson
import pytest

from synthetic import PEOPLE_EVENT_NAMES, generate
from tests.unit.test_synthetic import GLOBAL, PEOPLE, RESULTS

# The body fields Canvas's producer sends (docs/canvas-people-events.md), and which ids are global there.
FIELDS = {
    "user": {
        "user_id",
        "uuid",
        "name",
        "short_name",
        "workflow_state",
        "created_at",
        "updated_at",
        "user_login",
        "user_sis_id",
    },
    "course": {"course_id", "uuid", "account_id", "name", "created_at", "updated_at", "workflow_state"},
    "course_section": {
        "course_section_id",
        "sis_source_id",
        "sis_batch_id",
        "course_id",
        "root_account_id",
        "enrollment_term_id",
        "name",
        "default_section",
        "accepting_enrollments",
        "can_manually_enroll",
        "start_at",
        "end_at",
        "workflow_state",
        "restrict_enrollments_to_section_dates",
        "nonxlist_course_id",
        "stuck_sis_fields",
        "integration_id",
    },
    "enrollment": {
        "enrollment_id",
        "course_id",
        "user_id",
        "user_name",
        "type",
        "created_at",
        "updated_at",
        "limit_privileges_to_course_section",
        "course_section_id",
        "workflow_state",
    },
    "enrollment_state": {
        "enrollment_id",
        "state",
        "state_started_at",
        "state_is_current",
        "state_valid_until",
        "restricted_access",
        "access_is_current",
    },
}
TEXT_IDS = {"sis_source_id", "user_sis_id", "integration_id"}
GLOBAL_IDS = {
    "user": {"user_id"},
    "course": {"course_id", "account_id"},
    "course_section": set(),
    "enrollment": {"enrollment_id", "course_id", "user_id", "course_section_id"},
    "enrollment_state": set(),
}


@pytest.fixture(scope="module")
def stream() -> list[dict]:
    return list(generate(20_000, seed=0))


def _name(event: dict) -> str:
    return event["metadata"]["event_name"]


def _kind(event: dict) -> str:
    return _name(event).rsplit("_", 1)[0]


def _time(event: dict) -> str:
    return event["metadata"]["event_time"]


def _root(event: dict) -> str:
    return event["metadata"]["root_account_uuid"]


def _local(value: str) -> str:
    return str(int(value) % GLOBAL)


def _named(stream: list[dict], *names: str) -> list[dict]:
    return [e for e in stream if _name(e) in names]


def _unique(events: list[dict]) -> list[dict]:
    """The events without their exact re-deliveries, in event-time order."""
    seen, out = set(), []
    for event in sorted(events, key=_time):
        key = orjson.dumps(event, option=orjson.OPT_SORT_KEYS)
        if key not in seen:
            seen.add(key)
            out.append(event)
    return out


def _enrollments(stream: list[dict], kinds: tuple = ("StudentEnrollment",)) -> dict:
    """(root, course local id) -> {user local id: [latest workflow_state of each enrollment]}, of `kinds`."""
    latest = {}
    for e in _unique(_named(stream, "enrollment_created", "enrollment_updated")):
        b = e["body"]
        if b["type"] in kinds:
            latest[(_root(e), b["enrollment_id"])] = (_local(b["course_id"]), _local(b["user_id"]), b["workflow_state"])
    out: dict = collections.defaultdict(lambda: collections.defaultdict(list))
    for (root, _), (course, user, state) in latest.items():
        out[(root, course)][user].append(state)
    return out


def _users(stream: list[dict]) -> dict:
    """(root, user_uuid) -> the user's first body."""
    users = {}
    for e in _unique(_named(stream, "user_created")):
        users.setdefault((_root(e), e["body"]["uuid"]), e["body"] | {"event_time": _time(e)})
    return users


def _course_results(stream: list[dict]) -> dict:
    """(root, course local id) -> [(event_time, user_uuid)] of the course's results."""
    out = collections.defaultdict(list)
    for e in _named(stream, *RESULTS):
        b = e["body"]
        if b.get("result_context_type") == "Course":
            out[(_root(e), b["result_context_id"])].append((_time(e), b["user_uuid"]))
    return out


def test_the_people_event_names_are_the_documented_ones_and_all_occur_in_a_20k_stream(stream):
    assert set(PEOPLE_EVENT_NAMES) == PEOPLE
    counts = collections.Counter(_name(e) for e in stream)
    assert all(counts[name] for name in PEOPLE)
    assert 0.03 < sum(counts[name] for name in PEOPLE) / len(stream) < 0.08  # few next to the results


def test_bodies_carry_exactly_the_documented_fields_and_ids_are_strings(stream):
    for event in _named(stream, *PEOPLE):
        kind, body = _kind(event), event["body"]
        assert set(body) == FIELDS[kind], _name(event)
        for key, value in body.items():
            if key.endswith("_id") and key not in TEXT_IDS and value is not None:
                assert isinstance(value, str) and value.isdigit(), (key, value)
                shard = int(event["metadata"]["root_account_id"]) // GLOBAL
                assert (int(value) // GLOBAL == shard) if key in GLOBAL_IDS[kind] else int(value) < GLOBAL


def test_every_result_user_was_created_earlier_and_users_come_before_the_term(stream):
    users = _users(stream)
    results = [e for e in _named(stream, *RESULTS) if "user_uuid" in e["body"]]
    assert results
    for e in results:
        assert users[(_root(e), e["body"]["user_uuid"])]["event_time"] < _time(e)
    by_sis = [e for e in _named(stream, "user_created") if e["body"]["user_sis_id"] is not None]
    assert by_sis and all(_time(e) < "2025-08-15" and "job_tag" in e["metadata"] for e in by_sis)


def test_sis_ids_are_unique_text_some_all_digits_with_leading_zeros_and_a_few_missing(stream):
    users = _users(stream).values()
    ids = [u["user_sis_id"] for u in users]
    given = [i for i in ids if i is not None]
    assert all(isinstance(i, str) for i in given) and len(given) < len(ids)
    assert any(i.isdigit() and i.startswith("0") for i in given)
    assert any(i.startswith("S1") for i in given)
    per_root = collections.Counter((root, u["user_sis_id"]) for (root, _), u in _users(stream).items())
    assert all(n == 1 for (_, sis), n in per_root.items() if sis is not None)


def test_every_course_with_results_enrolls_its_students_but_the_one_that_subscribed_late(stream):
    enrolled = _enrollments(stream, ("StudentEnrollment", "StudentViewEnrollment"))
    results = _course_results(stream)
    uid = {key: _local(u["user_id"]) for key, u in _users(stream).items()}
    late = [course for course in results if course not in enrolled]
    assert len(late) == 1
    for course, rows in results.items():
        if course not in late:
            assert {uid[(course[0], user)] for _, user in rows} <= set(enrolled[course])
    root, course_id = late[0]
    about = [e for e in stream if _root(e) == root and _local(e["body"].get("course_id", "0")) == course_id]
    assert {_name(e) for e in about} == {"course_updated"}  # set up before the district subscribed


def test_a_course_has_a_name_its_sub_account_and_two_sections_with_sis_ids(stream):
    courses = {(_root(e), _local(e["body"]["course_id"])): e for e in _named(stream, "course_created")}
    assert courses
    for (root, course), e in courses.items():
        b, meta = e["body"], e["metadata"]
        assert b["name"].endswith(" (Fall 2025)") and b["workflow_state"] == "available"
        assert int(b["account_id"]) % GLOBAL != 1  # the course's own sub-account, not the root
        assert int(b["account_id"]) // GLOBAL == int(meta["root_account_id"]) // GLOBAL
        sections = [
            s["body"]
            for s in _named(stream, "course_section_created")
            if _root(s) == root and s["body"]["course_id"] == course
        ]
        assert sorted({s["name"] for s in sections}) == ["Section 1", "Section 2"]
        assert all(s["sis_source_id"] and s["sis_source_id"].endswith(("S1", "S2")) for s in sections)
    assert "BIO-101 Biology (Fall 2025)" in {e["body"]["name"] for e in courses.values()}


def test_enrollments_come_from_an_sis_job_before_the_first_result_in_the_courses_sections(stream):
    first_result = min(_time(e) for e in _named(stream, *RESULTS))
    sections = {
        (_root(e), e["body"]["course_id"], e["body"]["course_section_id"])
        for e in stream
        if _kind(e) == "course_section"
    }
    created = _named(stream, "enrollment_created")
    kinds = collections.Counter(e["body"]["type"] for e in created)
    assert kinds["StudentEnrollment"] > 10 * kinds["TeacherEnrollment"] > 0 and kinds["StudentViewEnrollment"]
    for e in created:
        b = e["body"]
        assert (_root(e), _local(b["course_id"]), _local(b["course_section_id"])) in sections
        if b["type"] != "StudentViewEnrollment" and _time(e) < "2025-08-15":
            assert e["metadata"]["job_tag"] and e["metadata"]["job_id"].isdigit() and _time(e) < first_result


def test_students_are_dropped_concluded_or_made_inactive_each_with_its_enrollment_state(stream):
    updates = _unique(_named(stream, "enrollment_updated"))
    states = {
        (_root(e), _local(e["body"]["enrollment_id"]), e["body"]["state"])
        for e in _named(stream, "enrollment_state_updated")
    }
    assert {e["body"]["workflow_state"] for e in updates} == {"deleted", "completed", "inactive"}
    for e in updates:
        assert (_root(e), _local(e["body"]["enrollment_id"]), e["body"]["workflow_state"]) in states
        assert "2025-09-01" < _time(e) < "2025-12-01"
    created = {(_root(e), _local(e["body"]["enrollment_id"])) for e in _named(stream, "enrollment_state_created")}
    assert {(_root(e), _local(e["body"]["enrollment_id"])) for e in _named(stream, "enrollment_created")} == created


def test_a_student_who_left_gets_no_new_results_in_that_course_after_leaving(stream):
    uuids = {(root, _local(u["user_id"])): uuid for (root, uuid), u in _users(stream).items()}
    results, enrolled = _course_results(stream), _enrollments(stream)
    left = 0
    for e in _unique(_named(stream, "enrollment_updated")):
        b = e["body"]
        course, user = (_root(e), _local(b["course_id"])), _local(b["user_id"])
        if b["type"] != "StudentEnrollment" or "active" in enrolled[course][user]:
            continue  # a student who changed section is still in the course
        left += 1
        uuid = uuids[(course[0], user)]
        created = [
            x
            for x in _named(stream, "learning_outcome_result_created")
            if _root(x) == course[0] and x["body"].get("result_context_id") == course[1]
        ]
        assert not [x for x in created if x["body"]["user_uuid"] == uuid and _time(x) > _time(e)]
        assert [t for t, u in results[course] if u == uuid and t < _time(e)]  # they had results before
    assert left >= 10


def test_a_student_changes_section_a_name_changes_and_test_students_have_no_sis_id(stream):
    enrolled = _enrollments(stream)
    assert any(sorted(states) == ["active", "deleted"] for course in enrolled.values() for states in course.values())
    renamed = _named(stream, "user_updated")
    first = _users(stream)
    assert renamed
    for e in renamed:
        before = first[(_root(e), e["body"]["uuid"])]
        assert e["body"]["name"] != before["name"] and e["body"]["name"].split()[0] == before["name"].split()[0]
        assert e["body"]["created_at"] == before["created_at"] and e["body"]["updated_at"] > before["updated_at"]
    tests = [u for u in first.values() if u["name"] == "Test Student"]
    assert tests and all(u["user_sis_id"] is None and u["user_login"] is None for u in tests)
    names = collections.Counter((root, u["name"]) for (root, _), u in first.items())
    assert max(names.values()) >= 2  # an exact name that is ambiguous


def test_test_students_take_a_quiz_in_student_view_and_are_never_student_enrollments(stream):
    tests = {
        (root, _local(u["user_id"])): uuid for (root, uuid), u in _users(stream).items() if u["name"] == "Test Student"
    }
    students, views = _enrollments(stream), _enrollments(stream, ("StudentViewEnrollment",))
    assert tests and not {(root, user) for (root, _), users in students.items() for user in users} & set(tests)
    assert {(root, user) for (root, _), users in views.items() for user in users} == set(tests)
    results = {course: {uuid for _, uuid in rows} for course, rows in _course_results(stream).items()}
    assert [user for course, users in views.items() for user in users if tests[(course[0], user)] in results[course]]
    quiz = [e["body"] for e in _named(stream, *RESULTS) if e["body"].get("user_uuid") in set(tests.values())]
    assert {b["associated_asset_type"] for b in quiz} == {"Quizzes::Quiz"}


def test_people_events_are_re_delivered_and_arrive_late_like_the_others(stream):
    copies = collections.Counter(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in _named(stream, *PEOPLE))
    assert any(n > 1 for n in copies.values())
    times = [(_time(e), _name(e)) for e in stream]
    assert any(name in PEOPLE and t < before for (before, _), (t, name) in zip(times, times[1:], strict=False))


def test_without_people_the_stream_is_the_same_less_those_events():
    options = {"duplicate_fraction": 0, "late_fraction": 0}
    with_people = [orjson.dumps(e) for e in generate(8000, seed=3, **options) if _name(e) not in PEOPLE]
    without = [orjson.dumps(e) for e in generate(8000, seed=3, people=False, **options)]
    assert len(without) == 8000 and not [e for e in without if orjson.loads(e)["metadata"]["event_name"] in PEOPLE]
    assert without[: len(with_people)] == with_people
