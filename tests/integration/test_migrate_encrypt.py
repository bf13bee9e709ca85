"""`mastery migrate encrypt` on stores built by today's ingest (real SQLite files): afterwards no byte of
the store, its WAL or its key table holds a person's name, login, SIS id or uuid; `verify` passes; every
query answers as before; positions, streams and times are kept; a repeat ingest dedups; it runs once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from domain.events import parse
from store.application import open_store
from tests import builders as b
from tests.conftest import mastery, mastery_json, write_jsonl

PEOPLE = {
    "31": ("uuid-ada-0000-1111", "Ada Lovelace", "SIS-ADA-77", "ada.lovelace@example.edu"),
    "32": ("uuid-bob-0000-2222", "Bob Babbage", "SIS-BOB-78", "bob.babbage@example.edu"),
}
PERSONAL = [v.encode() for person in PEOPLE.values() for v in person] + [
    b"teacher@example.com",
    b"Lovelace",
    b"Ada King",
]


def first_batch() -> list[dict]:
    events = [b.course("5"), b.outcome("11"), b.outcome("12", 0.5, method="latest")]
    for uid, (uuid, name, sis, login) in PEOPLE.items():
        events.append(b.user(uid, uuid, name, sis=sis, login=login))
        events.append(b.enrollment(f"6{uid}", "5", uid, user_name=name))
    return events + [
        b.result("11", PEOPLE["31"][0], 4, 1, rid="901"),
        b.result("11", PEOPLE["32"][0], 2, 2, rid="902"),
        b.result("12", PEOPLE["31"][0], 1, 3, rid="903"),
    ]


def second_batch() -> list[dict]:
    return [
        b.result("11", PEOPLE["32"][0], 5, 10, rid="902", updated=True),
        b.result("12", PEOPLE["31"][0], 3, 11, rid="904"),
        b.user(
            "31", PEOPLE["31"][0], "Ada King", day=12, sis="SIS-ADA-77", login="ada.lovelace@example.edu", updated=True
        ),
    ]


@pytest.fixture(autouse=True)
def made_before_sealing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stores as a version before sealing made them: a new store is not marked sealed at its first append
    (today's `should_seal` marks it), so it keeps personal fields in the clear until `migrate encrypt`;
    once migrated (`is_sealed`), appends seal as they do in every new store."""
    from store import migrate

    monkeypatch.setattr("store.application.should_seal", migrate.is_sealed)


@pytest.fixture
def built(tmp_path: Path) -> tuple[list[str], Path, list[Path]]:
    """A store ingested in two runs (two recorded_at times), its read model in a file of its own."""
    store = tmp_path / "s.db"
    args = ["--store", str(store), "--read-db", str(tmp_path / "read.db")]
    inputs = [write_jsonl(tmp_path / "one.jsonl", first_batch()), write_jsonl(tmp_path / "two.jsonl", second_batch())]
    for path in inputs:
        mastery(*args, "ingest", str(path), check=True)
    return args, store, inputs


QUERIES = [
    ("rollups", "--course", "5"),
    ("rollups", "--course", "5", "--as-of", "2025-09-05"),
    ("student", "31"),
    ("student", "Ada King"),
    ("student", "sis_user_id:SIS-BOB-78", "--course", "5"),
    ("audit", "user", "31"),
    ("audit", "result", "902"),
    ("audit", "--actor", "teacher@example.com"),
]


def answers(args: list[str], known_at: str | None = None) -> list:
    """The queries' JSON, the export's bytes, and (given a moment) rollups as known then."""
    out: list = [mastery_json(*args, *query) for query in QUERIES]
    out.append(mastery(*args, "export", check=True).stdout)
    if known_at:
        out.append(mastery_json(*args, "rollups", "--course", "5", "--known-at", known_at))
    return out


def stored(store: Path) -> list[tuple]:
    """Every stored event as readers see it: position, stream, version, times, source, the event itself."""
    s = open_store(str(store), access="read")
    try:
        return [
            (p, e.originator_id, e.originator_version, e.event_time, e.recorded_at, e.source, e.event)
            for p, e in s.iter_all()
        ]
    finally:
        s.close()


def store_bytes(store: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(store.parent.glob(store.name + "*")) if p.is_file())


def tables(store: Path) -> dict[str, list]:
    with sqlite3.connect(store) as conn:
        return {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
            for t in ("event_chain", "event_hashes", "store_meta")
        } | {"events": conn.execute("SELECT rowid, * FROM stored_events ORDER BY rowid").fetchall()}


def test_encrypting_leaves_no_personal_byte_and_every_answer_as_it_was(built):
    args, store, _ = built
    history = stored(store)
    first = min(h[4] for h in history).isoformat()  # what was known after the first ingest only
    before = answers(args, first)
    assert before[-1] != mastery_json(*args, "rollups", "--course", "5")  # the second ingest moved it
    assert all(value in store_bytes(store) for value in PERSONAL)  # today's store holds them in the clear
    assert mastery_json(*args, "verify")["personal_fields"] == "clear"
    assert "stored in the clear" in mastery(*args, "verify").stderr.decode()
    report = mastery_json(*args, "migrate", "encrypt")
    assert report["status"] == "encrypted" and report["events"] == len(history) == report["verified"]
    assert report["read_model_rebuilt"] is True
    files = store_bytes(store)  # the store, its WAL (if any), its key table, its head witness
    assert [v for v in PERSONAL if v in files] == []
    assert b"enc:v1:" in files
    assert mastery_json(*args, "verify")["ok"] is True
    assert mastery_json(*args, "verify")["personal_fields"] == "sealed"
    assert stored(store) == history  # positions, streams, versions, event_time, recorded_at, source, event
    assert answers(args, first) == before


def test_the_store_records_the_migration_and_verify_matches_the_old_head_to_it(built):
    args, store, _ = built
    old = mastery_json(*args, "verify")["head"]
    report = mastery_json(*args, "migrate", "encrypt")
    assert report["head_before"] == old and report["head"] != old
    meta = dict(tables(store)["store_meta"])
    assert meta["personal"] == "sealed" and meta["sealed_from_head"] == old
    assert meta["sealed_events"] == str(report["events"]) and meta["sealed_head"] == report["head"]
    ran = mastery(*args, "verify", "--head", old)
    assert ran.returncode == 0 and b"before `migrate encrypt`" in ran.stderr
    assert mastery_json(*args, "verify")["encrypted"]["sealed_from_head"] == old
    other = old.split(":")[0] + ":" + "ab" * 32  # any other head is still checked, and fails
    refused = mastery(*args, "verify", "--head", other, "--json")
    assert refused.returncode == 4 and b"predates `migrate encrypt`" in refused.stdout


def test_a_repeat_ingest_after_encrypting_adds_nothing_and_new_input_is_sealed(built, tmp_path):
    args, store, inputs = built
    mastery_json(*args, "migrate", "encrypt")
    for path in inputs:
        again = mastery_json(*args, "ingest", str(path))
        assert again["appended"] == 0 and again["duplicates"] == again["read"]
    late = b.user("33", "uuid-cy-0000-3333", "Cy Newcomer", day=20, sis="SIS-CY-79", login="cy@example.edu")
    assert mastery_json(*args, "ingest", str(write_jsonl(tmp_path / "late.jsonl", [late])))["appended"] == 1
    files = store_bytes(store)
    assert b"Cy Newcomer" not in files and b"SIS-CY-79" not in files and b"uuid-cy-0000-3333" not in files
    assert b"Cy Newcomer" in mastery(*args, "audit", "user", "33", "--json", check=True).stdout  # it reads back
    assert mastery_json(*args, "verify")["ok"] is True


def test_encrypting_twice_is_a_no_op_and_a_dry_run_changes_nothing(built):
    args, store, _ = built
    untouched = tables(store)
    dry = mastery_json(*args, "migrate", "encrypt", "--dry-run")
    assert dry["status"] == "would encrypt" and dry["events"] == len(untouched["events"])
    assert dry["with_personal_values"] == dry["events"]  # every event names its actor (a login)
    assert tables(store) == untouched and not Path(f"{store}.keys").exists()
    mastery_json(*args, "migrate", "encrypt")
    done = tables(store)
    again = mastery(*args, "migrate", "encrypt")
    assert again.returncode == 0 and b"already encrypted" in again.stdout
    assert tables(store) == done
    assert mastery_json(*args, "migrate", "encrypt", "--dry-run")["status"] == "already encrypted"


def test_keep_old_copies_the_clear_store_aside_with_a_warning(built, tmp_path):
    args, store, _ = built
    copy = tmp_path / "before-encryption.db"
    ran = mastery(*args, "migrate", "encrypt", "--keep-old", str(copy))
    assert ran.returncode == 0 and b"personal data in the clear" in ran.stderr
    assert b"Ada Lovelace" in copy.read_bytes() and b"Ada Lovelace" not in store_bytes(store)
    refused = mastery("--store", str(tmp_path / "x.db"), "migrate", "encrypt", "--keep-old", str(copy))
    assert refused.returncode != 0  # no store there (nothing is created for a migration)
    assert not (tmp_path / "x.db").exists()


def test_a_file_that_is_not_a_store_is_refused_clearly(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not a database\n")
    ran = mastery("--store", str(other), "migrate", "encrypt")
    assert ran.returncode == 3 and b"not a SQLite database" in ran.stderr
    assert other.read_text() == "not a database\n"


def test_a_store_with_the_read_model_inside_keeps_answering_after_encrypting(tmp_path):
    store = tmp_path / "s.db"
    args = ["--store", str(store)]
    mastery(*args, "ingest", str(write_jsonl(tmp_path / "all.jsonl", first_batch() + second_batch())), check=True)
    before = answers(args)
    assert mastery_json(*args, "migrate", "encrypt")["status"] == "encrypted"
    assert answers(args) == before
    with sqlite3.connect(store) as conn:  # the history itself holds no personal value any more
        states = b"".join(bytes(r[0]) for r in conn.execute("SELECT state FROM stored_events"))
    assert [v for v in PERSONAL if v in states] == []


def test_a_postgresql_store_is_encrypted_in_place_and_stays_immutable(pg_url, tmp_path):
    import psycopg

    args = ["--store", pg_url, "--read-db", str(tmp_path / "read.db")]
    source = write_jsonl(tmp_path / "all.jsonl", first_batch() + second_batch())
    mastery(*args, "ingest", str(source), check=True)
    before = answers(args)
    assert mastery_json(*args, "migrate", "encrypt")["status"] == "encrypted"
    assert mastery_json(*args, "verify")["ok"] is True and answers(args) == before
    assert mastery_json(*args, "ingest", str(source))["appended"] == 0
    base, schema = pg_url.split("?schema=")
    with psycopg.connect(base) as conn:
        rows = [bytes(r[0]) for r in conn.execute(f'SELECT state FROM "{schema}".mastery_events')]
        rows += [r[0].encode() for r in conn.execute(f'SELECT hash FROM "{schema}".event_hashes')]
        assert len(rows) > 10 and [v for v in PERSONAL if any(v in row for row in rows)] == []
        with pytest.raises(psycopg.errors.RaiseException, match="immutable"):
            conn.execute(f'UPDATE "{schema}".mastery_events SET state = state')


def test_a_new_store_is_marked_to_seal_from_its_first_event_and_an_old_one_only_once_migrated(tmp_path):
    from store import migrate

    new = open_store(str(tmp_path / "new.db"))
    try:
        assert not migrate.is_sealed(new) and migrate.should_seal(new) and migrate.is_sealed(new)
        assert migrate.should_seal(new)  # asked again: the mark is kept, not written twice
    finally:
        new.close()
    store = tmp_path / "old.db"
    mastery("--store", str(store), "ingest", str(write_jsonl(tmp_path / "one.jsonl", first_batch())), check=True)
    old = open_store(str(store))
    try:
        assert not migrate.should_seal(old) and not migrate.is_sealed(old)
    finally:
        old.close()
    mastery_json("--store", str(store), "migrate", "encrypt")
    old = open_store(str(store))
    try:
        assert migrate.should_seal(old)
    finally:
        old.close()


def test_poison_events_are_sealed_too_and_still_reported_as_before(tmp_path):
    from tests.integration.poison_world import good_events, poisoned, put

    store = tmp_path / "s.db"
    s = open_store(str(store))
    try:
        s.append([*good_events(), parse(first_batch()[3])])  # a user, in the clear
        s.append([poisoned(b.outcome("7", 3, method="average", updated=True), put("display_name", {"n": 1}))])
    finally:
        s.close()
    args = ["--store", str(store), "--read-db", str(tmp_path / "read.db")]
    problems = mastery_json(*args, "problems")
    assert [p["type"] for p in problems["problems"]] == ["learning_outcome_updated"]
    assert mastery_json(*args, "migrate", "encrypt")["sealed"] > 0
    assert mastery_json(*args, "verify")["ok"] is True
    after = mastery_json(*args, "problems")
    assert after == problems
    assert b"Ada Lovelace" not in store_bytes(store)


def test_a_keyed_chain_is_re_chained_with_its_key_and_refused_without_it(tmp_path):
    store, key = tmp_path / "s.db", {"MASTERY_CHAIN_KEY": "the chain key"}
    args = ["--store", str(store), "--read-db", str(tmp_path / "read.db")]
    mastery(*args, "ingest", str(write_jsonl(tmp_path / "one.jsonl", first_batch())), env=key, check=True)
    untouched = tables(store)
    refused = mastery(*args, "migrate", "encrypt")  # without the key: nothing is written
    assert refused.returncode != 0 and b"MASTERY_CHAIN_KEY" in refused.stderr and tables(store) == untouched
    assert mastery_json(*args, "migrate", "encrypt", env=key)["status"] == "encrypted"
    assert mastery_json(*args, "verify", env=key)["ok"] is True
    assert b"Ada Lovelace" not in store_bytes(store)


def test_a_migration_that_fails_half_way_leaves_the_store_as_it_was_and_immutable(built, monkeypatch):
    from store import migrate_encrypt

    args, store, _ = built
    untouched, real, calls = tables(store), migrate_encrypt._sealed_state, []

    def failing(keys, topic, loaded):
        calls.append(topic)
        if len(calls) == 7:
            raise migrate_encrypt.MigrateError("stopped on purpose")
        return real(keys, topic, loaded)

    monkeypatch.setattr(migrate_encrypt, "_sealed_state", failing)
    monkeypatch.setattr(migrate_encrypt, "PAGE", 3)  # two pages are written before the failure
    ran = mastery(*args, "migrate", "encrypt")
    assert ran.returncode == 1 and b"stopped on purpose" in ran.stderr
    assert tables(store) == untouched and mastery_json(*args, "verify")["ok"] is True
    with sqlite3.connect(store) as conn, pytest.raises(sqlite3.DatabaseError, match="immutable"):
        conn.execute("UPDATE stored_events SET state = state")


def test_a_reader_holding_the_store_open_is_warned_about_since_the_wal_cannot_be_truncated(built):
    args, store, _ = built
    reader = sqlite3.connect(store, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM stored_events").fetchone()  # a read transaction pins the WAL
        ran = mastery(*args, "migrate", "encrypt")
        assert ran.returncode == 0 and b"WAL file may still hold old bytes" in ran.stderr
    finally:
        reader.close()
    assert mastery_json(*args, "verify")["ok"] is True
    assert [v for v in PERSONAL if v in store_bytes(store)] == []  # once the last one closed it
