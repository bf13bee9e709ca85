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
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from domain.canvas import BODIES
from domain.events import REGISTRY, InvalidEvent, Parsed, parse
from domain.states import FOLDS
from projections import lean, packed
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


def by_validator(func: Any) -> st.SearchStrategy:
    """Values for a body field, chosen by the validator its model declares (lean.READERS has them)."""
    name = getattr(func, "__qualname__", "")
    if "canvas_id" in name:
        return ids
    if "optional_number" in name:
        return numbers
    if "_number" in name:
        return numbers.filter(lambda v: v is not None)
    if "parse_time" in name or name.startswith("_validator.<locals>"):  # the one-argument wrapper: times
        return times
    if "exact_bool" in name:
        return st.booleans()
    if "guid" in name or "sis_id" in name:
        return st.one_of(texts, st.integers(0, 10**12), st.sampled_from(["007", 7.5]))
    assert "_texts" in name, name
    return st.one_of(codes, st.sampled_from(["Jane Q. Doe Jr.", "Doe, Jane", "Cher", "Ann Lee III", "  "]))


@st.composite
def body_events(draw: Any, kind: str) -> dict:
    """An event of a lean kind, its optional fields present or missing, valued as its model reads them."""
    readers = lean.READERS[kind]
    assert readers is not None
    fields = {name: by_validator(func) for name, func, _, _, _ in readers}
    if kind == "result":
        fields |= RESULT_FIELDS
    required = {name for name, _, _, needed, _ in readers if needed}
    present = draw(st.sets(st.sampled_from(sorted(fields)))) | required
    body = {name: draw(fields[name] if name not in required else ids) for name in sorted(present)}
    if kind == "result" and draw(st.integers(0, 3)):  # today's shape, keyed by id
        body |= {"id": draw(ids), "user_uuid": draw(st.one_of(st.uuids().map(str), st.just("U1")))}
    elif kind == "result":  # the older one: no id / user_uuid, keyed by title and created_at
        body = {k: v for k, v in body.items() if k not in ("id", "user_uuid")}
        key = draw(st.sampled_from(["title", "created_at"]))
        body[key] = draw(st.text(min_size=1, max_size=20).filter(str.strip) if key == "title" else times)
    names = sorted(name for name, cls in REGISTRY.items() if cls.kind == kind)
    metadata: dict[str, Any] = {
        "event_name": draw(st.sampled_from(names)),
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


LEAN_KINDS = sorted(lean.SNAPSHOTS)
# Results are most events: half the examples; the other lean kinds share the rest.
lean_events = st.one_of(body_events("result"), st.sampled_from(LEAN_KINDS).flatmap(body_events))


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
            packed.load_row(event.kind, row)  # what the readers will load (as runner.prepare checks)
    except Exception:
        return None
    return event, row


def outcome(read: Any) -> tuple:
    try:
        return ("value", read())
    except Exception as error:
        return ("error", type(error), str(error))


def assert_same(record: StoredEvent, position: int, *, must_be_lean: bool, tally: bool = True) -> None:
    mine = lean.read(position, record.topic, record.state)
    theirs = today(record, position)
    if tally:  # shown by --hypothesis-show-statistics: every branch is taken, for every lean kind
        name = record.topic.partition(":")[2]
        event(f"{name}: {'lean' if mine else 'declined'}, {'row' if theirs else 'problem'} today")
    if must_be_lean:
        assert mine is not None, "an accepted event left the lean path"
    if mine is None:
        return
    assert theirs is not None, "the lean path made a row where today's path records a problem"
    stored_event, row = theirs
    assert mine.row == row
    assert mine.row["state"].encode() == row["state"].encode()  # byte for byte (and a str, as stored)
    assert type(mine.row["state"]) is str
    assert [type(mine.row[k]) for k in row] == [type(row[k]) for k in row]
    for name in USED:
        assert getattr(mine, name) == getattr(stored_event, name), name
    assert outcome(lambda: mine.course_account) == outcome(lambda: stored_event.course_account)


recorded = st.datetimes(datetime(2000, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=lean_events, at=recorded, position=st.integers(1, 2**40))
def test_an_accepted_event_takes_the_lean_path_to_the_same_row(raw: dict, at: datetime, position: int) -> None:
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
BODY_FIELDS = sorted({name for kind in LEAN_KINDS for name in BODIES[kind].model_fields})
targets = st.one_of(
    st.tuples(st.just("body"), st.sampled_from(BODY_FIELDS)),
    st.tuples(
        st.just("metadata"),
        st.sampled_from(["root_account_id", "context_type", "context_id", "context_account_id", "hostname"]),
    ),
    st.tuples(
        st.just("envelope"),
        st.sampled_from(["root_account", "key", "content_hash", "attributable", "event_time", "recorded_at", "event"]),
    ),
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=lean_events,
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


def test_the_synthetic_stream_takes_the_lean_path_for_every_lean_kind() -> None:
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
        assert_same(record, position, must_be_lean=parsed.cls.kind in lean.SNAPSHOTS, tally=False)
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


@pytest.mark.parametrize("kind", LEAN_KINDS)
def test_the_readers_come_from_the_body_model_and_the_state_types_from_the_state_model(kind: str) -> None:
    readers, types = lean.READERS[kind], lean.TYPES[kind]
    assert readers is not None and types is not None
    assert [r[0] for r in readers] == list(BODIES[kind].model_fields)
    assert list(types) == list(FOLDS[kind][1].model_fields)
    assert types["id"] == (str,) and types["last_event_time"] == (datetime,)


def test_nested_bodies_have_no_lean_readers() -> None:
    assert lean.body_readers(BODIES["outcome"]) is None  # rubric_criterion: a model of its own
    assert lean.body_readers(BODIES["scale"]) is None  # ratings: a list of models with a validator
    assert not {"outcome", "scale"} & set(lean.SNAPSHOTS)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_switch_turns_the_lean_path_off(monkeypatch: pytest.MonkeyPatch, enabled: bool) -> None:
    monkeypatch.setattr(lean, "ENABLED", enabled)
    record = stored(parse(b.result("7", "U1", 3, 1)), datetime(2025, 9, 2, tzinfo=UTC))  # type: ignore[arg-type]
    assert (lean.read(1, record.topic, record.state) is not None) is enabled
