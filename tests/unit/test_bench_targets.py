"""bench/targets.py: each issue-16 target is judged against its own figure, the ingest ratio at a larger
size is compared with the smallest size's of the same stream, and the table prints every row."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("bench_targets", Path(__file__).parents[2] / "bench" / "targets.py")
assert SPEC and SPEC.loader
targets = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(targets)


def run(stream: str = "default", events: int = 100_000, **changes) -> dict:
    figures = {
        "stream": stream,
        "events": events,
        "ingest_rate": 4_000.0,
        "floor_rate": 10_000.0,  # 0.40×
        "rebuild_rate": 31_000.0,
        "bare_read_rate": 200_000.0,
        "bytes_per_event": 1_900.0,
        "floor_bytes_per_event": 1_400.0,
        "query": {"rows": 300, "p95_now_ms": 9.0, "p95_as_of_ms": 40.0, "p95_bare_select_ms": 1.0},
        "command_s": 0.5,
        "command_floor_s": 0.3,
        "ingest_rss": 100,
        "follower_rss": 150,
        "rebuild_rss": 200,
        "floor_rss": 20,
    }
    return {**figures, **changes}


def by_figure(rows: list, figure: str) -> list:
    return [r for r in rows if r.figure.startswith(figure)]


def test_every_target_passes_when_every_figure_is_within_it():
    rows = targets.targets([run()])
    assert len(rows) == 9 and all(r.met for r in rows)
    assert [r.figure.split(" (")[0] for r in rows][:2] == ["ingest, projections caught up", "rebuild every projection"]


@pytest.mark.parametrize(
    ("change", "figure"),
    [
        ({"ingest_rate": 3_400.0}, "ingest, projections"),
        ({"rebuild_rate": 29_000.0}, "rebuild"),
        ({"bytes_per_event": 2_100.0}, "bytes"),
        ({"query": {"rows": 9, "p95_now_ms": 11.0, "p95_as_of_ms": 1.0, "p95_bare_select_ms": 1.0}}, "rollups now"),
        ({"query": {"rows": 9, "p95_now_ms": 1.0, "p95_as_of_ms": 51.0, "p95_bare_select_ms": 1.0}}, "rollups as of"),
        ({"command_s": 0.7}, "`mastery rollups"),
        ({"follower_rss": 301}, "peak RSS, ingest (projecting)"),
        ({"rebuild_rss": 301}, "peak RSS, rebuild"),
    ],
)
def test_a_figure_past_its_target_misses_that_target_only(change, figure):
    rows = targets.targets([run(**change)])
    assert [r.figure for r in rows if not r.met] == [r.figure for r in by_figure(rows, figure)]
    assert len(by_figure(rows, figure)) == 1


def test_the_ingest_ratio_at_a_larger_size_is_judged_against_the_small_sizes():
    small, wide = run(), run("wide", floor_rate=8_000.0)
    flat = run(events=1_000_000, ingest_rate=3_300.0)  # 0.33× against 0.40×: 0.825 of it
    steep = run(events=2_000_000, ingest_rate=3_100.0)  # 0.31×: 0.775 of it
    rows = by_figure(targets.targets([small, wide, flat, steep]), "ingest ratio, flat with size")
    assert [(r.stream, r.size, r.met) for r in rows] == [("default", 1_000_000, True), ("default", 2_000_000, False)]
    assert rows[0].ratio == pytest.approx(0.825)


def test_a_small_ingest_without_a_projecting_process_has_no_row_for_it():
    rows = targets.targets([run(follower_rss=None)])
    assert not by_figure(rows, "peak RSS, ingest (projecting)") and len(rows) == 8


def test_the_table_prints_one_line_per_target_with_its_baseline_and_status():
    rows = targets.targets([run(), run(rebuild_rate=100.0, events=1_000_000)])
    lines = targets.table(rows).splitlines()
    assert len(lines) == len(rows) + 2
    rebuild = [line for line in lines if "rebuild" in line]
    assert rebuild[0].endswith("PASS") and "bare read 200,000 ev/s" in rebuild[0] and "1,000,000" in rebuild[1]
    assert rebuild[1].endswith("MISS")


def test_the_markdown_table_has_a_column_per_run_and_bolds_what_is_missed():
    rows = [r.as_dict() for r in targets.targets([run(), run("wide", rebuild_rate=100.0)])]
    lines = targets.markdown(rows).splitlines()
    assert lines[0] == "| target | default, 100,000 | wide, 100,000 |" and len(lines) == 2 + 9
    rebuild = next(line for line in lines if line.startswith("| rebuild"))
    assert "| 31,000 ev/s · 0.15× bare read 200,000 ev/s |" in rebuild and "| **100 ev/s** ·" in rebuild
