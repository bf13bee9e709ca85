"""The answers a teacher asks of `rollups` (issue 14): `--not-mastered` with the students who have no
evidence listed as such, the per-outcome summary under the table (and in `--json --summary`), an unknown
`--outcome` refused with the course's outcomes, and a terminal grid that fits its width, with text that
contrasts with every rating colour and a legend of the scale.

Two stores built from tests/builders.py events, the numbers worked out by hand:

- course 6 "Biology 6" has enrollment events for five students. Outcome 104 (criterion Top 5 / Meets 3 /
  Below 0, mastery 3, highest): Ana 5 and Cy 3 have mastered it (3 is the mastery points), Ben 1 is below,
  Dee (no result at all) and Eve (a result in 105 only) have no evidence: mastered 2/5 · 1 below · 2 no
  evidence. Outcome 105: Eve 4 mastered, Ana 2 below, three with no evidence.
- course 7 has no enrollment event: the students are the three with a counted result in it; twelve
  outcomes 2001-2012 (4-digit ids, as in the review), Max (a 41-character name) 1, Ava 5, Liam 3 on
  2001-2011, and only Ava 4 on 2012: 2012 is mastered 1/3 · 0 below · 2 no evidence.
- course 8 (no enrollment event either): outcome 301 is n_mastery 2; Ava's single result gives no score.
"""

from __future__ import annotations

import re

import pytest
from rich.text import Text

from domain.colours import contrast
from tests import builders as b
from tests.conftest import mastery, mastery_json, write_jsonl

BIOLOGY = [("11", "u1", "Ana Zapata", "00123"), ("12", "u2", "Ben Young", "S2"), ("13", "u3", "Cy Xu", None)]
BIOLOGY += [("14", "u4", "Dee Williams", "S4"), ("15", "u5", "Eve Vance", "S5")]
LONG_NAME = "Maximiliana Bartholomew-Featherstonehaugh"
WIDE = [("21", "w1", "Ava Nguyen"), ("22", "w2", "Liam Okafor"), ("23", "w3", LONG_NAME)]
STANDARDS = [str(2001 + i) for i in range(12)]


def world() -> list[dict]:
    events = [b.course("6", name="Biology 6"), b.outcome("104", title="Reading"), b.outcome("105", title="Writing")]
    events += [b.link("1", "104", "6", 0.5), b.link("2", "105", "6", 0.5)]
    for i, (uid, uuid, name, sis) in enumerate(BIOLOGY):
        events += [b.user(uid, uuid, name, sis=sis), b.enrollment(str(500 + i), "6", uid)]
    events += [b.result("104", u, score, 1, course="6") for u, score in (("u1", 5), ("u2", 1), ("u3", 3))]
    events += [b.result("105", "u1", 2, 1, course="6"), b.result("105", "u5", 4, 1, course="6")]
    events += [b.user(uid, uuid, name) for uid, uuid, name in WIDE]
    for oid in STANDARDS:
        events.append(b.outcome(oid, title="Standard"))
        scored = (("w1", 4),) if oid == "2012" else (("w1", 5), ("w2", 3), ("w3", 1))
        events += [b.result(oid, u, score, 2, course="7") for u, score in scored]
    # Course 8: n_mastery 2, so one result is no score (Ava); Liam's 4 and 5 average 4.5, mastered.
    events.append(b.outcome("301", method="n_mastery", int_=2, title="Lab"))
    events += [
        b.result("301", u, score, day, course="8") for u, score, day in (("w1", 5, 1), ("w2", 4, 1), ("w2", 5, 2))
    ]
    return events


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("teacher")
    where = ("--store", str(folder / "s.db"))
    mastery(*where, "ingest", str(write_jsonl(folder / "in.jsonl", world())), check=True)
    return where


def names(answer: dict) -> list[str | None]:
    users = {u["uuid"]: u for u in answer["linked"]["users"]} | {u["id"]: u for u in answer["linked"]["users"]}
    return [users[r["links"]["user"]]["name"] for r in answer["rollups"]]


def test_not_mastered_lists_the_below_and_the_enrolled_with_no_evidence_in_sortable_name_order(store):
    answer = mastery_json(*store, "rollups", "--course", "6", "--outcome", "104", "--not-mastered")
    # Vance, Williams, Young: Eve (no result for 104), Dee (no result at all), Ben (1, below 3).
    assert names(answer) == ["Eve Vance", "Dee Williams", "Ben Young"]
    assert [[(s["score"], s["mastery"]) for s in r["scores"]] for r in answer["rollups"]] == [[], [], [(1.0, False)]]
    assert [r["links"] for r in answer["rollups"]] == [{"user": uid, "course": "6"} for uid in ("15", "14", "12")]
    assert [u["sis_user_id"] for u in answer["linked"]["users"]] == ["S5", "S4", "S2"]

    table = mastery(*store, "rollups", "--course", "6", "--outcome", "104", "--not-mastered", check=True)
    lines = table.stdout.decode().splitlines()
    rows = {line.split("│")[1].strip(): line.split("│")[3].strip() for line in lines if line.startswith("│")}
    assert rows == {"Eve Vance": "no evidence", "Dee Williams": "no evidence", "Ben Young": "1 Below"}
    assert "104 Reading 104: mastered 2/5 · 1 below · 2 no evidence" in lines


def test_not_mastered_without_enrollment_events_counts_the_students_with_results_in_other_outcomes(store):
    # Course 7 has no enrollment event: Liam and Max have results (in 2001-2011) but none in 2012.
    answer = mastery_json(*store, "rollups", "--course", "7", "--outcome", "2012", "--not-mastered", "--summary")
    assert names(answer) == [LONG_NAME, "Liam Okafor"]
    assert all(r["scores"] == [] for r in answer["rollups"])
    assert answer["meta"]["summary"] == [
        {
            "outcome": "2012",
            "title": "Standard 2012",
            "students": 3,
            "mastered": 1,
            "below": 0,
            "no_score": 0,
            "no_evidence": 2,
        }
    ]


def test_results_without_a_score_count_as_no_score_not_as_below_or_no_evidence(store):
    out = mastery(*store, "rollups", "--course", "8", check=True).stdout.decode().splitlines()
    assert "301 Lab 301: mastered 1/2 · 0 below · 0 no evidence · 1 no score" in out
    lines = mastery(*store, "rollups", "--course", "8", "--outcome", "301", "--not-mastered", check=True)
    rows = [line.split("│")[1:4] for line in lines.stdout.decode().splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row] for row in rows] == [["Ava Nguyen", "–", "no score"]]


def test_not_mastered_needs_exactly_one_outcome(store):
    for outcomes in ((), ("--outcome", "104", "--outcome", "105")):
        ran = mastery(*store, "rollups", "--course", "6", *outcomes, "--not-mastered")
        assert ran.returncode == 2
        assert f"--not-mastered needs exactly one --outcome (got {len(outcomes) // 2})" in ran.stderr.decode()
    ran = mastery(*store, "rollups", "--course", "6", "--outcome", "104", "--not-mastered", "--aggregate", "mean")
    assert ran.returncode == 2 and "not with --aggregate" in ran.stderr.decode()


def test_the_summary_under_the_table_and_in_json_counts_every_enrolled_student(store):
    out = mastery(*store, "rollups", "--course", "6", check=True).stdout.decode().splitlines()
    assert "per outcome, of the 5 student(s) listed by the course's enrollments:" in out
    assert "104 Reading 104: mastered 2/5 · 1 below · 2 no evidence" in out
    assert "105 Writing 105: mastered 1/5 · 1 below · 3 no evidence" in out
    summary = mastery_json(*store, "rollups", "--course", "6", "--summary")["meta"]["summary"]
    assert [(s["outcome"], s["mastered"], s["below"], s["no_evidence"], s["students"]) for s in summary] == [
        ("104", 2, 1, 2, 5),
        ("105", 1, 1, 3, 5),
    ]
    # Without --summary the JSON stays Canvas's answer, meta and all.
    assert set(mastery_json(*store, "rollups", "--course", "6")["meta"]) == {"as_of", "known_at", "mode", "enrollments"}
    # The summary counts over the students asked for: Ana alone has mastered 104 and is below on 105.
    alone = mastery_json(*store, "rollups", "--course", "6", "--user", "sis_user_id:00123", "--summary")
    assert [(s["mastered"], s["below"], s["no_evidence"], s["students"]) for s in alone["meta"]["summary"]] == [
        (1, 0, 0, 1),
        (0, 1, 0, 1),
    ]
    assert mastery(*store, "rollups", "--course", "6", "--summary").returncode == 2


def test_the_summary_and_not_mastered_as_of_a_cut_count_what_was_known_then(store):
    # At day 0.75 both outcomes are linked to course 6 but no result exists yet: nobody has evidence.
    before = b.at(0.75)
    answer = mastery_json(*store, "rollups", "--course", "6", "--as-of", before, "--summary")
    assert answer["rollups"] == []
    assert [(s["mastered"], s["below"], s["no_evidence"], s["students"]) for s in answer["meta"]["summary"]] == [
        (0, 0, 5, 5),
        (0, 0, 5, 5),
    ]
    nobody = mastery_json(*store, "rollups", "--course", "6", "--outcome", "104", "--not-mastered", "--as-of", before)
    assert names(nobody) == ["Eve Vance", "Dee Williams", "Cy Xu", "Ben Young", "Ana Zapata"]


def test_an_unknown_outcome_is_exit_1_listing_the_courses_outcomes(store):
    ran = mastery(*store, "rollups", "--course", "6", "--outcome", "77777")
    assert ran.returncode == 1
    assert "course 6 has no outcome 77777; its outcomes: 104 (Reading 104), 105 (Writing 105)" in ran.stderr.decode()
    # An outcome of another course is not one of this course's either.
    assert mastery(*store, "rollups", "--course", "6", "--outcome", "2001").returncode == 1
    assert mastery(*store, "rollups", "--course", "6", "--outcome", "105", check=True).returncode == 0


# ------------------------------------------------------------------------------------------------ terminal


def test_twelve_outcomes_at_80_columns_come_in_blocks_with_every_name_and_header_whole(store):
    out = mastery(*store, "rollups", "--course", "7", env={"COLUMNS": "80"}, check=True).stdout.decode()
    lines = out.splitlines()
    note = "no enrollment events for this course: every student with a counted result is listed"
    assert lines[-1] == note and max(len(line) for line in lines[:-1]) <= 80
    parts = [line for line in lines if line.startswith("part ")]
    assert len(parts) >= 2 and parts[0].startswith(f"part 1 of {len(parts)}: outcomes 2001 to ")
    headers = [cell.strip() for line in lines if line.startswith("┃") for cell in line.strip("┃").split("┃")]
    assert sorted(h for h in headers if h.isdigit()) == STANDARDS  # each outcome once, never in pieces
    assert headers.count("student") == len(parts)  # the student column starts every block
    rows = [line.split("│")[1].strip() for line in lines if line.startswith("│")]
    assert rows == [LONG_NAME, "Ava Nguyen", "Liam Okafor"] * len(parts)  # sortable name, one line each
    assert "2012 Standard 2012: mastered 1/3 · 0 below · 2 no evidence" in lines
    assert "2001 Standard 2001: mastered 2/3 · 1 below · 0 no evidence" in lines


def test_a_name_wider_than_the_terminal_is_cut_with_an_ellipsis_not_wrapped(store):
    out = mastery(*store, "rollups", "--course", "7", env={"COLUMNS": "30"}, check=True).stdout.decode()
    lines = out.splitlines()
    grid = [line for line in lines if line[:1] in "┏┃┡│└"]
    assert max(len(line) for line in grid) <= 30
    rows = [line.split("│")[1].strip() for line in grid if line.startswith("│")]
    assert len(rows) == 3 * 12  # one line per student, one outcome per block
    for row, name in zip(rows, [LONG_NAME, "Ava Nguyen", "Liam Okafor"] * 12, strict=True):
        assert row == name or (row.endswith("…") and name.startswith(row.removesuffix("…")))
    assert rows[0] != LONG_NAME


def painted(output: str) -> list[tuple[str, str, str]]:
    """(text, foreground hex, background hex) of every span the terminal output paints on a background."""
    text = Text.from_ansi(output)
    found = []
    for span in text.spans:
        style = span.style
        if not hasattr(style, "bgcolor") or style.bgcolor is None:
            continue
        fg = style.color.get_truecolor().hex.lstrip("#")
        bg = style.bgcolor.get_truecolor().hex.lstrip("#")
        found.append((text.plain[span.start : span.end].strip(), fg.upper(), bg.upper()))
    return found


@pytest.mark.parametrize("terminal", [{"COLORTERM": "truecolor"}, {"COLORTERM": None, "TERM": "xterm-256color"}])
def test_every_rating_colour_gets_text_of_at_least_4_5_to_1_on_the_colour_the_terminal_paints(store, terminal):
    env = {"FORCE_COLOR": "1", "NO_COLOR": None, "COLUMNS": "120", **terminal}
    out = mastery(*store, "rollups", "--course", "6", env=env, check=True).stdout.decode()
    cells = painted(out)
    # Ana 5 Top, Cy 3 Meets, Ben 1 Below, Eve 4 Meets, Ana 2 Below: 5 cells, and the legend's 3 ratings.
    assert sorted(t for t, _, _ in cells) == sorted(["5", "3", "1", "4", "2", "5 Top", "3 Meets", "0 Below"])
    for text, fg, bg in cells:
        assert contrast(fg, bg) >= 4.5, (text, fg, bg)
    # Canvas's green 0B874B: white text in true colour (4.584:1 against black's 4.581:1); a 256-colour
    # terminal paints it 00875F, where black reads better (4.63:1 against white's 4.53:1).
    meets = {bg: fg for t, fg, bg in cells if t == "3 Meets"}
    assert meets == ({"00875F": "000000"} if "TERM" in terminal else {"0B874B": "FFFFFF"})


def test_the_text_colour_is_chosen_for_the_colour_a_256_colour_terminal_paints():
    from cli.render import shown, text_on

    # The review's dark green: 02672D is painted 005F00, where black text would be 2.6:1.
    assert shown("02672D", "256") == "005F00" and text_on("005F00") == "FFFFFF"
    assert round(contrast("000000", "005F00"), 2) == 2.64 and contrast("FFFFFF", "005F00") >= 4.5
    assert shown("0B874B", "truecolor") == "0B874B" and shown("0B874B", "256") == "00875F"


def test_the_legend_is_one_line_of_the_scales_ratings(store):
    lines = mastery(*store, "rollups", "--course", "6", check=True).stdout.decode().splitlines()
    legend = [line for line in lines if line.startswith("ratings:")]
    assert len(legend) == 1 and re.sub(r"\s+", " ", legend[0]) == "ratings: 5 Top 3 Meets 0 Below (mastery at 3)"


def test_contrast_matches_the_wcag_figures():
    assert round(contrast("000000", "FFFFFF"), 2) == 21.0
    assert round(contrast("777777", "FFFFFF"), 2) == 4.48  # the classic just-below-AA grey
    assert contrast("0B874B", "0B874B") == 1.0


@pytest.mark.parametrize("system", ["truecolor", "256", "standard"])
def test_the_grid_drawn_on_a_recorded_console_fits_and_contrasts_on_every_palette(system):
    from rich.console import Console

    from cli.grid import grid
    from cli.render import Painted

    colours = ["0374B5", "0B874B", "FAB901", "D97900", "E0061F", "555555", "02672D", "FFFFFF", "000000", "777777"]
    rows = [([f"Student {i}", f"S{i:05d}"], [Painted(f"{i}.5", c) for c in colours]) for i in range(3)]
    out = Console(width=40, record=True, force_terminal=True, color_system=system, highlight=False)
    runs = grid("course 1 mastery", ["student", "sis id"], [str(4000 + i) for i in range(10)], rows, out)
    # 40 columns: student (9) and sis id (6) take 22 with their rules, each 4-wide outcome 7: 2 per part.
    assert runs == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    exported = out.export_text(styles=True)
    assert max(len(line) for line in Text.from_ansi(exported).plain.splitlines()) <= 40
    cells = painted(exported)
    assert len(cells) == 3 * len(colours)
    assert all(contrast(fg, bg) >= 4.5 for _, fg, bg in cells), [c for c in cells if contrast(c[1], c[2]) < 4.5]
