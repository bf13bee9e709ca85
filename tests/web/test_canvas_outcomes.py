"""Canvas's outcome routes over real HTTP and through canvasapi 3.6 (issue 13): an outcome in Canvas's
Outcome shape, the outcome groups and links of accounts, courses and the global context, a context's
mastery scale and calculation method; now and as of a time. Expected values are worked out by hand from
the Canvas seed payloads (`seeded`) and from the small world below (`world`)."""

from __future__ import annotations

import warnings

import pytest

from tests import builders as b
from tests.conftest import mastery, mastery_json, write_jsonl

API = "/api/v1"


def canvas(server, token: str = "none-needed-on-loopback"):
    from canvasapi import Canvas

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # canvasapi warns about an http:// base URL
        return Canvas(server.url, token)


def requester(server):
    return canvas(server)._Canvas__requester


# ------------------------------------------------------------------------------------------ the seed payloads


def test_an_outcome_is_canvas_shaped_with_the_scale_in_force_now_and_its_own_criterion_before(seeded):
    now = seeded.get(f"{API}/outcomes/12345").json()
    # Scale mode now (the seeds hold a proficiency): course 1234's account is unknown, so the root account's
    # scale (account 1) and Canvas's default method apply.
    assert {k: now[k] for k in ("id", "context_type", "context_id", "title", "display_name", "vendor_guid")} == {
        "id": 12345,
        "context_type": "Course",
        "context_id": 1234,
        "title": "Molecular biology knowledge",
        "display_name": "Learn molecular biology",
        "vendor_guid": "1",
    }
    assert now["url"] == "/api/v1/outcomes/12345" and now["can_edit"] is False and now["assessed"] is False
    assert (now["points_possible"], now["mastery_points"], now["calculation_method"]) == (4.0, 3.0, "highest")
    assert now["calculation_int"] is None
    assert [(r["points"], r["mastery"], r["color"]) for r in now["ratings"]] == [
        (4.0, False, "02672D"),
        (3.0, True, "03893D"),
        (2.0, False, "FAB901"),
        (1.0, False, "FD5D10"),
        (0.0, False, "E62429"),
    ]
    # On 2019-11-02 no scale event had happened (outcome mode): the updated event's own criterion, and
    # `highest` shows no calculation_int (outcome.rb shows it for the decaying and n_mastery methods only).
    then = seeded.get(f"{API}/outcomes/12345", params={"as_of": "2019-11-02"}).json()
    assert (then["points_possible"], then["mastery_points"], then["calculation_method"]) == (5, 3, "highest")
    assert "calculation_int" not in then
    assert [r["points"] for r in then["ratings"]] == [5, 4, 3, 2, 1, 0]
    assert then["ratings"][2] == {"description": "Meets Expectations", "points": 3}
    defaults = seeded.get(f"{API}/outcomes/12345", params={"as_of": "2019-11-02", "add_defaults": "true"}).json()
    assert [(r["points"], r["mastery"]) for r in defaults["ratings"]][1:3] == [(4, False), (3, True)]
    assert seeded.get(f"{API}/outcomes/21070000000012345").json() == now


def test_canvasapi_reads_an_outcome_and_prints_it(seeded_process):
    seeded = seeded_process
    from canvasapi.exceptions import ResourceDoesNotExist

    outcome = canvas(seeded).get_outcome(12345)
    assert str(outcome) == "Molecular biology knowledge (/api/v1/outcomes/12345)"
    assert [r["description"] for r in outcome.ratings][:2] == ["Exceeds Mastery", "Mastery"]
    assert canvas(seeded).get_outcome(12345, as_of="2019-11-02").points_possible == 5
    with pytest.raises(ResourceDoesNotExist):
        canvas(seeded).get_outcome(424242)


def test_a_course_whose_groups_name_an_unseen_parent_has_that_parent_as_its_root(seeded):
    root = seeded.get(f"{API}/courses/32054/root_outcome_group").json()
    assert (root["id"], root["title"], root["context_type"], root["context_id"]) == (75032, None, "Course", 32054)
    assert root["subgroups_url"] == "/api/v1/courses/32054/outcome_groups/75032/subgroups"
    listed = seeded.get(f"{API}/courses/32054/outcome_groups").json()
    assert [g["id"] for g in listed] == [75032, 75033]
    child = listed[1]
    assert (child["title"], child["vendor_guid"], child["description"]) == (
        "Official Standards for K-12 Math Education",
        "123",
        "<h3>Outcome</h3>Hello outcome",
    )
    assert child["parent_outcome_group"]["id"] == 75032 and "description" not in child["parent_outcome_group"]
    assert seeded.get(f"{API}/courses/32054/outcome_groups/75033").json() == child
    subgroups = seeded.get(f"{API}/courses/32054/outcome_groups/75032/subgroups").json()
    assert [(g["id"], g["title"]) for g in subgroups] == [(75033, "Official Standards for K-12 Math Education")]
    # Before the group events (2019-11-01T13:49) no event names course 32054.
    early = seeded.get(f"{API}/courses/32054/root_outcome_group", params={"as_of": "2019-11-01T12:00:00Z"})
    assert early.status_code == 404 and "32054" in early.text


def test_a_courses_links_name_their_groups_and_outcomes_by_id_when_the_events_describe_neither(seeded):
    links = seeded.get(f"{API}/courses/565/outcome_group_links").json()
    assert [(li["url"], li["outcome"]["id"], li["outcome_group"]["id"]) for li in links] == [
        ("/api/v1/courses/565/outcome_groups/1001/outcomes/1234", 1234, 1001),
        ("/api/v1/courses/565/outcome_groups/123456/outcomes/1201234", 1201234, 123456),
    ]
    assert {(li["context_type"], li["context_id"], li["assessed"], li["can_unlink"]) for li in links} == {
        ("Course", 565, False, False)
    }
    assert "ratings" not in links[0]["outcome"] and links[0]["outcome"]["title"] is None
    grouped = seeded.get(f"{API}/courses/565/outcome_groups/1001/outcomes").json()
    assert [li["outcome"]["id"] for li in grouped] == [1234]
    assert seeded.get(f"{API}/courses/565/outcome_groups/1001/subgroups").json() == []
    # Two groups are named, none is known to be the root.
    assert seeded.get(f"{API}/courses/565/root_outcome_group").status_code == 404


def test_the_mastery_scale_and_method_of_a_context_resolve_up_to_the_root_account(seeded):
    scale = seeded.get(f"{API}/accounts/1/outcome_proficiency").json()
    assert (scale["context_type"], scale["context_id"]) == ("Account", 1)
    assert [(r["description"], r["points"], r["mastery"], r["color"]) for r in scale["ratings"]][:2] == [
        ("Exceeds Mastery", 4.0, False, "02672D"),
        ("Mastery", 3.0, True, "03893D"),
    ]
    assert seeded.get(f"{API}/courses/1234/outcome_proficiency").json() == scale
    assert seeded.get(f"{API}/accounts/21070000000000001/outcome_proficiency").json() == scale
    # No calculation-method event: in scale mode Canvas creates `highest` at the root account.
    assert seeded.get(f"{API}/courses/1234/outcome_calculation_method").json() == {
        "id": None,
        "calculation_method": "highest",
        "calculation_int": None,
        "context_type": "Account",
        "context_id": 1,
    }
    # Before any proficiency event (outcome mode), Canvas finds no scale: 404.
    before = seeded.get(f"{API}/courses/1234/outcome_proficiency", params={"as_of": "2019-11-02"})
    assert before.status_code == 404 and "1234" in before.text


def test_wrong_parameters_are_a_400_naming_them_and_unknown_things_a_404(seeded):
    cases = [
        (f"{API}/courses/565/outcome_group_links?outcome_style=tiny", 400, "outcome_style"),
        (f"{API}/courses/565/outcome_groups/1001/outcomes?outcome_style=x", 400, "outcome_style"),
        (f"{API}/courses/565/outcome_group_links?outcome_group_style=x", 400, "outcome_group_style"),
        (f"{API}/outcomes/12345?add_defaults=perhaps", 400, "add_defaults"),
        (f"{API}/courses/565/outcome_groups?as_of=someday", 400, "as_of"),
        (f"{API}/accounts/1/outcome_proficiency?known_at=never", 400, "known_at"),
        (f"{API}/courses/{'9' * 40}/outcome_groups", 400, "course_id"),
        (f"{API}/courses/565/outcome_groups/{'9' * 40}", 400, "group_id"),
        (f"{API}/courses/9999/outcome_groups", 404, "9999"),
        (f"{API}/accounts/9999/outcome_proficiency", 404, "9999"),
        (f"{API}/courses/565/outcome_groups/75033", 404, "75033"),
        (f"{API}/courses/32054/outcome_groups/1001/subgroups", 404, "1001"),
        (f"{API}/outcomes/424242", 404, "424242"),
    ]
    for path, status, word in cases:
        answer = seeded.get(path)
        assert answer.status_code == status, (path, answer.text)
        assert word in answer.text, (path, answer.text)


# ------------------------------------------------------------------------------------------ a small world


def account_event(name: str, day: float, body: dict) -> dict:
    return {"metadata": b.meta(name, day), "body": body}


def world() -> list[dict]:
    """Account 1 (the root) with groups 500 > {501 "Zeta", 502 "Alpha"} and outcomes 10, 11 linked in 501;
    course 5 (account 70) with groups 900 > 901, outcome 10 linked in 901 and 12 in 900 (unlinked on day
    5), a result for outcome 10 and one for 11 (deleted on day 3), its own scale (day 1) and account 70's n_mastery method (day 2); a global
    group 600."""

    def group(gid: str, title: str, parent: str | None, day: float) -> dict:
        body = {"learning_outcome_group_id": gid, "title": title, "context_type": "Account", "context_id": "1"}
        return account_event(
            "learning_outcome_group_created", day, body | ({"parent_outcome_group_id": parent} if parent else {})
        )

    def link(lid: str, oid: str, gid: str, day: float) -> dict:
        body = {"learning_outcome_link_id": lid, "learning_outcome_id": oid, "learning_outcome_group_id": gid}
        body |= {"context_type": "Account", "context_id": "1", "workflow_state": "active"}
        return account_event("learning_outcome_link_created", day, body)

    return [
        b.outcome("10", 0, method="decaying_average", int_=65, mastery=3, possible=5),
        b.outcome("11", 0, title="Apple"),
        b.outcome("12", 0),
        group("500", "Account root", None, 0),
        group("501", "Zeta", "500", 0),
        group("502", "Alpha", "500", 0),
        link("700", "10", "501", 0),
        link("701", "11", "501", 0),
        b.group("900", "5", 0, title="Course root"),
        b.group("901", "5", 0, parent="900", title="Unit"),
        b.link("800", "10", "5", 0, group="901"),
        b.link("801", "12", "5", 0, group="900"),
        b.link("801", "12", "5", 5, group="900", state="deleted"),
        b.result("10", "student-1", 3, 0.2, course="5"),
        b.result("11", "student-2", 2, 0.3, course="5", rid="r11"),
        b.result("11", "student-2", 2, 3, course="5", rid="r11", state="deleted", updated=True),
        b.scale("50", "Course", "5", 1, [3, 2, 1, 0], 2),
        b.method("60", "Account", "70", 2, "n_mastery", 3),
        account_event(
            "learning_outcome_group_created",
            0,
            {"learning_outcome_group_id": "600", "title": "Global root", "workflow_state": "active"},
        ),
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.web.conftest import TOKEN, start, stop

    folder = tmp_path_factory.mktemp("canvas-outcomes")
    store = str(folder / "store.db")
    mastery("--store", store, "ingest", str(write_jsonl(folder / "in.jsonl", world())), check=True)
    running = start(store, {"MASTERY_INGEST_TOKEN": TOKEN}, folder / "serve.log")
    yield running
    stop(running)


def test_canvasapi_walks_an_accounts_outcome_tree(server):
    from canvasapi.account import Account

    account = Account(requester(server), {"id": 1})
    root = account.get_root_outcome_group()
    assert (root.id, root.title, root.context_type, root.context_id) == (500, "Account root", "Account", 1)
    assert [(g.id, g.title) for g in root.get_subgroups()] == [(502, "Alpha"), (501, "Zeta")]  # by title
    assert [g.id for g in account.get_outcome_groups_in_context()] == [500, 501, 502]
    zeta = account.get_outcome_group(501)
    assert zeta.parent_outcome_group["id"] == 500
    linked = list(zeta.get_linked_outcomes())
    # By outcome title: "Apple 11" before "Outcome 10"; outcome 10 has a result (in course 5).
    assert [(li.outcome["id"], li.outcome["title"], li.assessed) for li in linked] == [
        (11, "Apple 11", False),
        (10, "Outcome 10", True),
    ]
    assert linked[1].get_outcome().title == "Outcome 10"
    # Outcome 11's only result was deleted on day 3: assessed before, not after.
    earlier = list(zeta.get_linked_outcomes(as_of=b.at(2)))
    assert [(li.outcome["id"], li.assessed) for li in earlier] == [(11, True), (10, True)]
    everything = list(account.get_all_outcome_links_in_context())
    assert [li.url for li in everything] == [
        "/api/v1/accounts/1/outcome_groups/501/outcomes/10",
        "/api/v1/accounts/1/outcome_groups/501/outcomes/11",
    ]


def test_canvasapi_walks_a_courses_groups_and_links_and_an_unlinked_outcome_leaves_them(server):
    from canvasapi.course import Course

    course = Course(requester(server), {"id": 5})
    root = course.get_root_outcome_group()
    assert (root.id, root.title, root.context_type, root.context_id) == (900, "Course root 900", "Course", 5)
    assert [g.id for g in course.get_outcome_groups_in_context()] == [900, 901]
    assert [g.id for g in root.get_subgroups()] == [901]
    assert [li.outcome["id"] for li in root.get_linked_outcomes()] == []  # 801 was unlinked on day 5
    assert [li.outcome["id"] for li in root.get_linked_outcomes(as_of=b.at(4))] == [12]
    links = list(course.get_all_outcome_links_in_context())
    assert [(li.outcome["id"], li.outcome_group["id"], li.assessed) for li in links] == [(10, 901, True)]
    assert [li.outcome["id"] for li in course.get_all_outcome_links_in_context(as_of=b.at(4))] == [10, 12]


def test_a_full_outcome_in_a_course_link_shows_the_courses_scale_and_method_as_the_cli_does(server):
    (link,) = server.get(f"{API}/courses/5/outcome_group_links", params={"outcome_style": "full"}).json()
    shown = link["outcome"]
    # Course 5's own scale (3 2 1 0, mastery at 2), and account 70's method (course 5's account).
    assert [(r["points"], r["mastery"]) for r in shown["ratings"]] == [(3, False), (2, True), (1, False), (0, False)]
    assert (shown["points_possible"], shown["mastery_points"]) == (3, 2)
    assert (shown["calculation_method"], shown["calculation_int"]) == ("n_mastery", 3)
    rules = mastery_json("--store", server.store, "scale", "--course", "5")
    (ten,) = [o for o in rules["outcomes"] if o["outcome"] == "10"]
    assert (ten["points_possible"], ten["mastery_points"], ten["method"], ten["int"]) == (3, 2, "n_mastery", 3)
    full_groups = server.get(f"{API}/courses/5/outcome_group_links", params={"outcome_group_style": "full"}).json()
    assert full_groups[0]["outcome_group"]["parent_outcome_group"]["id"] == 900


def test_scales_and_methods_resolve_course_then_account_then_canvas_default(server):
    course = server.get(f"{API}/courses/5/outcome_proficiency").json()
    assert (course["context_type"], course["context_id"], [r["points"] for r in course["ratings"]]) == (
        "Course",
        5,
        [3, 2, 1, 0],
    )
    # Account 70 and the root have no scale: Canvas's default, at the root account.
    default = server.get(f"{API}/accounts/70/outcome_proficiency").json()
    assert (default["context_type"], default["context_id"]) == ("Account", 1)
    assert [(r["description"], r["points"], r["mastery"]) for r in default["ratings"]] == [
        ("Exceeds Mastery", 4.0, False),
        ("Mastery", 3.0, True),
        ("Near Mastery", 2.0, False),
        ("Below Mastery", 1.0, False),
        ("No Evidence", 0.0, False),
    ]
    assert server.get(f"{API}/courses/5/outcome_calculation_method").json() == {
        "id": 60,
        "calculation_method": "n_mastery",
        "calculation_int": 3,
        "context_type": "Account",
        "context_id": 70,
    }
    assert server.get(f"{API}/accounts/1/outcome_calculation_method").json()["calculation_method"] == "highest"
    # Between the scale (day 1) and the method (day 2): the method is Canvas's default.
    early = server.get(f"{API}/courses/5/outcome_calculation_method", params={"as_of": b.at(1.5)}).json()
    assert (early["id"], early["calculation_method"]) == (None, "highest")
    # Before either (outcome mode) there is none: 404, as Canvas without account-level mastery scales.
    assert server.get(f"{API}/courses/5/outcome_proficiency", params={"as_of": b.at(0.5)}).status_code == 404


def test_an_outcome_shows_its_own_method_before_scales_and_its_contexts_scale_after(server):
    before = server.get(f"{API}/outcomes/10", params={"as_of": b.at(0.5)}).json()
    assert (before["calculation_method"], before["calculation_int"], before["mastery_points"]) == (
        "decaying_average",
        65,
        3,
    )
    assert [r["description"] for r in before["ratings"]] == ["Top", "Meets", "Below"]
    assert before["assessed"] is True  # its result is at day 0.2
    now = server.get(f"{API}/outcomes/10").json()
    # Outcome 10 belongs to account 1, which has no scale and no method: Canvas's defaults.
    assert (now["calculation_method"], now["calculation_int"], now["points_possible"], now["mastery_points"]) == (
        "highest",
        None,
        4.0,
        3.0,
    )
    assert server.get(f"{API}/outcomes/{b.g(10)}").json() == now


def test_the_global_context_has_its_own_root_group(server):
    root = server.get(f"{API}/global/root_outcome_group").json()
    assert (root["id"], root["title"], root["context_type"], root["url"]) == (
        600,
        "Global root",
        None,
        "/api/v1/global/outcome_groups/600",
    )
    assert server.get(f"{API}/global/outcome_groups/600/subgroups").json() == []
    assert server.get(f"{API}/global/outcome_groups/500").status_code == 404  # account 1's
    from canvasapi.outcome import OutcomeGroup

    assert canvas(server).get_root_outcome_group().title == "Global root"
    assert isinstance(canvas(server).get_outcome_group(600), OutcomeGroup)


def test_the_outcome_routes_need_the_read_token_when_one_is_set(serve_process, tmp_path):
    serve = serve_process
    from tests.web.conftest import READ_TOKEN, TOKEN

    store = str(tmp_path / "guarded.db")
    mastery("--store", store, "ingest", str(write_jsonl(tmp_path / "in.jsonl", world())), check=True)
    guarded = serve({"MASTERY_INGEST_TOKEN": TOKEN, "MASTERY_READ_TOKEN": READ_TOKEN}, store)
    for path in ("/outcomes/10", "/accounts/1/root_outcome_group", "/courses/5/outcome_proficiency"):
        assert guarded.get(API + path).status_code == 401, path
        assert guarded.get(API + path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 401, path
        assert guarded.get(API + path, headers={"Authorization": f"Bearer {READ_TOKEN}"}).status_code == 200, path
    assert canvas(guarded, READ_TOKEN).get_outcome(10).title == "Outcome 10"


def test_the_group_and_link_lists_are_paged_as_canvas_pages_them(seeded):
    whole = seeded.get(f"{API}/courses/32054/outcome_groups", params={"per_page": 100}).json()
    assert len(whole) >= 2, "the seed course has a root and a child group"
    walked, url, pages = [], f"{API}/courses/32054/outcome_groups?per_page=1", 0
    while url:
        answer = seeded.get(url)
        assert answer.status_code == 200 and len(answer.json()) == 1
        walked += answer.json()
        pages += 1
        url = answer.links.get("next", {}).get("url")
    assert walked == whole and pages == len(whole), "following `next` gives every group once, in order"
    first = seeded.get(f"{API}/courses/32054/outcome_groups", params={"per_page": 1})
    assert 'rel="last"' in first.headers["link"] and 'rel="prev"' not in first.headers["link"]
    bad = seeded.get(f"{API}/courses/565/outcome_group_links", params={"page": "zero"})
    assert bad.status_code == 400 and "page" in bad.json()["errors"][0]["message"]
    default = seeded.get(f"{API}/courses/565/outcome_group_links")
    assert default.status_code == 200 and "link" in default.headers
