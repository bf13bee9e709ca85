"""Named snapshots for report cards: `snapshot create` pins as-of and known-at, `--snapshot NAME` gives
the same numbers after later (and late) deliveries, names are never reused, mistakes are clear."""

from __future__ import annotations

import time

from tests import builders as b
from tests.conftest import mastery, mastery_json, write_jsonl

STUDENT = "snapStudent00000000000000000000000000000"


def score_of(answer: dict) -> float:
    return next(s["score"] for r in answer["rollups"] for s in r["scores"])


def test_a_snapshot_keeps_its_numbers_when_late_results_arrive(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    first = write_jsonl(tmp_path / "a.jsonl", [b.outcome("1"), b.result("1", STUDENT, 2, day=1)])
    mastery(*store, "ingest", str(first), check=True)
    made = mastery_json(*store, "snapshot", "create", "Q1 report cards", "--as-of", b.at(10), "--note", "term 1")
    assert made["name"] == "Q1 report cards" and made["as_of"].startswith(b.at(10)[:19])
    assert made["known_at"] == made["created_at"], "known at defaults to the moment it was made"

    time.sleep(0.01)
    late = write_jsonl(tmp_path / "b.jsonl", [b.result("1", STUDENT, 5, day=5)])  # inside Q1, delivered later
    mastery(*store, "ingest", str(late), check=True)
    cut = ("rollups", "--course", "5")
    assert score_of(mastery_json(*store, *cut, "--as-of", b.at(10))) == 5, "what we know now of day 10"
    assert score_of(mastery_json(*store, *cut, "--snapshot", "Q1 report cards")) == 2, "what Q1 showed"
    assert score_of(mastery_json(*store, *cut, "--as-of", made["as_of"], "--known-at", made["known_at"])) == 2

    listed = mastery_json(*store, "snapshot", "list")["snapshots"]
    assert [(s["name"], s["note"]) for s in listed] == [("Q1 report cards", "term 1")]
    assert mastery_json(*store, "snapshot", "show", "Q1  report cards") == made, "spaces are folded"


def test_a_name_is_never_reused_and_mistakes_say_what_to_do(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    mastery(*store, "ingest", str(write_jsonl(tmp_path / "a.jsonl", [b.outcome("1")])), check=True)
    assert mastery(*store, "snapshot", "create", "Q1", "--as-of", b.at(1)).returncode == 0
    again = mastery(*store, "snapshot", "create", "Q1", "--as-of", b.at(2))
    assert again.returncode == 1 and b"snapshot 'Q1' exists" in again.stderr and b"never changed" in again.stderr
    assert mastery_json(*store, "snapshot", "show", "Q1")["as_of"].startswith(b.at(1)[:19]), "not overwritten"

    unknown = mastery(*store, "rollups", "--course", "5", "--snapshot", "Q9")
    assert unknown.returncode == 1 and b"no snapshot 'Q9'; there are: 'Q1'" in unknown.stderr
    both = mastery(*store, "rollups", "--course", "5", "--snapshot", "Q1", "--as-of", b.at(1))
    assert both.returncode == 2 and b"without --as-of" in both.stderr
    future = mastery(*store, "snapshot", "create", "Q2", "--known-at", "2999-01-01")
    assert future.returncode == 1 and b"in the future" in future.stderr
    assert mastery(*store, "snapshot", "create", "  ").returncode == 1


def test_every_command_that_takes_as_of_takes_a_snapshot(tmp_path):
    from click.testing import CliRunner

    from cli.main import COMMANDS, cli

    taking = []
    for name in COMMANDS:
        shown = CliRunner().invoke(cli, [name, "--help"]).output
        if "--as-of" in shown and "snapshot" != name:
            taking.append((name, "--snapshot" in shown))
    assert taking and all(has for _, has in taking), taking
