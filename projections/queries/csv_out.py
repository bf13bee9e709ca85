"""The rollups as CSV, one writer for `mastery rollups --csv` and the page's CSV link: the rows (a column
each for the student's id, name and SIS id, kept as text, then score and rating per outcome) and the text,
with cells a spreadsheet would run as a formula neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...) sends data away).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell as written: None is empty; text starting like a formula gets a leading ' (as OWASP's CSV
    injection advice says), so it shows as text; numbers, even negative ones, stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The CSV text, one line per row ending in \\n."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(v) for v in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return out.getvalue()


def rollups_rows(answer: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """A rollups answer as the CSV's header and rows."""
    # Imported here: cli/render.py imports this module for csv_cell, and every command module imports
    # cli/render.py, so `mastery --help` (which loads each command for its line) would load the domain.
    from projections.queries.outcome_rollups import linked_users

    users = linked_users(answer)
    outcomes = [o["id"] for o in answer["linked"]["outcomes"]]
    header = ["student", "name", "sis_id"] + [f"{col} {o}" for o in outcomes for col in ("score", "rating")]
    rows = []
    for rollup in answer["rollups"]:
        link = rollup["links"].get("user")
        user = users.get(link) if link else None
        by = {s["links"]["outcome"]: s for s in rollup["scores"]}
        cells = []
        for o in outcomes:
            s = by.get(o)
            cells += [s["score"] if s else None, (s["rating"] or {}).get("description") if s else None]
        rows.append([link or "course", (user or {}).get("name"), (user or {}).get("sis_user_id"), *cells])
    return header, rows
