"""The append's hot-path shortcuts give exactly what the plain ways give: the stream id is uuid5, and what
the native twins of the inbound models accept the models accept, with the same values."""

from __future__ import annotations

import pickle
import uuid
from typing import get_type_hints

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import accept
from domain.canvas import STRICT, Metadata, ResultBody, ValidationError
from domain.events import InvalidEvent, parse
from domain.ids import STREAM_NAMESPACE, stream_id
from tests import builders as b

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)  # no lone surrogates: UTF-8 text


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(TEXT, st.sampled_from(["result", "user", "outcome", "enrollment_state"]), TEXT)
def test_the_stream_id_is_the_uuid5_of_the_natural_key(root, kind, key):
    want = uuid.uuid5(STREAM_NAMESPACE, f"{root}\x1f{kind}\x1f{key}")
    got = stream_id(root, kind, key)
    assert got == want
    assert (str(got), hash(got), got.bytes, got.version, got.variant) == (
        str(want),
        hash(want),
        want.bytes,
        5,
        uuid.RFC_4122,
    )
    assert got.is_safe == want.is_safe
    assert pickle.loads(pickle.dumps(got)) == want


# -- the native twins of the inbound models (domain/accept.py) --------------------------------------
META = b.meta("learning_outcome_result_created", 1.5, course="5")
BODY = b.result("700", "user-1", 3.0, 1.5, rid="901")["body"] | {"title": "Essay", "percent": 0.75}
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e15, -1e15, 1e15 + 1, 10**15, 10**16, 0.0, -0.0]),
    st.from_regex(r"[0-9]{1,34}", fullmatch=True),
    st.sampled_from(["", " ", " 12 ", "١٢٣", "12\n", "abc", "x" * 255, "x" * 256, "é" * 255, "é" * 256]),
    st.sampled_from(["2025-09-21T18:26:54.890Z", "2019-11-05 10:03:37 UTC", "2025-13-01T00:00:00Z", "soon"]),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


EDGES = [
    None, True, False, 0, -1, 7, 10**15, 10**15 + 1, -(10**15), 2**63, 2**70, 0.5, -0.0, 1e15, 1.5e15,
    float("nan"), float("inf"), "", " ", "7", " 12 ", "١٢٣", "12\n", "9" * 30, "9" * 31, "abc", "x" * 255,
    "x" * 256, "é" * 255, "é" * 256, "2025-09-21T18:26:54.890Z", "2019-11-05 10:03:37 UTC", "soon", [], {},
]  # fmt: skip


@pytest.mark.parametrize("model", [Metadata, ResultBody], ids=["metadata", "result"])
def test_each_field_with_each_edge_value_the_twin_never_accepts_more_than_the_model(model):
    twin_model, base = (accept.METADATA, META) if model is Metadata else (accept.BODIES["result"], BODY)
    for name in model.model_fields:
        for value in EDGES:
            _same_acceptance(model, twin_model, base, {name: value})


def _validated(model, data):
    try:
        return model.model_validate(data, context=STRICT)
    except ValidationError:
        return None


def _same_acceptance(model, twin_model, base, changes):
    data = {**base, **changes}
    twin = _validated(twin_model, data)
    if twin is None:
        return  # the model decides alone (events._validate)
    theirs = _validated(model, data)
    assert theirs is not None, f"the twin accepted what the model refuses: {changes!r}"
    for name in model.model_fields:
        mine, want = getattr(twin, name), getattr(theirs, name)
        assert (type(mine), mine) == (type(want), want), (name, changes)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(Metadata.model_fields)), ODD_VALUES, max_size=6))
def test_what_the_metadata_twin_accepts_the_model_accepts_with_the_same_values(changes):
    _same_acceptance(Metadata, accept.METADATA, META, changes)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(ResultBody.model_fields)), ODD_VALUES, max_size=6))
def test_what_the_result_twin_accepts_the_model_accepts_with_the_same_values(changes):
    _same_acceptance(ResultBody, accept.BODIES["result"], BODY, changes)


def test_the_twins_take_the_usual_event_and_check_nothing_in_python_but_times():
    assert _validated(accept.METADATA, META) is not None
    assert _validated(accept.BODIES["result"], BODY) is not None
    for model in (Metadata, ResultBody):
        for name, hint in get_type_hints(model, include_extras=True).items():
            assert "PlainValidator" not in repr(accept._twin_of(hint)) or "parse_time" in repr(hint), name


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(ResultBody.model_fields)), ODD_VALUES, max_size=4))
def test_parse_gives_the_same_event_or_the_same_reason_with_and_without_the_twins(changes):
    event = {"metadata": META, "body": {**BODY, **changes}}

    def outcome():
        try:
            return parse(event)
        except InvalidEvent as error:
            return str(error)

    with_twins = outcome()
    saved = accept.METADATA, dict(accept.BODIES)
    try:
        accept.METADATA, accept.BODIES = None, {}
        assert outcome() == with_twins
    finally:
        accept.METADATA, accept.BODIES = saved


# -- the SQLite recorder's one executemany at explicit positions -----------------------------------
def test_batched_library_inserts_get_the_positions_sqlite_would_give(tmp_path):
    from store.application import open_store

    store = open_store(str(tmp_path / "store.db"), chain_key=None, state_home=str(tmp_path))
    try:
        events = [parse(b.result("700", f"u{i}", 1.0, i / 10, rid=str(500 + i))) for i in range(30)]
        first = store.append(events[:10])
        chain = store.chained._chain

        def broken(*args, **kw):
            raise RuntimeError("stop before the commit")

        store.chained._chain = broken  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            store.append(events[10:20])  # rolled back: its positions are given again
        store.chained._chain = chain  # type: ignore[method-assign]
        second = store.append(events[10:30])
        positions = [p for p, _ in first.appended + second.appended]
        assert positions == list(range(1, 31))
        rows = store.query("SELECT rowid AS p, originator_id AS o FROM stored_events ORDER BY rowid")
        assert [(r["p"], r["o"]) for r in rows] == [(p, e.stream_id.hex) for p, e in first.appended + second.appended]
        assert [p for p, _ in store.notifications(0, 100)] == positions
        assert store.verify()[1:] == (None, None)
    finally:
        store.close()
