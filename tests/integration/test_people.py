"""People and places through a real store and read model: who a course's rollups list (as of any moment),
names and Canvas ids in rollups, naming a student every way, courses, sections, accounts, rebuild."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.canvas import parse_time
from projections.queries.audit import by_entity
from projections.queries.catalog import courses as catalog_courses
from projections.queries.outcome_rollups import rollups
from projections.queries.people import (
    NO_ENROLLMENTS,
    AmbiguousStudent,
    Person,
    UnknownStudent,
    accounts,
    courses,
    enrolled,
    people,
    resolve_student,
    sections,
)
from projections.rebuild import rebuild
from projections.session import Session, SeveralAccounts
from projections.views import View
from sources import RawItem
from store.ingest import ingest
from tests import builders as b
from tests.integration.test_rules_resolution import Pipeline

# Students: Canvas user id → (uuid, name, SIS id). Course 5 has sections 11 and 12.
ADA, BOB, CY, DEE, EVE = "uuid-ada", "uuid-bob", "uuid-cy", "uuid-dee", "uuid-eve"
USERS = [
    b.user("41", ADA, "Ada Lovelace", sis="007", login="ada"),
    b.user("42", BOB, "Bob Zane", sis="0042"),
    b.user("43", CY, "Cy Young", sis="S100202"),
    b.user("44", DEE, "Dee Adams"),
    b.user("45", EVE, "Eve Young", short_name="Evie"),
]
DROPPED_AT = 10  # day Bob's enrollment is deleted


def scores(answer: dict) -> dict[str, float]:
    return {r["links"]["user"]: r["scores"][0]["score"] for r in answer["rollups"]}


@pytest.fixture
def p(tmp_path):
    pipeline = Pipeline(tmp_path / "s.db")
    pipeline.send(
        *USERS,
        b.course("5", name="Algebra I", account="70"),
        b.section("11", "5", name="Period 1", sis="0011"),
        b.section("12", "5", name="Period 2"),
        b.outcome("1", 0, method="highest"),
        b.link("800", "1", "5", 0),
        b.enrollment("1", "5", "41", section_id="11"),
        b.enrollment("2", "5", "42", section_id="11"),
        b.enrollment("3", "5", "43", section_id="12", state="completed"),
        b.enrollment("4", "5", "44", section_id="12", state="inactive"),
        b.enrollment("5", "5", "45", section_id="12", state="invited"),
        b.enrollment("6", "5", "9", type_="TeacherEnrollment"),
        *(b.result("1", u, s, 1) for u, s in ((ADA, 3), (BOB, 4), (CY, 2), (DEE, 5), (EVE, 1))),
        b.enrollment("2", "5", "42", DROPPED_AT, section_id="11", state="deleted", updated=True),
    )
    yield pipeline
    pipeline.store.close()


def test_a_student_whose_enrollment_was_deleted_is_listed_only_before_it(p):
    now = rollups(p.conn, b.ROOT, "5")
    assert "42" not in scores(now)
    before = parse_time(b.at(DROPPED_AT)) - timedelta(seconds=1)
    then = rollups(p.conn, b.ROOT, "5", as_of=before)
    assert scores(then)["42"] == 4.0
    at_the_moment = rollups(p.conn, b.ROOT, "5", as_of=parse_time(b.at(DROPPED_AT)))
    assert "42" not in scores(at_the_moment)
    assert now["meta"]["enrollments"] == {"known": True, "note": None}


def test_rollups_name_students_by_canvas_id_in_sortable_name_order(p):
    answer = rollups(p.conn, b.ROOT, "5")
    # Adams, Lovelace, Young (Cy), Young (Eve): invited, inactive and concluded are listed by default.
    assert [r["links"] for r in answer["rollups"]] == [{"user": u, "course": "5"} for u in ("44", "41", "43", "45")]
    assert answer["linked"]["users"][:2] == [
        {"id": "44", "uuid": DEE, "name": "Dee Adams", "sortable_name": "Adams, Dee", "sis_user_id": None},
        {"id": "41", "uuid": ADA, "name": "Ada Lovelace", "sortable_name": "Lovelace, Ada", "sis_user_id": "007"},
    ]


def test_exclude_concluded_and_inactive_drop_those_students(p):
    assert set(scores(rollups(p.conn, b.ROOT, "5", exclude=frozenset({"concluded"})))) == {"41", "44", "45"}
    assert set(scores(rollups(p.conn, b.ROOT, "5", exclude=frozenset({"inactive"})))) == {"41", "43", "45"}
    both = rollups(p.conn, b.ROOT, "5", exclude=frozenset({"inactive", "concluded"}))
    assert set(scores(both)) == {"41", "45"}
    with pytest.raises(ValueError, match="cannot exclude deleted"):
        enrolled(View(p.conn, b.ROOT), "5", exclude=frozenset({"deleted"}))


def test_a_section_keeps_its_students_only(p):
    assert set(scores(rollups(p.conn, b.ROOT, "5", section="11"))) == {"41"}  # Bob (11) was dropped
    assert set(scores(rollups(p.conn, b.ROOT, "5", section="12"))) == {"43", "44", "45"}
    assert set(scores(rollups(p.conn, b.ROOT, "5", section=b.g(12)))) == {"43", "44", "45"}  # a global id


def test_the_aggregate_is_over_the_listed_students(p):
    # Scores 3 (Ada), 2 (Cy), 5 (Dee), 1 (Eve): mean 11/4 = 2.75; without the concluded Cy: 9/3 = 3.0.
    assert rollups(p.conn, b.ROOT, "5", aggregate="mean")["rollups"][0]["scores"][0]["score"] == 2.75
    fewer = rollups(p.conn, b.ROOT, "5", aggregate="mean", exclude=frozenset({"concluded"}))
    assert fewer["rollups"][0]["scores"][0]["score"] == 3.0


def test_only_student_enrollments_that_are_not_deleted_or_rejected_are_listed(p):
    p.send(
        b.user("46", "uuid-test", "Test Student"),
        b.enrollment("7", "5", "46", type_="StudentViewEnrollment"),
        b.enrollment("8", "5", "9", type_="StudentEnrollment", state="rejected"),
        b.enrollment("9", "5", "44", section_id="11", state="creation_pending"),
        b.result("1", "uuid-test", 5, 2),
    )
    found = enrolled(View(p.conn, b.ROOT), "5")
    assert found.known and found.students == {ADA, CY, DEE, EVE}
    # Dee is inactive in 12 but pending in 11: listed once, also when inactive ones are excluded.
    assert enrolled(View(p.conn, b.ROOT), "5", exclude=frozenset({"inactive"})).students == {ADA, CY, DEE, EVE}
    assert enrolled(View(p.conn, b.ROOT), "5", exclude=frozenset({"inactive"}), section="12").students == {CY, EVE}


def test_a_course_without_enrollment_events_lists_everyone_with_a_result_and_says_so(p):
    p.send(b.result("1", "uuid-zed", 4, 2, course="6"), b.result("1", ADA, 2, 2, course="6"))
    answer = rollups(p.conn, b.ROOT, "6")
    assert set(scores(answer)) == {"41", "uuid-zed"}  # Ada named by her Canvas id, the other by uuid
    assert answer["meta"]["enrollments"] == {"known": False, "note": NO_ENROLLMENTS}
    assert rollups(p.conn, b.ROOT, "6", section="11")["rollups"] == []  # sections of it are unknown
    assert enrolled(View(p.conn, b.ROOT), "6") == enrolled(View(p.conn, b.ROOT), "6", exclude=frozenset({"inactive"}))


def test_an_enrolled_student_without_a_user_event_is_counted_in_the_note(p):
    p.send(b.enrollment("10", "5", "77"))
    found = enrolled(View(p.conn, b.ROOT), "5")
    assert (
        found.note
        == "1 enrolled student without a user event: their results cannot be matched to them and are not listed"
    )


def test_a_student_is_named_every_way(p):
    p.conn.execute("INSERT INTO roster VALUES ('uuid-rosa', 'Rosa Parks', 'R-1')")
    p.send(b.result("1", "uuid-nameless-1", 4, 2, course="6"), b.result("1", "uuid-nameless-2", 4, 2, course="6"))
    view = View(p.conn, b.ROOT)
    for ref in ("41", b.g(41), " 41 ", "sis_user_id:007", ADA):
        assert resolve_student(view, ref) == ADA, ref
    assert resolve_student(view, "uuid-rosa") == "uuid-rosa"  # only the roster names her
    assert resolve_student(view, "uuid-nameless-1") == "uuid-nameless-1"  # only results name them
    for ref in ("uuid-a", "ada lovelace", "LOVELACE, ADA", "Ada", "rosa parks", "evie"):
        assert resolve_student(view, ref, loose=True) in (ADA, "uuid-rosa", EVE), ref
    assert resolve_student(view, "evie", loose=True) == EVE
    for ref in ("sis_user_id:7", "sis_user_id:S100203", "99", "ada lovelace", "uuid-a", ""):
        with pytest.raises(UnknownStudent) as unknown:
            resolve_student(view, ref)
        assert unknown.value.ref == ref
    with pytest.raises(UnknownStudent, match="no student 'nobody'"):
        resolve_student(view, "nobody", loose=True)
    with pytest.raises(AmbiguousStudent) as ambiguous:
        resolve_student(view, "uuid-nameless", loose=True)
    assert [m.uuid for m in ambiguous.value.matches] == ["uuid-nameless-1", "uuid-nameless-2"]
    p.send(b.user("47", "uuid-ada-2", "Ada Lovelace", sis="007"))
    view = View(p.conn, b.ROOT)
    for ref in ("Ada Lovelace", "sis_user_id:007"):
        with pytest.raises(AmbiguousStudent) as ambiguous:
            resolve_student(view, ref, loose=True)
        assert {m.uuid for m in ambiguous.value.matches} == {ADA, "uuid-ada-2"}
        assert all(isinstance(m, Person) and m.source == "events" for m in ambiguous.value.matches)


def test_people_events_win_over_the_roster_import_and_answer_as_of(p):
    p.conn.execute("INSERT INTO roster VALUES (?, 'Old Name', 'OLD'), ('uuid-rosa', 'Rosa Parks', NULL)", (ADA,))
    p.send(b.user("41", ADA, "Ada King", 20, sis="007", updated=True))
    found = people(View(p.conn, b.ROOT))
    assert (found[ADA].name, found[ADA].sortable_name, found[ADA].source) == ("Ada King", "King, Ada", "events")
    assert (found["uuid-rosa"].sortable_name, found["uuid-rosa"].id, found["uuid-rosa"].source) == (
        "Parks, Rosa",
        None,
        "roster",
    )
    before = people(View(p.conn, b.ROOT, as_of=parse_time(b.at(19))))
    assert before[ADA].name == "Ada Lovelace"
    assert people(View(p.conn, b.ROOT), {ADA, "uuid-rosa"}) == {k: found[k] for k in (ADA, "uuid-rosa")}


def test_courses_sections_and_the_course_account(p):
    view = View(p.conn, b.ROOT)
    assert courses(view)["5"].name == "Algebra I" and courses(view)["5"].account_id == "70"
    assert [(s.id, s.name, s.sis_source_id) for s in sections(view, "5")] == [
        ("11", "Period 1", "0011"),
        ("12", "Period 2", None),
    ]
    assert view.course_account("5") == "70"  # learned from course_created.account_id
    assert {c["course"] for c in catalog_courses(view)} >= {"5"}


def test_the_course_event_account_feeds_scale_resolution(tmp_path):
    # The results' metadata stands in no course: only the course event says course 5 is in account 70.
    p = Pipeline(tmp_path / "s.db")
    p.send(
        b.outcome("1", 0),
        b.result("1", "s1", 3, 1),
        b.scale("2", "Account", "70", 2, [3, 2, 0], 2, colors=["444444", "555555", "666666"]),
    )
    assert p.row(user="s1")[3] == "Canvas default scale"
    p.send(b.course("5", 3, account="70"))
    assert p.row(user="s1")[1:4] == ("444444", "highest", "account 70 scale 2")
    p.store.close()


def test_an_enrollment_audit_says_who_changed_it_and_when(p):
    trail = by_entity(p.store, p.conn, b.ROOT, "enrollment", "2")
    assert [e["event_name"] for e in trail["entries"]] == ["enrollment_created", "enrollment_updated"]
    assert trail["entries"][-1]["actor"]["user_login"] == "teacher@example.com"
    assert {"field": "workflow_state", "before": "active", "after": "deleted"} in trail["entries"][-1]["changes"]


def test_rebuild_reports_no_change_on_unchanged_code(p):
    report = rebuild(p.store, p.conn)
    assert report["read_models"]["history"] == {"changed": 0, "added": 0, "removed": 0}
    assert report["read_models"]["mastery"] == {"changed": 0, "added": 0, "removed": 0}
    assert rollups(p.conn, b.ROOT, "5")["linked"]["users"][0]["id"] == "44"


def test_accounts_and_the_several_accounts_error_name_each_roots_host(tmp_path):
    path = str(tmp_path / "s.db")
    session = Session(path)
    other = b.user("1", "uuid-x", "X Y")
    other["metadata"] |= {"root_account_uuid": "OtherRoot", "hostname": "other.instructure.com"}
    mine = b.course("5")
    mine["metadata"]["root_account_lti_guid"] = f"{b.ROOT}.district.instructure.com"
    mine["metadata"]["hostname"] = "canvas.district.org"
    events = [mine, other]
    ingest(session.store, [RawItem("t", i, json.dumps(e), e, None) for i, e in enumerate(events)])
    conn = session.caught_up()
    found = {a.root: a for a in accounts(conn)}
    assert (found[b.ROOT].host, found[b.ROOT].local_id) == ("district.instructure.com", "1")
    assert found["OtherRoot"].host == "other.instructure.com"
    with pytest.raises(SeveralAccounts) as raised:
        session.root(conn)
    assert "OtherRoot (other.instructure.com)" in str(raised.value)
    assert f"{b.ROOT} (district.instructure.com)" in str(raised.value)
    session.close()


def _history(draw_states: list[tuple[int, int, int]]) -> list[dict]:
    """Six students of course 5 with results, and enrollment changes at drawn days in drawn states."""
    states = ("active", "invited", "inactive", "completed", "deleted", "rejected")
    events = [b.outcome("1", 0), b.link("800", "1", "5", 0), b.section("11", "5"), b.section("12", "5", 1)]
    for n in range(6):
        events += [b.user(str(60 + n), f"uuid-{n}", f"Student {n}", n), b.result("1", f"uuid-{n}", n, 3 + n)]
    for student, day, state in draw_states:
        section = "11" if day % 2 else "12"
        events.append(
            b.enrollment(str(70 + student), "5", str(60 + student), day, state=states[state], section_id=section)
        )
    return events


def _answer(conn, **cut) -> tuple:
    view = View(conn, b.ROOT, **cut)
    listed = rollups(conn, b.ROOT, "5", **cut)
    some = rollups(conn, b.ROOT, "5", exclude=frozenset({"inactive", "concluded"}), section="11", **cut)
    return (
        (listed["rollups"], listed["linked"], listed["meta"]["enrollments"]),
        (some["rollups"], some["linked"], some["meta"]["enrollments"]),
        enrolled(view, "5"),
        people(view),
    )


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 12), st.integers(0, 5)), min_size=1, max_size=12),
    cut_day=st.integers(0, 12),
    seed=st.randoms(use_true_random=False),
)
def test_as_of_t_equals_a_store_that_got_only_the_events_up_to_t_in_any_order(tmp_path_factory, changes, cut_day, seed):
    events = _history(changes)
    shuffled = events[:]
    seed.shuffle(shuffled)
    cut = parse_time(b.at(cut_day))
    full = Pipeline(tmp_path_factory.mktemp("full") / "s.db").send(*shuffled, *shuffled[:3])
    partial = Pipeline(tmp_path_factory.mktemp("cut") / "s.db").send(
        *[e for e in events if parse_time(e["metadata"]["event_time"]) <= cut]
    )
    ordered = Pipeline(tmp_path_factory.mktemp("ordered") / "s.db").send(*events)
    try:
        assert _answer(full.conn, as_of=cut)[:3] == _answer(partial.conn)[:3]
        assert _answer(full.conn) == _answer(ordered.conn)  # arrival order and repeats change nothing
    finally:
        for pipeline in (full, partial, ordered):
            pipeline.store.close()


def test_an_sis_id_names_whoever_holds_it_as_of_the_cut_and_events_override_the_roster(p):
    p.conn.execute("INSERT INTO roster VALUES (?, 'Ada', 'R-ADA'), ('uuid-rosa', 'Rosa Parks', 'R-1')", (ADA,))
    p.send(b.user("41", ADA, "Ada Lovelace", 20, sis="008", updated=True))
    now, then = View(p.conn, b.ROOT), View(p.conn, b.ROOT, as_of=parse_time(b.at(19)))
    assert resolve_student(now, "sis_user_id:008") == ADA
    assert resolve_student(then, "sis_user_id:007") == ADA
    for view, ref in ((now, "sis_user_id:007"), (then, "sis_user_id:008"), (now, "sis_user_id:R-ADA")):
        with pytest.raises(UnknownStudent):
            resolve_student(view, ref)
    assert resolve_student(now, "sis_user_id:R-1") == "uuid-rosa"  # the roster alone names her
