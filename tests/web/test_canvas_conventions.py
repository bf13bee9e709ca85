"""Canvas's conventions on /api/v1 through a real `mastery serve`: the error body `{"errors": [{"message"}]}`
(POST /events keeps `{"error"}`), 405 with `Allow` for write methods, `access_token` like the Bearer token
and never in the server's log, 400 (saying how to choose) for a store of several root accounts when the
request chooses none, Canvas's global ids in both forms, Course objects, an empty course answering 200, and
every Canvas parameter of outcome_rollups applied or refused with Canvas's 400 (one parametrized test).
Store: test_canvas_client's world (generated, two root accounts, one pinned); the Canvas seed server for
the seeds' shard."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STUDENT
from tests.web.conftest import READ_TOKEN, TOKEN, stop
from tests.web.test_canvas_client import EMPTY_COURSE, World, generated_world

AUTH = {"Authorization": f"Bearer {READ_TOKEN}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = generated_world(tmp_path_factory.mktemp("conventions"))
    try:
        yield made
    finally:
        stop(made.server)


def get(world: World, path: str, **kw: Any):
    return world.server.get(path, headers=AUTH | kw.pop("headers", {}), **kw)


def message(answer) -> str:
    body = answer.json()
    assert list(body) == ["errors"] and len(body["errors"]) == 1 and list(body["errors"][0]) == ["message"], body
    return body["errors"][0]["message"]


def test_api_errors_are_in_canvas_shape_and_deliveries_keep_theirs(world):
    assert "not in the store" in message(get(world, "/api/v1/courses/424242/outcome_rollups"))
    assert "as_of" in message(get(world, f"/api/v1/courses/{world.course}/outcome_rollups?as_of=soon"))
    assert message(get(world, "/api/v1/nothing/here")) == "Not Found"
    unauthorized = world.server.get(f"/api/v1/courses/{world.course}")
    assert unauthorized.status_code == 401 and "access_token" in message(unauthorized)
    delivery = world.server.post(b"{}", token="wrong")
    assert delivery.status_code == 401 and list(delivery.json()) == ["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_write_methods_are_a_405_with_allow(world, method):
    import httpx

    for path in (f"/api/v1/courses/{world.course}/outcome_rollups", "/api/v1/courses", "/api/v1/no/such/route"):
        answer = httpx.request(method, f"{world.server.url}{path}", headers=AUTH, timeout=30)
        assert answer.status_code == 405 and answer.headers["allow"] == "GET", (method, path)
        assert "read-only" in message(answer)


def test_access_token_reads_like_the_bearer_token_and_is_never_logged(world):
    path = f"/api/v1/courses/{world.course}/outcome_rollups"
    by_query = world.server.get(path, params={"access_token": READ_TOKEN, "per_page": 100})
    assert by_query.status_code == 200
    assert by_query.json()["rollups"] == get(world, path, params={"per_page": 100}).json()["rollups"]
    assert world.server.get(path, params={"access_token": TOKEN}).status_code == 401
    assert world.server.get(path, params={"access_token": ""}).status_code == 401
    world.server.get(f"{path}/nothing", params={"access_token": READ_TOKEN})  # a 404 is not logged with it either
    log = Path(world.server.store).parent / "serve.log"
    assert READ_TOKEN not in log.read_text(errors="replace")


def test_several_root_accounts_and_none_chosen_is_a_400_saying_how(world, serve):
    env = {"MASTERY_INGEST_TOKEN": TOKEN, "MASTERY_READ_TOKEN": READ_TOKEN}
    unpinned = serve(env, world.server.store)
    answer = unpinned.get(f"/api/v1/courses/{world.course}", headers=AUTH)
    assert answer.status_code == 400
    text = message(answer)
    assert world.root in text and world.other in text and "account=" in text and "--account" in text
    chosen = unpinned.get(f"/api/v1/courses/{world.course}", headers=AUTH, params={"account": world.root})
    assert chosen.status_code == 200 and chosen.json()["id"] == int(world.course)


def test_global_ids_in_digits_or_tilde_form_are_the_local_ids(seeded):
    def rollups(path: str) -> dict:
        body = seeded.get(path).json()
        body["meta"].pop("pagination")
        return body

    local = rollups("/api/v1/courses/1/outcome_rollups?outcome_ids[]=1")
    assert local["rollups"]
    for course, outcome in (("21070000000000001", "21070000000000001"), ("2107~1", "2107~1")):
        assert rollups(f"/api/v1/courses/{course}/outcome_rollups?outcome_ids[]={outcome}") == local, course
    assert seeded.get("/api/v1/outcomes/2107~12345").json() == seeded.get("/api/v1/outcomes/12345").json()
    assert seeded.get(f"/api/v1/courses/2107~1/outcome_results?user_ids[]={STUDENT}").status_code == 200
    assert "course_id" in message(seeded.get(f"/api/v1/courses/2107~{'1' * 40}/outcome_rollups"))


def test_a_course_is_canvas_shaped_and_one_without_results_answers_empty(world):
    course = get(world, f"/api/v1/courses/{world.course}").json()
    listed = {c["course"]: c for c in world.cli("courses")["courses"]}
    assert (course["id"], course["name"], course["workflow_state"]) == (
        int(world.course),
        listed[world.course]["name"],
        "available",
    )
    assert course["root_account_id"] == 1 and course["account_id"] == int(listed[world.course]["account"])
    assert course["sis_course_id"] is None and len(course["uuid"]) == 40
    empty = get(world, f"/api/v1/courses/{EMPTY_COURSE}/outcome_rollups")
    assert empty.status_code == 200 and empty.json()["rollups"] == [] and empty.json()["linked"]["outcomes"] == []
    assert get(world, f"/api/v1/courses/{EMPTY_COURSE}").json()["name"] == "Empty course"
    before = get(world, f"/api/v1/courses/{world.course}/outcome_rollups?as_of=2000-01-01")
    assert before.status_code == 200 and before.json()["rollups"] == []
    assert get(world, "/api/v1/courses/424242").status_code == 404
    assert get(world, "/api/v1/accounts/424242/courses").status_code == 404


# --------------------------------------------------------------------------- every rollups parameter


def users(body: dict) -> list[str]:
    return [r["links"]["user"] for r in body["rollups"]]


def outcomes(body: dict) -> list[str]:
    return [o["id"] for o in body["linked"]["outcomes"]]


def scored(body: dict, outcome: str) -> list[float | None]:
    return [next((s["score"] for s in r["scores"] if s["links"]["outcome"] == outcome), None) for r in body["rollups"]]


def same_as_cli(*options: str) -> Callable[[dict, dict, World], None]:
    def check(body: dict, base: dict, world: World) -> None:
        printed = world.cli("rollups", "--course", world.course, *options)
        body["meta"].pop("pagination", None)
        if "--aggregate" in options:
            printed["linked"].pop("users")
        assert body == printed

    return check


def two_students(body: dict, base: dict, world: World) -> None:
    assert users(body) == users(base)[:2]


def sis_student(body: dict, base: dict, world: World) -> None:
    assert users(body) == users(base)[:1]


def only_first_outcome(body: dict, base: dict, world: World) -> None:
    first = outcomes(base)[0]
    assert outcomes(body) == [first] and all(
        s["links"]["outcome"] == first for r in body["rollups"] for s in r["scores"]
    )


def group_outcomes(body: dict, base: dict, world: World) -> None:
    tree = world.cli("tree", "--course", world.course)
    group = next(g for root in tree["roots"] for g in root["children"] if g["outcomes"])
    assert sorted(outcomes(body), key=int) == sorted((o["id"] for o in group["outcomes"]), key=int)
    assert len(outcomes(body)) < len(outcomes(base))


def with_users(body: dict, base: dict, world: World) -> None:
    assert [u["id"] for u in body["linked"]["users"]] == users(body) and "users" not in base["linked"]


def with_groups(body: dict, base: dict, world: World) -> None:
    tree = world.cli("tree", "--course", world.course)

    def ids(nodes: list[dict]) -> list[str]:
        return [i for n in nodes for i in (n["id"], *ids(n["children"]))]

    expected = sorted(ids(tree["roots"]) + ids(tree["orphans"]), key=int)
    assert [str(g["id"]) for g in body["linked"]["outcome_groups"]] == expected


def with_links(body: dict, base: dict, world: World) -> None:
    links = body["linked"]["outcome_links"]
    assert sorted(li["outcome"]["id"] for li in links) == sorted(int(o) for o in outcomes(base))
    assert all(li["url"].endswith(f"/outcomes/{li['outcome']['id']}") for li in links)


def with_paths(body: dict, base: dict, world: World) -> None:
    titles = {o["id"]: o["title"] for o in base["linked"]["outcomes"]}
    paths = body["linked"]["outcome_paths"]
    assert {str(p["id"]) for p in paths} == set(titles)
    assert all(p["parts"][-1]["name"] == titles[str(p["id"])] and len(p["parts"]) >= 2 for p in paths)
    assert "Algebra I" not in {part["name"] for p in paths for part in p["parts"]}, "the root group is left out"


def with_alignments(body: dict, base: dict, world: World) -> None:
    found = body["linked"]["outcomes.alignments"]
    kinds = {a["id"].rsplit("_", 1)[0] for a in found}
    assert kinds == {"assignment", "quiz"} and all(a["id"].rsplit("_", 1)[1].isdigit() for a in found)


def unchanged(body: dict, base: dict, world: World) -> None:
    body["meta"].pop("pagination")  # its links name the query asked
    assert body == {**base, "meta": {k: v for k, v in base["meta"].items() if k != "pagination"}}


def assessed_outcomes_only(body: dict, base: dict, world: World) -> None:
    assessed = {s["links"]["outcome"] for r in body["rollups"] for s in r["scores"]}
    early = get(world, f"/api/v1/courses/{world.course}/outcome_rollups?as_of=2025-09-10&per_page=100").json()
    assert set(outcomes(body)) == assessed and len(assessed) < len(outcomes(early))


def without_concluded(body: dict, base: dict, world: World) -> None:
    assert users(body) == [u for u in users(base) if u != world.concluded] != users(base)


def course_rollup(body: dict, base: dict, world: World) -> None:
    assert [r["links"] for r in body["rollups"]] == [{"course": world.course}] and "pagination" not in body["meta"]
    same_as_cli("--aggregate", "mean")(body, base, world)


def reversed_students(body: dict, base: dict, world: World) -> None:
    assert users(body) == list(reversed(users(base)))


def by_first_outcome(order: str) -> Callable[[dict, dict, World], None]:
    def check(body: dict, base: dict, world: World) -> None:
        values = scored(body, outcomes(base)[0])
        present = [v for v in values if v is not None]
        assert present == sorted(present, reverse=order == "desc") and present != scored(base, outcomes(base)[0])
        assert values[: len(present)] == present, "missing scores last"
        assert sorted(users(body)) == sorted(users(base))

    return check


def one_section(body: dict, base: dict, world: World) -> None:
    assert len(users(body)) < len(users(base))
    same_as_cli("--section", world.section)(body, base, world)


def rating_shares(body: dict, base: dict, world: World) -> None:
    for outcome in body["linked"]["outcomes"]:
        scores = [s for s in scored(base, outcome["id"]) if s is not None]
        points = [r["points"] for r in outcome["ratings"]]
        counts = [
            sum(1 for s in scores if next(i for i, p in enumerate(points) if p <= s) == k) for k in range(len(points))
        ]
        shares = [int(100 * c / len(scores) + 0.5) for c in counts] if scores else [0] * len(points)
        assert [r["percent"] for r in outcome["ratings"]] == shares
    assert body["rollups"] == base["rollups"]


def courses_linked(body: dict, base: dict, world: World) -> None:
    names = {c["course"]: c["name"] for c in world.cli("courses")["courses"]}
    assert body["linked"]["courses"] == [{"id": int(world.course), "name": names[world.course]}]


CANVAS_400 = {
    "invalid include": ("include[]=bogus", "invalid include: bogus"),
    "courses without aggregate": ("include[]=courses", "can't include courses unless aggregate is 'course'"),
    "users with aggregate": ("aggregate=course&include[]=users", "can't include users unless aggregate is not set"),
    "aggregate": ("aggregate=section", "invalid aggregate parameter value"),
    "aggregate_stat": ("aggregate=course&aggregate_stat=mode", "invalid aggregate_stat parameter value"),
    "sort_by": ("sort_by=score", "invalid sort_by parameter value"),
    "sort_outcome_id missing": ("sort_by=outcome", "missing required sort_outcome_id parameter value"),
    "sort_outcome_id": ("sort_by=outcome&sort_outcome_id=x", "invalid sort_outcome_id parameter value"),
    "sort_order": ("sort_by=student&sort_order=up", "invalid sort_order parameter value"),
    "outcome not in course": ("outcome_ids[]=999999", "can only include id's of outcomes in the outcome context"),
    "user not in course": ("user_ids[]=424242", "can only include id's of users in the outcome context"),
    "users and section": ("user_ids[]=1&section_id=1", "cannot specify both user_ids and section_id"),
    "outcomes and group": (
        "outcome_ids[]=1&outcome_group_id=1",
        "can't filter by both outcome_ids and outcome_group_id",
    ),
    "group not in course": ("outcome_group_id=424242", "can only include an outcome group id in the outcome context"),
    "section not in course": ("section_id=424242", "invalid section id"),
    "contributing_scores": ("contributing_scores=true", "contributing_scores=true is not supported"),
}


def applied(world: World) -> dict[str, tuple[str, Callable[[dict, dict, World], None]]]:
    base = world.cli("rollups", "--course", world.course)
    ids = [r["links"]["user"] for r in base["rollups"]]
    sis = base["linked"]["users"][0]["sis_user_id"]
    first = base["linked"]["outcomes"][0]["id"]
    tree = world.cli("tree", "--course", world.course)
    group = next(g for root in tree["roots"] for g in root["children"] if g["outcomes"])["id"]
    return {
        "user_ids[]": (f"user_ids[]={ids[0]}&user_ids[]={ids[1]}", two_students),
        "user_ids comma string": (f"user_ids={ids[0]},{ids[1]}", two_students),
        "user_ids[] sis_user_id": (f"user_ids[]=sis_user_id:{sis}", sis_student),
        "outcome_ids[]": (f"outcome_ids[]={first}", only_first_outcome),
        "outcome_ids": (f"outcome_ids={first}", only_first_outcome),
        "outcome_group_id": (f"outcome_group_id={group}", group_outcomes),
        "include[]=users": ("include[]=users", with_users),
        "include[]=outcomes": ("include[]=outcomes", unchanged),
        "include[]=outcome_groups": ("include[]=outcome_groups", with_groups),
        "include[]=outcome_links": ("include[]=outcome_links", with_links),
        "include[]=outcome_paths": ("include[]=outcome_paths", with_paths),
        "include[]=outcomes.alignments": ("include[]=outcomes.alignments", with_alignments),
        "include[]=courses": ("aggregate=course&include[]=courses", courses_linked),
        "exclude[]=missing_user_rollups": ("exclude[]=missing_user_rollups", unchanged),
        "exclude[]=missing_outcome_results": (
            "exclude[]=missing_outcome_results&as_of=2025-09-10",
            assessed_outcomes_only,
        ),
        "exclude[]=concluded_enrollments": ("exclude[]=concluded_enrollments", without_concluded),
        "exclude[]=inactive_enrollments": (
            "exclude[]=inactive_enrollments&include[]=users",
            same_as_cli("--exclude", "inactive"),
        ),
        "exclude[] unknown (ignored as Canvas)": ("exclude[]=whatever", unchanged),
        "aggregate=course": ("aggregate=course", course_rollup),
        "aggregate_stat=median": ("aggregate=course&aggregate_stat=median", same_as_cli("--aggregate", "median")),
        "sort_by=student": ("sort_by=student", unchanged),
        "sort_order=desc": ("sort_by=student&sort_order=desc", reversed_students),
        "sort_outcome_id asc": (f"sort_by=outcome&sort_outcome_id={first}", by_first_outcome("asc")),
        "sort_outcome_id desc": (f"sort_by=outcome&sort_outcome_id={first}&sort_order=desc", by_first_outcome("desc")),
        "section_id": (f"section_id={world.section}&include[]=users", one_section),
        "add_defaults (ratings always carry them)": ("add_defaults=true", unchanged),
        "rating_percents=true": ("rating_percents=true", rating_shares),
    }


@pytest.mark.parametrize("case", list(CANVAS_400))
def test_a_parameter_canvas_rejects_gets_canvas_400(world, case):
    query, words = CANVAS_400[case]
    answer = get(world, f"/api/v1/courses/{world.course}/outcome_rollups?{query}")
    assert answer.status_code == 400, (case, answer.text[:300])
    assert message(answer).startswith(words), case


APPLIED = [
    "user_ids[]",
    "user_ids comma string",
    "user_ids[] sis_user_id",
    "outcome_ids[]",
    "outcome_ids",
    "outcome_group_id",
    "include[]=users",
    "include[]=outcomes",
    "include[]=outcome_groups",
    "include[]=outcome_links",
    "include[]=outcome_paths",
    "include[]=outcomes.alignments",
    "include[]=courses",
    "exclude[]=missing_user_rollups",
    "exclude[]=missing_outcome_results",
    "exclude[]=concluded_enrollments",
    "exclude[]=inactive_enrollments",
    "exclude[] unknown (ignored as Canvas)",
    "aggregate=course",
    "aggregate_stat=median",
    "sort_by=student",
    "sort_order=desc",
    "sort_outcome_id asc",
    "sort_outcome_id desc",
    "section_id",
    "add_defaults (ratings always carry them)",
    "rating_percents=true",
]


@pytest.mark.parametrize("case", APPLIED)
def test_a_parameter_canvas_applies_is_applied(world, case):
    cases = applied(world)
    assert set(cases) == set(APPLIED)
    query, check = cases[case]
    path = f"/api/v1/courses/{world.course}/outcome_rollups"
    answer = get(world, f"{path}?{query}&per_page=100")
    assert answer.status_code == 200, (case, answer.text[:300])
    base = get(world, f"{path}?per_page=100").json()
    if "as_of=" in query:
        base = get(world, f"{path}?per_page=100&as_of=2025-09-10").json()
    check(answer.json(), base, world)


def test_openapi_lists_the_canvas_routes_and_their_paging_parameters(world):
    paths = world.server.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/courses",
        "/api/v1/courses/{course_id}",
        "/api/v1/accounts/{account_id}/courses",
        "/api/v1/courses/{course_id}/outcome_rollups",
        "/api/v1/courses/{course_id}/outcome_results",
    ):
        names = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert {"as_of", "known_at", "account"} <= names, path
        assert set(paths[path]) == {"get"}, "no write route is documented"
    rollups = {p["name"] for p in paths["/api/v1/courses/{course_id}/outcome_rollups"]["get"]["parameters"]}
    assert {"page", "per_page", "include[]", "exclude[]", "sort_by", "sort_order", "sort_outcome_id"} <= rollups
