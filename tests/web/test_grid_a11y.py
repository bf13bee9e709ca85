"""The grid a teacher and a screen reader can use: caption and scopes, the rating as text in every cell, WCAG AA
contrast (≥ 4.5:1) for every colour pair the pages draw (the inline cell colours and the stylesheet's, computed
here, and as a real Chromium renders them), sort and filter links that keep the other parameters, student and
explain pages, the CSV link, `/` listing every root account, and the absolute cut on every page."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests import builders as b
from tests.conftest import mastery, mastery_json, write_jsonl
from tests.web.conftest import TOKEN, in_process, start, stop
from web.render import CSS

CHROMIUM = Path("/usr/bin/chromium")
COLOURS = ["02672D", "0B874B", "777777", "FAB901", "E62429"]  # 777777: white is 4.48:1 on it, black 4.69:1
POINTS = [5, 4, 3, 2, 0]
OUTCOMES = [str(o) for o in range(1, 9)]
STUDENTS = 40


def score(i: int, outcome: int) -> int | None:
    """Student i's one result for the outcome (None: no result), so the highest method gives it back."""
    return None if (i * outcome) % 7 == 3 else (i + outcome) % 6


def level(value: float) -> int:
    """Index of the scale's rating for a score: the highest points at or below it."""
    return next(k for k, p in enumerate(POINTS) if p <= value)


def uuid(i: int) -> str:
    return f"u{i:02d}"


def world_events() -> list[dict]:
    events = [
        b.scale("1", "Account", "1", 0, POINTS, 3, colors=COLOURS),
        b.method("1", "Account", "1", 0, "highest"),
        b.course("5", name="Algebra I", account="70"),
        b.section("61", "5", name="Period 1"),
        b.section("62", "5", name="Period 2"),
        b.group("900", "5", 0, title="Unit"),
    ]
    for o in OUTCOMES:
        events += [b.outcome(o, 0), b.link(f"{o}0", o, "5", 0.5)]
    for i in range(STUDENTS):
        events += [
            b.user(str(100 + i), uuid(i), f"Kid L{i:02d}"),
            b.enrollment(str(300 + i), "5", str(100 + i), section_id="61" if i % 2 == 0 else "62"),
        ]
        for o in OUTCOMES:
            value = score(i, int(o))
            if value is not None:
                events.append(b.result(o, uuid(i), value, 1 + int(o) / 10, rid=f"{i}{o}"))
    return events


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    folder = tmp_path_factory.mktemp("a11y")
    store = str(folder / "store.db")
    mastery("--store", store, "ingest", str(write_jsonl(folder / "in.jsonl", world_events())), check=True)
    server = in_process(store, {"MASTERY_INGEST_TOKEN": TOKEN})
    try:
        yield server
    finally:
        stop(server)


def rows_of(page: str) -> list[str]:
    return re.findall(r'<tr data-user="([^"]+)">', page)


def luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b_: str) -> float:
    high, low = sorted((luminance(a), luminance(b_)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def stylesheet() -> dict[str, dict[str, str]]:
    """The stylesheet's screen rules, by single selector (later rules win), with var(--x) resolved."""
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    text = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", text)
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        props = dict((k.strip(), v.strip()) for k, v in (p.split(":", 1) for p in body.split(";") if ":" in p))
        for selector in selectors.split(","):
            rules.setdefault(selector.strip(), {}).update(props)
    names = rules[":root"]
    for props in rules.values():
        for k, v in props.items():
            props[k] = re.sub(r"var\((--[\w-]+)\)", lambda m: names[m.group(1)], v)
    return rules


def hex_of(value: str) -> str:
    found = re.search(r"#([0-9a-fA-F]{6})\b", value)
    assert found, value
    return found.group(1).upper()


def test_the_grid_has_a_caption_scopes_and_the_rating_as_text_in_every_cell(grid):
    page = grid.get("/courses/5").text
    table = re.search(r'<table class="grid">.*?</table>', page, re.S).group(0)
    assert re.search(r"<caption[^>]*>Mastery of 40 students in Algebra I, 8 outcomes, as of ", table)
    head, body = table.split("</thead>")
    assert re.findall(r"<th ", head) and all('scope="col' in th for th in re.findall(r"<th [^>]*>", head))
    assert all('scope="row"' in th for th in re.findall(r"<th [^>]*>", body))
    cells = re.findall(r'<td class="score"[^>]*data-rating="([^"]*)"[^>]*>(.*?)</td>', body, re.S)
    assert len(cells) == sum(score(i, int(o)) is not None for i in range(STUDENTS) for o in OUTCOMES) + 2 * 8
    for rating, inside in cells:
        label = re.search(r'<span class="vh">([^<]*)</span>', inside).group(1)
        assert rating and label == f"{rating}, "
    first = re.search(rf'<tr data-user="{uuid(0)}">(.*?)</tr>', body, re.S).group(1)
    # Student 0, outcome 1: 1 → "Level 0"; outcome 3 has no result: (0 * 3) % 7 != 3, outcome 1 scored 1.
    assert re.search(r'<span class="vh">Level 0, </span>1</a></td>', first)
    empties = re.findall(r'<td class="empty">(.*?)</td>', body, re.S)
    assert len(empties) == sum(score(i, int(o)) is None for i in range(STUDENTS) for o in OUTCOMES)
    assert all('<span class="vh">no result</span>' in e for e in empties)
    assert "<h1>Course 5 Algebra I: mastery</h1>" in page


def test_every_colour_pair_on_the_page_and_in_the_stylesheet_meets_aa(grid, tmp_path):
    page = grid.get("/courses/5").text
    inline = re.findall(r'style="background-color: #(\w{6}); color: #(\w{6})"', page)
    assert {bg for bg, _ in inline} == set(COLOURS)  # every rating colour was drawn, 777777 among them
    css = stylesheet()
    white = hex_of(css["body"]["background"])
    pairs = {f"inline #{fg} on #{bg}": (fg, bg) for bg, fg in inline}
    for name, fg, bg in [
        ("body text", css["body"]["color"], css["body"]["background"]),
        ("links", css["a"]["color"], css["body"]["background"]),
        ("links in the header row", css["a"]["color"], css["thead th"]["background"]),
        ("header row text", css["thead th"]["color"], css["thead th"]["background"]),
        ("the bar's link", css["header a"]["color"], css["header"]["background"]),
        ("the report's bar text", css["header span"]["color"], css["header"]["background"]),
        ("meta and notes", css[".meta"]["color"], css["body"]["background"]),
        ("ids", css[".id"]["color"], css["body"]["background"]),
        ("SIS ids", css["th.student .sis"]["color"], css["table.grid th.student"]["background"]),
        ("no result", css["td.empty"]["color"], css["td.empty"]["background"]),
        ("caption", css["table.grid caption"]["color"], css["table.grid caption"]["background"]),
        ("errors", css["body"]["color"], css[".error"]["background"]),
    ]:
        pairs[name] = (hex_of(fg), hex_of(bg))
    for svg in re.findall(r"<svg .*?</svg>", page, re.S):
        for fg in re.findall(r'<(?:text|g)(?! class="count")[^>]* fill="#(\w{6})"', svg):
            pairs[f"chart text #{fg} on the chart's white"] = (fg, white)
        for bg, fg in re.findall(
            r'<rect class="segment"[^>]*fill="#(\w{6})".*?</rect>\s*<text class="count"[^>]*fill="#(\w{6})"', svg, re.S
        ):
            pairs[f"count #{fg} on #{bg}"] = (fg, bg)
    report = tmp_path / "r.html"
    mastery("--store", grid.store, "report", "--course", "5", "--html", str(report), check=True)
    assert "<header><span>outcome mastery</span></header>" in report.read_text()
    low = {name: round(contrast(fg, bg), 2) for name, (fg, bg) in pairs.items() if contrast(fg, bg) < 4.5}
    assert low == {} and len(pairs) > 20


def test_sort_links_order_the_rows_and_keep_the_other_parameters(grid):
    def sc(i: int) -> float | None:
        return score(i, 2)

    by_name = [uuid(i) for i in range(STUDENTS)]
    assert rows_of(grid.get("/courses/5").text) == by_name
    assert rows_of(grid.get("/courses/5", params={"sort": "name", "order": "desc"}).text) == by_name[::-1]
    scored = [i for i in range(STUDENTS) if sc(i) is not None]
    unscored = [uuid(i) for i in range(STUDENTS) if sc(i) is None]
    assert unscored  # students without a result come last either way, in name order
    up = rows_of(grid.get("/courses/5", params={"sort": "2", "order": "asc"}).text)
    assert up == [uuid(i) for i in sorted(scored, key=lambda i: sc(i))] + unscored
    down = rows_of(grid.get("/courses/5", params={"sort": "2", "order": "desc"}).text)
    assert down == [uuid(i) for i in sorted(scored, key=lambda i: -sc(i))] + unscored
    params = {"as_of": "2025-12-01", "known_at": "2030-01-01", "section": "61", "exclude": "inactive", "sort": "3"}
    page = grid.get("/courses/5", params=params).text
    th = re.search(r'<th class="outcome"[^>]*data-outcome="2".*?</th>', page, re.S).group(0)
    link = re.search(r'<a class="sort" data-order="desc" href="([^"]+)"', th).group(1).replace("&amp;", "&")
    assert link == "?as_of=2025-12-01&known_at=2030-01-01&section=61&exclude=inactive&sort=2&order=desc"
    followed = rows_of(grid.get("/courses/5" + link).text)
    assert followed == [u for u in down if int(u[1:]) % 2 == 0]  # section 61: the even students
    assert 'type="hidden" name="sort" value="3"' in page  # the date form keeps the sort


def test_not_mastered_filters_keep_the_students_below_mastery_or_without_evidence(grid):
    def mastered(i: int, o: str) -> bool:
        value = score(i, int(o))
        return value is not None and value >= 3

    anyone = rows_of(grid.get("/courses/5", params={"only": "not-mastered"}).text)
    assert anyone == [uuid(i) for i in range(STUDENTS) if not all(mastered(i, o) for o in OUTCOMES)]
    page = grid.get("/courses/5", params={"only": "not-mastered", "outcome": "4", "sort": "4"}).text
    assert rows_of(page) == [
        uuid(i)
        for i in sorted(
            [i for i in range(STUDENTS) if not mastered(i, "4")], key=lambda i: (score(i, 4) is None, score(i, 4) or 0)
        )
    ]
    assert f"Mastery of {len(rows_of(page))} students (of 40)" in page
    every = re.search(r'Show: <a href="([^"]+)">every student</a>', page).group(1).replace("&amp;", "&")
    assert every == "?sort=4"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"sort": "99"}, "sort"),
        ({"order": "up"}, "order"),
        ({"only": "mastered"}, "only"),
        ({"outcome": "1"}, "outcome"),
        ({"only": "not-mastered", "outcome": "99"}, "outcome"),
    ],
)
def test_a_wrong_sort_or_filter_is_a_400_naming_the_parameter(grid, params, named):
    answer = grid.get("/courses/5", params=params)
    assert answer.status_code == 400 and re.search(rf"<p class=\"error\">{named}: ", answer.text)


def test_names_link_to_the_student_page_and_cells_to_the_explain_page(grid):
    page = grid.get("/courses/5", params={"as_of": "2025-12-01"}).text
    row = re.search(rf'<tr data-user="{uuid(1)}">(.*?)</tr>', page, re.S).group(1)
    student = re.search(r'<th class="student"[^>]*><a href="([^"]+)">Kid L01</a>', row).group(1).replace("&amp;", "&")
    assert student == f"/students/{uuid(1)}?as_of=2025-12-01&course=5"
    mine = grid.get(student).text
    assert re.findall(r'<tr data-outcome="(\d+)">', mine) == [o for o in OUTCOMES if score(1, int(o)) is not None]
    assert len(re.findall(r'<svg [^>]*class="chart mastery-over-time"', mine)) == len(
        re.findall(r"<tr data-outcome=", mine)
    )
    cell = re.findall(r'<td class="score"[^>]*><a href="([^"]+)">', row)[0].replace("&amp;", "&")
    assert cell == f"/courses/5/students/{uuid(1)}/outcomes/1?as_of=2025-12-01"
    why = grid.get(cell).text
    cli = mastery_json(
        "--store", grid.store, "explain", uuid(1), "--course", "5", "--outcome", "1", "--as-of", "2025-12-01"
    )
    assert f"<code>{cli['arithmetic']}</code>" in why and cli["score"] == score(1, 1)
    assert [r["result"] for r in cli["counted"]] == re.findall(r'<tr data-result="(\w+)">', why) == ["11"]
    assert grid.get(f"/courses/5/students/{uuid(1)}/outcomes/1", params={"as_of": "2025-01-01"}).status_code == 404


def test_the_csv_link_answers_what_rollups_csv_prints(grid):
    page = grid.get("/courses/5", params={"section": "62", "sort": "1"}).text
    link = re.search(r'<a class="csv" href="([^"]+)">', page).group(1).replace("&amp;", "&")
    assert link == "/courses/5/rollups.csv?section=62"
    answer = grid.get(link)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    printed = mastery("--store", grid.store, "rollups", "--course", "5", "--section", "62", "--csv", check=True)
    assert answer.text == printed.stdout.decode()
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert [r[0] for r in rows[1:]] == [str(101 + 2 * k) for k in range(20)]  # the odd students, by Canvas id
    assert grid.get("/courses/5/rollups.csv", params={"exclude": "nobody"}).status_code == 400


def test_pages_print_the_absolute_cut_and_when_they_were_made(grid):
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
    now = grid.get("/courses/5").text
    assert re.search(
        rf'<span class="as-of">as of {stamp} \(now\)</span>.*<span class="made">made {stamp}</span>', now, re.S
    )
    then = grid.get("/courses/5", params={"as_of": "2025-09-02T12:30:00Z"}).text
    assert '<span class="as-of">as of 2025-09-02 12:30:00 UTC</span>' in then
    student = grid.get(f"/students/{uuid(0)}", params={"course": "5", "as_of": "2025-09-02T12:30:00Z"}).text
    assert '<span class="as-of">as of 2025-09-02 12:30:00 UTC</span>' in student and re.search(
        rf"made {stamp}", student
    )
    assert re.search(rf"as of {stamp} \(now\)", grid.get("/").text)


def test_the_index_lists_every_root_account_with_its_host_and_named_courses(tmp_path):
    other = "OtherRoot000000000000000000000000000000B"
    events = [b.course("5", name="Algebra I"), b.outcome("1"), b.result("1", "u1", 3, 1)]
    theirs = [b.course("7", name="Biology"), b.outcome("1"), b.result("1", "v1", 4, 1, course="7")]
    events[0]["metadata"]["hostname"] = "alpha.instructure.com"
    for e in theirs:
        e["metadata"]["root_account_uuid"] = other
    theirs[0]["metadata"]["hostname"] = "beta.instructure.com"
    store = str(tmp_path / "two.db")
    mastery("--store", store, "ingest", str(write_jsonl(tmp_path / "in.jsonl", events + theirs)), check=True)
    server = in_process(store, {"MASTERY_INGEST_TOKEN": TOKEN})
    try:
        index = server.get("/")
        assert index.status_code == 200
        sections = re.findall(r'<section class="account" data-root="([^"]+)">\s*<h2>([^<]+)<', index.text)
        assert sections == [(other, "beta.instructure.com "), (b.ROOT, "alpha.instructure.com ")]
        for root, course, name in ((b.ROOT, "5", "Algebra I"), (other, "7", "Biology")):
            assert f'<a href="/courses/{course}?account={root}">{name}</a>' in index.text
            assert server.get(f"/courses/{course}?account={root}").status_code == 200
        one = server.get("/", params={"account": other}).text
        assert "Biology" in one and "Algebra" not in one
        assert server.get("/", params={"account": "nope"}).status_code == 404
    finally:
        stop(server)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (`make test` installs it)")
def test_a_real_browser_keeps_the_header_in_view_and_draws_every_text_at_aa(grid, tmp_path):
    from playwright.sync_api import sync_playwright

    server = start(grid.store, {"MASTERY_INGEST_TOKEN": TOKEN}, tmp_path / "serve.log")  # a real socket
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page(viewport={"width": 800, "height": 600})
                page.goto(f"{server.url}/courses/5")
                scroll = page.locator(".scroll")
                box = scroll.evaluate(
                    "e => { const r = e.getBoundingClientRect(); return {top: r.top + e.clientTop, left: r.left + e.clientLeft} }"
                )
                row = page.locator(f'tr[data-user="{uuid(30)}"] th.student')
                before = row.evaluate("e => e.getBoundingClientRect().top")
                moved = scroll.evaluate(
                    "e => { e.scrollTop = 700; e.scrollLeft = 400; return [e.scrollTop, e.scrollLeft] }"
                )
                assert moved[0] > 300 and moved[1] > 100  # the grid really scrolls both ways inside its box
                assert row.evaluate("e => e.getBoundingClientRect().top") < before - 300
                group = page.locator("th.group").first.evaluate("e => e.getBoundingClientRect().toJSON()")
                outcome = page.locator('th.outcome[data-outcome="1"]').evaluate(
                    "e => e.getBoundingClientRect().toJSON()"
                )
                assert abs(group["top"] - box["top"]) <= 1  # the header row sticks to the top of the box
                assert abs(outcome["top"] - group["bottom"]) <= 1  # and so does its second row
                assert abs(row.evaluate("e => e.getBoundingClientRect().left") - box["left"]) <= 1  # names stay
                page.screenshot(path=str(tmp_path / "scrolled.png"))
                drawn = page.evaluate(TEXTS)
            finally:
                browser.close()
    finally:
        stop(server)
    assert len(drawn) > 300
    low = [(what, fg, bg) for fg, bg, what in drawn if contrast(rgb(fg), rgb(bg)) < 4.5]
    assert low == []


# Every element with text of its own (not the visually hidden labels, not SVG): its colour and the first
# opaque background behind it (the page's white when none is set).
TEXTS = """() => [...document.querySelectorAll('body *')]
  .filter(e => !e.closest('svg') && !e.closest('.vh') && e.getClientRects().length
    && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
  .map(e => {
    let n = e, bg = 'rgb(255, 255, 255)';
    for (; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
    }
    return [getComputedStyle(e).color, bg, e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 30)];
  })"""


def rgb(text: str) -> str:
    r, g, b_ = (int(v) for v in re.findall(r"\d+", text)[:3])
    return f"{r:02X}{g:02X}{b_:02X}"
