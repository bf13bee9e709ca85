"""Exports of a course's rollups that survive a spreadsheet: the grid as CSV for people (UTF-8 with a BOM,
the cut on the first row, "Title (id)" headers, a `mastered` column per outcome, the summary in a block
under the grid), one row per student × outcome for BI tools (`--long`), and an Excel workbook (`--xlsx`:
cells in the rating's colour, SIS ids as text cells, a second sheet with the summary and the cut).

Every text cell that a spreadsheet would run as a formula (= + - @, tab, CR) gets a leading ' in CSV
(`cli.render.csv_cell`); in the workbook every text is a string cell, which Excel never runs.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from cli.render import csv_cell, text_on
from domain.canvas import display_time
from projections.queries.outcome_rollups import linked_users
from projections.queries.summary import MASTERED, status

BOM = "\ufeff"
WORDS = {MASTERED: "yes", "below": "no"}  # the grid's `mastered` column; other states are written as they are


def cut(answer: dict[str, Any], course: str, name: str | None, not_mastered: str | None = None) -> dict[str, Any]:
    """The cut an export was made at, in absolute times: "now" is the moment it was made (everything stored
    by then, every event time up to then)."""
    made = display_time(datetime.now(UTC))
    meta = answer["meta"]
    return {
        "course": course,
        "course_name": name,
        "as_of": meta["as_of"] or made,
        "known_at": meta["known_at"] or made,
        "mode": meta["mode"],
        "made_at": made,
        "not_mastered": not_mastered,
    }


def cut_line(c: dict[str, Any]) -> str:
    who = f" · students who have not mastered outcome {c['not_mastered']}" if c["not_mastered"] else ""
    return (
        f"mastery rollups · course {c['course']}{' ' + c['course_name'] if c['course_name'] else ''}{who}"
        f" · as of {c['as_of']} · known at {c['known_at']} · {c['mode']} mode · made {c['made_at']}"
    )


def heading(outcome: dict[str, Any]) -> str:
    return f"{outcome['title'] or 'outcome'} ({outcome['id']})"


def students(answer: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, dict[str, Any]]]]:
    """Each rollup as (links.user, its user, its scores by outcome id), in the answer's order."""
    users = linked_users(answer)
    found = []
    for rollup in answer["rollups"]:
        link = rollup["links"].get("user") or "course"
        found.append((link, users.get(link) or {}, {s["links"]["outcome"]: s for s in rollup["scores"]}))
    return found


def rating(score: dict[str, Any] | None) -> str | None:
    return ((score or {}).get("rating") or {}).get("description")


def wide(answer: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The grid for people: student, name, SIS id, then score, rating and mastered per outcome."""
    outcomes = answer["linked"]["outcomes"]
    header = ["student", "name", "sis_id"] + [f"{heading(o)} {col}" for o in outcomes for col in COLUMNS]
    rows = []
    for link, user, scores in students(answer):
        cells: list[Any] = [link, user.get("name"), user.get("sis_user_id")]
        for o in outcomes:
            s = scores.get(o["id"])
            state = status(s)
            cells += [(s or {}).get("score"), rating(s), WORDS.get(state, state)]
        rows.append(cells)
    return header, rows


COLUMNS = ("score", "rating", "mastered")
SUMMARY = ["outcome", "title", "students", "mastered", "below", "no score", "no evidence"]


def summary_rows(summary: Sequence[dict[str, Any]]) -> list[list[Any]]:
    return [
        [s["outcome"], s["title"], s["students"], s["mastered"], s["below"], s["no_score"], s["no_evidence"]]
        for s in summary
    ]


LONG = [
    "course",
    "student",
    "user_uuid",
    "name",
    "sis_id",
    "outcome",
    "title",
    "score",
    "count",
    "rating",
    "mastered",
    "status",
    "submitted_at",
    "as_of",
    "known_at",
    "mode",
]


def long(answer: dict[str, Any], c: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """One row per student × outcome (tidy data for Power BI, Tableau, pandas): the cut on every row."""
    rows = []
    for link, user, scores in students(answer):
        for o in answer["linked"]["outcomes"]:
            s = scores.get(o["id"])
            state = status(s)
            flag = (s or {}).get("mastery")
            mastered = "" if flag is None else ("true" if flag else "false")
            rows.append(
                [c["course"], link, user.get("uuid"), user.get("name"), user.get("sis_user_id"), o["id"], o["title"]]
                + [(s or {}).get("score"), (s or {}).get("count"), rating(s), mastered, state]
                + [(s or {}).get("submitted_at"), c["as_of"], c["known_at"], c["mode"]]
            )
    return LONG, rows


def csv_text(blocks: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV (RFC 4180 line ends); text quoted, numbers bare, so a spreadsheet's "quoted field as text"
    import keeps a SIS id like 00123 as text; formula-like text neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    for row in blocks:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def spreadsheet_rows(
    answer: dict[str, Any], c: dict[str, Any], summary: Sequence[dict[str, Any]] | None, note: str | None
) -> list[Sequence[Any]]:
    """The CSV for people: the cut on row 1, a blank row, the grid, a blank row, the summary block. The
    blank rows keep the grid one block for a spreadsheet's sort and filter."""
    header, rows = wide(answer)
    out: list[Sequence[Any]] = [[cut_line(c)], [], header, *rows]
    if summary:
        out += [[], SUMMARY, *summary_rows(summary)]
    if note:
        out += [[], [note]]
    return out


def write(text: str, target: str | None, bom: bool) -> None:
    """CSV text to a file (`target`) or stdout; with a BOM, Excel reads it as UTF-8 instead of Windows-1252."""
    data = ((BOM if bom else "") + text).encode("utf-8")
    if target is None or target == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    with open(target, "wb") as f:
        f.write(data)


def workbook(
    answer: dict[str, Any], c: dict[str, Any], summary: Sequence[dict[str, Any]] | None, note: str | None, path: str
) -> None:
    """The grid as an .xlsx: sheet "Mastery" (frozen header and student columns; score and rating cells in
    the rating's colour, text black or white for contrast; SIS ids as text cells), sheet "Summary" (the cut,
    the per-outcome counts and each scale's ratings on their colours)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    grid = book.active
    grid.title = "Mastery"
    header, rows = wide(answer)
    put_row(grid, 1, header, bold=True)
    for r, (row, (_, _, scores)) in enumerate(zip(rows, students(answer), strict=True), 2):
        put_row(grid, r, row, text_columns=frozenset({3}))
        for i, o in enumerate(answer["linked"]["outcomes"]):
            color = (((scores.get(o["id"]) or {}).get("rating")) or {}).get("color")
            if color and len(color) == 6:
                fill = PatternFill("solid", fgColor="FF" + color.upper())
                for col in (4 + 3 * i, 5 + 3 * i):
                    grid.cell(r, col).fill = fill
                    grid.cell(r, col).font = Font(color="FF" + text_on(color.upper()))
    grid.freeze_panes = "D2"
    for col, width in ((1, 24), (2, 28), (3, 14)):
        grid.column_dimensions[grid.cell(1, col).column_letter].width = width
    grid.oddFooter.center.text = cut_line(c).replace("&", "&&")
    sheet = book.create_sheet("Summary")
    lines: list[Sequence[Any]] = [
        ["course", c["course"]],
        ["course name", c["course_name"]],
        ["as of", c["as_of"]],
        ["known at", c["known_at"]],
        ["mode", c["mode"]],
        ["made at", c["made_at"]],
    ]
    if c["not_mastered"]:
        lines.append(["students who have not mastered", c["not_mastered"]])
    if note:
        lines.append(["note", note])
    r = 1
    for line in lines:
        put_row(sheet, r, line, text_columns=frozenset({2}))
        r += 1
    if summary:
        r += 1
        put_row(sheet, r, SUMMARY, bold=True)
        for line in summary_rows(summary):
            r += 1
            put_row(sheet, r, line, text_columns=frozenset({1}))
    r += 1
    for o in answer["linked"]["outcomes"]:
        r += 1
        put_row(sheet, r, [f"ratings of {heading(o)}"], bold=True)
        for rating_ in o.get("ratings") or []:
            r += 1
            put_row(sheet, r, [rating_["points"], rating_["description"], "mastery" if rating_["mastery"] else None])
            if rating_["color"] and len(rating_["color"]) == 6:
                sheet.cell(r, 2).fill = PatternFill("solid", fgColor="FF" + rating_["color"].upper())
                sheet.cell(r, 2).font = Font(color="FF" + text_on(rating_["color"].upper()))
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 40
    book.save(path)


def put_row(
    sheet: Any, row: int, values: Sequence[Any], *, bold: bool = False, text_columns: frozenset[int] = frozenset()
) -> None:
    """Values into one row: text always a string cell (never a formula, whatever it starts with); the
    `text_columns` (1-based) stored as text with the Text format, so 00123 stays 00123 when edited."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    for col, value in enumerate(values, 1):
        if value is not None and col in text_columns and not isinstance(value, str):
            value = str(value)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        target = sheet.cell(row, col)
        target.value = value
        if isinstance(value, str):
            target.data_type = "s"
        if col in text_columns:
            target.number_format = "@"
        if bold:
            target.font = Font(bold=True)
