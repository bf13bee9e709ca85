"""People and places over HTTP (issue 12): `user_ids[]` by Canvas id or `sis_user_id:X` (a 400 as Canvas's
outcome_results_controller answers for one that names no student), `exclude[]`, `section_id`,
`include[]=users`, course names in `/api/v1/courses`; and on the pages: course names, the grid's student
names and SIS ids (leading zeros kept) in Canvas's order, one section, hiding concluded students, and the
note for a course without enrollment events. The store is tests/cli/test_people_cli.py's world."""

from __future__ import annotations

import html
import re

import pytest

from tests.cli.test_people_cli import ADA, GRACE, NO_ENROLLMENTS, world
from tests.conftest import mastery, mastery_json, write_jsonl

NOT_IN_CONTEXT = "can only include id's of users in the outcome context"


@pytest.fixture
def server(serve, tmp_path):
    store = str(tmp_path / "people.db")
    mastery("--store", store, "ingest", str(write_jsonl(tmp_path / "in.jsonl", world())), check=True)
    return serve(None, store)


def rollups(server, query: str = "", course: str = "6"):
    return server.get(f"/api/v1/courses/{course}/outcome_rollups{query}")


def listed(answer: dict) -> list[str]:
    return [r["links"]["user"] for r in answer["rollups"]]


def test_the_api_answers_what_the_cli_prints_and_links_users_only_when_asked(server):
    store = ("--store", server.store)
    pairs = [
        ("?include[]=users", ()),
        ("?include[]=users&exclude[]=concluded_enrollments", ("--exclude", "concluded")),
        ("?include[]=users&exclude[]=inactive_enrollments", ("--exclude", "inactive")),
        ("?include[]=users&section_id=61", ("--section", "61")),
        (
            "?include[]=users&user_ids[]=sis_user_id:00456&user_ids[]=11",
            ("--user", "sis_user_id:00456", "--user", "11"),
        ),
        ("?aggregate=course&exclude[]=concluded_enrollments", ("--aggregate", "mean", "--exclude", "concluded")),
    ]
    for query, options in pairs:
        answer = rollups(server, query)
        assert answer.status_code == 200, (query, answer.text)
        body, printed = answer.json(), mastery_json(*store, "rollups", "--course", "6", *options)
        body["meta"].pop("pagination", None)  # Canvas's paging meta (3 students: one page)
        if "aggregate" in query:  # Canvas refuses include[]=users with aggregate: the CLI's linked.users is extra
            printed["linked"].pop("users")
        assert body == printed, query
    plain = rollups(server).json()
    assert "users" not in plain["linked"] and listed(plain) == ["12", "11", "13"]
    assert listed(rollups(server, "?exclude[]=concluded_enrollments&exclude[]=missing_user_rollups").json()) == [
        "12",
        "11",
    ]
    assert listed(rollups(server, "?section_id=62").json()) == ["12"]
    users = rollups(server, "?include[]=users").json()["linked"]["users"]
    assert [(u["name"], u["sis_user_id"]) for u in users] == [
        ("Grace Hopper", "00456"),
        ("Ada Lovelace", "00123"),
        ("Alan Turing", "007"),
    ]


def test_user_ids_take_canvas_ids_and_sis_ids_and_refuse_what_names_no_student(server):
    for ref in ("11", "2107" + "0" * 11 + "11", "sis_user_id:00123", ADA):
        answer = rollups(server, f"?user_ids[]={ref}")
        assert answer.status_code == 200 and listed(answer.json()) == ["11"], ref
    for ref in ("sis_user_id:nope", "424242", "Ada Lovelace", ADA[:8]):  # no names or prefixes over HTTP
        answer = rollups(server, f"?user_ids[]={ref}")
        assert answer.status_code == 400, ref
        assert answer.json()["errors"][0]["message"].startswith(f"{NOT_IN_CONTEXT}: no student {ref!r}"), ref
    both = rollups(server, f"?user_ids[]={GRACE}&section_id=62")
    assert both.status_code == 400
    assert both.json() == {"errors": [{"message": "cannot specify both user_ids and section_id"}]}
    bad_section = rollups(server, "?section_id=99")
    assert bad_section.status_code == 400 and "invalid section id" in bad_section.json()["errors"][0]["message"]


def test_a_course_without_enrollment_events_says_so_in_meta(server):
    meta = rollups(server, course="7").json()["meta"]
    assert meta["enrollments"] == {"known": False, "note": NO_ENROLLMENTS}


def test_courses_carry_names_and_states(server):
    found = {str(c["id"]): c for c in server.get("/api/v1/courses").json()}  # Canvas's bare list of Course
    assert (found["6"]["name"], found["6"]["workflow_state"]) == ("Algebra I", "available")
    assert (found["7"]["name"], found["7"]["workflow_state"]) == (None, None)


def student_rows(page: str) -> list[tuple[str, str]]:
    """(name, SIS id) of each student row of a grid page, in order."""
    cells = re.findall(r'<tr data-user="[^"]+"><th class="student"[^>]*>(.*?)</th>', page)
    out = []
    for cell in cells:
        cell = re.sub(r"</?a[^>]*>", "", cell)  # the name links to the student page
        sis = re.search(r'<span class="sis">(.*?)</span>', cell)
        out.append((html.unescape(re.sub(r"\s*<span.*", "", cell)), html.unescape(sis.group(1)) if sis else ""))
    return out


def test_pages_show_course_names_and_the_grid_names_students_with_sis_ids(server):
    index = server.get("/").text
    assert "Algebra I" in index and "available" in index
    page = server.get("/courses/6").text
    assert "<h1>Course 6 Algebra I: mastery</h1>" in page
    assert student_rows(page) == [("Grace Hopper", "00456"), ("Ada Lovelace", "00123"), ("Alan Turing", "007")]
    assert f'<tr data-user="{ADA}">' in page and NO_ENROLLMENTS not in page
    assert '<option value="61">Period 1</option>' in page and '<option value="62">Period 2</option>' in page
    one = server.get("/courses/6", params={"section": "61"}).text
    assert student_rows(one) == [("Ada Lovelace", "00123"), ("Alan Turing", "007")]
    assert '<option value="61" selected>Period 1</option>' in one and "· section 61" in one
    hidden = server.get("/courses/6", params={"exclude": "concluded"}).text
    assert student_rows(hidden) == [("Grace Hopper", "00456"), ("Ada Lovelace", "00123")]
    assert 'value="concluded" checked' in hidden and "without concluded enrollments" in hidden
    late = server.get("/courses/7").text
    assert f'<p class="note enrollments">{NO_ENROLLMENTS}</p>' in late
    assert [name for name, _ in student_rows(late)][0] == "Ada Lovelace"


def test_a_generated_streams_grid_names_students_with_their_sis_ids(serve, tmp_path):
    from tests.cli.test_people_cli import enrolled_course

    store = str(tmp_path / "generated.db")
    mastery("generate", "--events", "3000", "--seed", "3", "-o", str(tmp_path / "g.jsonl"), check=True)
    mastery("--store", store, "ingest", str(tmp_path / "g.jsonl"), check=True)
    root = max(mastery_json("--store", store, "accounts")["accounts"], key=lambda a: a["courses"])["root"]
    options = ("--store", store, "--account", root)
    course = enrolled_course(options)
    users = mastery_json(*options, "rollups", "--course", course)["linked"]["users"]
    server = serve(None, store)
    page = server.get(f"/courses/{course}", params={"account": root}).text
    assert student_rows(page) == [(u["name"], u["sis_user_id"]) for u in users]
    index = html.unescape(server.get("/", params={"account": root}).text)
    assert all(c["name"] in index for c in mastery_json(*options, "courses")["courses"])
