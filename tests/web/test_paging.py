"""Canvas's pagination through real HTTP (web/paging.py): page and per_page (default 10, clamped to 100,
400 for what is not a whole number >= 1), the `Link` header's current/next/prev/first/last as absolute URLs
keeping the other parameters (repeated `include[]` too, never `access_token`), `meta.pagination` as
Canvas's jsonapi_meta, and `linked.users` of the page's students only. Store: test_canvas_client's world."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.web.conftest import READ_TOKEN, stop
from tests.web.test_canvas_client import World, generated_world

AUTH = {"Authorization": f"Bearer {READ_TOKEN}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = generated_world(tmp_path_factory.mktemp("paging"))
    try:
        yield made
    finally:
        stop(made.server)


def links(header: str) -> dict[str, str]:
    """rel -> URL of an RFC 5988 Link header."""
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="([a-z]+)"', header)}


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def rollups(world: World, query: str):
    return world.server.get(f"/api/v1/courses/{world.course}/outcome_rollups?{query}", headers=AUTH)


def test_default_pages_hold_ten_students_with_links_and_canvas_meta(world):
    total = len(world.cli("rollups", "--course", world.course)["rollups"])
    pages = math.ceil(total / 10)
    first = rollups(world, "include[]=users&include[]=outcomes")
    rel = links(first.headers["link"])
    assert set(rel) == {"current", "next", "first", "last"}, "no prev on the first page"
    assert all(
        url.startswith(f"{world.server.url}/api/v1/courses/{world.course}/outcome_rollups?") for url in rel.values()
    )
    assert query_of(rel["next"]) == [
        ("include[]", "users"),
        ("include[]", "outcomes"),
        ("page", "2"),
        ("per_page", "10"),
    ]
    assert query_of(rel["last"])[-2:] == [("page", str(pages)), ("per_page", "10")]
    body = first.json()
    meta = body["meta"]["pagination"]
    assert (meta["per_page"], meta["page"], meta["count"], meta["page_count"]) == (10, 1, total, pages)
    assert {k: meta[k] for k in rel} == rel and "prev" not in meta
    assert meta["template"] == rel["current"].replace("page=1&", "page={page}&")
    assert len(body["rollups"]) == 10
    on_page = [r["links"]["user"] for r in body["rollups"]]
    assert [u["id"] for u in body["linked"]["users"]] == on_page, "linked.users: the page's students only"
    assert len(body["linked"]["outcomes"]) == len(world.cli("rollups", "--course", world.course)["linked"]["outcomes"])


def test_the_last_page_has_no_next_and_a_page_beyond_it_is_empty(world):
    total = len(world.cli("rollups", "--course", world.course)["rollups"])
    pages = math.ceil(total / 10)
    last = rollups(world, f"page={pages}")
    rel = links(last.headers["link"])
    assert "next" not in rel and query_of(rel["prev"])[-2:] == [("page", str(pages - 1)), ("per_page", "10")]
    assert len(last.json()["rollups"]) == total - 10 * (pages - 1)
    beyond = rollups(world, f"page={pages + 3}")
    assert beyond.status_code == 200 and beyond.json()["rollups"] == []
    assert "next" not in links(beyond.headers["link"])


def test_per_page_is_clamped_to_100_and_one_page_then_holds_everyone(world):
    total = len(world.cli("rollups", "--course", world.course)["rollups"])
    answer = rollups(world, "per_page=1000")
    meta = answer.json()["meta"]["pagination"]
    assert (meta["per_page"], meta["page_count"], len(answer.json()["rollups"])) == (100, 1, total)
    rel = links(answer.headers["link"])
    assert set(rel) == {"current", "first", "last"} and query_of(rel["last"]) == [("page", "1"), ("per_page", "100")]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("per_page=0", "per_page"),
        ("per_page=-3", "per_page"),
        ("per_page=ten", "per_page"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("page=1.5", "page"),
        (f"page={'9' * 40}", "page"),
    ],
)
def test_a_page_or_per_page_that_is_not_a_whole_number_is_a_400_naming_it(world, query, name):
    for path in (
        f"/api/v1/courses/{world.course}/outcome_rollups",
        "/api/v1/courses",
        f"/api/v1/courses/{world.course}/outcome_results",
    ):
        answer = world.server.get(f"{path}?{query}", headers=AUTH)
        assert answer.status_code == 400, (path, query)
        assert answer.json()["errors"][0]["message"].startswith(f"{name}: "), (path, query)


def test_links_keep_other_parameters_and_never_the_access_token(world):
    answer = world.server.get(
        f"/api/v1/courses/{world.course}/outcome_rollups",
        params=[
            ("access_token", READ_TOKEN),
            ("exclude[]", "concluded_enrollments"),
            ("per_page", "5"),
            ("include[]", "users"),
            ("sort_by", "student"),
        ],
    )
    assert answer.status_code == 200
    assert READ_TOKEN not in answer.headers["link"] and READ_TOKEN not in answer.text
    assert query_of(links(answer.headers["link"])["next"]) == [
        ("exclude[]", "concluded_enrollments"),
        ("include[]", "users"),
        ("sort_by", "student"),
        ("page", "2"),
        ("per_page", "5"),
    ]


def test_every_student_comes_once_across_the_pages_in_the_unpaged_order(world):
    unpaged = [r["links"]["user"] for r in rollups(world, "per_page=100").json()["rollups"]]
    seen, answer = [], rollups(world, "per_page=3&sort_by=student&sort_order=desc")
    while True:
        seen += [r["links"]["user"] for r in answer.json()["rollups"]]
        following = links(answer.headers["link"]).get("next")
        if following is None:
            break
        answer = world.server.get(following.removeprefix(world.server.url), headers=AUTH)
    assert seen == list(reversed(unpaged))


def test_courses_and_outcome_results_are_paged_the_same_way(world):
    courses = world.server.get("/api/v1/courses?per_page=1", headers=AUTH)
    assert len(courses.json()) == 1 and "next" in links(courses.headers["link"])
    everyone = [c["course"] for c in world.cli("courses")["courses"]]
    assert len(everyone) > 1
    results = world.server.get(f"/api/v1/courses/{world.course}/outcome_results?per_page=7&page=2", headers=AUTH)
    body = results.json()
    assert len(body["outcome_results"]) == 7 and body["meta"]["pagination"]["page"] == 2
    assert "prev" in links(results.headers["link"]) and "next" in links(results.headers["link"])
    assert body["meta"]["pagination"]["count"] == sum(
        s["count"] for r in world.cli("rollups", "--course", world.course)["rollups"] for s in r["scores"]
    )
