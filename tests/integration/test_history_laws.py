"""The two laws of history, on generated histories with regrades, unlinks, scale and method changes, late
and duplicate deliveries: as-of T on everything equals now on a store that only got events up to T;
known-at R equals a store that only got the deliveries made by R."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.canvas import parse_time
from projections.queries.catalog import course_rules, outcome_tree
from projections.queries.outcome_rollups import rollups
from projections.queries.people import enrolled, people, sections
from projections.runner import catch_up
from projections.schema import connect
from projections.views import View
from sources import RawItem
from store.application import open_store
from store.ingest import ingest
from synthetic import generate

STREAM = list(generate(6000, seed=4))
ROOTS = sorted({e["metadata"]["root_account_uuid"] for e in STREAM if "root_account_uuid" in e["metadata"]})


def feed(path, events):
    store = open_store(str(path))
    conn = connect(str(path)).conn
    ingest(store, [RawItem("t", i, json.dumps(e), e, None) for i, e in enumerate(events)])
    catch_up(store, conn)
    return store, conn


def answers(conn, **cut) -> dict:
    out = {}
    for root in ROOTS:
        view = View(conn, root, **cut)
        courses = sorted(
            {
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT course FROM entity_versions WHERE root = ? AND course IS NOT NULL", (root,)
                )
            }
        )
        named = people(view)
        for course in courses:
            answer = rollups(conn, root, course, **cut)
            out[(root, course)] = (
                answer["rollups"],
                course_rules(view, course)["outcomes"],
                outcome_tree(view, course),
                # People and places (once the stream carries them): who is listed, by what name, where.
                answer["linked"]["users"],
                [named.get(u["uuid"]) for u in answer["linked"]["users"]],
                enrolled(view, course),
                sections(view, course),
            )
    return out


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    store, conn = feed(tmp_path_factory.mktemp("full") / "s.db", STREAM)
    yield conn
    store.close()


def event_time(e) -> datetime | None:
    try:
        return parse_time(e["metadata"]["event_time"])
    except (KeyError, ValueError):
        return None


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fraction=st.floats(0.15, 0.95))
def test_as_of_t_equals_now_on_a_store_that_only_received_events_up_to_t(full, tmp_path_factory, fraction):
    times = sorted(t for t in map(event_time, STREAM) if t)
    cut = times[int(len(times) * fraction)]
    store, partial = feed(tmp_path_factory.mktemp("cut") / "s.db", [e for e in STREAM if (event_time(e) or cut) <= cut])
    try:
        past, now = answers(full, as_of=cut), answers(partial)
        assert {k: v for k, v in past.items() if any(v[:2])} == {k: v for k, v in now.items() if any(v[:2])}
    finally:
        store.close()


def test_known_at_r_equals_a_store_that_only_received_the_deliveries_made_by_r(tmp_path):
    first, second = STREAM[:3500], STREAM[3500:]
    store, conn = feed(tmp_path / "all.db", first)
    time.sleep(0.01)
    known = datetime.now(UTC)
    time.sleep(0.01)
    ingest(store, [RawItem("t", i, json.dumps(e), e, None) for i, e in enumerate(second)])
    catch_up(store, conn)
    other, early = feed(tmp_path / "early.db", first)
    try:
        then, now = answers(conn, known_at=known), answers(early)
        assert {k: v for k, v in then.items() if any(v[:2])} == {k: v for k, v in now.items() if any(v[:2])}
        assert answers(conn) != then  # the later deliveries did change something
    finally:
        store.close()
        other.close()
