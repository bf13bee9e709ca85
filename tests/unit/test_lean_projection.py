"""The lean projection path (projections/lean.py) makes today's history row byte for byte, or declines.

Every record is made as the store writes it (`parse`, then `orjson.dumps(parsed.state(...))`, the bytes
the SQLite and PostgreSQL recorders insert) and read both ways: by the store's mapper and
`history.version_row` (today's path, with the read-back check `runner.prepare` makes) and by `lean.read`.
Accepted events must take the lean path and give the same row; stored records that are damaged or older
than a bound (values `parse` would refuse today) must either give the same row or be declined, never a
row where today's path finds a problem.
"""

from __future__ import annotations

import copy
import warnings
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from domain.canvas import BODIES
from domain.events import InvalidEvent, Parsed, parse
from domain.states import FOLDS
from projections import lean
from projections.history import version_row
from store.persistence import EventMapper
from synthetic import generate
from tests import builders as b

SHARD = 10**13
MAPPER = EventMapper()
# What the history writer and the runner read of an event (handle_page, _learn, apply_page, prepare).
USED = ("kind", "canvas_name", "root_account", "key", "fold_key", "event_time", "recorded_at", "metadata")

local_ids = st.integers(0, 10**7).map(str)
ids = st.one_of(
    local_ids,
    st.integers(0, 10**7).map(lambda n: str(2107 * SHARD + n)),  # global, on the root account's shard
    st.integers(0, 10**7).map(lambda n: str(2108 * SHARD + n)),  # global, another shard's
    st.integers(0, 2**63 - 1),  # a producer that sends integers
    st.text("abcXYZ-_ 0123456789", min_size=1, max_size=12).filter(str.strip),  # not numeric, spaces
)
numbers = st.one_of(
    st.none(),
    st.integers(-(10**15), 10**15),
    st.floats(-1e15, 1e15, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e-7, 5e-324, 0.1 + 0.2, 1e15, 3.0]),
)
moments = st.datetimes(datetime(1990, 1, 1), datetime(2035, 12, 31))


def _forms(moment: datetime) -> st.SearchStrategy[str]:
    """Each documented Canvas time form of one moment (and the forms older dumps used)."""
    offset = timezone(timedelta(hours=-6))
    return st.sampled_from(
        [
            moment.isoformat(timespec="milliseconds") + "Z",  # 2019-11-05T10:03:37.526Z
            moment.isoformat(timespec="seconds") + "Z",
            moment.isoformat(timespec="microseconds") + "Z",
            moment.replace(tzinfo=UTC).astimezone(offset).isoformat(),  # -06:00
            moment.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat(),
            moment.strftime("%Y-%m-%d %H:%M:%S UTC"),  # Ruby's Time#to_s
            moment.isoformat(),  # no zone: read as UTC
        ]
    )


times = moments.flatmap(_forms)
texts = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["", 'é😀\u2028\x7f\x00"\\', " x "]))
codes = st.one_of(st.none(), st.sampled_from(["Course", "Account", "deleted", "active", "RubricAssessment"]), texts)
RESULT_FIELDS = {
    "id": ids,
    "user_uuid": st.one_of(st.none(), st.uuids().map(str), st.sampled_from(["U1", ""])),
    "learning_outcome_id": ids,
    "result_context_type": codes,
    "result_context_id": st.one_of(st.none(), ids),
    "score": numbers,
    "possible": numbers,
    "percent": numbers,
    "original_score": numbers,
    "original_possible": numbers,
    "attempt": numbers,
    "assessed_at": st.one_of(st.none(), times),
    "created_at": st.one_of(st.none(), times),
    "updated_at": st.one_of(st.none(), times),
    "artifact_id": st.one_of(st.none(), ids),
    "artifact_type": codes,
    "associated_asset_id": st.one_of(st.none(), ids),
    "associated_asset_type": codes,
    "workflow_state": codes,
    "title": texts,
    "mastery": st.one_of(st.none(), st.booleans(), ids),  # unchecked by the model, kept
    "extra_field": st.one_of(st.none(), st.lists(st.integers(-5, 5), max_size=2)),  # unknown fields are kept
}


@st.composite
def result_events(draw: Any) -> dict:
    """A result event in one of the documented shapes, optional fields present or missing."""
    present = draw(st.sets(st.sampled_from(sorted(RESULT_FIELDS)))) | {"learning_outcome_id"}
    body = {name: draw(RESULT_FIELDS[name]) for name in sorted(present)}
    if draw(st.integers(0, 3)):  # today's shape, keyed by id
        body |= {"id": draw(ids), "user_uuid": draw(st.one_of(st.uuids().map(str), st.just("U1")))}
    else:  # the older one: no id / user_uuid, keyed by title and created_at
        body = {k: v for k, v in body.items() if k not in ("id", "user_uuid")}
        key = draw(st.sampled_from(["title", "created_at"]))
        body[key] = draw(st.text(min_size=1, max_size=20).filter(str.strip) if key == "title" else times)
    metadata: dict[str, Any] = {
        "event_name": draw(st.sampled_from(["learning_outcome_result_created", "learning_outcome_result_updated"])),
        "event_time": draw(times),
        "root_account_uuid": draw(st.sampled_from([b.ROOT, "Other0000000000000000000000000000000000B"])),
    }
    root_id = draw(st.sampled_from(["21070000000000001", "1", 2107 * SHARD + 1, None, "missing"]))
    if root_id != "missing":
        metadata["root_account_id"] = root_id
    if draw(st.booleans()):
        metadata |= {
            "context_type": draw(st.sampled_from(["Course", "Account", None])),
            "context_id": draw(st.one_of(st.none(), ids)),
            "context_account_id": draw(st.one_of(st.none(), ids)),
        }
    if draw(st.booleans()):
        metadata["hostname"] = "district.instructure.com"
    return {"metadata": metadata, "body": body}


def stored(parsed: Parsed, recorded_at: datetime, source: str | None = "test") -> StoredEvent:
    """The record the store writes for an event (persistence._insert_fresh)."""
    return StoredEvent(parsed.stream_id, 1, parsed.topic, orjson.dumps(parsed.state(recorded_at, source)))


def today(record: StoredEvent, position: int) -> tuple[Any, dict] | None:
    """Today's event and row of a record, or None where today's path records a problem instead."""
    try:
        with warnings.catch_warnings():  # pydantic warns when it dumps a damaged value: today's path, as is
            warnings.simplefilter("ignore")
            event = MAPPER.to_domain_event(record)
            row = version_row(position, event)
            FOLDS[event.kind][1].model_validate_json(row["state"])
    except Exception:
        return None
    return event, row


def outcome(read: Any) -> tuple:
    try:
        return ("value", read())
    except Exception as error:
        return ("error", type(error), str(error))


def assert_same(record: StoredEvent, position: int, *, must_be_lean: bool) -> None:
    mine = lean.read(position, record.topic, record.state)
    theirs = today(record, position)
    if must_be_lean:
        assert mine is not None, "an accepted event left the lean path"
    if mine is None:
        return
    assert theirs is not None, "the lean path made a row where today's path records a problem"
    event, row = theirs
    assert mine.row == row
    assert mine.row["state"].encode() == row["state"].encode()  # byte for byte (and a str, as stored)
    assert type(mine.row["state"]) is str
    assert [type(mine.row[k]) for k in row] == [type(row[k]) for k in row]
    for name in USED:
        assert getattr(mine, name) == getattr(event, name), name
    assert outcome(lambda: mine.course_account) == outcome(lambda: event.course_account)


recorded = st.datetimes(datetime(2000, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=result_events(), at=recorded, position=st.integers(1, 2**40))
def test_an_accepted_result_takes_the_lean_path_to_the_same_row(raw: dict, at: datetime, position: int) -> None:
    try:
        parsed = parse(raw)
    except InvalidEvent:
        assume(False)
        return
    assert isinstance(parsed, Parsed)
    assert_same(stored(parsed, at), position, must_be_lean=True)


def _set(where: str, name: str, value: Any):
    def change(state: dict) -> None:
        event = state.get("event")
        target = state if where == "envelope" else event.get(where) if isinstance(event, dict) else None
        if not isinstance(target, dict):
            return  # an earlier change took the part away
        if value == "<delete>":
            target.pop(name, None)
        else:
            target[name] = value

    return change


hostile = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.sampled_from(["9" * 40, "9" * 5000, "", "  ", "١٢٣", "<delete>", 1e16, -1e300, 1e308]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
targets = st.one_of(
    st.tuples(st.just("body"), st.sampled_from(sorted(BODIES["result"].model_fields))),
    st.tuples(
        st.just("metadata"),
        st.sampled_from(["root_account_id", "context_type", "context_id", "context_account_id", "hostname"]),
    ),
    st.tuples(
        st.just("envelope"),
        st.sampled_from(["root_account", "key", "content_hash", "attributable", "event_time", "recorded_at", "event"]),
    ),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=result_events(),
    at=recorded,
    changes=st.lists(st.tuples(targets, hostile), min_size=1, max_size=3),
    offset_time=st.booleans(),
)
def test_a_damaged_or_old_record_gives_the_same_row_or_leaves_the_lean_path(
    raw: dict, at: datetime, changes: list, offset_time: bool
) -> None:
    try:
        parsed = parse(raw)
    except InvalidEvent:
        assume(False)
        return
    assert isinstance(parsed, Parsed)
    state = orjson.loads(orjson.dumps(parsed.state(at, None)))
    for (where, name), value in changes:
        _set(where, name, copy.deepcopy(value))(state)
    if offset_time:  # a stored time written with another offset than UTC
        state["event_time"] = "2025-09-01T12:00:00+02:00"
    try:
        data = orjson.dumps(state)
    except TypeError:
        assume(False)
        return
    assert_same(StoredEvent(parsed.stream_id, 1, parsed.topic, data), 7, must_be_lean=False)


def test_the_synthetic_stream_takes_the_lean_path_for_every_result() -> None:
    at = datetime(2025, 12, 1, 8, 30, 0, 123456, tzinfo=UTC)
    results = 0
    for position, raw in enumerate(generate(3000, seed=5), start=1):
        try:
            parsed = parse(raw)
        except InvalidEvent:
            continue
        if not isinstance(parsed, Parsed):
            continue
        record = stored(parsed, at)
        results += parsed.cls.kind == "result"
        assert_same(record, position, must_be_lean=parsed.cls.kind == "result")
    assert results > 1000


def test_other_kinds_and_unknown_topics_leave_the_lean_path() -> None:
    parsed = parse(b.outcome("7"))
    assert isinstance(parsed, Parsed)
    record = stored(parsed, datetime(2025, 9, 2, tzinfo=UTC))
    assert lean.read(1, record.topic, record.state) is None
    assert lean.read(1, "domain.events:NoSuchEvent", record.state) is None
    good = stored(parse(b.result("7", "U1", 3, 1)), datetime(2025, 9, 2, tzinfo=UTC))  # type: ignore[arg-type]
    assert lean.read(1, good.topic, b"{not json") is None
    assert lean.read(1, good.topic, good.state) is not None


def test_the_readers_come_from_the_body_model_and_the_state_types_from_the_state_model() -> None:
    readers = lean.READERS["result"]
    assert readers is not None
    assert [r[0] for r in readers] == list(BODIES["result"].model_fields)
    types = lean.TYPES["result"]
    assert types is not None
    assert list(types) == list(FOLDS["result"][1].model_fields)
    assert types["score"] == (float, type(None)) and types["outcome_id"] == (str,)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_switch_turns_the_lean_path_off(monkeypatch: pytest.MonkeyPatch, enabled: bool) -> None:
    monkeypatch.setattr(lean, "ENABLED", enabled)
    record = stored(parse(b.result("7", "U1", 3, 1)), datetime(2025, 9, 2, tzinfo=UTC))  # type: ignore[arg-type]
    assert (lean.read(1, record.topic, record.state) is not None) is enabled
