"""sources: every input format becomes raw items, read from files, folders, gzip and stdin."""

from __future__ import annotations

import gzip
import io
import json
import os

import orjson
import pytest

from sources import SourceError, iter_items, iter_paths, read_sources
from tests.unit.source_inputs import (
    EVENTS,
    FORMATS,
    bad,
    compact_array,
    good,
    items,
    json_lines,
    pretty_array,
    pretty_sequence,
    write,
)

# --- each format ---------------------------------------------------------------------------------


def test_json_lines_give_one_item_per_line_with_its_number_and_exact_text(tmp_path):
    lines = [orjson.dumps(event).decode() for event in EVENTS]
    path = write(tmp_path / "events.jsonl", "\n".join(lines) + "\n")
    found = items(path)
    assert [(i.source, i.line, i.text, i.value, i.error) for i in found] == [
        (path, n, line, event, None) for n, (line, event) in enumerate(zip(lines, EVENTS, strict=True), 1)
    ]


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
