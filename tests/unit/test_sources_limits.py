"""sources: bounded reading: chunk boundaries, item and input caps, and memory far below the input."""

from __future__ import annotations

import io
import tracemalloc

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sources.array
import sources.files
import sources.sequence
from sources import iter_items, read_sources
from tests.unit.source_inputs import EVENTS, bad, good, json_lines, json_values, write

# --- bounded reading: chunk boundaries and very long input -------------------------------------------


def chunked(monkeypatch, chunk: int) -> None:
    """Every reader reads by chunks of this many bytes (each module holds its own name for it)."""
    for module in (sources.files, sources.sequence, sources.array):
        monkeypatch.setattr(module, "_CHUNK", chunk)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(json_values, max_size=12), chunk=st.integers(1, 40), pretty=st.booleans())
def test_an_array_read_in_tiny_chunks_gives_exactly_its_elements(monkeypatch, values, chunk, pretty):
    chunked(monkeypatch, chunk)  # cut numbers, strings and UTF-8 characters anywhere
    data = orjson.dumps(values, option=orjson.OPT_INDENT_2 if pretty else 0)
    found = list(iter_items("-", io.BytesIO(data)))
    assert [i.error for i in found] == [None] * len(values)
    assert [i.value for i in found] == values
    assert [orjson.loads(i.text) for i in found] == values


def test_a_huge_broken_line_in_an_array_is_cut_into_bounded_error_items(monkeypatch):
    chunked(monkeypatch, 64)
    monkeypatch.setattr(sources.files, "MAX_ITEM_CHARS", 1000)
    junk = "x" * 5000
    found = list(iter_items("-", io.BytesIO(f'[{{"a": 1}}, {junk},\n{{"b": 2}}]'.encode())))
    assert good(found) == [{"a": 1}, {"b": 2}]
    assert "".join(i.text for i in bad(found)) == junk + ","
    assert all(len(i.text) <= 1000 for i in bad(found)) and len(bad(found)) == 6


def test_a_value_that_never_closes_in_a_sequence_is_given_up_at_the_size_cap(monkeypatch):
    monkeypatch.setattr(sources.files, "MAX_ITEM_CHARS", 5000)
    data = b"[\n" + b"  1,\n" * 3000
    found = list(iter_items("-", io.BytesIO(b'{"a": 1}\n' + data)))
    assert good(found)[0] == {"a": 1}
    assert "\n".join(i.text for i in bad(found)).split() == data.decode().split()
    assert "still not closed" in bad(found)[0].error


class _CountingText(str):
    """The held text of a value spread over lines, tallying the characters its line counting scans."""

    scanned = 0

    def count(self, sub, start=0, end=None):  # type: ignore[override]
        stop = len(self) if end is None else end
        _CountingText.scanned += max(0, min(stop, len(self)) - max(start, 0))
        return super().count(sub, start, end)


def test_values_concatenated_on_one_long_line_are_located_with_linear_work(monkeypatch):
    held_text = sources.sequence._Lines.text.fget

    def counting(self):
        text = held_text(self)
        if type(text) is str:
            text = self._text = _CountingText(text)
        return text

    monkeypatch.setattr(sources.sequence._Lines, "text", property(counting))
    monkeypatch.setattr(_CountingText, "scanned", 0)
    line = b'{"a": 1}' * 20_000 + b"\n"
    found = list(iter_items("-", io.BytesIO(b'{"first": 0} x\n' + line)))
    assert good(found) == [{"a": 1}] * 20_000 and [i.line for i in found[1:]] == [2] * 20_000
    assert _CountingText.scanned <= 4 * len(line)  # counting from the start each time: ~5e9


def test_a_line_over_the_item_cap_is_kept_as_its_prefix_with_its_size_and_the_next_lines_survive():
    long_line = b'{"a": "' + b"y" * 50_000 + b'"}\n'
    data = b'{"n": 1}\n' + long_line + b'{"n": 2}\n'
    found = list(iter_items("-", io.BytesIO(data), max_item_bytes=10_000))
    assert good(found) == [{"n": 1}, {"n": 2}]
    [item] = bad(found)
    assert item.line == 2 and item.text == long_line[: sources.PREFIX_BYTES].decode()
    assert item.error == (
        f"line of {len(long_line)} bytes is over the 10000-byte limit "
        f"(only its first {sources.PREFIX_BYTES} bytes kept)"
    )


def test_an_input_past_the_file_cap_stops_there_with_an_error_item_and_the_next_input_is_read(tmp_path):
    first = write(tmp_path / "a.jsonl", json_lines([{"n": n} for n in range(1000)]))
    second = write(tmp_path / "b.jsonl", json_lines([{"m": 1}]))
    found = list(read_sources([first, second], max_file_bytes=100))
    whole = json_lines([{"n": n} for n in range(1000)])[:100].count(b"\n")  # lines complete in 100 bytes
    assert good(found) == [{"n": n} for n in range(whole)] + [{"m": 1}]
    [stopped] = [i for i in bad(found) if "limit" in i.error]
    assert stopped.source == first and "over the 100-byte limit: read stopped after 100 bytes" in stopped.error


@pytest.mark.slow
@pytest.mark.parametrize("form", ["json lines", "compact array"])
def test_a_50_mb_input_is_read_with_memory_far_below_its_size(tmp_path, form):
    event = {**EVENTS[0], "padding": "p" * 900}
    path = tmp_path / "big.json"
    with open(path, "wb") as out:
        if form == "json lines":
            out.writelines(orjson.dumps({**event, "n": n}) + b"\n" for n in range(50_000))
        else:
            out.write(b"[")
            out.writelines((b"," if n else b"") + orjson.dumps({**event, "n": n}) for n in range(50_000))
            out.write(b"]")
    size = path.stat().st_size
    assert size > 45_000_000
    tracemalloc.start()
    try:
        count = sum(1 for item in read_sources([str(path)]) if item.error is None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 50_000
    assert peak < size / 20
