"""canvasapi 3.6 (ucfopen's Canvas client, unchanged) against a real `mastery serve` on loopback, on a
generated store of two root accounts (one pinned at start-up with MASTERY_ACCOUNT, as `serve --account`
does): the typical outcomes export script and the page loops of the client review
(/work/shared/reviews/canvas-api-client.md, appendix), `get_course`, `get_courses`, an account's courses,
`get_outcome_results`, `exclude[]=concluded_enrollments`, and `as_of=` equal to `mastery rollups --as-of`.

`World` and `generated_world` are shared with tests/web/test_paging.py and test_canvas_conventions.py."""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import mastery, mastery_json, write_jsonl
from tests.web.conftest import READ_TOKEN, TOKEN, Server, start, stop

EMPTY_COURSE = "777"  # a course only a course event speaks of: no outcome, link or result


@dataclass
class World:
    server: Server
    root: str  # the root account served (pinned)
    other: str  # the other root account of the store
    course: str  # its course with the most students listed
    concluded: str  # the Canvas user id of a listed student whose one enrollment there is concluded
    section: str  # that enrollment's section

    def cli(self, *args: str) -> dict:
        return mastery_json("--store", self.server.store, "--account", self.root, *args)


def generated_world(folder: Path) -> World:
    """Generate a stream, conclude one student's enrollment, add a course without results, ingest, serve."""
    stream = folder / "g.jsonl"
    mastery("generate", "--events", "3000", "--seed", "3", "-o", str(stream), check=True)
    events = [json.loads(line) for line in stream.read_text().splitlines() if line.strip()]
    store = str(folder / "store.db")
    mastery("--store", store, "ingest", str(stream), check=True)
    accounts = mastery_json("--store", store, "accounts")["accounts"]
    root = max(accounts, key=lambda a: a["courses"])["root"]
    other = next(a["root"] for a in accounts if a["root"] != root)
    options = ("--store", store, "--account", root)
    listed = {
        c["course"]: len(mastery_json(*options, "rollups", "--course", c["course"])["rollups"])
        for c in mastery_json(*options, "courses")["courses"]
    }
    course = max(listed, key=lambda c: listed[c])
    extra = [conclude_one(events, root, course, mastery_json(*options, "rollups", "--course", course))]
    created = next(
        e
        for e in events
        if e["metadata"]["event_name"] == "course_created" and e["metadata"]["root_account_uuid"] == root
    )
    empty = copy.deepcopy(created)
    shard = int(empty["body"]["course_id"]) // 10**13
    empty["body"] |= {"course_id": str(shard * 10**13 + int(EMPTY_COURSE)), "uuid": "E" * 40, "name": "Empty course"}
    extra.append(empty)
    mastery("--store", store, "ingest", str(write_jsonl(folder / "extra.jsonl", extra)), check=True)
    env = {"MASTERY_INGEST_TOKEN": TOKEN, "MASTERY_READ_TOKEN": READ_TOKEN, "MASTERY_ACCOUNT": root}
    server = start(store, env, folder / "serve.log")
    done = extra[0]["body"]
    local = (str(int(done[k]) % 10**13) for k in ("user_id", "course_section_id"))
    return World(server, root, other, course, *local)


def conclude_one(events: list[dict], root: str, course: str, rollups: dict) -> dict:
    """An enrollment_updated concluding the only student enrollment of a listed student in the course."""
    listed = {r["links"]["user"] for r in rollups["rollups"]}
    mine = [
        e
        for e in events
        if e["metadata"]["event_name"] == "enrollment_created"
        and e["metadata"]["root_account_uuid"] == root
        and e["body"]["type"] == "StudentEnrollment"
        and int(e["body"]["course_id"]) % 10**13 == int(course)
    ]
    per_user: dict[str, list[dict]] = {}
    for e in mine:
        per_user.setdefault(str(int(e["body"]["user_id"]) % 10**13), []).append(e)
    user = next(u for u in sorted(per_user) if len(per_user[u]) == 1 and u in listed)
    done = copy.deepcopy(per_user[user][0])
    done["metadata"] |= {"event_name": "enrollment_updated", "event_time": "2025-12-20T10:00:00.000Z"}
    done["body"] |= {"workflow_state": "completed", "updated_at": "2025-12-20T10:00:00Z"}
    return done


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = generated_world(tmp_path_factory.mktemp("canvas-client"))
    try:
        yield made
    finally:
        stop(made.server)


@pytest.fixture
def canvas(world):
    from canvasapi import Canvas

    warnings.simplefilter("ignore")  # canvasapi warns about a base URL that is not https
    return Canvas(world.server.url, READ_TOKEN)


def test_the_typical_outcomes_export_script_runs_unchanged(world, canvas):
    course = canvas.get_course(int(world.course))
    courses = {c["course"]: c for c in world.cli("courses")["courses"]}
    assert course.id == int(world.course) and course.name == courses[world.course]["name"]
    assert course.workflow_state == "available" and course.root_account_id == 1
    data = course.get_outcome_result_rollups(include=["outcomes", "users"], per_page=100)
    printed = world.cli("rollups", "--course", world.course)
    assert data["meta"]["pagination"]["count"] == len(printed["rollups"]) > 10
    outcomes = {int(o["id"]): o for o in data["linked"]["outcomes"]}
    names = {int(u["id"]): u["sortable_name"] for u in data["linked"]["users"]}
    rows = []
    for rollup in data["rollups"]:
        user = int(rollup["links"]["user"])
        for score in rollup["scores"]:
            outcome = outcomes[int(score["links"]["outcome"])]
            mastered = score["score"] is not None and score["score"] >= outcome["mastery_points"]
            rows.append((names[user], outcome["title"], score["score"], mastered, score["submitted_at"]))
    assert len(rows) == sum(len(r["scores"]) for r in printed["rollups"])
    assert {n for n, *_ in rows} == {u["sortable_name"] for u in printed["linked"]["users"]}


def test_every_page_loop_of_the_review_stops_and_sees_every_student_once(world, canvas):
    import requests

    course = canvas.get_course(int(world.course))
    everyone = [r["links"]["user"] for r in course.get_outcome_result_rollups(per_page=100)["rollups"]]
    assert len(everyone) == len(set(everyone)) > 10

    def until_empty() -> list[str]:
        seen, page = [], 1
        while page < 50:
            body = course.get_outcome_result_rollups(page=page, per_page=10)
            if not body["rollups"]:
                return seen
            seen += [r["links"]["user"] for r in body["rollups"]]
            page += 1
        raise AssertionError("never stopped")

    def until_short_page() -> list[str]:
        seen, page = [], 1
        while page < 50:
            body = course.get_outcome_result_rollups(page=page, per_page=10)
            seen += [r["links"]["user"] for r in body["rollups"]]
            if len(body["rollups"]) < 10:
                return seen
            page += 1
        raise AssertionError("never stopped")

    def by_page_count() -> list[str]:
        first = course.get_outcome_result_rollups(page=1, per_page=10)
        pages = first["meta"]["pagination"]["page_count"]
        seen = [r["links"]["user"] for r in first["rollups"]]
        for page in range(2, pages + 1):
            seen += [r["links"]["user"] for r in course.get_outcome_result_rollups(page=page, per_page=10)["rollups"]]
        return seen

    def by_link_next() -> list[str]:
        url = f"{world.server.url}/api/v1/courses/{world.course}/outcome_rollups?per_page=7"
        seen, headers = [], {"Authorization": f"Bearer {READ_TOKEN}"}
        while url:
            answer = requests.get(url, headers=headers, timeout=30)
            seen += [r["links"]["user"] for r in answer.json()["rollups"]]
            url = answer.links.get("next", {}).get("url")
        return seen

    for loop in (until_empty, until_short_page, by_page_count, by_link_next):
        assert loop() == everyone, loop.__name__


def test_a_paginated_list_walks_rollups_courses_and_results_to_their_end(world, canvas):
    from canvasapi.account import Account
    from canvasapi.canvas_object import CanvasObject
    from canvasapi.paginated_list import PaginatedList

    requester = canvas._Canvas__requester
    path = f"courses/{world.course}/outcome_rollups"
    walked = PaginatedList(CanvasObject, requester, "GET", path, _root="rollups", _kwargs=[("per_page", 5)])
    printed = world.cli("rollups", "--course", world.course)
    assert [r.links["user"] for r in walked] == [r["links"]["user"] for r in printed["rollups"]]
    courses = list(canvas.get_courses(per_page=1))
    assert [c.id for c in courses] == [int(c["course"]) for c in world.cli("courses")["courses"]]
    assert [c.id for c in Account(requester, {"id": 1}).get_courses(per_page=1)] == [c.id for c in courses]
    results = list(canvas.get_course(int(world.course)).get_outcome_results(per_page=25))
    counted = sum(s["count"] for r in printed["rollups"] for s in r["scores"])
    assert len(results) == counted and len({r.id for r in results}) == counted
    listed = {r["links"]["user"] for r in printed["rollups"]}
    assert {r.links["user"] for r in results} == listed, "the listed students' counted results, no other"
    assert all(int(r.links["user"]) and r.links["learning_outcome"] for r in results)


def test_exclude_concluded_enrollments_leaves_the_concluded_student_out(world, canvas):
    course = canvas.get_course(int(world.course))
    every = [r["links"]["user"] for r in course.get_outcome_result_rollups(per_page=100)["rollups"]]
    active = course.get_outcome_result_rollups(per_page=100, exclude=["concluded_enrollments"])["rollups"]
    assert world.concluded in every
    assert [r["links"]["user"] for r in active] == [u for u in every if u != world.concluded]


@pytest.mark.parametrize("moment", ["2025-10-01", "2025-11-01T12:00:00+00:00"])
def test_as_of_as_a_canvasapi_kwarg_answers_what_the_cli_prints(world, canvas, moment):
    from datetime import datetime

    course = canvas.get_course(int(world.course))
    kwarg = datetime.fromisoformat(moment) if "T" in moment else moment
    answer = course.get_outcome_result_rollups(as_of=kwarg, include=["users", "outcomes"], per_page=100)
    answer["meta"].pop("pagination")
    printed = world.cli("rollups", "--course", world.course, "--as-of", moment)
    assert answer == printed and answer["rollups"]
    now = course.get_outcome_result_rollups(include=["users", "outcomes"], per_page=100)
    assert now["rollups"] != answer["rollups"], "the moment matters"
