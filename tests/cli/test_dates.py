"""Dates a person types: `20251001` means what `2025-10-01` means (the end of that day), a future cut
says so, `config set tz` sets the zone of times given without an offset (`--tz` still wins), and
`config set --dry-run` says what a rules change would move."""

from __future__ import annotations

from tests import builders as b
from tests.conftest import mastery, mastery_json, write_jsonl

STUDENT = "dateStudent00000000000000000000000000000"


def store_with_results(tmp_path) -> tuple[str, ...]:
    store = ("--store", str(tmp_path / "s.db"))
    events = [
        b.outcome("1"),
        b.result("1", STUDENT, 2, day=30),  # 2025-10-01T10:00Z
        b.result("1", STUDENT, 5, day=30.6),  # 2025-10-02T00:24Z: the next day in UTC, still Oct 1 in Chicago
    ]
    mastery(*store, "ingest", str(write_jsonl(tmp_path / "a.jsonl", events)), check=True)
    return store


def score(answer: dict) -> float | None:
    return next((s["score"] for r in answer["rollups"] for s in r["scores"]), None)


def test_a_basic_date_is_the_end_of_that_day_like_an_extended_one(tmp_path):
    store = store_with_results(tmp_path)
    extended = mastery_json(*store, "rollups", "--course", "5", "--as-of", "2025-10-01")
    basic = mastery_json(*store, "rollups", "--course", "5", "--as-of", "20251001")
    assert basic == extended and score(basic) == 2, "the day's result counts, the next day's does not"
    assert basic["meta"]["as_of"].startswith("2025-10-01T23:59:59")
    wrong = mastery(*store, "rollups", "--course", "5", "--as-of", "2025-13-01")
    assert wrong.returncode == 2 and b"--as-of" in wrong.stderr


def test_a_future_cut_says_it_is_the_state_now(tmp_path):
    store = store_with_results(tmp_path)
    ran = mastery(*store, "rollups", "--course", "5", "--as-of", "2999-01-01", "--json")
    assert ran.returncode == 0 and b"--as-of 2999-01-01 is in the future" in ran.stderr
    past = mastery(*store, "rollups", "--course", "5", "--as-of", "2025-10-01", "--json")
    assert b"future" not in past.stderr


def test_config_set_tz_reads_times_without_an_offset_in_that_zone(tmp_path):
    store = store_with_results(tmp_path)
    # 2025-10-01 in Chicago ends at 2025-10-02T04:59:59Z: the second result (00:24Z on the 2nd) counts.
    assert score(mastery_json(*store, "rollups", "--course", "5", "--as-of", "2025-10-01")) == 2
    assert mastery_json(*store, "config", "set", "tz", "America/Chicago") == {"tz": "America/Chicago"}
    chicago = mastery_json(*store, "rollups", "--course", "5", "--as-of", "2025-10-01")
    assert score(chicago) == 5 and chicago["meta"]["as_of"].startswith("2025-10-02T04:59:59")
    utc = mastery_json(*store, "--tz", "UTC", "rollups", "--course", "5", "--as-of", "2025-10-01")
    assert score(utc) == 2, "--tz wins over the setting"
    assert mastery_json(*store, "config", "show")["tz"] == "America/Chicago"
    bad = mastery(*store, "config", "set", "tz", "Mars/Olympus")
    assert bad.returncode == 2 and b"not a time zone" in bad.stderr


def test_config_set_dry_run_says_what_would_move_and_changes_nothing(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    events = [  # a root-level scale (auto: scale mode) of 4 points; the outcome's own criterion has 5
        b.outcome("1", method="highest"),
        b.scale("7", "Account", "1", 0, [4, 3, 0], 3),
        b.result("1", STUDENT, 5, day=1, possible=5),
    ]
    mastery(*store, "ingest", str(write_jsonl(tmp_path / "a.jsonl", events)), check=True)
    before = mastery_json(*store, "rollups", "--course", "5")
    tried = mastery_json(*store, "config", "set", "mode", "outcome", "--dry-run")
    assert mastery_json(*store, "rollups", "--course", "5") == before, "a dry run changes nothing"
    assert mastery_json(*store, "config", "show")["mode"] == "auto"
    assert tried["changed"] == 1, tried
    done = mastery_json(*store, "config", "set", "mode", "outcome")
    assert done == tried, "the dry run told exactly what the real change then did"
    shown = mastery(*store, "config", "set", "mode", "scale", "--dry-run").stdout.decode()
    assert "dry run, nothing changed" in shown
    refused = mastery(*store, "config", "set", "tz", "UTC", "--dry-run")
    assert refused.returncode == 2 and b"moves no score" in refused.stderr
