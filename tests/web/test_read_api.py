"""The read API of a real `mastery serve`: the same JSON as the CLI, Canvas's parameters, the read token."""

from __future__ import annotations

import base64

from tests.conftest import STUDENT, mastery_json, seed_events
from tests.web.conftest import READ_TOKEN, TOKEN
from tests.web.test_ingest_http import body


def test_rollups_answer_exactly_what_the_cli_prints(seeded):
    store = ("--store", seeded.store)
    pairs = [
        ("", ()),
        ("?as_of=2019-12-01", ("--as-of", "2019-12-01")),
        ("?aggregate=course&aggregate_stat=median", ("--aggregate", "median")),
        (f"?user_ids[]={STUDENT}&outcome_ids[]=1&include[]=outcomes", ("--user", STUDENT, "--outcome", "1")),
    ]
    for query, options in pairs:
        aggregate = "aggregate=" in query  # Canvas refuses include[]=users with aggregate (a 400)
        users = "" if aggregate else f"{'&' if query else '?'}include[]=users"
        over_http = seeded.get(
            f"/api/v1/courses/1/outcome_rollups{query}{users}{'&' if query or users else '?'}per_page=100"
        )
        assert over_http.status_code == 200 and over_http.headers["content-type"] == "application/json"
        answer = over_http.json()
        answer["meta"].pop("pagination", None)  # Canvas's paging meta: the CLI prints every student at once
        printed = mastery_json(*store, "rollups", "--course", "1", *options)
        if aggregate:
            printed["linked"].pop("users")
        assert answer == printed, query


def test_a_global_course_id_is_reduced_like_on_the_command_line(seeded):
    local = seeded.get("/api/v1/courses/1/outcome_rollups").json()
    shard = seeded.get("/api/v1/courses/21070000000000001/outcome_rollups").json()
    assert shard["meta"].pop("pagination")["current"].startswith(f"{seeded.url}/api/v1/courses/21070000000000001/")
    local["meta"].pop("pagination")  # links name the URL asked for
    assert shard == local


def test_an_outcomes_audit_names_who_changed_it(seeded):
    trail = seeded.get("/api/v1/outcomes/12345/audit").json()["entries"]
    assert [(e["event_name"], e["actor"]["user_login"]) for e in trail] == [
        ("learning_outcome_updated", "oxana@example.com"),
        ("learning_outcome_created", None),
    ]


def test_errors_are_json_with_a_status_and_no_trace(seeded):
    cases = [
        ("/api/v1/courses/1/outcome_rollups?as_of=someday", 400, "as_of"),
        ("/api/v1/courses/1/outcome_rollups?aggregate=course&aggregate_stat=mode", 400, "aggregate_stat"),
        ("/api/v1/courses/424242/outcome_rollups", 404, "424242"),
        ("/api/v1/outcomes/424242", 404, "424242"),
        ("/api/v1/outcomes/424242/audit", 404, "424242"),
        ("/api/v1/courses/1/outcome_rollups?account=nope", 404, "nope"),
        ("/api/v1/courses/1/outcome_rollups?sort_by=name", 400, "sort_by"),
        ("/api/v1/nothing", 404, "Not Found"),
    ]
    for path, status, word in cases:
        answer = seeded.get(path)
        assert answer.status_code == status, path
        assert list(answer.json()) == ["errors"] and word in answer.json()["errors"][0]["message"], path
        assert "Traceback" not in answer.text


def test_openapi_documents_the_api_at_docs(seeded):
    assert seeded.get("/docs").status_code == 200
    paths = seeded.get("/openapi.json").json()["paths"]
    assert {
        "/events",
        "/api/v1/courses/{course_id}/outcome_rollups",
        "/api/v1/outcomes/{outcome_id}",
        "/api/v1/outcomes/{outcome_id}/audit",
    } <= set(paths)


def test_reads_need_the_read_token_when_one_is_set(serve):
    server = serve({"MASTERY_INGEST_TOKEN": TOKEN, "MASTERY_READ_TOKEN": READ_TOKEN})
    for event in seed_events("current"):
        assert server.post(body(event)).status_code == 200
    path = "/api/v1/courses/1/outcome_rollups"
    assert server.get(path).status_code == 401
    assert server.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 401
    assert server.get(path, headers={"Authorization": f"Bearer {READ_TOKEN}"}).json()["rollups"]
    page = server.get("/courses/1")
    assert page.status_code == 401 and page.headers["www-authenticate"].startswith("Basic")
    basic = base64.b64encode(f"teacher:{READ_TOKEN}".encode()).decode()
    assert server.get("/courses/1", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert server.post(body(seed_events("current")[0]), token=READ_TOKEN).status_code == 401


def test_times_beyond_range_and_huge_ids_are_a_400_naming_the_parameter(seeded):
    huge = "1" * 5000
    cases = [
        ("/api/v1/courses/1/outcome_rollups?as_of=9999-12-31T23:00:00-05:00", "as_of"),
        ("/api/v1/courses/1/outcome_rollups?known_at=0001-01-01T00:00:00%2B05:00", "known_at"),
        ("/api/v1/courses/1/outcome_rollups?as_of=2019-12-01T00:00:00%2B99:00", "as_of"),
        ("/api/v1/courses/1/outcome_rollups?as_of=99999-01-01", "as_of"),
        ("/api/v1/outcomes/12345?as_of=9999-12-31T23:00:00-05:00", "as_of"),
        (f"/api/v1/courses/{huge}/outcome_rollups", "course_id"),
        (f"/api/v1/courses/1/outcome_rollups?outcome_ids[]={huge}", "outcome_ids[]"),
        (f"/api/v1/courses/1/outcome_rollups?outcome_ids[]={'9' * 40}", "outcome_ids[]"),
        (f"/api/v1/courses/1/outcome_rollups?user_ids[]={'u' * 300}", "user_ids[]"),
        (f"/api/v1/outcomes/{huge}", "outcome_id"),
        (f"/api/v1/outcomes/{huge}/audit", "outcome_id"),
    ]
    for path, name in cases:
        answer = seeded.get(path)
        assert answer.status_code == 400, (path[:90], answer.text[:200])
        assert list(answer.json()) == ["errors"] and name in answer.json()["errors"][0]["message"], path[:90]
    page = seeded.get(f"/courses/{huge}")
    assert page.status_code == 400 and "course_id" in page.text


def test_on_loopback_only_local_host_names_are_answered(serve):
    server = serve({"MASTERY_INGEST_TOKEN": TOKEN}, None, "--allowed-host", "mastery.internal")
    port = server.url.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", f"[::1]:{port}", "mastery.internal:443"):
        assert server.get("/api/v1/courses", headers={"Host": host}).status_code in (200, 404), host
    for host in (f"evil.example:{port}", "rebind.attacker.test", "127.0.0.1.evil.example", ""):
        answer = server.get("/api/v1/courses", headers={"Host": host})
        assert answer.status_code == 421, host
        assert "--allowed-host" in answer.json()["errors"][0]["message"], host  # Canvas's shape under /api/v1
        delivery = server.post(body(seed_events("current")[0]), headers={"Host": host})
        assert delivery.status_code == 421 and "--allowed-host" in delivery.json()["error"], host
    assert mastery_json("--store", server.store, "verify")["checked"] == 0, "nothing was kept"
