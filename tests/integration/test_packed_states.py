"""The packed version states (projections/packed.py) read back as the states the folds made.

A history row keeps only its state's Canvas values (the bookkeeping comes from the row's columns), so
every reader must get the very state the fold built: checked for every stored event of a generated stream
with the poison world's records after it, through the loader and through the SQL `field` expressions.
A read model written by the version before (whole state objects, its index by key with the fold key) is
refused, never added to, and rebuilt.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import CanvasEvent
from domain.states import FOLDS
from projections import packed
from projections.history import version_row
from projections.runner import catch_up
from projections.schema import connect
from synthetic import generate
from tests.conftest import mastery, write_jsonl
from tests.integration.poison_world import mixed_store

OLD_BY_KEY, BY_COURSE = ("root", "kind", "key", "fold_key"), ("root", "kind", "course", "outcome")


def versions_indexes(conn: sqlite3.Connection) -> set[tuple[str, ...]]:
    names = [r[1] for r in conn.execute("PRAGMA index_list(entity_versions)") if not r[1].startswith("sqlite_")]
    return {tuple(r[2] for r in conn.execute(f"PRAGMA index_info({name})")) for name in names}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    store = mixed_store(tmp_path_factory.mktemp("packed") / "store.db", seed=41)
    yield store
    store.close()


def test_every_packed_state_loads_as_the_state_its_fold_made(store) -> None:
    kinds: set[str] = set()
    skipped = 0
    for n in store.recorder.select_notifications(start=0, limit=100_000, inclusive_of_start=False):
        try:
            event = store.mapper.to_domain_event(n)
            made = FOLDS[event.kind][0](event, None)
            row = version_row(n.id, event)
            loaded = packed.load_row(event.kind, row)  # as runner.prepare checks before writing a row
        except Exception:
            skipped += 1  # a poison record: the runner records it as a problem, no row is written
            continue
        assert type(loaded) is type(made)
        assert loaded.model_dump() == made.model_dump(), (event.kind, n.id)
        assert len(orjson.loads(row["state"])) == len(packed.FIELDS[event.kind])  # values only, no names
        kinds.add(event.kind)
    assert {"result", "outcome", "link", "group", "user", "course", "enrollment", "scale"} <= kinds
    assert 0 < skipped < 20


def test_the_sql_field_of_a_packed_state_is_its_value(store, tmp_path) -> None:
    db = connect(str(tmp_path / "rm.db"))
    try:
        catch_up(store, db.conn)
        checked = 0
        for kind, names in packed.FIELDS.items():
            for name in names:
                rows = db.conn.execute(
                    f"SELECT {packed.field([kind], name)}, {packed.columns()} FROM entity_versions WHERE kind = ?",
                    (kind,),
                ).fetchall()
                for value, *row in rows:
                    want = json.loads(json.dumps(packed.full(kind, *row)[name]))
                    if isinstance(want, dict | list):
                        want = json.dumps(want, separators=(",", ":"))  # json_extract gives JSON text
                    if isinstance(want, bool):
                        want = int(want)
                    assert value == want, (kind, name, row)
                    checked += 1
        owned = packed.field(["outcome", "link", "scale"], "context_type")
        assert owned.startswith("(CASE kind WHEN")  # the field sits at another place in each kind
        found = db.conn.execute(f"SELECT DISTINCT {owned} FROM entity_versions WHERE kind IN ('outcome', 'result')")
        assert {r[0] for r in found} == {None, "Account", "Course"}  # a result's is not read: NULL
        assert checked > 10_000
    finally:
        db.conn.close()


def test_a_read_model_of_the_version_before_is_refused_not_added_to_and_rebuilt(tmp_path) -> None:
    events = list(generate(800, seed=43))
    first, later = write_jsonl(tmp_path / "a.jsonl", events[:500]), write_jsonl(tmp_path / "b.jsonl", events[500:])
    path = str(tmp_path / "store.db")
    mastery("--store", path, "ingest", str(first), check=True)
    with sqlite3.connect(path) as conn:
        root, course = conn.execute("SELECT root, course FROM mastery GROUP BY 1, 2 ORDER BY COUNT(*) DESC").fetchone()
    asked = ("--store", path, "--account", root, "rollups", "--course", course, "--json")
    # The version before: the whole state object in each row, its tracking at history version 3.
    with sqlite3.connect(path) as conn:
        rows = conn.execute(f"SELECT position, kind, {packed.columns()} FROM entity_versions").fetchall()
        conn.executemany(
            "UPDATE entity_versions SET state = ? WHERE position = ?",
            [(json.dumps(packed.full(kind, *row)), position) for position, kind, *row in rows],
        )
        conn.execute("UPDATE rm_tracking SET version = 3 WHERE projection = 'history'")
        conn.execute("DROP INDEX idx_entity_versions_root_kind_key")  # and its index by key with the fold key
        conn.execute("CREATE INDEX old_by_key ON entity_versions (root, kind, key, fold_key)")
        before = conn.execute("SELECT COUNT(*), MAX(position) FROM entity_versions").fetchone()
    refused = mastery(*asked)
    assert refused.returncode == 1 and b"mastery rebuild" in refused.stderr
    mastery("--store", path, "ingest", str(later))  # kept in the store; the old read model is left alone
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*), MAX(position) FROM entity_versions").fetchone() == before
        assert conn.execute("SELECT version FROM rm_tracking WHERE projection = 'history'").fetchone() == (3,)
        assert versions_indexes(conn) == {OLD_BY_KEY, BY_COURSE}  # opening it built nothing over its history
    assert mastery(*asked).returncode == 1
    mastery("--store", path, "rebuild", check=True)
    with sqlite3.connect(path) as conn:
        assert versions_indexes(conn) == {("root", "kind", "key"), BY_COURSE}
    fresh = str(tmp_path / "fresh.db")
    mastery("--store", fresh, "ingest", str(first), check=True)
    mastery("--store", fresh, "ingest", str(later), check=True)
    answer, expected = mastery(*asked, check=True), mastery("--store", fresh, *asked[2:], check=True)
    assert json.loads(answer.stdout)["rollups"] and answer.stdout == expected.stdout


class Keyed:
    """What a fold key is made of (a CanvasEvent's own fold_key code computes the text one)."""

    fold_key = CanvasEvent.fold_key

    def __init__(self, event_time: datetime, rank: int, updated_at: datetime | None, content_hash: str) -> None:
        self.event_time, self.rank, self.updated_at, self.content_hash = event_time, rank, updated_at, content_hash


moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.sampled_from([UTC, None])
)
keyed = st.builds(
    Keyed, moments, st.sampled_from([0, 1]), st.none() | moments, st.text("0123456789abcdef", min_size=64, max_size=64)
)


@settings(max_examples=500, deadline=None)
@given(a=keyed, b=keyed, same_time=st.booleans())
def test_the_stored_fold_key_sorts_as_the_text_fold_key(a: Keyed, b: Keyed, same_time: bool) -> None:
    if same_time:  # ties on the event time: the rank, updated_at and hash decide
        b.event_time = a.event_time
    text = (vars(CanvasEvent)["fold_key"].func(a), vars(CanvasEvent)["fold_key"].func(b))
    stored = (packed.fold_key(a), packed.fold_key(b))
    assert (text[0] < text[1]) == (stored[0] < stored[1]) and (text[0] == text[1]) == (stored[0] == stored[1])
    assert len(stored[0]) == 49 and stored[0][17:].hex() == a.content_hash
