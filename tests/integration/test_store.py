"""The event store on a real SQLite file and on the real PostgreSQL server: exactly once, immutable, chained."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.events import parse
from domain.fold import projector
from domain.outcome import evolve
from store.application import open_store
from store.persistence import BadItem
from tests.conftest import PG_BASE, SEED_ROOT, mastery, seed_events, write_jsonl


@pytest.fixture
def store(store_url, tmp_path):
    s = open_store(store_url, chain_key=None, state_home=str(tmp_path))
    yield s
    s.close()


def parsed_seeds(generation: str = "current"):
    return [parse(e) for e in seed_events(generation)]


def test_same_canvas_event_twice_is_recorded_once(store):
    first = store.append(parsed_seeds())
    again = store.append(parsed_seeds())
    assert (len(first.appended), first.duplicates) == (10, 0)
    assert (len(again.appended), again.duplicates) == (0, 10)
    assert store.head() == 10


def test_repeats_inside_one_batch_are_duplicates(store):
    events = parsed_seeds()
    result = store.append(events + events[:3])
    assert (len(result.appended), result.duplicates) == (10, 3)


def test_one_stream_per_entity_with_versions_in_arrival_order(store):
    store.append(parsed_seeds()[7:8])  # learning_outcome_updated
    store.append(parsed_seeds()[0:1])  # learning_outcome_created arrives later
    events = store.stream(SEED_ROOT, "outcome", "12345")
    assert [(e.originator_version, e.canvas_name) for e in events] == [
        (1, "learning_outcome_updated"),
        (2, "learning_outcome_created"),
    ]


def test_fold_through_the_library_repository_uses_event_time_order(store):
    store.append(parsed_seeds())
    now = store.fold(SEED_ROOT, "outcome", "12345", projector(evolve))
    then = store.fold(SEED_ROOT, "outcome", "12345", projector(evolve, as_of=datetime(2019, 11, 2, tzinfo=UTC)))
    assert now.rubric_criterion["mastery_points"] == 2
    assert then.rubric_criterion["mastery_points"] == 3
    assert store.fold(SEED_ROOT, "outcome", "nope", projector(evolve)) is None


def test_quarantine_keeps_bad_input_once_in_the_same_transaction(store):
    bad = [BadItem("{oops", "dump.jsonl", 3, "invalid JSON")]
    first = store.append(parsed_seeds()[:2], bad)
    again = store.append([], bad)
    assert len(first.quarantined) == 1 and first.duplicates == 0
    assert again.quarantined == [] and again.duplicates == 1
    rows = store.query("SELECT raw_text, source, line, reason, status FROM quarantine")
    assert [tuple(dict(r).values()) for r in rows] == [("{oops", "dump.jsonl", 3, "invalid JSON", "open")]


def test_the_database_refuses_update_and_delete_of_stored_events(store):
    store.append(parsed_seeds())
    table = store.recorder.events_table_name
    for sql in (
        f"UPDATE {table} SET topic = 'x'",
        f"DELETE FROM {table}",
        "DELETE FROM event_chain",
        "UPDATE event_hashes SET position = 0",
    ):
        with pytest.raises(Exception, match="immutable"):
            store.query(sql, commit=True)
    assert store.head() == 10
    assert store.verify() == (10, None, None)


def tampered(tmp_path, *statements: str):
    """A store of the seeds edited behind its back: an attacker with file access drops a guard and writes."""
    path = str(tmp_path / "s.db")
    store = open_store(path)
    store.append(parsed_seeds())
    store.close()
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return open_store(path)


def test_verify_names_the_first_position_whose_bytes_changed(tmp_path):
    store = tampered(
        tmp_path,
        "DROP TRIGGER stored_events_no_update",
        "UPDATE stored_events SET state = replace(state, 'Molecular', 'Mo1ecular') WHERE rowid = 8",
    )
    checked, position, why = store.verify()
    assert (checked, position) == (7, 8)
    assert "changed" in why


def test_verify_finds_a_removed_event(tmp_path):
    store = tampered(tmp_path, "DROP TRIGGER stored_events_no_delete", "DELETE FROM stored_events WHERE rowid = 10")
    assert store.verify() == (9, 10, "a chain link has no event (an event was removed)")


def test_notifications_page_through_the_whole_history(store):
    store.append(parsed_seeds())
    store.append(parsed_seeds("legacy"))
    seen = [p for p, _ in store.iter_all(page=3)]
    assert seen == list(range(1, store.head() + 1))
    assert store.head() == 14


def test_a_store_keeps_the_id_it_was_created_with_and_another_store_has_its_own(store_url, tmp_path):
    first = open_store(store_url, chain_key=None, state_home=str(tmp_path))
    again = open_store(store_url, chain_key=None, state_home=str(tmp_path))
    other = open_store(str(tmp_path / "other.db"), chain_key=None)
    assert len(first.store_id) == 32 and first.store_id == again.store_id != other.store_id
    for s in (first, again, other):
        s.close()


@pytest.fixture
def second_pg_url(pg_url):
    """A second fresh schema on the same server: another store reached from the same folder."""
    import psycopg

    schema = f"t2_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_BASE}?schema={schema}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_two_postgres_stores_used_from_one_folder_do_not_share_a_read_model(pg_url, second_pg_url, tmp_path):
    env = {"XDG_STATE_HOME": str(tmp_path)}
    seeds = write_jsonl(tmp_path / "seeds.jsonl", seed_events())
    mastery("--store", pg_url, "ingest", str(seeds), cwd=tmp_path, env=env, check=True)
    own = ("--store", second_pg_url, "--read-db", str(tmp_path / "second.db"))
    legacy = write_jsonl(tmp_path / "legacy.jsonl", seed_events("legacy"))
    mastery(*own, "ingest", str(legacy), cwd=tmp_path, env=env, check=True)
    for command in (("courses", "--json"), ("ingest", str(legacy))):
        refused = mastery("--store", second_pg_url, *command, cwd=tmp_path, env=env)
        assert refused.returncode == 3, refused.stdout
        message = refused.stderr.decode()
        assert "'mastery-read.db' belongs to another event store" in message and "--read-db" in message
    assert mastery(*own, "courses", "--json", cwd=tmp_path, env=env).returncode == 0
    assert mastery("--store", pg_url, "courses", "--json", cwd=tmp_path, env=env).returncode == 0


def test_a_re_created_sqlite_store_refuses_its_old_read_model_until_rebuilt_from_it(tmp_path):
    store, read = tmp_path / "s.db", tmp_path / "read.db"
    args = ("--store", str(store), "--read-db", str(read))
    mastery(*args, "ingest", str(write_jsonl(tmp_path / "seeds.jsonl", seed_events())), check=True)
    store.unlink()
    Path(str(store) + ".head").unlink()
    mastery(
        "--store",
        str(store),
        "--read-db",
        str(tmp_path / "fresh.db"),
        "ingest",
        str(write_jsonl(tmp_path / "legacy.jsonl", seed_events("legacy")[:4])),
        check=True,
    )
    refused = mastery(*args, "courses")
    assert refused.returncode == 3 and b"belongs to another event store" in refused.stderr
    assert b"rebuild --adopt" in refused.stderr
    mastery(*args, "rebuild", "--adopt", check=True)
    kept = sqlite3.connect(store).execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    rows = sqlite3.connect(read).execute("SELECT COUNT(*) FROM entity_versions").fetchone()[0]
    assert rows == kept == 4 and mastery(*args, "courses").returncode == 0
