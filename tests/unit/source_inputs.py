"""Inputs for the sources tests: sample events, files written in each format, item filters, and
the hypothesis strategy of JSON values."""

from __future__ import annotations

import orjson
from hypothesis import strategies as st

from sources import RawItem, read_sources

EVENTS = [
    {"metadata": {"event_name": "outcome_calculated", "user_id": "1"}, "body": {"score": 3.5}},
    {"metadata": {"event_name": "outcome_result_updated"}, "body": {"tags": ["a", {"b": [1, 2]}]}},
    {"metadata": {"event_name": "x"}, "body": {"title": 'brackets ] [ { } and "quotes" and a\nnewline\\'}},
]


def write(path, data: bytes | str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def items(path: str) -> list[RawItem]:
    return list(read_sources([path]))


def good(found: list[RawItem]) -> list[object]:
    return [item.value for item in found if item.error is None]


def bad(found: list[RawItem]) -> list[RawItem]:
    return [item for item in found if item.error is not None]


def json_lines(values) -> bytes:
    return b"".join(orjson.dumps(value) + b"\n" for value in values)


def pretty_sequence(values) -> bytes:
    return b"".join(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n" for value in values)


def pretty_array(values) -> bytes:
    return orjson.dumps(values, option=orjson.OPT_INDENT_2) + b"\n"


def compact_array(values) -> bytes:
    return orjson.dumps(values)


FORMATS = {
    "json lines": json_lines,
    "pretty sequence": pretty_sequence,
    "pretty array": pretty_array,
    "compact array": compact_array,
}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
