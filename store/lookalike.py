"""What an ingest input looks like when it is clearly not Canvas Live Events: a CSV or TSV table, Canvas
Data 2 rows, Parquet, HTML, or JSON objects without a Live Event's `metadata`; so the summary can say so
loudly instead of only counting quarantined items.

An input is judged by its first item and by how much of it could not be used (`Tally`): a Live Events file
with one damaged first line is not called a CSV. Canvas Data 2 (DAP) JSON lines hold one table row each as
`{"key": {...}, "value": {...}, "meta": {"ts": ..., "action": ...}}` (a deleted row has no `value`); its
CSV and TSV outputs have headers such as `key.id,value.name,meta.ts,meta.action`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CSV = "CSV"
TSV = "TSV (tab-separated values)"
CD2 = "Canvas Data 2 rows (key/value/meta)"
CD2_TABLE = "a Canvas Data 2 table exported as CSV/TSV"
PARQUET = "Parquet"
MARKUP = "HTML or XML"
OTHER_JSON = "JSON objects without a `metadata` object"
NOT_OBJECTS = "JSON values that are not objects"

# Kinds read line by line, whose items are best counted as lines.
LINE_KINDS = frozenset({CSV, TSV, CD2, CD2_TABLE, OTHER_JSON})
# What to add to the warning, when there is something to add.
ADVICE = {CD2: "Canvas Data 2 is not supported yet", CD2_TABLE: "Canvas Data 2 is not supported yet"}


def looks_like(item: Any) -> str | None:
    """What one raw item (sources.RawItem) looks like if it is clearly not a Canvas Live Event, or None."""
    if item.error is not None:
        return _text_kind(item.text)
    value = item.value
    if isinstance(value, dict):
        if "metadata" in value:
            return None
        if isinstance(value.get("key"), dict) and isinstance(value.get("meta"), dict):
            return CD2
        return OTHER_JSON
    return NOT_OBJECTS


def _text_kind(text: str) -> str | None:
    first = text.split("\n", 1)[0].strip()
    if first.startswith("PAR1"):
        return PARQUET
    if first.startswith("<"):
        return MARKUP
    if "{" in first or not first:
        return None
    header = first.lower()
    if "key." in header and ("meta." in header or "value." in header):
        return CD2_TABLE
    if "\t" in first:
        return TSV
    if "," in first:
        return CSV
    return None


@dataclass
class Tally:
    """One input's share of an ingest: items read, items that could not be used (quarantined now, or
    already in the quarantine from an earlier run), and what its first item looks like."""

    read: int = 0
    unusable: int = 0
    first: str | None = None

    def note(self, item: Any) -> None:
        if self.read == 0:
            self.first = looks_like(item)
        self.read += 1

    @property
    def kind(self) -> str | None:
        """What the input clearly is instead of Live Events: its first item says so and at least half of
        it could not be used."""
        return self.first if self.first and 2 * self.unusable >= self.read > 0 else None


def warning(source: str, tally: Tally) -> str:
    """The loud line for an input that is not Live Events (tally.kind is set)."""
    kind = tally.kind
    unit = "lines" if kind in LINE_KINDS else "items"
    text = f"{source} looks like {kind}, not Canvas Live Events (JSON lines): {tally.unusable} {unit} quarantined"
    if kind in ADVICE:
        text += f"; {ADVICE[kind]}"
    return text
