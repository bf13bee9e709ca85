"""`mastery erase` end to end on real SQLite files (and a real PostgreSQL store): after it no byte of the
store, its WAL, the key table, the read model, the quarantine or an export holds the person's name, SIS
id, login or uuid; `verify` passes; the course still answers (scores kept); the erasure is in `audit`;
erasing twice is a no-op, an unknown person exit 1; --dry-run changes nothing; --with-results drops the
scores; an old export of the erased person re-ingested is refused for their personal fields.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import builders as b
from tests.conftest import mastery, mastery_json, write_jsonl

ADA = "ada-uuid-" + "a" * 31
BOB = "bob-uuid-" + "b" * 31
NAME, LOGIN, SIS = "Ada Lovelace", "ada.lovelace@example.org", "SIS-ADA-4471"
SECRETS = (NAME, "Lovelace, Ada", LOGIN, SIS, ADA)


def world() -> list[dict]:
    broken = json.loads(json.dumps(b.user("11", ADA, NAME, sis=SIS, login=LOGIN)))
    broken["body"]["workflow_state"] = {"not": "a state"}  # quarantined, in the clear, with Ada's values
    return [
        b.user("11", ADA, NAME, sis=SIS, login=LOGIN),
        b.user("12", BOB, "Bob Babbage", sis="SIS-BOB", login="bob@example.org"),
        broken,
        b.course("6", name="Algebra I"),
        b.enrollment("101", "6", "11", user_name=NAME),
        b.enrollment("102", "6", "12", user_name="Bob Babbage"),
        b.outcome("104"),
        b.link("1", "104", "6", 0.5),
        b.result("104", ADA, 5, 1, course="6"),
        b.result("104", BOB, 3, 1, course="6"),
    ]


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name.startswith("s.db"))


def _mean(store: tuple[str, ...], *as_of: str) -> float:
    rollups = mastery_json(*store, "rollups", "--course", "6", "--aggregate", "mean", *as_of)
    return rollups["rollups"][0]["scores"][0]["score"]


@pytest.fixture
def ingested(tmp_path: Path) -> tuple[tuple[str, ...], Path]:
    source = write_jsonl(tmp_path / "in.jsonl", world())
    store = ("--store", str(tmp_path / "s.db"))
    counts = mastery_json(*store, "ingest", str(source))
    assert counts["quarantined"] == 1 and counts["appended"] == 9
    return store, source


def test_after_an_erasure_no_byte_anywhere_holds_the_person_and_the_course_still_answers(tmp_path, ingested):
    store, _ = ingested
    assert NAME.encode() in mastery(*store, "export", check=True).stdout  # readers open the sealed values
    mean_before, as_of_before = _mean(store), _mean(store, "--as-of", b.at(2))
    done = mastery_json(*store, "erase", "--user", "11", "--reason", "request 2026-118", "--by", "dpo")
    assert done["status"] == "erased" and done["quarantine_scrubbed"] == 1
    assert set(done["keys"].values()) == {"erased"} and len(done["pseudonyms"]) == 2
    exported = mastery(*store, "export", check=True).stdout
    everything = _all_bytes(tmp_path) + exported
    for value in SECRETS:
        assert value.encode() not in everything, value
    assert b"Bob Babbage" in exported and b"erased person" in exported  # others untouched, Ada "erased"
    verified = mastery(*store, "verify", check=True)
    assert verified.returncode == 0 and b"in the clear" not in verified.stderr  # a new store seals from the start
    assert mastery_json(*store, "verify")["personal_fields"] == "sealed"
    assert _mean(store) == mean_before and _mean(store, "--as-of", b.at(2)) == as_of_before  # scores kept
    assert mean_before == 4.0  # Ada's 5 and Bob's 3
    audit = mastery_json(*store, "audit", "--actor", "dpo")
    assert [e["event_name"] for e in audit["entries"]] == ["person_erased"]
    assert audit["entries"][0]["position"] == done["erasure_position"]
    user_trail = mastery_json(*store, "audit", "user", "11")["entries"]
    assert user_trail[-1]["event_name"] == "person_erased"
    assert all(NAME not in json.dumps(e) for e in user_trail)
    rebuilt = mastery(*store, "rebuild", check=True)
    assert rebuilt.returncode == 0 and _mean(store) == mean_before


def test_erasing_twice_is_a_no_op_and_an_unknown_person_is_exit_1(ingested):
    store, _ = ingested
    assert mastery_json(*store, "erase", "--user", f"sis_user_id:{SIS}")["status"] == "erased"
    again = mastery(*store, "erase", "--user", "11", check=True)
    assert again.returncode == 0 and b"already erased" in again.stdout
    for form in (ADA, LOGIN, SIS, f"sis_user_id:{SIS}"):  # the forms that no longer name anyone, too
        assert mastery_json(*store, "erase", "--user", form)["status"] == "already erased", form
    unknown = mastery(*store, "erase", "--user", "999")
    assert unknown.returncode == 1 and b"no student '999'" in unknown.stderr


def test_a_name_is_refused_with_the_forms_that_identify_a_person(ingested):
    store, _ = ingested
    by_name = mastery(*store, "erase", "--user", "Bob Babbage", "--dry-run")
    assert by_name.returncode == 1 and b"'Bob Babbage' is a name" in by_name.stderr
    assert b"mastery student 'Bob Babbage'" in by_name.stderr  # where to find the person's ids
    assert mastery_json(*store, "erase", "--user", "12", "--dry-run")["status"] == "would erase"


def test_any_form_the_cli_takes_names_the_student(ingested):
    store, _ = ingested
    for form in (b.g("11"), ADA, LOGIN, SIS):
        dry = mastery_json(*store, "erase", "--user", form, "--dry-run")
        assert dry["status"] == "would erase" and dry["user_ids"] == ["11"], form


def test_a_dry_run_changes_nothing(tmp_path, ingested):
    store, _ = ingested
    keys, exported = (tmp_path / "s.db.keys").read_bytes(), mastery(*store, "export", check=True).stdout
    head = mastery_json(*store, "verify")
    dry = mastery_json(*store, "erase", "--user", "11", "--dry-run")
    assert dry["status"] == "would erase" and dry["read_model"]["user_versions"] == 1
    assert (tmp_path / "s.db.keys").read_bytes() == keys and mastery(*store, "export", check=True).stdout == exported
    assert mastery_json(*store, "verify") == head
    assert mastery_json(*store, "erase", "--user", "11")["status"] == "erased"  # the dry run erased no one


def test_with_results_the_persons_scores_leave_every_cut(ingested):
    store, _ = ingested
    done = mastery_json(*store, "erase", "--user", "11", "--with-results")
    assert done["results_dropped"] == 1
    assert _mean(store) == 3.0  # Bob's only


def test_an_old_export_of_an_erased_person_is_refused_for_their_personal_fields(tmp_path, ingested):
    store, source = ingested
    old = mastery(*store, "export", check=True).stdout
    (tmp_path / "old.jsonl").write_bytes(old)
    mastery_json(*store, "erase", "--user", "11")
    again = mastery(*store, "ingest", "--json", str(tmp_path / "old.jsonl"), check=True)
    assert json.loads(again.stdout)["refused"] >= 1 and b"erased" in again.stderr
    for value in SECRETS:
        assert value.encode() not in _all_bytes(tmp_path) + mastery(*store, "export", check=True).stdout, value


def test_a_staff_member_is_erased_from_the_events_they_acted_in(tmp_path, ingested):
    store, _ = ingested
    done = mastery_json(*store, "erase", "--staff", "teacher@example.com")
    assert done["status"] == "erased" and done["user_ids"] == ["9"]
    assert mastery_json(*store, "erase", "--staff", "teacher@example.com")["status"] == "already erased"
    assert b"teacher@example.com" not in _all_bytes(tmp_path) + mastery(*store, "export", check=True).stdout


def test_a_postgresql_store_keeps_its_keys_beside_it_and_erases_the_same(tmp_path, pg_url):
    source = write_jsonl(tmp_path / "in.jsonl", world())
    store = ("--store", pg_url, "--read-db", str(tmp_path / "s.db.read"))
    mastery_json(*store, "ingest", str(source))
    assert NAME.encode() in mastery(*store, "export", check=True).stdout
    assert mastery_json(*store, "erase", "--user", "11")["status"] == "erased"
    exported = mastery(*store, "export", check=True).stdout
    for value in SECRETS:
        assert value.encode() not in exported + _all_bytes(tmp_path), value
    assert mastery(*store, "verify", check=True).returncode == 0
    assert mastery_json(*store, "erase", "--user", "11")["status"] == "already erased"
