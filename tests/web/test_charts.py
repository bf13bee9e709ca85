"""The SVG charts: a student's mastery over time (the rollup score after each result, as the rollups computed it
then) on the student page and from `student --chart`; the students per rating of each outcome on the course
page and in `report --html`. Numbers worked out by hand from the events below."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import builders as b
from tests.conftest import mastery, mastery_json, write_jsonl
from tests.web.conftest import TOKEN, in_process, stop
from web.charts import mastery_over_time, rating_bars

# Outcome 1 in course 5: average of the results until day 2.5, then highest; mastery at 3 of 5.
# u1: 1 (day 1), 4 (day 2), 2 (day 3) → 1, then (1+4)/2 = 2.5, then (highest) max(1, 4, 2) = 4.
# u2: 5, u3: 0, u4: 3 (day 1) → Top, Below, Meets. At day 5: Top 1 (u2), Meets 2 (u1 at 4, u4), Below 1 (u3).
EVENTS = [
    b.outcome("1", 0, method="average"),
    b.link("1", "1", "5", 0.5),
    b.user("11", "u1", "Ada Lovelace"),
    b.user("12", "u2", "Blaise Pascal"),
    b.user("13", "u3", "Carl Gauss"),
    b.user("14", "u4", "Dora Dirac"),
    b.result("1", "u1", 1, 1, rid="101"),
    b.result("1", "u2", 5, 1, rid="102"),
    b.result("1", "u3", 0, 1, rid="103"),
    b.result("1", "u4", 3, 1, rid="104"),
    b.result("1", "u1", 4, 2, rid="105"),
    b.outcome("1", 2.5, method="highest", updated=True),
    b.result("1", "u1", 2, 3, rid="106"),
]
DAY5 = b.at(5)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("charts")
    store = str(folder / "store.db")
    mastery("--store", store, "ingest", str(write_jsonl(folder / "in.jsonl", EVENTS)), check=True)
    server = in_process(store, {"MASTERY_INGEST_TOKEN": TOKEN})
    try:
        yield server
    finally:
        stop(server)


def chart(page: str, css: str, outcome: str = "1") -> str:
    found = re.search(
        rf'<figure class="chart"[^>]*data-outcome="{outcome}">.*?(<svg .*?class="chart {css}".*?</svg>)', page, re.S
    )
    assert found, page
    return found.group(1)


def points(svg: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<circle class="(point(?: cut)?)" data-at="([^"]+)" data-score="([^"]+)"', svg)


def test_the_student_page_draws_the_score_after_each_result_with_the_rules_of_that_moment(world):
    page = world.get("/students/u1", params={"course": "5", "as_of": DAY5})
    assert page.status_code == 200 and "script-src" not in page.headers["content-security-policy"]
    svg = chart(page.text, "mastery-over-time")
    assert points(svg) == [("point", b.at(1), "1"), ("point", b.at(2), "2.5"), ("point", b.at(3), "4")]
    # x: day 1 → 52, day 5 → 540 (488 px for 4 days); y: 0 → 182, 5 → 30 (152 px for 5 points).
    assert 'class="step" d="M 52 151.6 H 174 V 106 H 296 V 60.4 H 540"' in svg
    assert re.search(
        r'<line class="threshold" data-value="3" x1="52" y1="90.8" x2="540" y2="90.8"[^>]*stroke-dasharray', svg
    )
    assert '<title id="mastery-1-t">Outcome 1: Ada Lovelace&#39;s score over time</title>' in svg
    assert ">result time (UTC)</text>" in svg and ">score</text>" in svg and ">mastery 3</text>" in svg
    # Each point is what `rollups --as-of` (the same calculation) answered at that moment.
    for _, at, score in points(svg):
        then = mastery_json("--store", world.store, "rollups", "--course", "5", "--as-of", at, "--user", "u1")
        assert f"{then['rollups'][0]['scores'][0]['score']:g}" == score


def test_a_rule_change_after_the_last_result_ends_the_line_at_the_cut(world):
    cut = b.at(2.7)  # the method is highest from day 2.5; u1's last result is day 2's
    svg = chart(world.get("/students/u1", params={"course": "5", "as_of": cut}).text, "mastery-over-time")
    assert points(svg) == [("point", b.at(1), "1"), ("point", b.at(2), "2.5"), ("point cut", cut, "4")]
    # day 1 → 52, day 2.7 → 540: day 2 at 52 + 488 / 1.7 = 339.1.
    assert 'd="M 52 151.6 H 339.1 V 106 H 540 V 60.4 H 540"' in svg


def test_the_course_page_stacks_the_students_per_rating_in_the_scales_colours(world):
    page = world.get("/courses/5", params={"as_of": DAY5}).text
    colours = {
        r["description"]: r["color"]
        for r in mastery_json("--store", world.store, "rollups", "--course", "5", "--as-of", DAY5)["linked"][
            "outcomes"
        ][0]["ratings"]
    }
    svg = chart(page, "rating-bars")
    segments = re.findall(
        r'<rect class="segment" data-rating="([^"]+)" data-count="(\d+)" x="([\d.]+)" y="12" width="([\d.]+)"[^>]*fill="#(\w+)"',
        svg,
    )
    # 404 px for 4 students: Top 1 → 101 px from 8, Meets 2 → 202 px from 109, Below 1 → 101 px from 311.
    assert segments == [
        ("Top", "1", "8", "101", colours["Top"]),
        ("Meets", "2", "109", "202", colours["Meets"]),
        ("Below", "1", "311", "101", colours["Below"]),
    ]
    rows = re.findall(
        r'<text class="row" data-rating="([^"]+)"[^>]*><tspan font-weight="600">(\d+)</tspan> ([^<]+)</text>', svg
    )
    assert rows == [("Top", "1", "Top (5)"), ("Meets", "2", "Meets (3)"), ("Below", "1", "Below (0)")]
    assert re.findall(r'<text class="count"[^>]*>(\d+)</text>', svg) == ["1", "2", "1"]
    # Before u1's second result u1 was Below (1): Top 1, Meets 1, Below 2.
    early = chart(world.get("/courses/5", params={"as_of": b.at(1.5)}).text, "rating-bars")
    assert re.findall(r'data-rating="(\w+)" data-count="(\d)"', early) == [("Top", "1"), ("Meets", "1"), ("Below", "2")]


def test_report_html_embeds_the_course_charts_without_links(world, tmp_path):
    out = tmp_path / "r.html"
    mastery("--store", world.store, "report", "--course", "5", "--as-of", DAY5, "--html", str(out), check=True)
    text = out.read_text()
    assert "href=" not in text and "<script" not in text
    assert chart(text, "rating-bars") == chart(world.get("/courses/5", params={"as_of": DAY5}).text, "rating-bars")


def test_student_chart_writes_the_pages_svg_to_a_file(world, tmp_path):
    out = tmp_path / "ada.svg"
    ran = mastery("--store", world.store, "student", "u1", "--as-of", DAY5, "--chart", str(out), check=True)
    assert b"wrote" in ran.stderr and b"1 chart(s)" in ran.stderr
    svg = out.read_text()
    assert (
        svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
        and "<title>Ada Lovelace: mastery over time</title>" in svg
    )
    page = chart(world.get("/students/u1", params={"course": "5", "as_of": DAY5}).text, "mastery-over-time")
    assert points(svg) == points(page)
    assert re.search(r'class="step" d="([^"]+)"', svg).group(1) == re.search(r'class="step" d="([^"]+)"', page).group(1)
    nowhere = mastery("--store", world.store, "student", "u1", "--chart", str(tmp_path / "no" / "a.svg"))
    assert nowhere.returncode == 3 and b"does not exist" in nowhere.stderr


ITEM = {
    "outcome": {"id": "7", "title": "<script>x</script>", "mastery_points": 3, "points_possible": 4},
    "points": [
        {"at": "2025-01-01T00:00:00Z", "kind": "result", "score": None, "count": 0, "rating": None, "mastery": None},
        {
            "at": "2025-01-03T00:00:00Z",
            "kind": "result",
            "score": 2,
            "count": 1,
            "rating": {"description": "<b>Low</b>", "color": "E62429"},
            "mastery": False,
        },
    ],
}


def test_charts_escape_text_and_use_no_style_attribute():
    svg = mastery_over_time(ITEM, key='k"1', title="<script>alert(1)</script>", until="2025-01-05T00:00:00Z")
    bars = rating_bars(
        {
            "ratings": [{"description": "<i>Top</i>", "points": 4, "color": "javascript:x", "count": 2}],
            "unrated": 1,
            "students": 3,
        },
        key="bars",
        title="a & b",
    )
    for text in (svg, bars):
        assert "<script" not in text and "style=" not in text and "<i>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg and 'aria-labelledby="k&#34;1-t k&#34;1-d"' in svg
    # A null score draws no point and no line; the 2 is held from day 3 to the cut at day 5.
    assert points(svg) == [("point", "2025-01-03T00:00:00Z", "2")] and 'd="M 296 106 H 540"' in svg
    assert 'fill="#C7CDD1"' in bars and "a &amp; b" in bars and 'data-rating="no rating" data-count="1"' in bars


def test_an_unknown_student_or_a_missing_course_is_said_so(world):
    assert world.get("/students/nobody", params={"course": "5"}).status_code == 404
    missing = world.get("/students/u1")
    assert missing.status_code == 400 and "course" in missing.text
    assert Path(world.store).exists()
