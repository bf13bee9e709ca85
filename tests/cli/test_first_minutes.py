"""A new user's first minutes (issue 14): a read never creates a store at a mistyped path (exit 3 with the
way out), only `ingest`, `roster import`, `demo` and `serve --create` make one, the global options work
after the command too (the later one wins), and the demo ends with commands that work as printed."""

from __future__ import annotations

import json
import shlex
import sqlite3
from pathlib import Path

import pytest

from store.marks import APPLICATION_ID, SCHEMA_VERSION
from tests.conftest import SEED_ROOT, mastery, mastery_json, seed_events, write_jsonl

NO_STORE = "(give --store or MASTERY_STORE; the demo's is demo/mastery.db)"
READS = [
    ("courses",),
    ("rollups", "--course", "1"),
    ("student", "someone"),
    ("outcome", "1"),
    ("tree",),
    ("scale", "--course", "1"),
    ("audit", "outcome", "1"),
    ("accounts",),
    ("explain", "someone", "--course", "1", "--outcome", "1"),
    ("what-if", "--course", "1", "--method", "latest"),
    ("problems",),
    ("quarantine", "list"),
    ("config", "show"),
    ("export",),
    ("verify",),
    ("report", "--course", "1", "--html", "out.html"),
]
WRITES_TO_AN_EXISTING_STORE = [
    ("config", "set", "mode", "scale"),
    ("quarantine", "retry"),
    ("rebuild",),
    ("problems", "exclude", "1"),
]


def _ingested(tmp_path: Path, name: str = "store.db") -> str:
    store = str(tmp_path / name)
    mastery("--store", store, "ingest", str(write_jsonl(tmp_path / "seeds.jsonl", seed_events())), check=True)
    return store


@pytest.mark.parametrize("argv", READS + WRITES_TO_AN_EXISTING_STORE, ids=" ".join)
def test_a_command_on_a_missing_store_exits_3_naming_it_and_creates_nothing(tmp_path, argv):
    missing = tmp_path / "typo.db"
    result = mastery("--store", str(missing), *argv, cwd=tmp_path)
    assert result.returncode == 3, (argv, result.stderr)
    assert result.stderr.decode() == f"Error: no store at {missing} {NO_STORE}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no store, no WAL, no read model, no report


def test_the_default_store_is_not_made_in_the_folder_a_user_happens_to_be_in(tmp_path):
    result = mastery("rollups", "--course", "510", cwd=tmp_path)
    assert result.returncode == 3 and result.stderr.decode() == f"Error: no store at mastery.db {NO_STORE}\n"
    assert list(tmp_path.iterdir()) == []


def test_ingest_and_roster_import_create_a_marked_store(tmp_path):
    store = _ingested(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text("user_uuid,name,sis_id\nabc,Ana Díaz,00123\n", encoding="utf-8")
    mastery("--store", str(tmp_path / "roster.db"), "roster", "import", str(roster), check=True)
    for path in (store, tmp_path / "roster.db"):
        conn = sqlite3.connect(path)
        marks = (conn.execute("PRAGMA application_id").fetchone()[0], conn.execute("PRAGMA user_version").fetchone()[0])
        conn.close()
        assert marks == (APPLICATION_ID, SCHEMA_VERSION), path
    assert mastery_json("--store", store, "courses")["courses"]


def test_serve_on_a_missing_store_exits_3_before_listening_and_creates_it_only_with_create(tmp_path):
    token = {"MASTERY_INGEST_TOKEN": "t" * 32}
    missing = tmp_path / "typo.db"
    refused = mastery("--store", str(missing), "serve", "--port", "0", env=token, cwd=tmp_path)
    assert refused.returncode == 3 and f"no store at {missing}" in refused.stderr.decode()
    assert b"mastery serve:" not in refused.stdout and list(tmp_path.iterdir()) == []
    # With --create the store is made; a read model of another store then stops it before it listens.
    other = _ingested(tmp_path, "other.db")
    mastery("--store", other, "courses", "--read-db", str(tmp_path / "read.db"), check=True)
    new = tmp_path / "new.db"
    created = mastery(
        "--store", str(new), "serve", "--create", "--read-db", str(tmp_path / "read.db"), "--port", "0", env=token
    )
    assert created.returncode == 3 and b"belongs to another event store" in created.stderr, created.stderr
    conn = sqlite3.connect(new)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


def test_the_global_options_work_after_the_command_and_the_later_one_wins(tmp_path):
    store = _ingested(tmp_path)
    missing = str(tmp_path / "missing.db")
    before = mastery("--store", store, "courses", "--json", check=True)
    after = mastery("courses", "--store", store, "--json", check=True)
    assert before.stdout == after.stdout and json.loads(after.stdout)["courses"]
    assert mastery("--store", missing, "courses", "--store", store).returncode == 0
    wrong_after = mastery("--store", store, "courses", "--store", missing)
    assert wrong_after.returncode == 3 and f"no store at {missing}" in wrong_after.stderr.decode()
    # --account and the others too, in subcommands of groups as well
    assert mastery("--store", store, "--account", "nope", "courses", "--account", SEED_ROOT).returncode == 0
    refused = mastery("--store", store, "--account", SEED_ROOT, "courses", "--account", "nope")
    assert refused.returncode == 1 and "root account 'nope' is not in the store" in refused.stderr.decode()
    listed = mastery_json("quarantine", "list", "--store", store, "--account", SEED_ROOT)
    assert listed["total"] == 0
    zoned = mastery("courses", "--store", store, "--tz", "Mars/Olympus", "--as-of", "2025-01-01")
    assert zoned.returncode == 2 and "--tz" in zoned.stderr.decode()
    read = tmp_path / "elsewhere.db"
    mastery("courses", "--store", store, "--read-db", str(read), check=True)
    assert read.exists()


def _try_next(out: str) -> list[str]:
    block = out.split("== try next", 1)[1].split("\n\n", 1)[0]
    return [line for line in block.splitlines()[1:] if line.strip()]


def _run_printed(line: str, cwd: Path) -> None:
    words = shlex.split(line, comments=True)
    assert words[0].endswith("mastery"), line
    argv, target = words[1:], None
    if ">" in argv:
        argv, target = argv[: argv.index(">")], argv[argv.index(">") + 1]
    result = mastery(*argv, cwd=cwd)
    assert result.returncode == 0, (line, result.stderr.decode())
    assert result.stdout.strip() or target is None, line
    if target:
        Path(target).write_bytes(result.stdout)


def test_the_demo_ends_with_commands_that_work_as_printed_on_one_district(tmp_path):
    store = tmp_path / "demo" / "mastery.db"
    out = mastery("demo", "--store", str(store), "--events", "1500", check=True).stdout.decode()
    lines = _try_next(out)
    assert len(lines) >= 10 and all(f"--store {store} " in line for line in lines), lines
    assert not any("--account" in line for line in lines)  # one root account: nothing to choose
    accounts = mastery_json("--store", str(store), "accounts")
    assert len(accounts["accounts"]) == 1, accounts
    courses = {c["course"] for c in mastery_json("--store", str(store), "courses")["courses"]}
    used = {shlex.split(line)[shlex.split(line).index("--course") + 1] for line in lines if "--course" in line}
    assert len(used) == 1 and used <= courses
    assert any(" student " in line for line in lines) and any(" explain " in line for line in lines)
    assert any(" erase --user " in line and "--dry-run" in line for line in lines)  # a dry run changes nothing
    for line in lines:
        _run_printed(line, tmp_path)
    assert mastery_json("--store", str(store), "verify")["personal_fields"] == "sealed"
    assert (store.parent / f"course-{used.pop()}.html").exists()


def test_a_demo_store_of_two_districts_gets_commands_that_name_the_account(tmp_path):
    # A folder from an older demo: its stream holds both districts, so its store does too.
    folder = tmp_path / "demo"
    folder.mkdir()
    mastery(
        "generate", "--events", "1500", "--seed", "7", "--output", str(folder / "live-events-1500.jsonl"), check=True
    )
    out = mastery("demo", "--store", str(folder / "mastery.db"), "--events", "1500", check=True).stdout.decode()
    accounts = mastery_json("--store", str(folder / "mastery.db"), "accounts")["accounts"]
    assert len(accounts) == 2
    lines = _try_next(out)
    assert lines and all(" --account " in line for line in lines)
    for line in lines:
        _run_printed(line, tmp_path)
