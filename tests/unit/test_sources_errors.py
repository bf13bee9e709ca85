"""sources: bad input is kept exactly once, as error items holding its text and a reason."""

from __future__ import annotations

import io

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources import iter_items
from tests.unit.source_inputs import (
    EVENTS,
    FORMATS,
    bad,
    good,
    items,
    json_lines,
    json_values,
    pretty_array,
    pretty_sequence,
    write,
)

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
    assert [line.strip() for line in covered.split("\n")] == [line.strip() for line in data.decode().split("\n")[:5]]


def test_a_truncated_array_keeps_its_elements_and_reports_the_unparsed_tail_as_not_closed(tmp_path):
    whole = pretty_array(EVENTS)
    cut = whole[: whole.index(b'"outcome_result_updated"') + 10]
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
    for name, data in [
        ("l.jsonl", f'{{"a": 1}}\n{value}\n'),
        ("a.json", f'[{{"a": 1}}, {value}]'),
        ("p.json", f'{{"a": 1}}\n{{\n  "score":\n    {literal}\n}}\n'),
    ]:
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
    assert [(i.line, i.text, i.value) for i in found] == [(3, '{"a": 1}', {"a": 1}), (6, '{"b": 2}', {"b": 2})]


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


# --- accounting ---------------------------------------------------------------------------------------

objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)
one_line_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r")
# Garbage that cannot complete a JSON value: a JSON Lines line cut short, a line starting with a
# character no JSON value (or continuation of one) starts with, or bytes that are not UTF-8.
garbage = st.one_of(
    st.builds(
        lambda obj, cut: orjson.dumps(obj)[: max(1, int(cut * (len(orjson.dumps(obj)) - 1)))],
        st.dictionaries(st.text(min_size=1, max_size=8), json_values, min_size=1, max_size=4),
        st.floats(0, 1),
    ),
    st.builds(
        lambda first, rest: (first + rest).encode(), st.sampled_from("x#<@%=;?!~"), st.text(one_line_chars, max_size=20)
    ),
    st.builds(lambda rest: b"\xff" + rest.encode(), st.text(one_line_chars, max_size=10)),
)
lines = st.lists(
    st.one_of(
        st.tuples(st.just("good"), objects),
        st.tuples(st.just("bad"), garbage),
        st.tuples(st.just("blank"), st.sampled_from([b"", b"  ", b"\t"])),
    ),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(lines=lines, final_newline=st.booleans())
def test_every_good_object_is_one_item_and_every_garbage_line_is_in_one_error_item(lines, final_newline):
    raw_lines = [orjson.dumps(content) if kind == "good" else content for kind, content in lines]
    data = b"\n".join(raw_lines) + (b"\n" if final_newline else b"")
    if data.lstrip(b" \t\r\n").startswith(b"["):  # cannot happen: no line starts with "["
        return
    found = list(iter_items("-", io.BytesIO(data)))

    good_lines = [n for n, (kind, _) in enumerate(lines, 1) if kind == "good"]
    assert [(i.line, i.value) for i in found if i.error is None] == [(n, lines[n - 1][1]) for n in good_lines]

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
