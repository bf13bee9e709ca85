"""Hostile values: each is quarantined at ingest with a reason, the rest of its batch is stored, and every
query of the course still answers; events stored under older, looser rules are still read without raising."""

from __future__ import annotations

import copy
import dataclasses
import json
import math

import pytest

from domain.canvas import check_shape
from domain.events import InvalidEvent, parse
from domain.states import FOLDS
from projections.queries.catalog import course_rules, courses, outcome_tree
from projections.queries.explain import explain
from projections.queries.outcome_rollups import rollups
from projections.runner import catch_up
from projections.schema import connect
from projections.views import View
from sources import RawItem, read_sources
from store.application import open_store
from store.ingest import Batch, Counts, flush, ingest
from tests import builders as b

USER_A, USER_B = "studentA000000000000000000000000000000000", "studentB000000000000000000000000000000000"


def good_events() -> list[dict]:
    """One course (5) with an outcome, its link, a scale and results of two students."""
    return [
        b.outcome("1", 0),
        b.link("11", "1", "5", 0),
        b.group("900", "5", 0),
        b.scale("7", "Account", "1", 0, [4, 3, 0], 3),
        b.method("8", "Account", "1", 0, "highest"),
        b.result("1", USER_A, 3, 1, rid="501"),
        b.result("1", USER_A, 5, 2, rid="502"),
        b.result("1", USER_B, 1, 1, rid="503", percent=0.2, possible=5),
    ]


def _set(event: dict, path: str, value) -> dict:
    event = copy.deepcopy(event)
    *parents, last = path.split(".")
    target = event
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return event


OUT, RES, SCALE, METHOD, GROUP, LINK = (
    b.outcome("1", 3),
    b.result("1", USER_A, 4, 3, rid="601"),
    b.scale("7", "Account", "1", 3, [4, 3, 0], 3),
    b.method("8", "Account", "1", 3, "decaying_average", 65),
    b.group("901", "5", 3),
    b.link("12", "1", "5", 3),
)
BIG_DIGITS = "9" * 5000
# (what, event, words the reason must contain): every field a fold or the calculation reads.
HOSTILE = [
    ("display_name a number", _set(OUT, "body.display_name", 5), "display_name"),
    ("description a list", _set(OUT, "body.description", ["x"]), "description"),
    ("short_description an object", _set(OUT, "body.short_description", {"a": 1}), "short_description"),
    ("vendor_guid an object", _set(OUT, "body.vendor_guid", {"a": 1}), "vendor_guid"),
    ("title 1,000,001 characters", _set(OUT, "body.title", "t" * 1_000_001), "title"),
    ("workflow_state 300 characters", _set(OUT, "body.workflow_state", "d" * 300), "workflow_state"),
    ("calculation_int 1e300", _set(OUT, "body.calculation_int", 1e300), "calculation_int"),
    ("criterion rating points 1e308", _set(OUT, "body.rubric_criterion.ratings.0.points", 1e308), "points"),
    ("criterion mastery_points -1e308", _set(OUT, "body.rubric_criterion.mastery_points", -1e308), "mastery_points"),
    ("criterion rating colour a number", _set(OUT, "body.rubric_criterion.ratings.0.color", 5), "color"),
    ("criterion rating id 5,000 digits", _set(OUT, "body.rubric_criterion.ratings.0.id", BIG_DIGITS), "id"),
    ("outcome id 5,000 digits", _set(OUT, "body.learning_outcome_id", BIG_DIGITS), "learning_outcome_id"),
    ("outcome id 300 characters", _set(OUT, "body.learning_outcome_id", "a" * 300), "learning_outcome_id"),
    ("outcome id superscript digits", _set(OUT, "body.learning_outcome_id", "²³"), "ASCII"),
    ("body context_id 5,000 digits", _set(OUT, "body.context_id", BIG_DIGITS), "context_id"),
    ("metadata context_id 5,000 digits", _set(LINK, "metadata.context_id", BIG_DIGITS), "context_id"),
    ("root_account_id 5,000 digits", _set(OUT, "metadata.root_account_id", BIG_DIGITS), "root_account_id"),
    ("user_login a number", _set(OUT, "metadata.user_login", 12), "user_login"),
    ("url an object", _set(OUT, "metadata.url", {"u": 1}), "metadata.url"),
    ("http_method a list", _set(OUT, "metadata.http_method", ["GET"]), "http_method"),
    ("updated_at past the calendar", _set(OUT, "body.updated_at", "9999-12-31T23:59:59-23:59"), "updated_at"),
    ("result score 1e308", _set(RES, "body.score", 1e308), "score"),
    ("result score -1e308", _set(RES, "body.score", -1e308), "score"),
    ("result score 1e16", _set(RES, "body.score", 1e16), "score"),
    ("result percent 1e300", _set(RES, "body.percent", 1e300), "percent"),
    ("result possible 2**70", _set(RES, "body.possible", 2**70), "possible"),
    ("result attempt -1e20", _set(RES, "body.attempt", -1e20), "attempt"),
    ("result id 5,000 digits", _set(RES, "body.id", BIG_DIGITS), "id"),
    ("result context id 5,000 digits", _set(RES, "body.result_context_id", BIG_DIGITS), "result_context_id"),
    ("asset id 5,000 digits", _set(RES, "body.associated_asset_id", BIG_DIGITS), "associated_asset_id"),
    ("artifact_type an object", _set(RES, "body.artifact_type", {"q": 1}), "artifact_type"),
    ("user_uuid 300 characters", _set(RES, "body.user_uuid", "u" * 300), "user_uuid"),
    ("scale rating points 1e308", _set(SCALE, "body.outcome_proficiency_ratings.0.points", 1e308), "points"),
    (
        "scale rating id 5,000 digits",
        _set(SCALE, "body.outcome_proficiency_ratings.0.outcome_proficiency_rating_id", BIG_DIGITS),
        "outcome_proficiency_rating_id",
    ),
    ("scale rating other id 5,000 digits", _set(SCALE, "body.outcome_proficiency_ratings.0.id", BIG_DIGITS), "id"),
    ("scale rating colour a list", _set(SCALE, "body.outcome_proficiency_ratings.0.color", ["A"]), "color"),
    ("method calculation_int -1e300", _set(METHOD, "body.calculation_int", -1e300), "calculation_int"),
    ("method name a number", _set(METHOD, "body.calculation_method", 3), "calculation_method"),
    ("group description a number", _set(GROUP, "body.description", 3), "description"),
    (
        "group parent id 5,000 digits",
        _set(GROUP, "body.parent_outcome_group_id", BIG_DIGITS),
        "parent_outcome_group_id",
    ),
    ("extra field nested 253 deep", _set(RES, "body.extra", b.nested(253)), "nested deeper than 64"),
    ("metadata field nested 65 deep", _set(RES, "metadata.extra", b.nested(65)), "nested deeper than 64"),
    ("int 2**64 in an extra field", _set(RES, "body.extra", [1, 2**64]), "integer outside"),
    ("int below -2**63 in metadata", _set(RES, "metadata.extra", -(2**63) - 1), "integer outside"),
    ("lone surrogate in a string", _set(RES, "body.extra", "a\ud800b"), "lone surrogate"),
    ("lone surrogate in a key", _set(RES, "body.extra", {"k\udfff": 1}), "lone surrogate"),
]


@pytest.mark.parametrize("what, event, words", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_each_hostile_value_is_refused_at_parse_with_a_reason_naming_it(what, event, words):
    with pytest.raises(InvalidEvent, match=words.replace("*", r"\*")):
        parse(event)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_infinite_numbers_are_refused_at_parse_and_by_the_shape_check(value):
    event = _set(RES, "body.score", value)
    with pytest.raises(InvalidEvent, match="NaN or Infinity"):
        parse(event)
    assert "NaN or Infinity" in check_shape({"a": [value]})


def test_the_shape_check_accepts_what_orjson_can_write_and_says_where_the_rest_fails():
    assert check_shape({"a": [b.nested(60), 2**64 - 1, -(2**63), "😀", 1.5e308]}) is None
    assert check_shape({"a": {"b": [0, 2**64]}}) == "an integer outside -2**63 .. 2**64-1 (at a.b.1)"
    assert "(at x.x.x.…" in check_shape({"x": b.nested(80)})


def queries(conn, course: str = "5") -> dict:
    """Every query of a course, in process, as JSON text (what the CLI and the web answer)."""
    view = View(conn, b.ROOT)
    answers = {
        "rollups": rollups(conn, b.ROOT, course),
        "median": rollups(conn, b.ROOT, course, aggregate="median"),
        "courses": courses(view),
        "tree": outcome_tree(view, course),
        "rules": course_rules(view, course),
        "explain": [explain(view, course, "1", user) for user in (USER_A, USER_B)],
        "states": {kind: sorted(s.model_dump_json() for s in view.states(kind)) for kind in FOLDS},
    }
    return json.loads(json.dumps(answers, default=str))


def _items(events: list) -> list[RawItem]:
    return [RawItem("test", i + 1, json.dumps(e), e, None) for i, e in enumerate(events)]


def _store_and_queries(path, events: list) -> tuple[Counts, dict, list]:
    store = open_store(str(path / "s.db"))
    try:
        # A JSON array, one element a line (the reader's json-module path, which keeps an int beyond
        # 64 bits an int; the JSON Lines fast path reads it as a float, as orjson does).
        source = path / "in.json"
        source.write_text("[\n" + ",\n".join(json.dumps(e) for e in events) + "\n]\n")
        counts = ingest(store, read_sources([str(source)]))
        reasons = [r["reason"] for r in store.query("SELECT reason FROM quarantine ORDER BY id")]
        db = connect(str(path / "read.db"))
        catch_up(store, db.conn)
        return counts, queries(db.conn), reasons
    finally:
        store.close()


def test_a_batch_with_every_hostile_value_keeps_the_good_events_and_every_query_still_answers(tmp_path):
    good = good_events()
    (tmp_path / "clean").mkdir()
    (tmp_path / "mixed").mkdir()
    _, clean, _ = _store_and_queries(tmp_path / "clean", good)
    mixed = good[:4] + [h[1] for h in HOSTILE] + good[4:]
    counts, answers, reasons = _store_and_queries(tmp_path / "mixed", mixed)
    assert counts.as_json() == {
        "read": len(mixed),
        "appended": len(good),
        "duplicates": 0,
        "quarantined": len(HOSTILE),
        "ignored": 0,
    }
    for (what, _event, words), reason in zip(HOSTILE, reasons, strict=True):
        assert words in reason, (what, reason)
    assert answers == clean
    assert answers["rollups"]["rollups"][0]["scores"][0]["score"] == 5.0


def test_an_event_that_still_cannot_be_written_is_quarantined_and_the_rest_of_its_batch_stored(store_url):
    good = [parse(e) for e in good_events()]
    # Built past the parser (which refuses it): orjson cannot write a state nested this deep.
    unwritable = dataclasses.replace(good[5], event=_set(RES, "body.extra", b.nested(300)), content_hash="f" * 64)
    store = open_store(store_url)
    try:
        batch, counts = Batch(), Counts(read=len(good) + 1)
        for i, event in enumerate([*good[:3], unwritable, *good[3:]]):
            batch.events.append(event)
            batch.sources.append(f"test:{i + 1}")
            batch.items.append(RawItem("test", i + 1, "{}" if event is not unwritable else '{"deep": 1}', {}, None))
        flush(store, batch, counts)
        assert counts.balanced() and (counts.appended, counts.quarantined) == (len(good), 1)
        (row,) = store.query("SELECT reason FROM quarantine")
        assert row["reason"].startswith("cannot be stored as it is")
    finally:
        store.close()


def test_events_stored_under_older_looser_rules_are_read_back_without_raising(tmp_path):
    """An event the new bounds refuse, already stored, is read as it was stored: no read, fold or query of
    the good course raises, and its answers are those of the good events alone (the projections list and
    skip what their folds cannot use)."""
    old = [
        (OUT, {"display_name": 5, "description": ["x"], "vendor_guid": {"a": 1}, "calculation_int": 1e300}),
        (RES, {"score": 1e308, "percent": 1e300, "associated_asset_id": BIG_DIGITS}),
        (GROUP, {"parent_outcome_group_id": BIG_DIGITS, "description": 7}),
    ]
    events = []
    for event, fields in old:
        hostile = copy.deepcopy(event)
        hostile["body"].update(fields)
        events.append(dataclasses.replace(parse(event), event=hostile, content_hash=str(len(events)) * 64))
    answers = {}
    for name, extra in (("clean", []), ("old", events)):
        store = open_store(str(tmp_path / f"{name}.db"))
        try:
            ingest(store, _items(good_events()))
            if extra:
                store.append(extra)
                assert len(list(store.iter_all())) == len(good_events()) + len(extra)  # every one reads back
            db = connect(str(tmp_path / f"{name}-read.db"))
            catch_up(store, db.conn)
            answers[name] = queries(db.conn)
        finally:
            store.close()
    for query in ("rollups", "median", "explain", "rules"):
        assert answers["old"][query] == answers["clean"][query], query
