"""The UX review's mistakes table (../shared/reviews/ux.md §3), rerun (issue 14): each row it tried is a
case here, the command as a newcomer types it, the exit code it must give and the part of the message
that says what to do instead. Run through the CLI in process on real stores built from a generated
stream of two districts (root accounts), as `make demo`'s generator makes them.

Rows the table holds that are processes and terminals rather than one command are proven where that
machinery is: a read-only filesystem (tests/reliability/test_store_marks.py, a real read-only bind
mount), a query behind a busy writer (tests/cli/test_busy_notice.py), Ctrl-C and progress
(tests/cli/test_long_work.py), two ingests at once (tests/integration)."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import mastery, mastery_json

RIVERBEND = "LRjv092ThysfZbWWcmO3jtKbSnCt0IoIKer7WIQ4"  # the generator's first district (seed 7)
TOKEN = {"MASTERY_INGEST_TOKEN": "i" * 32}
BAD_DATES = ["2025-13-01", "yesterday", "10/01/2025", "Oct 1 2025", "2025-10", ""]


@dataclass(frozen=True)
class Row:
    """One mistake: argv (with {placeholders} of the world), the exit code and a message fragment."""

    name: str
    argv: tuple[str, ...]
    exit: int
    says: str
    account: bool = True  # run with MASTERY_ACCOUNT set to the first district
    writes: bool = False  # run on a copy of the store
    first: tuple[tuple[str, ...], ...] = ()  # commands run before (on the same store)
    env: dict[str, str] = field(default_factory=dict)
    cwd_empty: bool = False


ROWS = [
    Row(
        "no --store, from a folder without one", ("courses",), 3, "no store at mastery.db (give --store", cwd_empty=True
    ),
    Row("--store typo", ("--store", "{tmp}/missing.db", "courses"), 3, "missing.db (give --store or MASTERY_STORE"),
    Row("--store in a missing folder", ("--store", "{tmp}/nodir/m.db", "courses"), 3, "the folder of store"),
    Row("--store a text file", ("--store", "{tmp}/notes.txt", "courses"), 3, "notes.txt is not a SQLite database"),
    Row("--store someone else's SQLite file", ("--store", "{tmp}/other.db", "courses"), 3, "it was left as it was"),
    Row("--store a directory", ("--store", "{tmp}", "courses"), 3, "is a folder, not a store file"),
    Row("--store after the command", ("courses", "--store", "{store}"), 0, "MATH-101"),
    Row(
        "two root accounts, no --account",
        ("--store", "{store}", "courses"),
        1,
        f"{RIVERBEND} (riverbend.instructure.com)",
        account=False,
    ),
    Row(
        "wrong course", ("--store", "{store}", "rollups", "--course", "9999"), 1, "`mastery courses` lists the courses"
    ),
    Row(
        "unknown --outcome",
        ("--store", "{store}", "rollups", "--course", "500", "--outcome", "77777"),
        1,
        "course 500 has no outcome 77777; its outcomes: ",
    ),
    Row("outcome 77777", ("--store", "{store}", "outcome", "77777"), 1, "outcome 77777 has no events"),
    Row("audit of an unknown outcome", ("--store", "{store}", "audit", "outcome", "99999"), 1, "no events for outcome"),
    Row(
        "explain an outcome without results",
        ("--store", "{store}", "explain", "{uuid}", "--course", "500", "--outcome", "{other_outcome}"),
        1,
        "has no results for outcome {other_outcome} in course 500",
    ),
    Row("student by bare SIS id", ("--store", "{store}", "student", "{sis}"), 1, "did you mean sis_user_id:{sis}"),
    Row("student by name", ("--store", "{store}", "student", "{name}"), 0, "{uuid}"),
    Row("student by a shortened uuid", ("--store", "{store}", "student", "{prefix}"), 0, "{uuid}"),
    Row("student nobody is", ("--store", "{store}", "student", "S999999"), 1, "give a Canvas user id, sis_user_id:X"),
    *(
        Row(
            f"--as-of {text!r}",
            ("--store", "{store}", "rollups", "--course", "500", "--as-of", text),
            2,
            "is not a date or time (e.g. 2019-12-01",
        )
        for text in BAD_DATES
    ),
    Row(
        "--as-of without dashes",
        ("--store", "{store}", "rollups", "--course", "500", "--as-of", "20251001"),
        0,
        "as of 2025-10-01T23:59:59.999Z",
    ),
    Row(
        "--as-of in the future",
        ("--store", "{store}", "rollups", "--course", "500", "--as-of", "2030-01-01"),
        0,
        "is in the future; nothing is known beyond now",
    ),
    Row(
        "--as-of before any data",
        ("--store", "{store}", "rollups", "--course", "500", "--as-of", "1999-01-01"),
        1,
        "at that time",
    ),
    Row(
        "--tz unknown",
        ("--store", "{store}", "--tz", "Mars/Olympus", "rollups", "--course", "500", "--as-of", "2025-10-01"),
        2,
        "unknown time zone 'Mars/Olympus'",
    ),
    Row(
        "--tz unknown, no time parsed",
        ("--store", "{store}", "courses", "--tz", "Mars/Olympus"),
        2,
        "unknown time zone 'Mars/Olympus'",
    ),
    Row("audit with nothing", ("--store", "{store}", "audit"), 2, "give KIND ID"),
    Row("audit --since alone", ("--store", "{store}", "audit", "--since", "2025-11-01"), 2, "or --actor WHO"),
    Row(
        "audit --actor typo",
        ("--store", "{store}", "audit", "--actor", "admn3@riverbend.example.org"),
        1,
        "did you mean admin3@riverbend.example.org",
    ),
    Row(
        "audit --actor nobody like anyone",
        ("--store", "{store}", "audit", "--actor", "nobody@x.org"),
        1,
        "(the most frequent logins: ",
    ),
    Row(
        "audit --actor known, nothing in the window",
        ("--store", "{store}", "audit", "--actor", "admin3@riverbend.example.org", "--since", "2030-01-01"),
        0,
        "0 event(s)",
    ),
    Row("what-if without a method", ("--store", "{store}", "what-if", "--course", "500"), 2, "give --method"),
    Row(
        "what-if --method Latest",
        ("--store", "{store}", "what-if", "--course", "500", "--method", "Latest"),
        2,
        "is not one of 'highest'",
    ),
    Row(
        "what-if --scale bad.json",
        ("--store", "{store}", "what-if", "--course", "500", "--scale", "{tmp}/bad.json"),
        1,
        "expected a list of ratings with points",
    ),
    Row("config set mode banana", ("--store", "{store}", "config", "set", "mode", "banana"), 2, "mode takes one of"),
    Row("config set colour", ("--store", "{store}", "config", "set", "colour", "red"), 2, "'colour' is not one of"),
    Row(
        "config set mode outcome",
        ("--store", "{store}", "config", "set", "mode", "outcome"),
        0,
        "row(s) changed",
        writes=True,
    ),
    Row("quarantine show 99", ("--store", "{store}", "quarantine", "show", "99"), 1, "`mastery quarantine list --all`"),
    Row(
        "roster import with Canvas provisioning headers",
        ("--store", "{store}", "roster", "import", "{tmp}/provisioning.csv"),
        1,
        "found canvas_user_id, user_id, login_id",
        writes=True,
    ),
    Row(
        "roster import semicolon-separated",
        ("--store", "{store}", "roster", "import", "{tmp}/semicolon.csv"),
        0,
        "2 of 2 uuid(s) match a student in the store",
        writes=True,
    ),
    Row(
        "roster import tab-separated",
        ("--store", "{store}", "roster", "import", "{tmp}/tab.tsv"),
        0,
        "2 of 2 uuid(s) match a student in the store",
        writes=True,
    ),
    Row(
        "roster import of uuids the store does not know",
        ("--store", "{store}", "roster", "import", "{tmp}/strangers.csv"),
        0,
        "0 of 2 uuid(s) match a student in the store",
        writes=True,
    ),
    Row(
        "roster import with a duplicated uuid",
        ("--store", "{store}", "roster", "import", "{tmp}/twice.csv"),
        0,
        "WARNING: {tmp}/twice.csv: user_uuid {uuid} is on lines 2, 3; the last one (line 3) wins",
        writes=True,
    ),
    Row(
        "roster import with a BOM, CRLF and a quoted comma",
        ("--store", "{store}", "roster", "import", "{tmp}/excel.csv"),
        0,
        "1 of 1 uuid(s) match a student in the store",
        writes=True,
    ),
    Row("roster list, nothing imported", ("--store", "{store}", "roster", "list"), 0, "the roster is empty"),
    Row(
        "roster list",
        ("--store", "{store}", "roster", "list"),
        0,
        "{uuid}  Nguyen, Ava  sis 00123  events name them: {name}  results: yes",
        writes=True,
        first=(("roster", "import", "{tmp}/excel.csv"),),
    ),
    Row("ingest a missing file", ("--store", "{tmp}/new.db", "ingest", "{tmp}/nope.jsonl"), 3, "no such file"),
    Row(
        "ingest a CSV",
        ("--store", "{tmp}/new.db", "ingest", "{tmp}/strangers.csv"),
        0,
        "looks like CSV, not Canvas Live Events",
        writes=True,
    ),
    Row(
        "ingest a CSV --strict",
        ("--store", "{tmp}/new.db", "ingest", "--strict", "{tmp}/strangers.csv"),
        5,
        "looks like CSV",
        writes=True,
    ),
    Row(
        "ingest a Canvas Data 2 row",
        ("--store", "{tmp}/new.db", "ingest", "{tmp}/cd2.jsonl"),
        0,
        "Canvas Data 2 is not supported yet",
        writes=True,
    ),
    Row(
        "ingest a folder with a readme",
        ("--store", "{tmp}/new.db", "ingest", "{tmp}/drop"),
        0,
        "skipped 1 file(s) in folders, not named like events",
        writes=True,
    ),
    Row("serve with no token", ("--store", "{store}", "serve"), 2, "nobody could deliver events"),
    Row(
        "serve on all addresses without a read token",
        ("--store", "{store}", "serve", "--host", "0.0.0.0"),
        2,
        "set MASTERY_READ_TOKEN so that reads need it",
        env=TOKEN,
    ),
    Row(
        "serve on a busy port",
        ("--store", "{store}", "serve", "--port", "{busy_port}"),
        3,
        "address 127.0.0.1:{busy_port} is in use",
        env=TOKEN,
    ),
    Row("serve with a missing store", ("--store", "{tmp}/missing.db", "serve"), 3, "no store at", env=TOKEN),
    Row("erase with no one named", ("--store", "{store}", "erase"), 2, "give --user ID or --staff LOGIN"),
    Row("erase an unknown student", ("--store", "{store}", "erase", "--user", "99999999"), 1, "no student '99999999'"),
    Row(
        "erase the same student twice",
        ("--store", "{store}", "erase", "--user", "{uuid}"),
        0,
        "already erased",
        writes=True,
        first=(("erase", "--user", "{uuid}"),),
    ),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A two-district store from the generator, a student of course 500 (uuid, name, SIS id), an outcome of
    another course, and the files a newcomer gets wrong."""
    tmp = tmp_path_factory.mktemp("world")
    stream, store = tmp / "live.jsonl", tmp / "store.db"
    mastery("generate", "--events", "3000", "--seed", "7", "--output", str(stream), check=True)
    mastery("--store", str(store), "ingest", str(stream), check=True)
    account = {"MASTERY_ACCOUNT": RIVERBEND}
    grid = mastery_json("--store", str(store), "rollups", "--course", "500", env=account)
    student = next(u for u in grid["linked"]["users"] if u["sis_user_id"] and u["name"])
    mine = {s["links"]["outcome"] for r in grid["rollups"] for s in r["scores"]}
    other = mastery_json("--store", str(store), "rollups", "--course", "501", env=account)
    other_outcome = next(
        s["links"]["outcome"] for r in other["rollups"] for s in r["scores"] if s["links"]["outcome"] not in mine
    )
    second = next(u for u in grid["linked"]["users"] if u["uuid"] != student["uuid"])
    uuid = student["uuid"]
    (tmp / "notes.txt").write_text("meeting notes\n")
    foreign = sqlite3.connect(tmp / "other.db")
    foreign.execute("CREATE TABLE grades (x)")
    foreign.commit()
    foreign.close()
    (tmp / "bad.json").write_text('{"a": 1}')
    (tmp / "provisioning.csv").write_text("canvas_user_id,user_id,login_id,full_name,sortable_name\n1,2,3,4,5\n")
    (tmp / "semicolon.csv").write_text(f"user_uuid;name;sis_id\n{uuid};Ana, M.;001\n{second['uuid']};Bo;002\n")
    (tmp / "tab.tsv").write_text(f"user_uuid\tname\tsis_id\n{uuid}\tAna\t001\n{second['uuid']}\tBo\t002\n")
    (tmp / "strangers.csv").write_text("user_uuid,name,sis_id\nnobody1,Ana,001\nnobody2,Bo,002\n")
    (tmp / "twice.csv").write_text(f"user_uuid,name,sis_id\n{uuid},Ana,001\n{uuid},Ana B.,001\n")
    (tmp / "excel.csv").write_bytes(f'\ufeffuser_uuid,name,sis_id\r\n{uuid},"Nguyen, Ava",00123\r\n'.encode())
    (tmp / "cd2.jsonl").write_text('{"key": {"id": 1}, "value": {"x": 1}, "meta": {"ts": "2025-10-01"}}\n')
    (tmp / "drop").mkdir()
    shutil.copy(stream, tmp / "drop" / "a.jsonl")
    (tmp / "drop" / "readme.txt").write_text("events land here\n")
    return {
        "tmp": str(tmp),
        "store": str(store),
        "uuid": uuid,
        "prefix": uuid[:12],
        "name": student["name"],
        "sis": student["sis_user_id"],
        "other_outcome": other_outcome,
    }


def _copy_of(world: dict[str, str], into: Path) -> dict[str, str]:
    """The world with its own store (every file of it: the store, its read model and head witness) and
    its own copies of the files (an ingest or import must not change what another case sees)."""
    shutil.copytree(world["tmp"], into, dirs_exist_ok=True)
    return {**world, "tmp": str(into), "store": str(into / Path(world["store"]).name)}


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_each_mistake_of_the_review_gives_its_exit_code_and_a_message_that_says_what_to_do(
    row: Row, world: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("serve got as far as listening"))
    values = _copy_of(world, tmp_path / "copy") if row.writes else dict(world)
    env = {"MASTERY_ACCOUNT": RIVERBEND} if row.account else {}
    env.update(row.env)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        values["busy_port"] = str(busy.getsockname()[1])
        for step in row.first:
            mastery("--store", values["store"], *(a.format(**values) for a in step), env=env, check=True)
        empty = tmp_path / "empty"
        empty.mkdir()
        result = mastery(*(a.format(**values) for a in row.argv), env=env, cwd=empty if row.cwd_empty else None)
    said = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == row.exit, said
    assert " ".join(row.says.format(**values).split()) in " ".join(said.split()), said
    if row.cwd_empty:
        assert list(empty.iterdir()) == []  # a read made no store where the user stood


def test_roster_list_json_says_who_the_events_also_name_and_the_last_duplicate_wins(world, tmp_path):
    values = _copy_of(world, tmp_path / "copy")
    store = ("--store", values["store"])
    env = {"MASTERY_ACCOUNT": RIVERBEND}
    mastery(*store, "roster", "import", f"{values['tmp']}/twice.csv", env=env, check=True)
    mastery(*store, "roster", "import", f"{values['tmp']}/strangers.csv", env=env, check=True)
    listed = mastery_json(*store, "roster", "list", env=env)
    by_uuid = {e["user_uuid"]: e for e in listed["roster"]}
    assert listed["total"] == 3 == len(by_uuid)
    assert by_uuid[values["uuid"]] == {
        "user_uuid": values["uuid"],
        "name": "Ana B.",  # the later of the two rows
        "sis_id": "001",
        "events_name": values["name"],
        "events_sis_id": values["sis"],
        "named_by_events": True,
        "has_results": True,
    }
    assert {k: by_uuid["nobody1"][k] for k in ("named_by_events", "has_results", "events_name")} == {
        "named_by_events": False,
        "has_results": False,
        "events_name": None,
    }
    assert [e["name"] for e in listed["roster"]] == ["Ana", "Ana B.", "Bo"]  # Canvas order: sortable name
    assert json.loads(mastery(*store, "roster", "list", "--json", env=env).stdout) == listed
