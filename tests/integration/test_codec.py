"""The stored-state codec on real stores (SQLite file and PostgreSQL): compressed past a milestone, read back
byte-equal, the hash chain over the uncompressed state, old uncompressed rows read as they are.

The milestones are lowered for these tests (the real first one is 1,000 events) so that a few hundred
events cross two of them; everything else is the real codec, recorder and CLI.
"""

from __future__ import annotations

import sqlite3

import orjson
import pytest

from domain.events import parse
from store import codec
from store.application import open_store
from tests import builders as b
from tests.conftest import mastery, write_jsonl

FIRST, SECOND = 60, 180


@pytest.fixture(autouse=True)
def small_milestones(monkeypatch):
    monkeypatch.setattr(codec, "MILESTONES", (FIRST, SECOND))
    monkeypatch.setattr(codec, "DICTIONARY_BYTES", 4096)


def events(n: int, start: int = 0) -> list[dict]:
    return [
        b.result("700", f"user-{i % 37}", float(i % 4), i / 100, rid=str(10_000 + i), course=str(5 + i % 3))
        for i in range(start, start + n)
    ]


def open_(url, tmp_path):
    return open_store(url, chain_key=None, state_home=str(tmp_path))


def stored_rows(store) -> list[tuple[int, bytes]]:
    table, pos = store.chained.events_table_name, store.chained.position
    rows = store.query(f"SELECT {pos} AS p, state FROM {table} ORDER BY {pos}")
    return [(int(r["p"]), bytes(r["state"])) for r in rows]


def forget_dictionaries(monkeypatch):
    """As a process that has not seen the store's dictionaries yet (they must come from the store)."""
    monkeypatch.setattr(codec, "_known", {})
    monkeypatch.setattr(codec, "_local", type(codec._local)())


def test_states_are_compressed_past_the_first_milestone_and_read_back_equal(store_url, tmp_path, monkeypatch):
    raw = events(250)
    store = open_(store_url, tmp_path)
    try:
        for i in range(0, len(raw), 50):
            store.append([parse(e) for e in raw[i : i + 50]])
        rows = stored_rows(store)
        assert len(rows) == 250
        # Before the first milestone as JSON, from the batch that reaches it on as zstd frames.
        assert all(state.startswith(b"{") for p, state in rows if p <= 50)
        assert all(state.startswith(codec.MAGIC) for p, state in rows if p > 50)
        kept = store.query("SELECT milestone FROM store_dictionaries ORDER BY milestone")
        assert [int(r["milestone"]) for r in kept] == [FIRST, SECOND]
        compressed = [len(s) for p, s in rows if p > 50]
        plain = [len(codec.decode(s)) for p, s in rows if p > 50]
        assert sum(compressed) * 2 < sum(plain)
        forget_dictionaries(monkeypatch)
        assert [e.event for _, e in store.iter_all()] == raw
        assert store.verify()[1:] == (None, None)
    finally:
        store.close()


def test_the_chain_links_the_uncompressed_state_and_verify_finds_a_changed_frame(tmp_path):
    path = str(tmp_path / "store.db")
    store = open_(path, tmp_path)
    store.append([parse(e) for e in events(100)])
    state = stored_rows(store)[79][1]
    assert state.startswith(codec.MAGIC)
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER stored_events_no_update")
    changed = state[:-3] + bytes([state[-3] ^ 0x55]) + state[-2:]
    conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 80", (changed,))
    conn.commit()
    conn.close()
    store = open_(path, tmp_path)
    try:
        checked, position, why = store.verify()
        assert (checked, position) == (79, 80)
        assert "changed" in why
    finally:
        store.close()


def test_a_store_of_uncompressed_rows_keeps_reading_and_compresses_from_then_on(tmp_path, monkeypatch):
    """A store written before the codec (every state JSON, no dictionary table) needs no migration."""
    path = str(tmp_path / "store.db")
    monkeypatch.setattr(codec, "MILESTONES", (10**9,))  # as the code before the codec: never compressed
    store = open_(path, tmp_path)
    store.append([parse(e) for e in events(100)])
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE store_dictionaries")  # the old schema had none
    conn.commit()
    conn.close()
    monkeypatch.setattr(codec, "MILESTONES", (FIRST, SECOND))
    store = open_(path, tmp_path)
    try:
        store.append([parse(e) for e in events(50, start=100)])
        rows = stored_rows(store)
        assert all(s.startswith(b"{") for p, s in rows if p <= 100)
        assert all(s.startswith(codec.MAGIC) for p, s in rows if p > 100)
        assert [e.event for _, e in store.iter_all()] == events(150)
        assert store.verify()[1:] == (None, None)
    finally:
        store.close()


def test_a_reader_opened_before_the_dictionary_existed_decodes_what_is_written_later(tmp_path, monkeypatch):
    path = str(tmp_path / "store.db")
    writer = open_(path, tmp_path)
    writer.append([parse(e) for e in events(10)])
    reader = open_store(path, chain_key=None, state_home=str(tmp_path), access="read")
    try:
        writer.append([parse(e) for e in events(90, start=10)])
        writer.close()
        forget_dictionaries(monkeypatch)
        assert [e.event for _, e in reader.iter_all()] == events(100)
    finally:
        reader.close()


def test_a_batch_that_trained_a_dictionary_and_rolled_back_leaves_no_row_needing_it(tmp_path, monkeypatch):
    path = str(tmp_path / "store.db")
    store = open_(path, tmp_path)
    recorder = store.chained
    chain = recorder._chain
    calls = {"n": 0}

    def fail_once(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the disk went away")
        return chain(*args, **kw)

    monkeypatch.setattr(recorder, "_chain", fail_once)
    try:
        with pytest.raises(RuntimeError):
            store.append([parse(e) for e in events(100)])
        assert store.query("SELECT COUNT(*) AS n FROM store_dictionaries")[0]["n"] == 0
        store.append([parse(e) for e in events(100)])
        ids = {int(r["id"]) for r in store.query("SELECT id FROM store_dictionaries")}
        frames = [s for _, s in stored_rows(store) if s.startswith(codec.MAGIC)]
        assert frames and {codec.zstandard.get_frame_parameters(s).dict_id for s in frames} <= ids
        forget_dictionaries(monkeypatch)
        assert [e.event for _, e in store.iter_all()] == events(100)
    finally:
        store.close()


def test_samples_zstd_cannot_train_from_leave_the_states_uncompressed(tmp_path, monkeypatch):
    monkeypatch.setattr(codec, "SAMPLES", 3)  # too few for zstd to train from
    store = open_(str(tmp_path / "store.db"), tmp_path)
    try:
        store.append([parse(e) for e in events(100)])
        assert all(s.startswith(b"{") for _, s in stored_rows(store))
        assert [e.event for _, e in store.iter_all()] == events(100)
    finally:
        store.close()


def test_the_dictionaries_are_as_immutable_as_the_history(tmp_path):
    store = open_(str(tmp_path / "store.db"), tmp_path)
    try:
        store.append([parse(e) for e in events(100)])
        with pytest.raises(Exception, match="immutable"):
            store.query("DELETE FROM store_dictionaries", commit=True)
        with pytest.raises(Exception, match="immutable"):
            store.query("UPDATE store_dictionaries SET dictionary = x'00'", commit=True)
    finally:
        store.close()


def test_decode_refuses_what_it_cannot_read_and_two_dictionaries_with_one_id():
    assert codec.decode(b'{"a": 1}') == b'{"a": 1}'
    with pytest.raises(codec.CodecError):
        codec.decode(codec.MAGIC + b"\x00garbage")
    codec.register(4_000_001, b"one")
    with pytest.raises(codec.CodecError, match="separate processes"):
        codec.register(4_000_001, b"two")


def test_ingest_export_and_verify_through_the_cli(tmp_path):
    raw = events(200)
    source = write_jsonl(tmp_path / "events.jsonl", raw)
    store = str(tmp_path / "store.db")
    mastery("--store", store, "ingest", str(source), "--batch", "50", check=True)
    conn = sqlite3.connect(store)
    kinds = {bytes(s)[:1] for (s,) in conn.execute("SELECT state FROM stored_events")}
    conn.close()
    assert kinds == {b"{", codec.MAGIC[:1]}
    exported = mastery("--store", store, "export", check=True).stdout.splitlines()
    assert [orjson.loads(line) for line in exported] == raw
    assert mastery("--store", store, "verify").returncode == 0


def test_a_frame_that_cannot_be_decoded_is_an_unreadable_record_and_the_others_read(tmp_path):
    path = str(tmp_path / "store.db")
    store = open_(path, tmp_path)
    store.append([parse(e) for e in events(100)])
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER stored_events_no_update")
    conn.execute("UPDATE stored_events SET state = ? WHERE rowid = 90", (codec.MAGIC + b"\x00not a frame",))
    conn.commit()
    conn.close()
    store = open_(path, tmp_path)
    try:
        readable, unreadable = store.read(0, 200)
        assert [p for p, _ in readable] == [p for p in range(1, 101) if p != 90]
        assert [(u.position, type(u.error)) for u in unreadable] == [(90, codec.CodecError)]
        assert unreadable[0].state == codec.MAGIC + b"\x00not a frame"  # shown as stored: it cannot be decoded
    finally:
        store.close()
