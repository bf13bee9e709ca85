"""`mastery ingest` and the quarantine through the real CLI: every item accounted for, nothing lost."""

from __future__ import annotations

import gzip
import json

from tests.conftest import mastery, mastery_json, seed_events


def test_counts_add_up_for_mixed_good_bad_and_ignored_input(tmp_path):
    seeds = seed_events("current")
    lines = [json.dumps(e) for e in seeds[:5]]
    lines += ['{"metadata": {"event_name": "submission_created"}, "body": {}}',  # ignored
              "{not json at all",                                                 # invalid JSON
              "42",                                                               # not an object
              json.dumps({"metadata": {"event_name": "learning_outcome_created"}, "body": {}}),  # missing fields
              json.dumps(seeds[0]),                                               # a duplicate
              "{not json at all"]                                                 # a repeated bad item
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
    assert counts == {
        "read": 4, "appended": 2, "duplicates": 2, "quarantined": 0, "ignored": 0}


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
    from click import Group

    from importlib import import_module

    from cli.main import cli as group_
    import_module("cli.operations"), import_module("cli.queries")

    def walk(group, prefix=()):
        for name, command in group.commands.items():
            yield prefix + (name,), command
            if isinstance(command, Group):
                yield from walk(command, prefix + (name,))

    commands = dict(walk(group_))
    assert {"ingest", "rollups", "student", "courses", "outcome", "tree", "scale", "audit", "verify", "quarantine",
            "export", "generate", "demo", "config", "roster"} <= {p[0] for p in commands}
    for path, command in commands.items():
        assert command.help and command.help.strip(), f"`mastery {' '.join(path)}` has no help"
        result = mastery(*path, "--help")
        assert result.returncode == 0 and b"Usage:" in result.stdout
