"""The targets of issue 16, each checked against the figures of one `make bench` run (bench/run.py) and
printed beside the baseline measured in the same run, with the ratio and PASS or MISS.

A run's figures (`bench/run.py::bench_sqlite`) are a dict: stream, events, stored, ingest/floor rates,
bytes per event (the tool's and the floor's), rebuild/bare-read rates, query and command times with
their floors, peak RSS of each process and of the floor's process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

INGEST_RATIO, INGEST_GOAL, FLAT = 0.35, 0.5, 0.8
REBUILD_RATE, REBUILD_GOAL = 30_000, 60_000
BYTES, BYTES_GOAL = 2_000, 1_500
P95_NOW_MS, P95_AS_OF_MS, COMMAND_S, RSS_MB = 10.0, 50.0, 0.6, 300


class Target(NamedTuple):
    stream: str
    size: int
    figure: str
    value: str
    baseline: str
    ratio: float
    target: str
    met: bool

    def as_dict(self) -> dict:
        return {**self._asdict(), "status": "PASS" if self.met else "MISS"}


def _per_run(run: dict) -> list[Target]:
    s, n = run["stream"], run["events"]

    def row(figure: str, value: str, baseline: str, ratio: float, target: str, met: bool) -> Target:
        return Target(s, n, figure, value, baseline, ratio, target, met)

    ingest, floor = run["ingest_rate"], run["floor_rate"]
    rebuild, bare = run["rebuild_rate"], run["bare_read_rate"]
    ratio = ingest / floor
    rows = [
        row(
            "ingest, projections caught up",
            f"{ingest:,.0f} ev/s",
            f"raw floor {floor:,.0f} ev/s",
            ratio,
            f"≥ {INGEST_RATIO}× (goal {INGEST_GOAL}×)",
            ratio >= INGEST_RATIO,
        ),
        row(
            "rebuild every projection",
            f"{rebuild:,.0f} ev/s",
            f"bare read {bare:,.0f} ev/s",
            rebuild / bare,
            f"≥ {REBUILD_RATE:,} ev/s (goal {REBUILD_GOAL:,})",
            rebuild >= REBUILD_RATE,
        ),
        row(
            "bytes per stored event",
            f"{run['bytes_per_event']:,.0f} B",
            f"raw floor {run['floor_bytes_per_event']:,.0f} B",
            run["bytes_per_event"] / run["floor_bytes_per_event"],
            f"≤ {BYTES:,} B (goal {BYTES_GOAL:,})",
            run["bytes_per_event"] <= BYTES,
        ),
    ]
    q = run["query"]
    for figure, key, limit in (
        ("rollups now, p95", "p95_now_ms", P95_NOW_MS),
        ("rollups as of, p95", "p95_as_of_ms", P95_AS_OF_MS),
    ):
        rows.append(
            row(
                f"{figure} ({q['rows']:,} rows)",
                f"{q[key]:.1f} ms",
                f"bare SELECT {q['p95_bare_select_ms']:.1f} ms",
                q[key] / q["p95_bare_select_ms"],
                f"≤ {limit:g} ms",
                q[key] <= limit,
            )
        )
    rows.append(
        row(
            "`mastery rollups --course` command",
            f"{run['command_s']:.2f} s",
            f"`mastery --help` {run['command_floor_s']:.2f} s",
            run["command_s"] / run["command_floor_s"],
            f"≤ {COMMAND_S} s",
            run["command_s"] <= COMMAND_S,
        )
    )
    for figure, key in (
        ("peak RSS, ingest (appending)", "ingest_rss"),
        ("peak RSS, ingest (projecting)", "follower_rss"),
        ("peak RSS, rebuild", "rebuild_rss"),
    ):
        if run[key] is None:  # a small ingest projects in its own process: no follower
            continue
        rows.append(
            row(
                figure,
                f"{run[key]} MB",
                f"raw floor {run['floor_rss']} MB",
                run[key] / max(run["floor_rss"], 1),
                f"≤ {RSS_MB} MB",
                run[key] <= RSS_MB,
            )
        )
    return rows


ORDER = (
    "ingest, projections caught up",
    "ingest ratio, flat with size",
    "rebuild every projection",
    "bytes per stored event",
    "rollups now, p95",
    "rollups as of, p95",
    "`mastery rollups --course` command",
    "peak RSS, ingest (appending)",
    "peak RSS, ingest (projecting)",
    "peak RSS, rebuild",
)


def targets(runs: list[dict]) -> list[Target]:
    """Every target row of the run, grouped by figure (in ORDER), then in the order of the runs; and for
    each larger size of a stream, its ingest ratio against the smallest size's (flat with size: ≥ 0.8×)."""
    rows = [t for r in runs for t in _per_run(r)] + _flat(runs)
    return sorted(rows, key=lambda t: ORDER.index(t.figure.split(" (")[0] if "p95" in t.figure else t.figure))


def _flat(runs: list[dict]) -> list[Target]:
    ratio: Callable[[dict], float] = lambda r: r["ingest_rate"] / r["floor_rate"]  # noqa: E731
    rows = []
    for stream in dict.fromkeys(r["stream"] for r in runs):
        sized = sorted((r for r in runs if r["stream"] == stream), key=lambda r: r["events"])
        for big in sized[1:]:
            small = sized[0]
            rows.append(
                Target(
                    stream,
                    big["events"],
                    "ingest ratio, flat with size",
                    f"{ratio(big):.3f}×",
                    f"{ratio(small):.3f}× at {small['events']:,}",
                    ratio(big) / ratio(small),
                    f"≥ {FLAT}× of the small size's",
                    ratio(big) >= FLAT * ratio(small),
                )
            )
    return rows


def table(rows: list[Target]) -> str:
    """The rows as plain aligned text, one line per target."""
    head = ("stream", "size", "figure", "measured", "baseline (same run)", "ratio", "target", "")
    cells = [head] + [
        (
            r.stream,
            f"{r.size:,}",
            r.figure,
            r.value,
            r.baseline,
            f"{r.ratio:.2f}",
            r.target,
            "PASS" if r.met else "MISS",
        )
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    right = {1, 3, 5}
    lines = [
        "  ".join(c[i].rjust(widths[i]) if i in right else c[i].ljust(widths[i]) for i in range(len(head))).rstrip()
        for c in cells
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def markdown(rows: list[dict]) -> str:
    """The target rows (as in latest.json) as one Markdown table for the README: a row per target, a
    column per stream and size, each cell the measured value (bold when missed), the ratio and the baseline."""
    columns = list(dict.fromkeys((r["stream"], r["size"]) for r in rows))
    cells: dict[str, dict] = {}
    for r in rows:
        kind = r["figure"].split(" (")[0] if "p95" in r["figure"] else r["figure"]
        value = f"**{r['value']}**" if r["status"] == "MISS" else r["value"]
        cells.setdefault(f"{kind}: {r['target']}", {})[(r["stream"], r["size"])] = (
            f"{value} · {r['ratio']:.2f}× {r['baseline']}"
        )
    lines = ["| target | " + " | ".join(f"{s}, {n:,}" for s, n in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, by_column in cells.items():
        lines.append(f"| {name} | " + " | ".join(by_column.get(c, "") for c in columns) + " |")
    return "\n".join(lines)
