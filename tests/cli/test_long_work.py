"""Long work through the real CLI: input that is not Live Events is named loudly and `--strict` fails on it,
files in folders that are not events by name are skipped and reported, and the progress bar on a terminal
shows bytes, percent and time left."""

from __future__ import annotations

import gzip
import json
import os
import pty
import select
import subprocess
import sys

from tests.conftest import ROOT, mastery, mastery_json, seed_events, write_jsonl

CD2_ROWS = [
    {
        "key": {"id": 1},
        "value": {"name": "Algebra", "workflow_state": "active"},
        "meta": {"ts": "2025-01-01T00:00:00Z"},
    },
    {"key": {"id": 2}, "meta": {"ts": "2025-01-02T00:00:00Z", "action": "D"}},  # a deleted row: no value
    {"key": {"id": 3}, "value": {"name": "Geometry"}, "meta": {"ts": "2025-01-03T00:00:00Z", "action": "U"}},
]


def test_a_csv_is_named_as_csv_its_lines_quarantined_and_strict_exits_5(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    csv = tmp_path / "in.csv"
    csv.write_text("user_uuid,name,sis_id\n" + "".join(f"u{i},Student {i},00{i}\n" for i in range(119)))
    ran = mastery(*store, "ingest", str(csv))
    assert ran.returncode == 0  # without --strict, quarantined input is still exit 0 (DESIGN)
    warning = f"WARNING: {csv} looks like CSV, not Canvas Live Events (JSON lines): 120 lines quarantined"
    assert warning in ran.stderr.decode()
    assert len(mastery_json(*store, "quarantine", "list")["items"]) == 120  # nothing vanishes

    strict = mastery(*store, "ingest", str(csv), "--strict", "--json")
    assert strict.returncode == 5, strict.stderr
    report = json.loads(strict.stdout)  # the second time the 120 lines are already in the quarantine
    assert (report["read"], report["duplicates"], report["quarantined"]) == (120, 120, 0)
    assert report["warnings"] == [
        {"source": str(csv), "looks_like": "CSV", "read": 120, "quarantined": 120, "message": warning[9:]}
    ]
    assert "--strict: 120 item(s) of this input could not be used" in strict.stderr.decode()


def test_canvas_data_2_rows_and_json_without_metadata_are_named_apart(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    cd2 = write_jsonl(tmp_path / "courses.jsonl", CD2_ROWS)
    other = write_jsonl(tmp_path / "api.json", [{"id": 7, "title": "Outcome"}, {"id": 8, "title": "Other"}])
    tsv = tmp_path / "export.tsv"
    tsv.write_text("key.id\tvalue.name\tmeta.ts\n1\tAlgebra\t2025-01-01\n")
    ran = mastery(*store, "ingest", str(cd2), str(other), str(tsv), "--json")
    assert ran.returncode == 0
    kinds = {w["source"]: (w["looks_like"], w["quarantined"]) for w in json.loads(ran.stdout)["warnings"]}
    assert kinds == {
        str(cd2): ("Canvas Data 2 rows (key/value/meta)", 3),
        str(other): ("JSON objects without a `metadata` object", 2),
        str(tsv): ("a Canvas Data 2 table exported as CSV/TSV", 2),
    }
    err = ran.stderr.decode()
    assert f"{cd2} looks like Canvas Data 2 rows (key/value/meta), not Canvas Live Events" in err
    assert "Canvas Data 2 is not supported yet" in err


def test_live_events_with_a_few_bad_lines_get_no_warning_and_strict_passes_on_clean_input(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    seeds = seed_events("current")
    damaged = tmp_path / "events.jsonl"  # the first line is bad, but most of the file is Live Events
    damaged.write_text("a,b,c\n" + "".join(json.dumps(e) + "\n" for e in seeds))
    ran = mastery(*store, "ingest", str(damaged), "--strict")
    assert ran.returncode == 5 and "WARNING" not in ran.stderr.decode()
    assert "--strict: 1 item(s)" in ran.stderr.decode()
    clean = write_jsonl(tmp_path / "clean.jsonl", seeds)
    assert mastery("--store", str(tmp_path / "t.db"), "ingest", str(clean), "--strict").returncode == 0


def test_files_in_folders_not_named_like_events_are_skipped_and_reported_a_named_one_is_read(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    seeds = seed_events("current")
    folder = tmp_path / "dump"
    (folder / "sub").mkdir(parents=True)
    write_jsonl(folder / "a.ndjson", seeds[:2])
    write_jsonl(folder / "sub" / "firehose-1-2025-10-01-00-00-00-abc", seeds[2:4])  # no extension: read
    (folder / "b.json.gz").write_bytes(gzip.compress(json.dumps(seeds[4:6]).encode()))
    write_jsonl(folder / "events.2025-10-02", seeds[6:8])  # a date suffix is not an extension: read
    for name in ["readme.txt", "notes.md", "roster.csv", "chart.png", "old.csv.gz"]:
        (folder / name).write_bytes(b"not events\n")
    report = mastery_json(*store, "ingest", str(folder))
    skipped = sorted(str(folder / n) for n in ["chart.png", "notes.md", "old.csv.gz", "readme.txt", "roster.csv"])
    assert sorted(report["skipped"]) == skipped
    assert (report["read"], report["appended"], report["quarantined"]) == (8, 8, 0)
    assert "warnings" not in report

    text = mastery(*store, "ingest", str(folder))
    assert "skipped 5 file(s) in folders, not named like events" in text.stderr.decode()
    assert str(folder / "readme.txt") in text.stderr.decode()

    named = mastery_json(*store, "ingest", str(folder / "readme.txt"))  # named explicitly: always read
    assert (named["read"], named["quarantined"]) == (1, 1) and "skipped" not in named


def run_on_a_terminal(*args: str) -> tuple[int, str]:
    """Run the real `mastery` with stderr on a pseudo-terminal; its exit code and what the terminal got."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASTERY_")} | {"COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the terminal closed with the process
                    break
                if not data:
                    break
                seen += data
            elif process.poll() is not None:
                break
    finally:
        os.close(leader)
        process.wait(timeout=120)
    return process.returncode, seen.decode(errors="replace")


def test_progress_on_a_terminal_shows_bytes_of_the_total_percent_and_time_left_for_gzip_by_compressed_bytes(tmp_path):
    source = tmp_path / "in.jsonl"
    assert mastery("generate", "--events", "3000", "-o", str(source)).returncode == 0
    packed = tmp_path / "in.jsonl.gz"
    packed.write_bytes(gzip.compress(source.read_bytes()))
    code, terminal = run_on_a_terminal("--store", str(tmp_path / "s.db"), "ingest", str(packed))
    assert code == 0, terminal
    compressed_kb = f"/{packed.stat().st_size / 1000:.1f} kB"  # rich's decimal units, of the gzip file's size
    assert compressed_kb in terminal, terminal[-800:]
    assert "%" in terminal and "left" in terminal and "events" in terminal


def test_no_progress_when_stderr_is_not_a_terminal_or_with_json(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", seed_events("current"))
    ran = mastery("--store", str(tmp_path / "s.db"), "ingest", str(source))
    assert "ingesting" not in ran.stderr.decode() and "%" not in ran.stderr.decode()
    code, terminal = run_on_a_terminal("--store", str(tmp_path / "t.db"), "ingest", str(source), "--json")
    assert code == 0 and "ingesting" not in terminal
