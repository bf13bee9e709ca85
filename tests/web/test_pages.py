"""The pages and the static report: the mastery grid painted by rating, grouped by the outcome group tree,
as it was on any day; Canvas text shown as text, never run; checked in a real headless Chromium too."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from markupsafe import escape

from tests.conftest import STUDENT, mastery, mastery_json, seed_events
from tests.web.conftest import TOKEN, in_process, start, stop
from tests.web.test_ingest_http import body

CHROMIUM = Path("/usr/bin/chromium")
SCRIPT_TITLE = '<script>alert("title")</script> Fractions & ratios'
OTHER = "zzOtherStudentUuid0000000000000000000000"


def extra_events() -> list[dict]:
    """Outcome 1 given a hostile title, a group of course 1 holding it, and a second student's result."""
    seeds = {e["metadata"]["event_name"]: e for e in seed_events("current")}
    outcome = copy.deepcopy(seeds["learning_outcome_created"])
    outcome["metadata"]["event_time"] = "2019-08-01T00:00:00Z"
    outcome["body"].update(
        learning_outcome_id="1", title=SCRIPT_TITLE, context_id="1", description='<img src=x onerror="alert(2)">'
    )
    group = copy.deepcopy(seeds["learning_outcome_group_created"])
    group["body"].update(context_id="1", learning_outcome_group_id="900", title="<b>Unit 1</b>")
    group["body"].pop("parent_outcome_group_id")
    link = copy.deepcopy(seeds["learning_outcome_link_created"])
    link["body"].update(
        context_id="1", learning_outcome_group_id="900", learning_outcome_id="1", learning_outcome_link_id="901"
    )
    result = copy.deepcopy(seeds["learning_outcome_result_created"])
    result["body"].update(id="2", user_uuid=OTHER, score=2, percent=0.4)
    return [outcome, group, link, result]


@pytest.fixture(scope="module")
def grid_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grid")
    server = in_process(str(folder / "store.db"), {"MASTERY_INGEST_TOKEN": TOKEN})
    try:
        for event in seed_events("current") + extra_events():
            assert server.post(body(event)).status_code == 200
        roster = folder / "roster.csv"
        roster.write_text(f"user_uuid,name,sis_id\n{STUDENT},Ada <i>Lovelace</i>,S1\n")
        mastery("--store", server.store, "roster", "import", str(roster), check=True)
        yield server
    finally:
        stop(server)


def cell_of(page: str, user: str) -> str:
    row = re.search(rf'<tr data-user="{user}">(.*?)</tr>', page, re.S).group(1)
    return re.search(r'<td class="score".*?</td>', row, re.S).group(0)


def shown(cell: str) -> str:
    """A cell's visible text: the visually hidden label and the tags dropped."""
    return re.sub(r"<[^>]+>", "", re.sub(r'<span class="vh">.*?</span>', "", cell, flags=re.S)).strip()


def painted(cell: str) -> str:
    """A cell without its link (the static report has none): its opening tag, label and text."""
    return re.sub(r"</?a[^>]*>", "", cell)


def test_the_grid_paints_each_cell_in_its_ratings_colour(grid_server):
    page = grid_server.get("/courses/1")
    assert page.status_code == 200 and "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    cell = cell_of(page.text, STUDENT)
    assert 'data-color="02672D"' in cell and "background-color: #02672D" in cell and shown(cell) == "4"


def test_canvas_text_is_escaped_and_never_run(grid_server):
    page = grid_server.get("/courses/1").text
    assert "<script>" not in page and "<b>Unit 1</b>" not in page and "<i>Lovelace" not in page
    assert str(escape(SCRIPT_TITLE)) in page
    assert "&lt;b&gt;Unit 1&lt;/b&gt;" in page and "Ada &lt;i&gt;Lovelace&lt;/i&gt;" in page
    outcome = grid_server.get("/outcomes/1").text
    assert "<img" not in outcome and "&lt;img src=x onerror=" in outcome


def test_the_grid_has_the_course_mean_and_median_rows(grid_server):
    page = grid_server.get("/courses/1").text
    for stat in ("mean", "median"):
        expected = mastery_json("--store", grid_server.store, "rollups", "--course", "1", "--aggregate", stat)
        score = expected["rollups"][0]["scores"][0]
        row = re.search(rf'<tr class="aggregate" data-stat="{stat}">(.*?)</tr>', page, re.S).group(1)
        cell = re.search(r'<td class="score".*?</td>', row, re.S).group(0)
        assert shown(cell) == f"{score['score']:g}" and f"#{score['rating']['color']}" in cell


def test_the_date_control_shows_the_grid_as_it_was_that_day(grid_server):
    page = grid_server.get("/courses/1", params={"as_of": "2019-12-01"}).text
    assert 'name="as_of" value="2019-12-01"' in page and "outcome mode" in page
    then = mastery_json("--store", grid_server.store, "rollups", "--course", "1", "--as-of", "2019-12-01")
    score = next(s for r in then["rollups"] if r["links"]["user"] == STUDENT for s in r["scores"])
    assert then["meta"]["mode"] == "outcome" and score["rating"]["color"] == "0374B5"
    cell = cell_of(page, STUDENT)
    assert "#0374B5" in cell and shown(cell) == f"{score['score']:g}"
    before = grid_server.get("/courses/1", params={"as_of": "2000-01-01"})
    assert before.status_code == 200 and "no outcomes or results at that time" in before.text


def test_the_index_lists_the_courses_and_the_outcome_page_shows_its_history(grid_server):
    index = grid_server.get("/").text
    assert 'href="/courses/1"' in index and 'href="/courses/565"' in index
    history = grid_server.get("/outcomes/12345").text
    assert "oxana@example.com" in history and "rubric_criterion.mastery_points" in history
    assert grid_server.get("/outcomes/424242").status_code == 404
    assert grid_server.get("/static/mastery.css").headers["content-type"].startswith("text/css")


def test_report_writes_the_same_grid_as_one_self_contained_file(grid_server, tmp_path):
    out = tmp_path / "report.html"
    mastery("--store", grid_server.store, "report", "--course", "1", "--html", str(out), check=True)
    text = out.read_text()
    assert "<style>" in text and 'rel="stylesheet"' not in text and "href=" not in text
    assert "<script>" not in text and painted(cell_of(text, STUDENT)) == painted(
        cell_of(grid_server.get("/courses/1").text, STUDENT)
    )
    mastery(
        "--store", grid_server.store, "report", "--course", "1", "--html", str(out), "--as-of", "2019-12-01", check=True
    )
    assert "#0374B5" in cell_of(out.read_text(), STUDENT)
    missing = mastery("--store", grid_server.store, "report", "--course", "424242", "--html", str(out))
    assert missing.returncode == 1 and b"424242" in missing.stderr


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (`make test` installs it)")
def test_a_real_browser_shows_the_colours_and_never_runs_canvas_text(grid_server, tmp_path):
    server = start(grid_server.store, {"MASTERY_INGEST_TOKEN": TOKEN}, tmp_path / "serve.log")  # a real socket
    try:
        browse(server.url, tmp_path)
    finally:
        stop(server)


def browse(url: str, tmp_path: Path) -> None:
    """Open the grid in headless Chromium: the colours as painted, Canvas text never run."""
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 600})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{url}/courses/1")
            cell = page.locator(f'tr[data-user="{STUDENT}"] td.score')
            assert cell.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(2, 103, 45)"
            assert cell.inner_text().endswith("4") and cell.locator(".vh").inner_text().startswith("Exceeds")
            assert SCRIPT_TITLE in page.locator("th.outcome").inner_text()
            assert page.locator("th.group").inner_text() == "<b>Unit 1</b>"
            page.screenshot(path=str(tmp_path / "grid.png"), full_page=True)
            page.fill('input[name="as_of"]', "2019-12-01")
            page.click("form.when button")
            page.wait_for_url("**as_of=2019-12-01**")
            assert cell.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(3, 116, 181)"
            page.screenshot(path=str(tmp_path / "grid-2019-12-01.png"), full_page=True)
        finally:
            browser.close()
    assert dialogs == []
    assert (tmp_path / "grid.png").stat().st_size > 1000


def test_the_report_prints_its_absolute_cut_when_it_was_made_and_a_visible_header(grid_server, tmp_path):
    out = tmp_path / "report.html"
    mastery("--store", grid_server.store, "report", "--course", "1", "--html", str(out), check=True)
    text = out.read_text()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
    assert re.search(
        rf'<span class="as-of">as of {stamp} \(now\)</span> · <span class="made">made {stamp}</span>', text
    )
    assert "header a, header span { color: #ffffff;" in text  # the bar's text is white on #2d3b45 (11.4:1)
    mastery(
        "--store", grid_server.store, "report", "--course", "1", "--html", str(out), "--as-of", "2019-12-01", check=True
    )
    assert '<span class="as-of">as of 2019-12-01 23:59:59 UTC</span>' in out.read_text()
