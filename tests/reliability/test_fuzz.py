"""Fuzzed input: arbitrary JSON and mutated Canvas events never raise, and every item is accounted for."""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings, strategies as st

from store.application import open_store
from store.ingest import ingest
from store.sources import read_sources
from tests.conftest import seed_events

SEEDS = seed_events("current") + seed_events("legacy")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)
odd = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "\u0000", "\ud7ff\ufeff", "😀" * 50, "x" * 5000,
                       "\u202e", "[" * 300, '"5"', "true"])


@st.composite
def mutated_event(draw):
    event = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        part = draw(st.sampled_from(["metadata", "body"]))
        target = event.get(part)
        if not isinstance(target, dict) or not target:
            continue
        key = draw(st.sampled_from(sorted(target)))
        action = draw(st.sampled_from(["drop", "retype", "extra", "huge", "deep"]))
        if action == "drop":
            del target[key]
        elif action == "retype":
            target[key] = draw(json_values)
        elif action == "extra":
            target[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
        elif action == "huge":
            target[key] = "🎓" * draw(st.integers(1000, 20000))
        else:
            nested = value = {}
            for _ in range(draw(st.integers(50, 400))):
                value["x"] = {}
                value = value["x"]
            target[key] = nested
    return json.dumps(event)


line = st.one_of(mutated_event(), json_values.map(json.dumps), odd,
                 st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
                 st.sampled_from(SEEDS).map(json.dumps).map(lambda s: s[: len(s) // 2]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(lines=st.lists(line, min_size=1, max_size=25))
def test_fuzzed_input_never_raises_and_every_item_is_accounted_for(tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "in.jsonl"
    path.write_bytes(("\n".join(line.replace("\n", " ") for line in lines) + "\n").encode("utf-8", "surrogatepass"))
    store = open_store(str(folder / "s.db"))
    try:
        counts = ingest(store, read_sources([str(path)]))
        again = ingest(store, read_sources([str(path)]))
        assert counts.balanced() and again.balanced()
        assert again.appended == 0 and again.quarantined == 0
        assert store.verify()[1] is None
    finally:
        store.close()
