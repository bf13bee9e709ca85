"""People and places on the command line (issue 12): students named by Canvas id, SIS id, uuid, prefix or
name; names and SIS ids (leading zeros kept) in the rollups table, CSV and JSON, `student`, `explain`,
`what-if` and `config set`; enrollments deciding who is listed (`--exclude`, `--section`, as of a cut, and
the note for a course without enrollment events); course names in `courses`; the `accounts` command.

The store is built from tests/builders.py events: course 6 "Algebra I" with sections 61 and 62, four
students with results on outcome 104 (one concluded, one dropped on day 10), two namesakes without
results, a teacher; course 7 has results and no enrollment event at all.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests import builders as b
from tests.conftest import mastery, mastery_json, write_jsonl

ADA, GRACE, ALAN, EDSGER = (f"{name}-uuid-{'x' * 30}"[:40] for name in ("ada", "grace", "alan", "edsger"))
SAM1, SAM2 = "sam1-uuid-" + "y" * 30, "sam2-uuid-" + "z" * 30
NOBODY = "nobody-uuid-" + "q" * 28  # results in course 7, no user event
HOST = "riverbend.instructure.com"
DROPPED = 10  # day Edsger's enrollment is deleted
NO_ENROLLMENTS = "no enrollment events for this course: every student with a counted result is listed"


def world() -> list[dict]:
    users = [
        b.user("11", ADA, "Ada Lovelace", sis="00123", login="ada@example.org"),
        b.user("12", GRACE, "Grace Hopper", sis="00456"),
        b.user("13", ALAN, "Alan Turing", sis="007"),
        b.user("17", EDSGER, "Edsger Dijkstra", sis="0017"),
        b.user("15", SAM1, "Sam Smith", sis="S15"),
        b.user("16", SAM2, "Sam Smith", sis="S16"),
    ]
    users[0]["metadata"]["root_account_lti_guid"] = f"{b.ROOT}.{HOST}"
    return [
        *users,
        b.course("6", name="Algebra I", account="70"),
        b.section("61", "6", name="Period 1", sis="SEC-01"),
        b.section("62", "6", name="Period 2"),
        b.enrollment("101", "6", "11", section_id="61"),
        b.enrollment("102", "6", "12", section_id="62"),
        b.enrollment("103", "6", "13", section_id="61"),
        b.enrollment("103", "6", "13", 5, section_id="61", state="completed", updated=True),
        b.enrollment("104", "6", "17", section_id="62"),
        b.enrollment("104", "6", "17", DROPPED, section_id="62", state="deleted", updated=True),
        b.enrollment("105", "6", "15", section_id="61"),
        b.enrollment("106", "6", "16", section_id="62"),
        b.enrollment("109", "6", "9", type_="TeacherEnrollment", section_id="61"),
        b.outcome("104"),
        b.link("1", "104", "6", 0.5),
        b.result("104", ADA, 5, 1, course="6"),
        b.result("104", GRACE, 3, 1, course="6"),
        b.result("104", ALAN, 4, 1, course="6"),
        b.result("104", EDSGER, 2, 1, course="6"),
        b.result("104", ADA, 4, 2, course="7"),
        b.result("104", NOBODY, 2, 2, course="7"),
    ]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("people")
    store = ("--store", str(folder / "s.db"))
    assert mastery_json(*store, "ingest", str(write_jsonl(folder / "in.jsonl", world())))["quarantined"] == 0
    return store


def names(answer: dict) -> list[str | None]:
    users = {u["id"] or u["uuid"]: u for u in answer["linked"]["users"]}
    return [users[r["links"]["user"]]["name"] for r in answer["rollups"]]


def test_rollups_table_names_students_with_sis_ids_in_sortable_name_order(store):
    out = mastery(*store, "rollups", "--course", "6", check=True).stdout.decode()
    lines = [line for line in out.splitlines() if "│" in line]
    # Canvas's order: Hopper, Lovelace, Turing; Dijkstra dropped (deleted) on day 10, so not listed now.
    rows = [line for line in lines if any(n in line for n in ("Grace", "Ada", "Alan", "Edsger"))]
    assert [r.split("│")[1].strip() for r in rows] == ["Grace Hopper", "Ada Lovelace", "Alan Turing"]
    assert [r.split("│")[2].strip() for r in rows] == ["00456", "00123", "007"]
    assert "course 6 Algebra I mastery" in out and "3 student(s) × 1 outcome(s)" in out
    assert NO_ENROLLMENTS not in out


def test_rollups_csv_has_canvas_ids_names_and_sis_ids_as_text(store):
    out = mastery(*store, "rollups", "--course", "6", "--csv", check=True).stdout.decode()
    assert list(csv.reader(io.StringIO(out))) == [
        ["student", "name", "sis_id", "score 104", "rating 104"],
        ["12", "Grace Hopper", "00456", "3.0", "Meets"],
        ["11", "Ada Lovelace", "00123", "5.0", "Top"],
        ["13", "Alan Turing", "007", "4.0", "Meets"],
    ]


def test_rollups_json_always_links_the_users_by_canvas_id(store):
    answer = mastery_json(*store, "rollups", "--course", "6")
    assert [r["links"]["user"] for r in answer["rollups"]] == ["12", "11", "13"]
    assert answer["linked"]["users"][1] == {
        "id": "11",
        "uuid": ADA,
        "name": "Ada Lovelace",
        "sortable_name": "Lovelace, Ada",
        "sis_user_id": "00123",
    }
    assert answer["meta"]["enrollments"] == {"known": True, "note": None}


def test_a_dropped_student_is_listed_as_of_a_second_before_the_drop(store):
    before = b.at(DROPPED).replace("T10:00:00Z", "T09:59:59Z")
    then = mastery_json(*store, "rollups", "--course", "6", "--as-of", before)
    assert names(then) == ["Edsger Dijkstra", "Grace Hopper", "Ada Lovelace", "Alan Turing"]
    table = mastery(*store, "rollups", "--course", "6", "--as-of", before, check=True).stdout.decode()
    assert "Edsger Dijkstra" in table and "0017" in table
    assert names(mastery_json(*store, "rollups", "--course", "6", "--as-of", b.at(DROPPED))) == [
        "Grace Hopper",
        "Ada Lovelace",
        "Alan Turing",
    ]


def test_exclude_concluded_drops_the_concluded_student_and_inactive_drops_no_one(store):
    course = ("rollups", "--course", "6")
    assert names(mastery_json(*store, *course, "--exclude", "concluded")) == ["Grace Hopper", "Ada Lovelace"]
    assert names(mastery_json(*store, *course, "--exclude", "inactive")) == [
        "Grace Hopper",
        "Ada Lovelace",
        "Alan Turing",
    ]
    both = mastery_json(*store, *course, "--exclude", "inactive,concluded")
    assert both == mastery_json(*store, *course, "--exclude", "inactive", "--exclude", "concluded")
    assert names(both) == ["Grace Hopper", "Ada Lovelace"]
    bad = mastery(*store, *course, "--exclude", "dropped")
    assert bad.returncode == 2 and "'dropped': give inactive and/or concluded" in bad.stderr.decode()
    # The aggregate is over the same students: mean of 3 and 5.
    mean = mastery_json(*store, *course, "--exclude", "concluded", "--aggregate", "mean")
    assert mean["rollups"][0]["scores"][0]["score"] == 4.0


def test_section_keeps_one_section_and_an_unknown_section_lists_the_sections(store):
    course = ("rollups", "--course", "6")
    assert names(mastery_json(*store, *course, "--section", "61")) == ["Ada Lovelace", "Alan Turing"]
    assert names(mastery_json(*store, *course, "--section", b.g("62"))) == ["Grace Hopper"]
    unknown = mastery(*store, *course, "--section", "99")
    assert unknown.returncode == 1
    assert "course 6 has no section 99; its sections: 61 (Period 1), 62 (Period 2)" in unknown.stderr.decode()
    both = mastery(*store, *course, "--section", "61", "--user", "11")
    assert both.returncode == 2 and "not both" in both.stderr.decode()


def test_a_course_without_enrollment_events_lists_everyone_and_says_why(store):
    out = mastery(*store, "rollups", "--course", "7", check=True).stdout.decode()
    assert "Ada Lovelace" in out and NOBODY[:12] in out
    assert out.rstrip().splitlines()[-1] == NO_ENROLLMENTS
    answer = mastery_json(*store, "rollups", "--course", "7")
    assert answer["meta"]["enrollments"] == {"known": False, "note": NO_ENROLLMENTS}
    assert [r["links"]["user"] for r in answer["rollups"]] == ["11", NOBODY]
    assert mastery(*store, "rollups", "--course", "7", "--csv", check=True).stderr.decode().strip() == NO_ENROLLMENTS


@pytest.mark.parametrize("ref", ["sis_user_id:00123", "11", b.g("11"), ADA, ADA[:8], "ada lovelace", "Lovelace, Ada"])
def test_student_is_named_by_sis_id_canvas_id_uuid_prefix_or_name(store, ref):
    answer = mastery_json(*store, "student", ref)
    assert (answer["user_uuid"], answer["id"], answer["name"], answer["sis_id"]) == (ADA, "11", "Ada Lovelace", "00123")
    assert [(s["course"], s["score"]) for s in answer["scores"]] == [("6", 5.0), ("7", 4.0)]


def test_student_table_header_names_the_student(store):
    out = mastery(*store, "student", "sis_user_id:00123", check=True).stdout.decode()
    assert "Ada Lovelace · SIS 00123 · user 11 · " + ADA in out


def test_an_ambiguous_name_lists_the_matches_and_an_unknown_one_says_no_student(store):
    ambiguous = mastery(*store, "student", "sam smith")
    message = ambiguous.stderr.decode()
    assert ambiguous.returncode == 1 and message.count("\n") == 1
    assert "'sam smith' names 2 students: Sam Smith (sis S15, user 15, uuid " + SAM1 in message
    assert "Sam Smith (sis S16, user 16, uuid " + SAM2 in message
    for ref in ("S100202", "sis_user_id:999", "Nobody Here"):
        unknown = mastery(*store, "student", ref)
        assert unknown.returncode == 1, ref
        assert unknown.stderr.decode().startswith(f"Error: no student {ref!r}: give a Canvas user id"), ref
        assert "no counted results" not in unknown.stderr.decode()
    bare = mastery(*store, "student", "00123")  # a SIS id without its prefix: say how to write it
    assert bare.returncode == 1
    assert "no student '00123': did you mean sis_user_id:00123 (Ada Lovelace)?" in bare.stderr.decode()
    listed_nowhere = mastery(*store, "student", "sis_user_id:S15")
    assert (
        listed_nowhere.returncode == 1 and "no counted results for student Sam Smith" in listed_nowhere.stderr.decode()
    )


def test_user_option_takes_every_form_and_refuses_an_unknown_one(store):
    answer = mastery_json(*store, "rollups", "--course", "6", "--user", "sis_user_id:00456", "--user", "ada lovelace")
    assert names(answer) == ["Grace Hopper", "Ada Lovelace"]
    unknown = mastery(*store, "rollups", "--course", "6", "--user", "sis_user_id:nope")
    assert unknown.returncode == 1 and "no student 'sis_user_id:nope'" in unknown.stderr.decode()


def test_explain_names_the_student(store):
    out = mastery(*store, "explain", "sis_user_id:00456", "--course", "6", "--outcome", "104", check=True).stdout
    assert "Grace Hopper (SIS 00456) · course 6 · outcome 104" in out.decode()
    answer = mastery_json(*store, "explain", "12", "--course", "6", "--outcome", "104")
    assert (answer["student"], answer["user_id"], answer["name"], answer["sis_user_id"]) == (
        GRACE,
        "12",
        "Grace Hopper",
        "00456",
    )
    missing = mastery(*store, "explain", "sis_user_id:S15", "--course", "6", "--outcome", "104")
    assert missing.returncode == 1
    assert "student Sam Smith (SIS S15) has no results for outcome 104" in missing.stderr.decode()


def test_what_if_names_each_student_with_the_sis_id(store, tmp_path):
    scale = tmp_path / "scale.json"
    scale.write_text(
        json.dumps([{"description": "Ten", "points": 10, "mastery": True}, {"description": "Zero", "points": 0}])
    )
    what_if = ("what-if", "--course", "6", "--scale", str(scale))
    out = mastery(*store, *what_if, check=True).stdout.decode()
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in out.splitlines() if "│ 104" in line}
    assert {k: rows[k] for k in ("Grace Hopper", "Ada Lovelace", "Alan Turing")} == {
        "Grace Hopper": "00456",
        "Ada Lovelace": "00123",
        "Alan Turing": "007",
    }
    changes = {c["student"]: c for c in mastery_json(*store, *what_if)["changes"]}
    assert {k: changes[ADA][k] for k in ("user_id", "name", "sis_user_id", "after_rating")} == {
        "user_id": "11",
        "name": "Ada Lovelace",
        "sis_user_id": "00123",
        "after_rating": "Zero",
    }


def test_config_set_change_lines_name_the_students(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    events = [*world(), b.scale("1", "Account", "1", 0.2, [4, 2, 0], 2)]
    mastery(*store, "ingest", str(write_jsonl(tmp_path / "in.jsonl", events)), check=True)
    out = mastery(*store, "config", "set", "mode", "outcome", check=True).stdout.decode()
    assert "  course 6 student Ada Lovelace (00123) outcome 104: 5 Level 4 → 5 Top" in out
    assert f"  course 7 student {NOBODY} outcome 104: 2 Level 2 → 2 Below" in out
    moved = mastery_json(*store, "config", "set", "mode", "scale")
    ada = [e for e in moved["examples"] if e["user_uuid"] == ADA and e["course"] == "6"]
    assert [(e["name"], e["sis_user_id"], e["before"], e["after"]) for e in ada] == [
        ("Ada Lovelace", "00123", "5 Top", "5 Level 4")
    ]


def test_courses_show_names_and_states(store):
    found = {c["course"]: c for c in mastery_json(*store, "courses")["courses"]}
    assert (found["6"]["name"], found["6"]["workflow_state"]) == ("Algebra I", "available")
    assert (found["7"]["name"], found["7"]["workflow_state"]) == (None, None)
    table = mastery(*store, "courses", check=True).stdout.decode()
    assert "Algebra I" in table and "available" in table


def test_accounts_list_each_root_with_its_host(store):
    assert mastery_json(*store, "accounts") == {
        "accounts": [{"root": b.ROOT, "local_id": "1", "host": HOST, "courses": 2}]
    }
    table = mastery(*store, "accounts", check=True).stdout.decode()
    assert b.ROOT in table and HOST in table
    assert "accounts" in mastery("--help", check=True).stdout.decode()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ...]:
    """A generated stream (`mastery generate`, with its people and places), ingested; the global options
    that choose its biggest root account."""
    folder = tmp_path_factory.mktemp("generated")
    store = ("--store", str(folder / "s.db"))
    mastery("generate", "--events", "3000", "--seed", "3", "-o", str(folder / "g.jsonl"), check=True)
    mastery(*store, "ingest", str(folder / "g.jsonl"), check=True)
    found = mastery_json(*store, "accounts")["accounts"]
    return (*store, "--account", max(found, key=lambda a: a["courses"])["root"])


def enrolled_course(options: tuple[str, ...]) -> str:
    """A course of the generated stream whose enrollments are known and list a SIS id with a leading zero."""
    for course in mastery_json(*options, "courses")["courses"]:
        answer = mastery_json(*options, "rollups", "--course", course["course"])
        zeros = [u for u in answer["linked"]["users"] if (u["sis_user_id"] or "").startswith("0")]
        if answer["meta"]["enrollments"]["known"] and zeros:
            return course["course"]
    raise AssertionError("no generated course with known enrollments and a SIS id with a leading zero")


def test_a_generated_stream_shows_names_and_sis_ids_with_leading_zeros_in_table_and_csv(generated):
    course = enrolled_course(generated)
    answer = mastery_json(*generated, "rollups", "--course", course)
    users = answer["linked"]["users"]
    assert all(u["name"] and u["id"] and u["sis_user_id"] for u in users)
    assert [r["links"]["user"] for r in answer["rollups"]] == [u["id"] for u in users]
    keys = [(u["sortable_name"].casefold(), u["uuid"]) for u in users]
    assert keys == sorted(keys)  # Canvas's order: sortable name
    rows = list(csv.reader(io.StringIO(mastery(*generated, "rollups", "--course", course, "--csv").stdout.decode())))
    assert [row[:3] for row in rows[1:]] == [[u["id"], u["name"], u["sis_user_id"]] for u in users]
    table = mastery(*generated, "rollups", "--course", course, check=True).stdout.decode()
    assert f"{len(users)} student(s)" in table
    for u in users:
        assert u["sis_user_id"] in table and u["name"].split()[0] in table


def test_a_generated_students_sis_id_and_canvas_id_both_name_them(generated):
    course = enrolled_course(generated)
    user = next(
        u
        for u in mastery_json(*generated, "rollups", "--course", course)["linked"]["users"]
        if u["sis_user_id"].startswith("0")
    )
    by_sis = mastery_json(*generated, "student", f"sis_user_id:{user['sis_user_id']}")
    by_id = mastery_json(*generated, "student", user["id"])
    assert by_sis == by_id and (by_sis["user_uuid"], by_sis["sis_id"]) == (user["uuid"], user["sis_user_id"])
    assert course in {s["course"] for s in by_sis["scores"]}


def test_a_generated_streams_courses_have_names(generated):
    found = mastery_json(*generated, "courses")["courses"]
    assert found and all(c["name"] and c["workflow_state"] for c in found)
    table = mastery(*generated, "courses", check=True).stdout.decode()
    assert all(c["name"].split()[0] in table for c in found)


def test_roster_import_names_whom_the_events_do_not_and_events_win_where_both_speak(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    mastery(*store, "ingest", str(write_jsonl(tmp_path / "in.jsonl", world())), check=True)
    roster = tmp_path / "roster.csv"
    roster.write_text(f"user_uuid,name,sis_id\n{ADA},Augusta Ada King,R-1\n{NOBODY},Noor Roster,000042\n")
    mastery(*store, "roster", "import", str(roster), check=True)
    rows = list(csv.reader(io.StringIO(mastery(*store, "rollups", "--course", "7", "--csv").stdout.decode())))
    assert [row[:3] for row in rows[1:]] == [["11", "Ada Lovelace", "00123"], [NOBODY, "Noor Roster", "000042"]]
    assert mastery_json(*store, "student", "noor roster")["user_uuid"] == NOBODY
    assert mastery_json(*store, "student", "sis_user_id:000042")["sis_id"] == "000042"
    assert mastery(*store, "student", "Augusta Ada King").returncode == 1  # the events' name wins
    for command in (("roster",), ("roster", "import")):
        said = " ".join(mastery(*command, "--help", check=True).stdout.decode().split()).casefold()
        assert "events win where both speak" in said, command
