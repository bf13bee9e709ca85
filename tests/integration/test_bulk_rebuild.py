"""The cheaper mastery drain and the bulk rebuild write the same read model, row for row, as before.

A real SQLite store holds a generated stream and, after it, the poison world's records (values no fold can
use, overflowing numbers, results whose scaled score is not finite). Read-model files caught up from it
with the light drain (`mastery.LIGHT`) and without it are compared table by table (only the wall-clock
columns left out, as in test_lean_equivalence.py).
"""

from __future__ import annotations

import json

import pytest

from projections import mastery
from projections import rebuild as rebuild_module
from projections.rebuild import rebuild
from projections.runner import catch_up
from projections.schema import connect, ensure_schema
from sources import RawItem
from store.application import open_store
from store.ingest import ingest
from synthetic import generate
from tests.integration.poison_world import mixed_store, poison_events
from tests.integration.test_lean_equivalence import tables


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    store = mixed_store(tmp_path_factory.mktemp("bulk") / "store.db", seed=31)
    yield store
    store.close()


def caught_up(store, path: str, page: int = 500) -> dict:
    db = connect(path)
    try:
        catch_up(store, db.conn, page=page)
        return tables(db.conn)
    finally:
        db.conn.close()


def test_the_light_drain_writes_the_same_read_model_as_the_explaining_one(store, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(mastery, "LIGHT", False)
    before = caught_up(store, str(tmp_path / "explaining.db"))
    monkeypatch.setattr(mastery, "LIGHT", True)
    after = caught_up(store, str(tmp_path / "light.db"))
    assert before.keys() == after.keys()
    for name in before:
        assert after[name] == before[name], name
    # The comparison means something: many units, every method's numbers, the left-out results recorded.
    assert len(after["mastery"]) > 300
    assert len({row[12] for row in after["mastery"]}) >= 2  # the method column
    assert any("left out of the rollup" in str(row) for row in after["rm_problems"])


BY_STUDENT = ("root", "kind", "course", "outcome", "user_uuid", "position")
PREFIX = ("root", "kind", "course", "outcome")


def current_indexes(conn) -> set[tuple[str, ...]]:
    names = [r[1] for r in conn.execute("PRAGMA index_list(entity_current)") if not r[1].startswith("sqlite_")]
    return {tuple(r[2] for r in conn.execute(f"PRAGMA index_info({name})")) for name in names}


def test_a_one_student_recompute_reads_only_that_student_by_a_covering_index(store, tmp_path) -> None:
    db = connect(str(tmp_path / "rm.db"))
    try:
        catch_up(store, db.conn)
        assert current_indexes(db.conn) == {BY_STUDENT, ("root", "kind", "outcome")}  # as many as before
        root, course, outcome, user = db.conn.execute(
            "SELECT root, course, outcome, user_uuid FROM entity_current WHERE kind = 'result' LIMIT 1"
        ).fetchone()
        plan = db.conn.execute(
            "EXPLAIN QUERY PLAN SELECT v.state FROM entity_current c JOIN entity_versions v ON v.position = c.position"
            " WHERE c.root = ? AND c.kind = 'result' AND c.course = ? AND c.outcome = ? AND c.user_uuid = ?",
            (root, course, outcome, user),
        ).fetchall()
        assert "COVERING INDEX idx_entity_current_root_kind_course_outcome_user_uuid_position" in str(plan)
    finally:
        db.conn.close()


def test_a_read_model_made_before_keeps_its_index_until_its_rebuild(store, tmp_path) -> None:
    path = str(tmp_path / "old.db")
    db = connect(path)
    catch_up(store, db.conn)
    db.conn.execute("DROP INDEX idx_entity_current_root_kind_course_outcome_user_uuid_position")
    db.conn.execute(
        "CREATE INDEX idx_entity_current_root_kind_course_outcome ON entity_current (root, kind, course, outcome)"
    )
    before = tables(db.conn)
    db.conn.close()
    db = connect(path)  # opening it builds nothing over its history
    try:
        assert current_indexes(db.conn) == {PREFIX, ("root", "kind", "outcome")}
        report = rebuild(store, db.conn)
        assert current_indexes(db.conn) == {BY_STUDENT, ("root", "kind", "outcome")}
        assert report["read_models"]["mastery"] == {"changed": 0, "added": 0, "removed": 0}
        assert tables(db.conn) == before
    finally:
        db.conn.close()


def rebuilt(store, path: str, page: int = 700) -> tuple[dict, dict]:
    """A read model caught up page by page, then rebuilt in bulk: (its tables before, after)."""
    db = connect(path)
    try:
        catch_up(store, db.conn, page=page)
        before = tables(db.conn)
        report = rebuild(store, db.conn)
        assert report["changed"] == report["added"] == report["removed"] == 0, report
        return before, tables(db.conn)
    finally:
        db.conn.close()


def test_a_bulk_rebuild_gives_the_tables_of_a_page_by_page_catch_up(store, tmp_path) -> None:
    before, after = rebuilt(store, str(tmp_path / "rm.db"))
    assert before.keys() == after.keys()
    for name in before:
        assert after[name] == before[name], name
    assert len(after["entity_versions"]) > 3000 and len(after["mastery"]) > 300 and after["rm_problems"]


def test_a_bulk_rebuild_from_a_postgresql_store_gives_the_same_tables(pg_url, tmp_path) -> None:
    store = open_store(pg_url)
    try:
        events = list(generate(1500, seed=37))
        ingest(store, [RawItem("test", i + 1, json.dumps(e), e, None) for i, e in enumerate(events)], batch_size=300)
        assert store.append(list(poison_events().values())).appended
        before, after = rebuilt(store, str(tmp_path / "rm.db"), page=200)
    finally:
        store.close()
    assert after == before
    assert len(after["entity_versions"]) > 1000 and len(after["mastery"]) > 50


def test_a_bulk_rebuild_stopped_while_building_its_indexes_leaves_the_live_tables(store, tmp_path, monkeypatch):
    db = connect(str(tmp_path / "rm.db"))
    try:
        catch_up(store, db.conn)
        before = tables(db.conn)
        calls: list[bool] = []

        def stopping(*args, **kwargs):
            calls.append(kwargs.get("bulk", False))
            if not kwargs.get("bulk", False):
                raise KeyboardInterrupt  # killed after the load, before the versions' indexes exist
            return ensure_schema(*args, **kwargs)

        monkeypatch.setattr(rebuild_module, "ensure_schema", stopping)
        with pytest.raises(KeyboardInterrupt):
            rebuild(store, db.conn)
        assert calls == [True, False]
        side = db.conn.execute("SELECT COUNT(*) FROM entity_versions_rebuild").fetchone()[0]
        assert side == len(before["entity_versions"])  # the load had finished
        live = {k: v for k, v in tables(db.conn).items() if not k.endswith("_rebuild")}
        live["rm_tracking"] = [row for row in live["rm_tracking"] if not row[0].endswith("_rebuild")]
        assert live == before
        monkeypatch.setattr(rebuild_module, "ensure_schema", ensure_schema)
        rebuild(store, db.conn)
        assert tables(db.conn) == before
    finally:
        db.conn.close()
