"""The poison world of the poison-event tests: a good course beside events no fold or sum can use.

Shared by tests/integration/test_poison_events.py (queries, problems, rebuild, CLI, HTTP) and
tests/integration/test_poison_streams.py (an entity's own stream, unreadable records, export, audit).
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from domain import canvas
from domain.events import Parsed, parse
from projections.runner import catch_up
from projections.schema import connect
from store.application import open_store
from tests import builders as b

HUGE = "9" * 5000  # over Python's 4,300-digit int() limit


def poisoned(event: dict, change) -> Parsed:
    """A parsed good event whose stored payload is then changed the way `parse` would not allow."""
    good = parse(event)
    bad = copy.deepcopy(good.event)
    change(bad)
    return dataclasses.replace(good, event=bad, content_hash=canvas.content_hash(bad))


def put(body_field: str, value):
    return lambda e: e["body"].__setitem__(body_field, value)


def good_events() -> list[Parsed]:
    events = [
        b.outcome("7", 0, method="average"),
        b.link("1", "7", "5", 0),
        b.result("7", "U1", 4, 1, rid="501"),
        b.result("7", "U1", 2, 2, rid="502"),
        b.result("7", "U4", 5, 2, rid="503"),
        b.outcome("9", 0, method="average"),
    ]
    return [parse(e) for e in events]


def poison_events() -> dict[str, Parsed]:
    """Poison that the projections must skip (name → event), in append order."""
    return {
        "display_name": poisoned(b.outcome("8", 1), put("display_name", {"not": "a string"})),
        "description": poisoned(b.outcome("10", 1), put("description", 12345)),
        "short_description": poisoned(b.outcome("11", 1), put("short_description", ["x"])),
        "huge result context": poisoned(b.result("7", "U1", 1, 3, rid="504"), put("result_context_id", HUGE)),
        "huge link outcome": poisoned(b.link("2", "7", "5", 3), put("learning_outcome_id", HUGE)),
        "huge root account id": poisoned(
            b.result("7", "U1", 1, 3, rid="505"), lambda e: e["metadata"].__setitem__("root_account_id", HUGE)
        ),
        "huge course account": poisoned(
            b.group("900", "5", 3), lambda e: e["metadata"].__setitem__("context_account_id", HUGE)
        ),
    }


def overflowing_events() -> dict[str, Parsed]:
    """Results the calculation must survive: 1e308 twice (fsum overflows), scaled to +inf and -inf."""
    return {
        "1e308 a": poisoned(b.result("9", "U2", 1, 3, course="6", rid="601"), put("score", 1e308)),
        "1e308 b": poisoned(b.result("9", "U2", 1, 4, course="6", rid="602"), put("score", 1e308)),
        "+inf": poisoned(b.result("9", "U3", 1, 3, course="6", rid="603", percent=0.5), put("percent", 1e308)),
        "-inf": poisoned(b.result("9", "U3", 1, 4, course="6", rid="604", percent=0.5), put("percent", -1e308)),
        "good": parse(b.result("9", "U3", 2, 5, course="6", rid="605")),
    }


@pytest.fixture
def world(tmp_path):
    """A store with the good course, the poison and the overflowing results; positions by name."""
    path = str(tmp_path / "store.db")
    store = open_store(path)
    db = connect(path)
    good = good_events()
    store.append(good[:3])
    catch_up(store, db.conn)  # part of the good course is projected before any poison arrives
    poison, overflow = poison_events(), overflowing_events()
    rest = good[3:] + list(poison.values()) + list(overflow.values())
    appended = store.append(rest).appended
    assert len(appended) == len(rest)
    where = {p.content_hash: position for position, p in appended}
    yield {
        "path": path,
        "store": store,
        "conn": db.conn,
        "poison": {name: where[p.content_hash] for name, p in poison.items()},
        "overflow": {name: where[p.content_hash] for name, p in overflow.items()},
        "good": {p.key: where.get(p.content_hash) for p in good},
    }
    store.close()
    db.conn.close()


def scores(answer: dict) -> dict[tuple[str, str], tuple]:
    return {
        (r["links"]["user"], s["links"]["outcome"]): (s["score"], s["count"])
        for r in answer["rollups"]
        for s in r["scores"]
    }


GOOD_COURSE = {("U1", "7"): (3.0, 2), ("U4", "7"): (5.0, 1)}
OVERFLOW_COURSE = {("U2", "9"): (1e308, 2), ("U3", "9"): (2.0, 1)}


def mixed_store(path: Path, seed: int, events: int = 4000) -> Any:
    """A real SQLite store of a generated stream plus every good, poison and overflowing event of this
    world (the stream a whole catch-up is compared on, path against path)."""
    import json

    from sources import RawItem
    from store.ingest import ingest
    from synthetic import generate

    store = open_store(str(path))
    stream = list(generate(events, seed=seed))
    ingest(store, [RawItem("test", i + 1, json.dumps(e), e, None) for i, e in enumerate(stream)], batch_size=700)
    odd = good_events() + list(poison_events().values()) + list(overflowing_events().values())
    assert len(store.append(odd).appended) == len(odd)
    return store
