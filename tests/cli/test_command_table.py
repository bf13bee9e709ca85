"""The command table: `cli.main` lists every command, no command module imports it back, errors become
the DESIGN exit codes inside the group (so click's CliRunner sees what a user sees), the console script
runs the same group, and `demo` runs the commands by name."""

from __future__ import annotations

import ast
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from cli.main import COMMANDS, cli, failure
from cli.main import mastery as mastery_group
from tests.conftest import ROOT, mastery, mastery_json, seed_events, write_jsonl


def test_the_group_has_every_command_of_the_table_and_no_command_module_imports_the_group():
    ctx = click.Context(cli, info_name="mastery")
    assert mastery_group is cli and cli.list_commands(ctx) == sorted(COMMANDS) and len(COMMANDS) == 25
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name, name
    assert cli.get_command(ctx, "no-such-command") is None
    for path in sorted((ROOT / "cli").glob("*.py")):
        if path.name == "main.py":
            continue
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        assert "cli.main" not in imported, f"{path.name} imports cli.main: the table is the only list"


def _run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), prog_name="mastery")


def test_click_runner_sees_the_exit_codes_and_one_line_messages_a_user_sees(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    assert mastery_json(*store, "ingest", str(write_jsonl(tmp_path / "in.jsonl", seed_events())))["appended"] == 10
    ok = _run(*store, "courses", "--json")
    usage = _run(*store, "rollups")
    missing = _run(*store, "outcome", "424242")
    no_folder = _run("--store", str(tmp_path / "no" / "such" / "dir.db"), "courses")
    # A read model damaged by hand: the query's sqlite3.OperationalError reaches the group, which maps it.
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.executescript("DROP TABLE course_accounts; CREATE TABLE course_accounts(x);")
    conn.close()
    damaged = _run(*store, "courses")
    assert [r.exit_code for r in (ok, usage, missing, no_folder, damaged)] == [0, 2, 1, 3, 3]
    assert "Missing option '--course'" in usage.stderr
    for result in (missing, no_folder, damaged):
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr + result.stdout
    assert "424242" in missing.stderr
    assert "the database is busy or unreadable (no such column" in damaged.stderr


def test_an_unexpected_error_is_one_line_naming_its_type_with_exit_code_1():
    error = failure(ValueError("the value was odd"))
    assert (error.exit_code, error.format_message()) == (1, "ValueError: the value was odd")
    assert failure(FileNotFoundError(2, "No such file or directory", "x")).exit_code == 3
    assert failure(sqlite3.OperationalError("database is locked")).exit_code == 3


def test_the_console_script_runs_the_same_group(tmp_path):
    script = Path(sys.executable).with_name("mastery")
    listed = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0
    assert all(f"  {name} " in listed.stdout for name in COMMANDS), listed.stdout
    refused = subprocess.run(
        [str(script), "--store", str(tmp_path / "no" / "dir.db"), "courses"], capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 3 and refused.stderr.startswith("Error: ") and "Traceback" not in refused.stderr


def test_demo_runs_each_command_by_name_and_ends_verified(tmp_path):
    result = mastery("demo", "--store", str(tmp_path / "demo" / "mastery.db"), "--events", "300", check=True)
    out = result.stdout.decode()
    for step in (
        "== mastery courses",
        "== mastery rollups --course",
        "== mastery scale --course",
        "== mastery quarantine list",
        "== mastery verify",
    ):
        assert step in out, step
    assert "hash chain intact" in out and (tmp_path / "demo" / "live-events-300.jsonl").exists()
    assert b"Traceback" not in result.stderr
