"""`mastery ingest` and the quarantine through the real CLI: every item accounted for, nothing lost."""

from __future__ import annotations

import gzip
import json
import sqlite3

from tests.conftest import mastery, mastery_json, seed_events, write_jsonl


def test_counts_add_up_for_mixed_good_bad_and_ignored_input(tmp_path):
    seeds = seed_events("current")
    lines = [json.dumps(e) for e in seeds[:5]]
    lines += [
        '{"metadata": {"event_name": "submission_created"}, "body": {}}',  # ignored
        "{not json at all",  # invalid JSON
        "42",  # not an object
        json.dumps({"metadata": {"event_name": "learning_outcome_created"}, "body": {}}),  # missing fields
        json.dumps(seeds[0]),  # a duplicate
        "{not json at all",
    ]  # a repeated bad item
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    counts = mastery_json("--store", str(tmp_path / "s.db"), "ingest", str(path))
    assert counts.pop("head").startswith("5:")  # the new head, POSITION:HASH, for `verify --head`
    assert counts == {"read": 11, "appended": 5, "duplicates": 2, "quarantined": 3, "ignored": 1}


def test_quarantined_items_can_be_listed_shown_and_retried(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    good = seed_events("current")[0]
    broken = dict(good, metadata={k: v for k, v in good["metadata"].items() if k != "root_account_uuid"})
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(broken) + "\n" + '{"url": "https://h/?access_token=TOPSECRET"\n')
    mastery_json(*store, "ingest", str(path))
    items = mastery_json(*store, "quarantine", "list")["items"]
    assert [(i["source"], i["line"], i["status"]) for i in items] == [(str(path), 1, "open"), (str(path), 2, "open")]
    assert "root_account_uuid" in items[0]["reason"] and "required" in items[0]["reason"]
    shown = mastery_json(*store, "quarantine", "show", str(items[1]["id"]))
    assert "TOPSECRET" not in shown["raw_text"] and "[REDACTED]" in shown["raw_text"]
    report = mastery_json(*store, "quarantine", "retry")
    assert report["retried"] == 2 and report["appended"] == 0 and len(report["still_bad"]) == 2
    assert mastery(*store, "quarantine", "show", "999").returncode == 1


def test_gzip_files_folders_and_stdin_are_read(tmp_path):
    seeds = seed_events("current")
    folder = tmp_path / "dump"
    (folder / "sub").mkdir(parents=True)
    with gzip.open(folder / "sub" / "a.jsonl.gz", "wt") as handle:
        handle.write("".join(json.dumps(e) + "\n" for e in seeds[:4]))
    (folder / "b.json").write_text(json.dumps(seeds[4:8], indent=2))
    store = ("--store", str(tmp_path / "s.db"))
    assert mastery_json(*store, "ingest", str(folder))["appended"] == 8
    stdin = "".join(json.dumps(e, indent=2) + "\n" for e in seeds[6:]).encode()
    counts = mastery_json(*store, "ingest", "-", input=stdin)
    assert counts.pop("head").startswith("10:")
    assert counts == {"read": 4, "appended": 2, "duplicates": 2, "quarantined": 0, "ignored": 0}


def test_a_missing_file_is_an_input_output_error_without_traceback(tmp_path):
    result = mastery("--store", str(tmp_path / "s.db"), "ingest", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 3
    assert b"nope.jsonl" in result.stderr and b"Traceback" not in result.stderr


def test_exit_codes_follow_the_contract(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in seed_events("current")))
    assert mastery(*store, "ingest", str(path)).returncode == 0
    missing = mastery(*store, "outcome", "424242")
    assert missing.returncode == 1 and b"424242" in missing.stderr
    assert mastery(*store, "rollups").returncode == 2  # --course is required
    assert mastery(*store, "rollups", "--course", "1", "--as-of", "someday").returncode == 2
    assert mastery("--store", str(tmp_path / "no" / "such" / "dir.db"), "courses").returncode == 3
    for result in (missing,):
        assert b"Traceback" not in result.stderr


def test_every_command_has_help():
    """Walks the group's command table (no module imported by hand): each command and subcommand has a
    summary and a --help that exits 0."""
    import click

    from cli.main import COMMANDS
    from cli.main import cli as group_

    def walk(group, ctx, prefix=()):
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, f"`mastery {' '.join(prefix + (name,))}` is listed but not found"
            yield prefix + (name,), command
            if isinstance(command, click.Group):
                yield from walk(command, click.Context(command, parent=ctx, info_name=name), prefix + (name,))

    commands = dict(walk(group_, click.Context(group_, info_name="mastery")))
    assert {p[0] for p in commands} == set(COMMANDS)
    assert {
        "ingest",
        "rollups",
        "student",
        "courses",
        "outcome",
        "tree",
        "scale",
        "audit",
        "verify",
        "quarantine",
        "export",
        "generate",
        "demo",
        "config",
        "roster",
        "explain",
        "rebuild",
        "what-if",
        "problems",
        "serve",
        "report",
    } <= set(COMMANDS)
    for path, command in commands.items():
        assert command.help and command.help.strip(), f"`mastery {' '.join(path)}` has no help"
        assert command.get_short_help_str().strip(), f"`mastery {' '.join(path)}` has no summary"
        result = mastery(*path, "--help")
        assert result.returncode == 0 and b"Usage:" in result.stdout, path
    assert len(commands) > len(COMMANDS)  # the subcommands were walked too


def test_quarantine_list_says_when_it_is_cut_and_pages_with_limit_and_offset(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(f"{{broken {n}\n" for n in range(1005)))
    assert mastery_json(*store, "ingest", str(path))["quarantined"] == 1005
    first = mastery(*store, "quarantine", "list", "--json", check=True)
    listed = json.loads(first.stdout)
    assert (len(listed["items"]), listed["total"]) == (1000, 1005)
    assert "showing 1000 of 1005 from offset 0; use --limit N --offset M" in first.stderr.decode()
    rest = mastery_json(*store, "quarantine", "list", "--limit", "10", "--offset", "1000")
    assert [i["line"] for i in rest["items"]] == [1001, 1002, 1003, 1004, 1005]
    everything = mastery(*store, "quarantine", "list", "--limit", "0", "--json", check=True)
    assert len(json.loads(everything.stdout)["items"]) == 1005 and b"showing" not in everything.stderr


def test_quarantine_retry_reaches_every_open_item_page_after_page(tmp_path):
    from sources import read_sources
    from store import quarantine
    from store.application import open_store
    from store.ingest import ingest

    good = [json.dumps(e) for e in seed_events("current")]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(f"{{broken {n}\n" for n in range(20)) + "".join(g[:-1] + "\n" for g in good))
    store = open_store(str(tmp_path / "s.db"))
    try:
        assert ingest(store, read_sources([str(path)])).quarantined == 20 + len(good)
        for n, line in enumerate(good, 21):  # the cut lines are mended, as an operator would
            store.query("UPDATE quarantine SET raw_text = ? WHERE line = ?", [line, n], commit=True)
        report = quarantine.retry(store, page=7)
        assert (report["retried"], report["appended"], len(report["still_bad"])) == (20 + len(good), len(good), 20)
        assert quarantine.count(store, "open") == 20 and quarantine.count(store, "retried") == len(good)
    finally:
        store.close()


def test_quarantine_items_are_listed_whole_or_by_page_on_both_stores(tmp_path, store_url):
    from sources import read_sources
    from store import quarantine
    from store.application import open_store
    from store.ingest import ingest

    path = tmp_path / "bad.jsonl"
    path.write_text("".join(f"{{broken {n}\n" for n in range(12)))
    store = open_store(store_url)
    try:
        ingest(store, read_sources([str(path)]))
        assert [i["line"] for i in quarantine.list_items(store, offset=9)] == [10, 11, 12]
        assert [i["line"] for i in quarantine.list_items(store, limit=2, offset=3)] == [4, 5]
        assert len(quarantine.list_items(store)) == quarantine.count(store) == 12
    finally:
        store.close()


def test_a_store_of_many_root_accounts_asks_for_one_naming_the_count_a_few_and_how_to_choose(tmp_path):
    from tests import builders as b

    roots = [f"Tenant{n:02d}" + "x" * 32 for n in range(7)]
    events = []
    for n, root in enumerate(roots):
        event = b.outcome(str(200 + n))
        event["metadata"]["root_account_uuid"] = root
        events.append(event)
    store = ("--store", str(tmp_path / "s.db"))
    mastery_json(*store, "ingest", str(write_jsonl(tmp_path / "in.jsonl", events)))
    result = mastery(*store, "courses")
    message = result.stderr.decode()
    assert result.returncode == 1 and len(message.strip().splitlines()) == 1
    assert "holds 7 root accounts" in message and "--account" in message and "MASTERY_ACCOUNT" in message
    assert [root in message for root in roots] == [True] * 5 + [False] * 2 and "and 2 more" in message
    wrong = mastery(*store, "--account", "nobody", "courses").stderr.decode()
    assert "'nobody' is not in the store" in wrong and roots[0] in wrong and roots[6] not in wrong


def roster_error(tmp_path, content: bytes) -> str:
    """Import a roster file into a store holding the seeds; assert it is refused in one line; the message."""
    store = ("--store", str(tmp_path / "s.db"))
    events = tmp_path / "in.jsonl"
    if not events.exists():
        write_jsonl(events, seed_events("current"))
        mastery_json(*store, "ingest", str(events))
    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    result = mastery(*store, "roster", "import", str(path))
    message = result.stderr.decode()
    assert result.returncode == 1 and len(message.strip().splitlines()) == 1, message
    assert message.startswith(f"Error: {path} line ") and "Traceback" not in message
    return message.strip()


def test_roster_import_errors_name_the_file_the_line_and_what_is_wrong_in_one_line(tmp_path):
    head = b"user_uuid,name,sis_id\n"
    not_utf8 = roster_error(tmp_path, head + b"u1,Ana,S1\nu2,Jos\xe9,S2\n")
    assert "line 3: not UTF-8 text (byte 0xe9)" in not_utf8 and "UnicodeDecodeError" not in not_utf8
    no_id = roster_error(tmp_path, head + b"u1,Ana,S1\nu2,Bo,S2\n ,Cy,S3\n")
    assert "line 4: field user_uuid: String should have at least 1 character" in no_id
    commas = roster_error(tmp_path, head + b"u1,Ortiz, Ana,S1\n")
    assert "line 2: 4 fields but the header has 3 (a name with a comma must be in double quotes)" in commas
    huge = roster_error(tmp_path, head + b"u1,Ana,S1\nu2," + b"n" * 200_000 + b",S2\n")
    assert "line 3: not readable CSV (field larger than field limit" in huge
    header = roster_error(tmp_path, b"id,name\nu1,Ana\n")
    assert "line 1: the header must name user_uuid" in header and "found id, name" in header
    conn = sqlite3.connect(tmp_path / "s.db")
    try:  # a refused file imports nothing, not even its good rows
        assert conn.execute("SELECT COUNT(*) FROM roster").fetchone() == (0,)
    finally:
        conn.close()
