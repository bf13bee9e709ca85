"""store.sources: every input format becomes raw items, and nothing read is lost or counted twice."""

from __future__ import annotations

import gzip
import io
import json
import os
import tracemalloc

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import sources
from store.sources import RawItem, SourceError, iter_items, iter_paths, read_sources

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


FORMATS = {"json lines": json_lines, "pretty sequence": pretty_sequence,
           "pretty array": pretty_array, "compact array": compact_array}


# --- each format ---------------------------------------------------------------------------------

def test_json_lines_give_one_item_per_line_with_its_number_and_exact_text(tmp_path):
    lines = [orjson.dumps(event).decode() for event in EVENTS]
    path = write(tmp_path / "events.jsonl", "\n".join(lines) + "\n")
    found = items(path)
    assert [(i.source, i.line, i.text, i.value, i.error) for i in found] == [
        (path, n, line, event, None) for n, (line, event) in enumerate(zip(lines, EVENTS), 1)]


def test_pretty_printed_objects_concatenated_are_one_item_each_starting_on_their_first_line(tmp_path):
    data = pretty_sequence(EVENTS[:2]) + b'{"a": 1}{"b": 2} {"c":\n 3}\n'
    found = items(write(tmp_path / "pretty.json", data))
    assert good(found) == EVENTS[:2] + [{"a": 1}, {"b": 2}, {"c": 3}]
    first_lines = pretty_sequence(EVENTS[:1]).count(b"\n")
    assert [i.line for i in found] == [1, first_lines + 1] + [data.count(b"\n") - 1] * 3
    assert found[0].text == orjson.dumps(EVENTS[0], option=orjson.OPT_INDENT_2).decode()
    assert found[-1].text == '{"c":\n 3}'


def test_a_pretty_json_array_gives_its_elements_with_nested_values_and_tricky_strings(tmp_path):
    found = items(write(tmp_path / "dump.json", pretty_array(EVENTS)))
    assert good(found) == EVENTS and not bad(found)
    assert found[0].line == 2
    assert [json.loads(i.text) for i in found] == EVENTS


def test_a_compact_json_array_on_one_line_gives_the_same_elements(tmp_path):
    found = items(write(tmp_path / "dump.json", b"  " + compact_array(EVENTS)))
    assert good(found) == EVENTS and not bad(found)
    assert [i.line for i in found] == [1, 1, 1]
    assert [i.text for i in found] == [orjson.dumps(e).decode() for e in EVENTS]


def test_an_array_element_that_is_an_array_or_a_string_with_brackets_stays_one_element(tmp_path):
    data = b'[[1, [2, "]"]], "[", "]", {"q": "\\"]\\n["}, []]'
    assert good(items(write(tmp_path / "a.json", data))) == [[1, [2, "]"]], "[", "]", {"q": '"]\n['}, []]


@pytest.mark.parametrize("form", FORMATS)
def test_a_gzip_file_reads_like_the_plain_one(tmp_path, form):
    plain = FORMATS[form](EVENTS)
    path = write(tmp_path / "events.json.gz", gzip.compress(plain))
    assert good(items(path)) == EVENTS and not bad(items(path))


def test_gzip_is_recognised_by_its_magic_bytes_not_by_its_name(tmp_path):
    disguised = write(tmp_path / "events.jsonl", gzip.compress(json_lines(EVENTS)))
    plain_named_gz = write(tmp_path / "plain.gz", json_lines(EVENTS))
    assert good(items(disguised)) == EVENTS
    assert good(items(plain_named_gz)) == EVENTS


def test_broken_gzip_data_keeps_the_lines_before_the_break_and_reports_it(tmp_path):
    packed = gzip.compress(json_lines(EVENTS * 3))
    found = items(write(tmp_path / "cut.jsonl.gz", packed[:-8]))  # the gzip trailer is gone
    assert good(found) == EVENTS * 3
    [broken] = bad(found)
    assert broken.error.startswith(f"compressed data broken after line {len(EVENTS) * 3}")


def test_content_after_an_array_closes_is_read_by_the_same_rule(tmp_path):
    found = items(write(tmp_path / "two.json", b'[{"a": 1}]\n[{"b": 2}]\n{"c": 3}\n'))
    assert good(found) == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert [i.line for i in found] == [1, 2, 3]


def test_arrays_one_after_another_give_all_their_elements(tmp_path):
    found = items(write(tmp_path / "many.json", b'[{"a": 1}][{"b": 2}] [3]\n[]'))
    assert good(found) == [{"a": 1}, {"b": 2}, 3] and not bad(found)


def test_an_array_may_miss_a_comma_at_a_line_break_or_have_one_before_the_bracket(tmp_path):
    found = items(write(tmp_path / "loose.json", b'[\n{"a": 1}\n{"b": 2},\n]\n'))
    assert [(i.line, i.value) for i in found] == [(2, {"a": 1}), (3, {"b": 2})]


def test_crlf_line_endings_are_read_and_kept_out_of_the_text(tmp_path):
    found = items(write(tmp_path / "crlf.jsonl", b'{"a": 1}\r\noops\r\n{"b": 2}\r\n'))
    assert [(i.line, i.text) for i in found] == [(1, '{"a": 1}'), (2, "oops"), (3, '{"b": 2}')]
    assert good(found) == [{"a": 1}, {"b": 2}]


# --- where input comes from ------------------------------------------------------------------------

def test_a_folder_is_read_recursively_in_path_order_skipping_hidden_files(tmp_path):
    for name in ["b.jsonl", "a/2.jsonl", "a/1.jsonl.gz", "a/b/z.jsonl", ".hidden.jsonl", "a/.secret/x.jsonl"]:
        data = json_lines([{"file": name}])
        write(tmp_path / "in" / name, gzip.compress(data) if name.endswith(".gz") else data)
    folder = str(tmp_path / "in")
    expected = ["a/1.jsonl.gz", "a/2.jsonl", "a/b/z.jsonl", "b.jsonl"]
    assert list(iter_paths([folder])) == [os.path.join(folder, name) for name in expected]
    assert good(items(folder)) == [{"file": name} for name in expected]
    assert [i.source for i in items(folder)] == [os.path.join(folder, name) for name in expected]


def test_stdin_is_read_from_the_stream_given_and_named_stdin(tmp_path):
    path = write(tmp_path / "f.jsonl", json_lines(EVENTS[:1]))
    stdin = io.BytesIO(json_lines(EVENTS[1:]))
    found = list(read_sources([path, "-"], stdin=stdin))
    assert good(found) == EVENTS
    assert [(i.source, i.line) for i in found] == [(path, 1), ("<stdin>", 1), ("<stdin>", 2)]


def test_a_buffered_stream_like_sys_stdin_buffer_is_read_too():
    stream = io.BufferedReader(io.BytesIO(json_lines(EVENTS)))
    assert good(list(iter_items("-", stream))) == EVENTS


def test_gzip_on_stdin_is_decompressed():
    found = list(iter_items("-", io.BytesIO(gzip.compress(pretty_array(EVENTS)))))
    assert good(found) == EVENTS


def test_a_missing_path_raises_source_error_naming_it_before_anything_is_read(tmp_path):
    present = write(tmp_path / "ok.jsonl", json_lines(EVENTS))
    missing = str(tmp_path / "nope.jsonl")
    with pytest.raises(SourceError, match="nope.jsonl"):
        list(iter_paths([present, missing]))
    reader = read_sources([present, missing])
    with pytest.raises(SourceError, match="nope.jsonl"):
        next(reader)


def test_a_file_that_cannot_be_opened_raises_source_error_naming_it(tmp_path):
    folder = tmp_path / "dir.jsonl"
    folder.mkdir()
    with pytest.raises(SourceError, match="dir.jsonl"):
        list(iter_items(str(folder)))


# --- bad input is kept, exactly once ----------------------------------------------------------------

def test_a_bad_line_in_json_lines_is_one_error_item_and_the_lines_around_it_survive(tmp_path):
    data = json_lines(EVENTS[:2]) + b'{"metadata": {"event_name" "x"}}\n' + json_lines(EVENTS[2:])
    found = items(write(tmp_path / "e.jsonl", data))
    assert good(found) == EVENTS
    [error] = bad(found)
    assert (error.line, error.text, error.value) == (3, '{"metadata": {"event_name" "x"}}', None)
    assert error.error == "invalid JSON at line 3, column 28: Expecting ':' delimiter"


def test_a_value_followed_by_junk_on_its_line_makes_the_whole_line_one_error_item(tmp_path):
    found = items(write(tmp_path / "j.jsonl", b'{"a": 1}; junk\n{"b": 2} {"c": 3}\n'))
    assert good(found) == [{"b": 2}, {"c": 3}]
    assert [(i.line, i.text) for i in bad(found)] == [(1, '{"a": 1}; junk')]
    assert bad(found)[0].error == "invalid JSON at line 1, column 9: unexpected ';' after a value"


def test_a_truncated_last_object_is_one_error_item(tmp_path):
    data = json_lines(EVENTS[:2]) + b'{"metadata": {"event_name": "outc'
    found = items(write(tmp_path / "e.jsonl", data))
    assert good(found) == EVENTS[:2]
    assert [(i.line, i.text) for i in bad(found)] == [(3, '{"metadata": {"event_name": "outc')]


def test_a_line_cut_short_mid_object_does_not_swallow_the_lines_after_it(tmp_path):
    data = json_lines(EVENTS[:1]) + b'{"metadata": {"event_name": "a", "tags": [1,\n' + json_lines(EVENTS[1:])
    found = items(write(tmp_path / "e.jsonl", data))
    assert good(found) == EVENTS
    assert [(i.line, i.text) for i in bad(found)] == [(2, '{"metadata": {"event_name": "a", "tags": [1,')]
    assert "line 3 starts a new value" in bad(found)[0].error


def test_a_broken_pretty_printed_object_is_quarantined_up_to_the_line_that_breaks_it(tmp_path):
    data = b'{\n  "a": 1,\n  "b": oops,\n  "c": 3\n}\n' + pretty_sequence(EVENTS[:1])
    found = items(write(tmp_path / "p.json", data))
    assert good(found) == EVENTS[:1]
    assert bad(found)[0].text == '{\n  "a": 1,\n  "b": oops,'
    assert bad(found)[0].error.startswith("invalid JSON at line 3, column 8")
    covered = "\n".join(i.text for i in bad(found))  # the rest of the broken object, line by line
    assert [line.strip() for line in covered.split("\n")] == [
        line.strip() for line in data.decode().split("\n")[:5]]


def test_a_truncated_array_keeps_its_elements_and_reports_the_unparsed_tail_as_not_closed(tmp_path):
    whole = pretty_array(EVENTS)
    cut = whole[:whole.index(b'"outcome_result_updated"') + 10]
    found = items(write(tmp_path / "cut.json", cut))
    assert good(found) == EVENTS[:1]
    [tail] = bad(found)
    assert "array not closed" in tail.error
    start = cut.rindex(b"\n  {") + 3  # the second element
    assert (tail.line, tail.text) == (cut[:start].count(b"\n") + 1, cut[start:].decode())


def test_an_array_cut_between_elements_is_reported_not_closed_with_an_empty_tail(tmp_path):
    found = items(write(tmp_path / "cut.json", b'[{"a": 1},\n {"b": 2},\n'))
    assert good(found) == [{"a": 1}, {"b": 2}]
    assert [(i.text, i.line) for i in bad(found)] == [("", 3)]
    assert "array not closed" in bad(found)[0].error


def test_a_broken_array_element_is_one_error_item_and_the_next_line_is_the_next_element(tmp_path):
    data = b'[\n  {"a": 1},\n  {"b": 2 "c": 3},\n  {"d": 4}\n  , {"e": 5}\n]\n'
    found = items(write(tmp_path / "a.json", data))
    assert good(found) == [{"a": 1}, {"d": 4}, {"e": 5}]
    assert [(i.line, i.text) for i in bad(found)] == [(3, '{"b": 2 "c": 3},')]
    assert bad(found)[0].error == "invalid JSON at line 3, column 11: Expecting ',' delimiter"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_rejected_as_errors_in_every_format(tmp_path, literal):
    value = f'{{"score": {literal}}}'
    for name, data in [("l.jsonl", f'{{"a": 1}}\n{value}\n'), ("a.json", f'[{{"a": 1}}, {value}]'),
                       ("p.json", f'{{"a": 1}}\n{{\n  "score":\n    {literal}\n}}\n')]:
        found = items(write(tmp_path / name, data))
        assert good(found) == [{"a": 1}], name
        assert [i.line for i in bad(found)] == [1 if name == "a.json" else 2], name
        assert literal in bad(found)[0].error and literal in bad(found)[0].text, name


def test_an_invalid_utf8_line_is_one_error_item_with_its_bytes_escaped(tmp_path):
    data = b'{"a": 1}\n{"name": "caf\xe9"}\n{"b": 2}\n'
    found = items(write(tmp_path / "latin1.jsonl", data))
    assert good(found) == [{"a": 1}, {"b": 2}]
    [error] = bad(found)
    assert (error.line, error.text) == (2, '{"name": "caf\\xe9"}')
    assert error.error.startswith("not UTF-8")


def test_invalid_utf8_inside_an_array_element_makes_that_element_an_error_item(tmp_path):
    found = items(write(tmp_path / "a.json", b'[{"a": 1},\n{"b": "\xff\xfe"},\n{"c": 3}]'))
    assert good(found) == [{"a": 1}, {"c": 3}]
    assert [(i.line, i.text) for i in bad(found)] == [(2, '{"b": "\\xff\\xfe"}')]


@pytest.mark.parametrize("form", FORMATS)
def test_a_utf8_bom_is_skipped(tmp_path, form):
    found = items(write(tmp_path / "bom.json", b"\xef\xbb\xbf" + FORMATS[form](EVENTS)))
    assert good(found) == EVENTS and not bad(found)
    assert not found[0].text.startswith("\ufeff")


def test_blank_lines_are_skipped_and_line_numbers_still_count_them(tmp_path):
    data = b'\n  \n{"a": 1}\n\n\t\r\n{"b": 2}\r\n\n'
    found = items(write(tmp_path / "blank.jsonl", data))
    assert [(i.line, i.text, i.value) for i in found] == [
        (3, '{"a": 1}', {"a": 1}), (6, '{"b": 2}', {"b": 2})]


def test_leading_blank_lines_before_an_array_are_counted(tmp_path):
    found = items(write(tmp_path / "a.json", b'\n\n[\n{"a": 1}]'))
    assert [(i.line, i.value) for i in found] == [(4, {"a": 1})]


def test_a_non_object_value_is_a_parsed_item_for_the_caller_to_judge(tmp_path):
    found = items(write(tmp_path / "v.jsonl", b'42\n"text"\n[1, 2]\nnull\n'))
    assert [(i.value, i.error) for i in found] == [(42, None), ("text", None), ([1, 2], None), (None, None)]
    assert good(items(write(tmp_path / "v.json", b'[42, "text", null]'))) == [42, "text", None]


def test_empty_inputs_give_no_items(tmp_path):
    assert items(write(tmp_path / "empty.jsonl", b"")) == []
    assert items(write(tmp_path / "blank.jsonl", b"\n \n")) == []
    assert good(items(write(tmp_path / "empty.json", b"[ ]\n"))) == []


def test_a_number_too_large_for_a_float_is_rejected_like_infinity(tmp_path):
    for name, data in [("l.jsonl", b'{"a": 1}\n{"n": 1e400}\n'), ("a.json", b'[{"a": 1}, {"n": -1e400}]')]:
        found = items(write(tmp_path / name, data))
        assert good(found) == [{"a": 1}]
        assert "1e400 is too large" in bad(found)[0].error


# --- bounded reading: chunk boundaries and very long input -------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2 ** 63), 2 ** 63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(json_values, max_size=12), chunk=st.integers(1, 40), pretty=st.booleans())
def test_an_array_read_in_tiny_chunks_gives_exactly_its_elements(monkeypatch, values, chunk, pretty):
    monkeypatch.setattr(sources, "_CHUNK", chunk)  # cut numbers, strings and UTF-8 characters anywhere
    data = orjson.dumps(values, option=orjson.OPT_INDENT_2 if pretty else 0)
    found = list(iter_items("-", io.BytesIO(data)))
    assert [i.error for i in found] == [None] * len(values)
    assert [i.value for i in found] == values
    assert [orjson.loads(i.text) for i in found] == values


def test_a_huge_broken_line_in_an_array_is_cut_into_bounded_error_items(monkeypatch):
    monkeypatch.setattr(sources, "_CHUNK", 64)
    monkeypatch.setattr(sources, "MAX_ITEM_CHARS", 1000)
    junk = "x" * 5000
    found = list(iter_items("-", io.BytesIO(f'[{{"a": 1}}, {junk},\n{{"b": 2}}]'.encode())))
    assert good(found) == [{"a": 1}, {"b": 2}]
    assert "".join(i.text for i in bad(found)) == junk + ","
    assert all(len(i.text) <= 1000 for i in bad(found)) and len(bad(found)) == 6


def test_a_value_that_never_closes_in_a_sequence_is_given_up_at_the_size_cap(monkeypatch):
    monkeypatch.setattr(sources, "MAX_ITEM_CHARS", 5000)
    data = b'[\n' + b'  1,\n' * 3000
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
    held_text = sources._Lines.text.fget

    def counting(self):
        text = held_text(self)
        if type(text) is str:
            text = self._text = _CountingText(text)
        return text

    monkeypatch.setattr(sources._Lines, "text", property(counting))
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
    assert item.line == 2 and item.text == long_line[:sources.PREFIX_BYTES].decode()
    assert item.error == (f"line of {len(long_line)} bytes is over the 10000-byte limit "
                          f"(only its first {sources.PREFIX_BYTES} bytes kept)")


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


# --- accounting ---------------------------------------------------------------------------------------

objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)
one_line_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r")
# Garbage that cannot complete a JSON value: a JSON Lines line cut short, a line starting with a
# character no JSON value (or continuation of one) starts with, or bytes that are not UTF-8.
garbage = st.one_of(
    st.builds(lambda obj, cut: orjson.dumps(obj)[:max(1, int(cut * (len(orjson.dumps(obj)) - 1)))],
              st.dictionaries(st.text(min_size=1, max_size=8), json_values, min_size=1, max_size=4),
              st.floats(0, 1)),
    st.builds(lambda first, rest: (first + rest).encode(), st.sampled_from("x#<@%=;?!~"),
              st.text(one_line_chars, max_size=20)),
    st.builds(lambda rest: b"\xff" + rest.encode(), st.text(one_line_chars, max_size=10)),
)
lines = st.lists(st.one_of(st.tuples(st.just("good"), objects), st.tuples(st.just("bad"), garbage),
                           st.tuples(st.just("blank"), st.sampled_from([b"", b"  ", b"\t"]))), max_size=25)


@settings(max_examples=200, deadline=None)
@given(lines=lines, final_newline=st.booleans())
def test_every_good_object_is_one_item_and_every_garbage_line_is_in_one_error_item(lines, final_newline):
    raw_lines = [orjson.dumps(content) if kind == "good" else content for kind, content in lines]
    data = b"\n".join(raw_lines) + (b"\n" if final_newline else b"")
    if data.lstrip(b" \t\r\n").startswith(b"["):  # cannot happen: no line starts with "["
        return
    found = list(iter_items("-", io.BytesIO(data)))

    good_lines = [n for n, (kind, _) in enumerate(lines, 1) if kind == "good"]
    assert [(i.line, i.value) for i in found if i.error is None] == [
        (n, lines[n - 1][1]) for n in good_lines]

    covered = []  # every line an error item spans, with the text it shows for it
    for item in bad(found):
        covered += [(item.line + k, text) for k, text in enumerate(item.text.split("\n"))]
    kinds = {n: kind for n, (kind, _) in enumerate(lines, 1)}
    bad_lines = [n for n, kind in kinds.items() if kind == "bad"]
    assert sorted(n for n, _ in covered if kinds[n] == "bad") == bad_lines  # each exactly once
    assert all(kinds[n] != "good" for n, _ in covered)
    assert all(kinds[item.line] == "bad" for item in bad(found))  # blank lines only inside a stretch
    for n, text in covered:
        assert text == raw_lines[n - 1].decode("utf-8", "backslashreplace")
