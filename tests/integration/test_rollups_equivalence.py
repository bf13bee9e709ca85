"""The course rollups read in bulk give the answer the per-outcome reading gave, byte for byte.

`outcome_rollups.units` reads a course's mastery rows in one query ("now") and scores a cut with the
numbers-only rollup. The reference below is the per-outcome reading it replaced: each outcome's state and
mastery rows read on their own, and inside a cut `mastery.compute` (the explaining rollup). Both run on
real SQLite read models of generated streams (the default and the wide shape) with the poison world's
records after them, now and inside as-of / known-at cuts, for all students, a few, a few outcomes and the
course aggregate.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson
import pytest

from projections.mastery import compute, course_context, unit_rules
from projections.queries import outcome_rollups
from projections.queries.outcome_rollups import Scored, course_outcomes, rollups, score_json
from projections.runner import catch_up
from projections.schema import connect
from sources import RawItem
from store.application import open_store
from store.ingest import ingest
from synthetic import generate
from tests.integration.poison_world import good_events, overflowing_events, poison_events

CUTS = [
    {},
    {"as_of": datetime(2025, 9, 20, tzinfo=UTC)},
    {"as_of": datetime(2025, 11, 1, tzinfo=UTC)},
    {"as_of": datetime(2030, 1, 1, tzinfo=UTC)},
]


def reference_units(view, course, outcome_ids=None, allowed=None) -> list[Scored]:
    """The per-outcome reading: each unit on its own, `compute` inside a cut, its own rows for now."""
    ctx = course_context(view, course)
    out = []
    for outcome in outcome_ids or course_outcomes(view, course):
        try:
            unit = compute(view, course, outcome, ctx) if view.is_cut else unit_rules(view, course, outcome, ctx)
        except Exception:
            continue
        if view.is_cut:
            cells = {user: score_json(unit, score) for user, score in unit.scores.items()}
        else:
            cells = {row["user_uuid"]: stored_cell(row) for row in unit_rows(view, course, outcome)}
        out.append(Scored(unit, cells))
    return out


def unit_rows(view, course: str, outcome: str) -> list:
    cursor = view.conn.execute(
        "SELECT * FROM mastery WHERE root = ? AND course = ? AND outcome = ?", (view.root, course, outcome)
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def stored_cell(row: dict) -> dict:
    rating = None
    if row["rating_points"] is not None:
        rating = {
            "description": row["rating_description"],
            "points": row["rating_points"],
            "color": row["rating_color"],
            "mastery": bool(row["rating_mastery"]),
        }
    return {
        "score": row["score"],
        "count": row["count"],
        "mastery": None if row["mastery"] is None else bool(row["mastery"]),
        "title": None,
        "submitted_at": row["submitted_at"],
        "hide_points": False,
        "links": {"outcome": row["outcome"]},
        "rating": rating,
    }


def read_model(path, shape: str, seed: int):
    store = open_store(str(path))
    stream = list(generate(3000, seed=seed, shape=shape))
    ingest(store, [RawItem("test", i + 1, json.dumps(e), e, None) for i, e in enumerate(stream)], batch_size=700)
    odd = good_events() + list(poison_events().values()) + list(overflowing_events().values())
    store.append(odd)
    db = connect(str(path.with_suffix(".read.db")))
    catch_up(store, db.conn)
    store.close()
    return db.conn


@pytest.fixture(scope="module", params=["default", "wide"])
def conn(request, tmp_path_factory: pytest.TempPathFactory):
    conn = read_model(tmp_path_factory.mktemp(request.param) / "store.db", request.param, seed=17)
    yield conn
    conn.close()


def busiest(conn, count: int) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT root, course FROM mastery GROUP BY root, course ORDER BY COUNT(*) DESC, root, course LIMIT ?", (count,)
    ).fetchall()


def both(monkeypatch, conn, root: str, course: str, **options) -> tuple[bytes, bytes]:
    new = orjson.dumps(rollups(conn, root, course, **options), option=orjson.OPT_NON_STR_KEYS)
    with monkeypatch.context() as patch:
        patch.setattr(outcome_rollups, "units", reference_units)
        old = orjson.dumps(rollups(conn, root, course, **options), option=orjson.OPT_NON_STR_KEYS)
    return new, old


def test_bulk_rollups_answer_as_the_per_outcome_reading_did(conn, monkeypatch) -> None:
    compared = scores = 0
    for root, course in busiest(conn, 3):
        users = [
            r[0] for r in conn.execute("SELECT DISTINCT user_uuid FROM mastery WHERE course = ? LIMIT 4", (course,))
        ]
        outcomes = [
            r[0] for r in conn.execute("SELECT DISTINCT outcome FROM mastery WHERE course = ? LIMIT 2", (course,))
        ]
        for cut in CUTS:
            for narrowed in ({}, {"user_ids": users}, {"outcome_ids": [*outcomes, "987654"]}, {"aggregate": "mean"}):
                new, old = both(monkeypatch, conn, root, course, **cut, **narrowed)
                assert new == old, (course, cut, narrowed)
                compared += 1
                scores += new.count(b'"score"')
    known_at = conn.execute("SELECT recorded_at FROM entity_versions ORDER BY position LIMIT 1 OFFSET 1500").fetchone()
    for root, course in busiest(conn, 2):
        new, old = both(monkeypatch, conn, root, course, known_at=datetime.fromisoformat(known_at[0]))
        assert new == old
    # The comparison means something: many answers, many scores, in and out of cuts.
    assert compared == 48 and scores > 1000


def test_an_unreadable_outcome_state_leaves_that_outcome_out_only(conn, monkeypatch) -> None:
    root, course = busiest(conn, 1)[0]
    every = [o["id"] for o in rollups(conn, root, course)["linked"]["outcomes"]]
    broken = every[0]
    conn.execute("SAVEPOINT broken")
    try:
        conn.execute(
            "UPDATE entity_versions SET state = '{' WHERE root = ? AND kind = 'outcome' AND key = ?", (root, broken)
        )
        for cut in CUTS[:2]:
            new, old = both(monkeypatch, conn, root, course, **cut)
            assert new == old
            listed = [o["id"] for o in orjson.loads(new)["linked"]["outcomes"]]
            assert broken not in listed and listed
    finally:
        conn.execute("ROLLBACK TO broken")
        conn.execute("RELEASE broken")
    assert broken in [o["id"] for o in rollups(conn, root, course)["linked"]["outcomes"]]
