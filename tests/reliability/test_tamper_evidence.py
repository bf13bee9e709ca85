"""Tamper evidence: someone with write access to the store's database cuts, wipes or rewrites history.

Every test edits a real store behind its back (dropping the immutability guards first, as an attacker
with file or superuser access would) and checks that `verify`, the head witness, the keyed chain and
`rebuild` say so instead of answering from the changed history.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import orjson
import psycopg
import pytest

from domain.events import parse
from store.application import StoreError, open_store
from store.persistence import chain_hash
from tests.conftest import PG_BASE, mastery, seed_events, write_jsonl

KEY = b"an operator's secret chain key"


def seeds_store(url: str, state: Path, **kw):
    store = open_store(url, chain_key=kw.pop("chain_key", None), state_home=str(state))
    store.append([parse(e) for e in seed_events()])
    return store


def edit(url: str, *statements: str) -> None:
    """Run SQL on the store's database directly, as an attacker would."""
    if url.startswith("postgresql://"):
        schema = url.split("schema=")[1]
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{schema}"')
            for statement in statements:
                conn.execute(statement)
        return
    conn = sqlite3.connect(url)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def cut_after(url: str, events_table: str, position: int) -> None:
    """Remove the events after position together with their links and dedup rows."""
    if url.startswith("postgresql://"):
        unguard = [f"DROP TRIGGER {t}_immutable ON {t}" for t in (events_table, "event_chain", "event_hashes")]
        pos = "notification_id"
    else:
        unguard = [f"DROP TRIGGER {t}_no_delete" for t in (events_table, "event_chain", "event_hashes")]
        pos = "rowid"
    edit(
        url,
        *unguard,
        f"DELETE FROM {events_table} WHERE {pos} > {position}",
        f"DELETE FROM event_chain WHERE position > {position}",
        f"DELETE FROM event_hashes WHERE position > {position}",
    )


def test_cutting_the_last_events_with_their_links_names_the_first_removed_position(store_url, tmp_path):
    store = seeds_store(store_url, tmp_path)
    table = store.recorder.events_table_name
    store.close()
    cut_after(store_url, table, 7)
    result = mastery(
        "--store",
        store_url,
        "--read-db",
        str(tmp_path / "r.db"),
        "verify",
        "--json",
        env={"XDG_STATE_HOME": str(tmp_path)},
    )
    report = json.loads(result.stdout)
    assert result.returncode == 4
    assert (report["ok"], report["checked"], report["first_bad_position"]) == (False, 7, 8)
    assert "removed" in report["reason"] and report["head"].startswith("7:")


def test_wiping_every_event_is_detected(tmp_path):
    url = str(tmp_path / "s.db")
    seeds_store(url, tmp_path).close()
    cut_after(url, "stored_events", 0)
    store = open_store(url, chain_key=None)
    assert store.head() == 0
    checked, position, why = store.verify()
    assert (checked, position) == (0, 1)
    assert "ends at position 0" in why and "says 10" in why


def test_a_store_file_replaced_by_a_fresh_one_is_reported_by_its_old_witness(tmp_path):
    url = str(tmp_path / "s.db")
    seeds_store(url, tmp_path).close()
    Path(url).unlink()
    store = open_store(url, chain_key=None)
    checked, position, why = store.verify()
    assert (checked, position) == (0, 1)
    assert "re-created" in why


def test_a_middle_event_removed_is_named_itself_not_the_one_after(tmp_path):
    url = str(tmp_path / "s.db")
    seeds_store(url, tmp_path).close()
    edit(url, "DROP TRIGGER stored_events_no_delete", "DELETE FROM stored_events WHERE rowid = 5")
    assert open_store(url, chain_key=None).verify() == (4, 5, "a chain link has no event (an event was removed)")


def test_a_middle_event_removed_with_its_link_is_named_itself(tmp_path):
    url = str(tmp_path / "s.db")
    seeds_store(url, tmp_path).close()
    edit(
        url,
        "DROP TRIGGER stored_events_no_delete",
        "DROP TRIGGER event_chain_no_delete",
        "DELETE FROM stored_events WHERE rowid = 5",
        "DELETE FROM event_chain WHERE position = 5",
    )
    checked, position, why = open_store(url, chain_key=None).verify()
    assert (checked, position) == (4, 5)
    assert "position 5 is missing" in why


def recompute_links_without_the_key(url: str, start: int) -> None:
    """The attacker's best effort: the links from start on and the witness recomputed, with no key."""
    conn = sqlite3.connect(url)
    rows = conn.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
        "WHERE rowid >= ? ORDER BY rowid",
        (start,),
    ).fetchall()
    prev, links = conn.execute("SELECT hash FROM event_chain WHERE position = ?", (start - 1,)).fetchone()[0], []
    for position, oid, version, topic, state in rows:
        raw = state.encode() if isinstance(state, str) else bytes(state)
        prev = chain_hash(prev, position, oid.replace("-", ""), version, topic, raw)
        links.append((prev, position))
    conn.execute("DROP TRIGGER event_chain_no_update")
    conn.executemany("UPDATE event_chain SET hash = ? WHERE position = ?", links)
    conn.commit()
    conn.close()
    witness = Path(url + ".head")
    old = orjson.loads(witness.read_bytes())
    witness.write_bytes(orjson.dumps({**old, "position": links[-1][1], "hash": links[-1][0]}))


def test_links_recomputed_without_the_key_after_an_edit_are_detected(tmp_path):
    url = str(tmp_path / "s.db")
    seeds_store(url, tmp_path, chain_key=KEY).close()
    edit(
        url,
        "DROP TRIGGER stored_events_no_update",
        "UPDATE stored_events SET state = replace(state, 'Molecular', 'Mo1ecular') WHERE rowid = 8",
    )
    recompute_links_without_the_key(url, 8)
    checked, position, why = open_store(url, chain_key=KEY).verify()
    assert (checked, position, why) == (7, 8, "the event or its link was changed")


def test_a_keyed_store_keeps_a_check_value_and_refuses_a_missing_or_wrong_key(tmp_path):
    url = str(tmp_path / "s.db")
    seeds_store(url, tmp_path, chain_key=KEY).close()
    stored = sqlite3.connect(url).execute("SELECT group_concat(value) FROM store_meta").fetchone()[0]
    assert KEY.decode() not in stored and KEY.hex() not in stored
    with pytest.raises(StoreError, match="keyed: set MASTERY_CHAIN_KEY"):
        open_store(url, chain_key=None)
    with pytest.raises(StoreError, match="not this store's chain key"):
        open_store(url, chain_key=b"a guess")
    assert open_store(url, chain_key=KEY).verify() == (10, None, None)


def test_a_key_cannot_be_given_to_an_unkeyed_history(tmp_path):
    url = str(tmp_path / "s.db")
    seeds_store(url, tmp_path).close()
    with pytest.raises(StoreError, match="not keyed"):
        open_store(url, chain_key=KEY)


def test_every_command_reads_the_chain_key_from_the_environment(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    keyed = {"MASTERY_CHAIN_KEY": KEY.decode()}
    events = write_jsonl(tmp_path / "e.jsonl", seed_events())
    assert mastery(*store, "ingest", str(events), env=keyed).returncode == 0
    refused = mastery(*store, "verify")
    assert refused.returncode == 3 and b"set MASTERY_CHAIN_KEY" in refused.stderr
    assert mastery(*store, "verify", env=keyed).returncode == 0


def test_rebuild_refuses_a_broken_history_and_keeps_the_read_model(tmp_path):
    url = str(tmp_path / "s.db")
    events = write_jsonl(tmp_path / "e.jsonl", seed_events())
    mastery("--store", url, "ingest", str(events), check=True)
    before = sqlite3.connect(url).execute("SELECT COUNT(*) FROM entity_versions").fetchone()[0]
    edit(url, "DROP TRIGGER stored_events_no_delete", "DELETE FROM stored_events WHERE rowid = 3")
    result = mastery("--store", url, "rebuild")
    assert result.returncode == 4
    assert b"refused" in result.stderr and b"position 3" in result.stderr
    assert sqlite3.connect(url).execute("SELECT COUNT(*) FROM entity_versions").fetchone()[0] == before == 10


def test_a_head_kept_elsewhere_catches_a_cut_even_when_the_witness_file_is_gone(tmp_path):
    url = str(tmp_path / "s.db")
    events = write_jsonl(tmp_path / "e.jsonl", seed_events())
    head = json.loads(mastery("--store", url, "ingest", str(events), "--json", check=True).stdout)["head"]
    assert head.startswith("10:")
    cut_after(url, "stored_events", 6)
    Path(url + ".head").unlink()
    plain = mastery("--store", url, "verify")
    assert plain.returncode == 0 and b"no head witness" in plain.stdout  # as before, and says so
    result = mastery("--store", url, "verify", "--head", head, "--json")
    assert result.returncode == 4
    assert json.loads(result.stdout)["first_bad_position"] == 7


def test_a_cut_tail_is_not_covered_up_by_the_next_ingest(tmp_path, caplog):
    url = str(tmp_path / "s.db")
    seeds_store(url, tmp_path).close()
    cut_after(url, "stored_events", 7)
    store = open_store(url, chain_key=None)
    with caplog.at_level(logging.WARNING, logger="mastery.store"):
        store.append([parse(e) for e in seed_events("legacy")])  # SQLite reuses the cut positions
    assert store.head() > 10
    assert "disagrees with this store, so it was not moved" in caplog.text
    checked, position, why = store.verify()
    assert position is not None and "head witness" in why


def test_a_witness_that_cannot_be_written_warns_and_loses_no_event(pg_url, tmp_path, caplog):
    not_a_folder = tmp_path / "state"
    not_a_folder.write_text("a file where the state folder should be")
    store = open_store(pg_url, chain_key=None, state_home=str(not_a_folder))
    with caplog.at_level(logging.WARNING, logger="mastery.store"):
        result = store.append([parse(e) for e in seed_events()])
        store.append([parse(e) for e in seed_events("legacy")])
    assert len(result.appended) == 10 and store.head() == 14
    assert caplog.text.count("could not be written") == 1 and "ingest again" in caplog.text
    assert store.verify() == (14, None, None)
    assert store.witness_status().startswith("no head witness")
    store.close()
