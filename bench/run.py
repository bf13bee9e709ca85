"""`make bench`: ingest, rebuild, storage, query and memory figures, each beside a baseline measured in the
same run, then the targets of issue 16 with the ratio and PASS/MISS (bench/targets.py).

This machine is noisy, so every figure is printed with its floor from the same run (bench/measure.py):
- ingest (with projections caught up) vs the raw floor: readline, json.loads, SHA-256 of the sorted dump,
  one executemany of (hash, line) into a fresh SQLite file with a UNIQUE hash, standard library only;
- rebuild of every projection vs the library's bare read of the same notifications;
- bytes per stored event (every file the store and its read model keep, WAL checkpointed) vs the floor's;
- one course's rollups now and as of a past day (in-process p95) vs a bare SELECT of its rows, and the
  whole `mastery rollups` command vs `mastery --help`;
- peak RSS of ingest (the appending process and its projecting follower) and rebuild vs the floor's;
- streams: the default one and the wide one (`mastery generate --shape wide`) at --events, the default
  one at each --also size;
- with --postgres: the same ingest into the PostgreSQL store, and 4 concurrent ingest processes;
- with --people: ingest and rebuild of the stream against the same stream without its users, courses,
  sections and enrollments (`generate(people=False)`), run one after the other (issue 12: within 10%).

Usage: python bench/run.py [--events 100000] [--also 1000000] [--quick] [--postgres] [--people] [--json]
       python bench/run.py --markdown   (the last run's targets as a Markdown table, for the README)
`make bench` runs `--also 1000000 --postgres`. Data, stores and latest.json go to bench/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from measure import (
    OUT,
    PY,
    ROOT,
    bare_read,
    command_time,
    data,
    prepare_micro,
    query_latency,
    raw_floor,
    run_cli,
    stored_bytes,
)
from targets import markdown, table, targets

PG = "postgresql://postgres@127.0.0.1:5432/test"


def machine() -> dict:
    memory = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(int(memory.split()[1]) / 1024**2, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_at_start": os.getloadavg(),
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def fresh_folder(name: str) -> Path:
    """A new, empty folder for one store: everything the tool writes beside it is counted as its bytes."""
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def bench_sqlite(events: int, shape: str) -> dict:
    """Every figure of one stream at one size, each with its same-run floor."""
    source = data(events, shape)
    floor = raw_floor(source)
    store = str(fresh_folder(f"store-{events}-{shape}") / "mastery.db")
    ingest = run_cli("--store", store, "ingest", str(source), "--json")
    counts = json.loads(ingest.out)
    stored = counts["appended"]
    size = stored_bytes(Path(store).parent)
    read_floor = bare_read(store)
    micro = prepare_micro(store)
    rebuild = run_cli("--store", store, "rebuild", "--json")
    q = query_latency(store)
    command, command_floor = command_time(store, q["root"], q["course"])
    return {
        "stream": shape,
        "events": events,
        "read": counts["read"],
        "stored": stored,
        "quarantined": counts["quarantined"],
        "ingest_s": ingest.seconds,
        "ingest_rate": counts["read"] / ingest.seconds,
        "floor_rate": floor["rate"],
        "floor_bytes_per_event": floor["bytes_per_event"],
        "floor_rss": floor["rss"],
        "ingest_rss": ingest.rss,
        "follower_rss": ingest.child_rss,
        "ingest_peak_wait4": ingest.peak,
        "bytes": size,
        "bytes_per_event": size / max(stored, 1),
        "bare_read_rate": read_floor,
        "rebuild_s": rebuild.seconds,
        "rebuild_rate": stored / rebuild.seconds,
        "rebuild_rss": rebuild.rss,
        "micro_us": micro,
        "query": q,
        "command_s": command,
        "command_floor_s": command_floor,
    }


def detail_rows(r: dict) -> list[tuple[str, str, str]]:
    """The figures of one run that are not targets, or say more than the targets table does."""
    label = f"{r['stream']} {r['events']:,}"
    rows = [
        (
            f"{label}: ingest (projections caught up)",
            f"{r['ingest_rate']:,.0f} ev/s ({r['ingest_s']:.1f} s)",
            f"{r['read']:,} read, {r['stored']:,} stored, {r['quarantined']} quarantined",
        ),
        (f"{label}: store and read model", f"{r['bytes'] / 1e6:,.0f} MB", f"{r['bytes_per_event']:,.0f} B per event"),
        (f"{label}: rebuild", f"{r['rebuild_rate']:,.0f} ev/s ({r['rebuild_s']:.1f} s)", f"{r['stored']:,} events"),
        (
            f"{label}: rollups course {r['query']['course']}",
            f"{r['query']['rows']:,} rows, {r['query']['outcomes']} outcomes",
            "the course with the most mastery rows",
        ),
    ]
    if r["micro_us"]:
        old, lean = r["micro_us"]
        rows.append(
            (
                f"{label}: record → checked history row (lean path)",
                f"{lean:.1f} µs/ev",
                f"today's path {old:.1f} µs/ev, same records → {old / lean:.2f}× faster",
            )
        )
    return rows


def bench_people(events: int, rounds: int = 3) -> list[tuple[str, str, str]]:
    """Ingest and rebuild rates of the stream with and without the people events: alternated, best of
    `rounds` each (the machine is shared; the best run is the one least disturbed)."""
    rates = {True: (0.0, 0.0), False: (0.0, 0.0)}
    for _ in range(rounds):
        for people in (True, False):
            store = str(fresh_folder(f"store-{events}-people-{people}") / "mastery.db")
            ingest = run_cli("--store", store, "ingest", str(data(events, people=people)), "--json")
            rebuild = run_cli("--store", store, "rebuild", "--json")
            counts = json.loads(ingest.out)
            best = rates[people]
            rates[people] = (
                max(best[0], counts["read"] / ingest.seconds),
                max(best[1], counts["appended"] / rebuild.seconds),
            )
    rows = []
    for k, what in enumerate(("ingest", "rebuild")):
        with_, without = rates[True][k], rates[False][k]
        rows.append(
            (
                f"{what} {events:,} events with people events vs without",
                f"{with_:,.0f} vs {without:,.0f} ev/s",
                f"{with_ / without:.2f}× (target ≥ 0.90×)",
            )
        )
    return rows


def bench_postgres(events: int) -> list[tuple[str, str, str]]:
    import psycopg

    source = data(events)
    results = []
    for writers in (1, 4):
        schema = f"bench_{writers}_{int(time.time())}"
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{PG}?schema={schema}"
        folder = fresh_folder(f"pg-{writers}")
        empty = folder / "empty.jsonl"
        empty.write_bytes(b"")  # an empty ingest creates the tables once, before the writers race
        run_cli("--store", url, "--read-db", str(folder / "read.db"), "ingest", str(empty))
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                [
                    PY,
                    "-c",
                    "from cli.main import main; main()",
                    "--store",
                    url,
                    "--read-db",
                    str(folder / f"read-{i}.db"),
                ]
                + ["ingest", str(source), "--json"],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for i in range(writers)
        ]
        outs = []
        for p in procs:
            out, err = p.communicate()
            if p.returncode != 0:
                raise SystemExit(f"a PostgreSQL ingest failed: {err.decode()[-2000:]}")
            outs.append(json.loads(out))
        seconds = time.perf_counter() - start
        with psycopg.connect(PG, autocommit=True) as conn:
            row = conn.execute(f'SELECT COUNT(*) FROM "{schema}".mastery_events').fetchone()
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        stored = row[0] if row else 0
        appended = sum(o["appended"] for o in outs)
        results.append(
            (
                f"PostgreSQL ingest, {writers} writer(s) × {events:,} overlapping events",
                f"{writers * events / seconds:,.0f} items/s ({seconds:.1f} s)",
                f"stored {stored:,} = appended {appended:,} (each event once: {stored == appended})",
            )
        )
    return results


def plain(rows: list[tuple[str, str, str]]) -> str:
    width = max(len(r[0]) for r in rows)
    lines = [f"{'figure'.ljust(width)}  {'result':<30}  baseline / note"]
    return "\n".join(lines + [f"{name.ljust(width)}  {value:<30}  {note}" for name, value, note in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="the small size, both streams (100000)")
    parser.add_argument(
        "--also", type=int, nargs="*", default=[], help="more sizes of the default stream, e.g. 1000000"
    )
    parser.add_argument("--quick", action="store_true", help="a fast look: 30,000 events, no larger size")
    parser.add_argument("--no-wide", action="store_true", help="leave out the wide stream")
    parser.add_argument("--postgres", action="store_true", help="also benchmark the PostgreSQL store")
    parser.add_argument("--people", action="store_true", help="also compare a stream without people events")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON (always in latest.json)")
    parser.add_argument(
        "--markdown", action="store_true", help="print the targets of bench/out/latest.json for the README, run nothing"
    )
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads((OUT / "latest.json").read_text())["targets"]))
        return
    if args.quick:
        args.events, args.also = 30_000, []
    OUT.mkdir(exist_ok=True)
    box = machine()
    print(
        f"machine: {box['cores']} cores, {box['ram_gb']} GB RAM, Python {box['python']}, SQLite {box['sqlite']}, "
        f"load {box['load_at_start'][0]:.2f} at the start ({box['started']}); shared machine: compare each "
        "figure with its own baseline",
        flush=True,
    )
    plan = [(args.events, "default")] + ([] if args.no_wide else [(args.events, "wide")])
    plan += [(size, "default") for size in args.also]
    runs = []
    for size, shape in plan:
        print(f"… {shape} stream, {size:,} events", flush=True)
        runs.append(bench_sqlite(size, shape))
    details = [row for r in runs for row in detail_rows(r)]
    if args.people:
        details += bench_people(args.events)
    if args.postgres:
        details += bench_postgres(min(args.events, 50_000))
    box["load_at_end"] = os.getloadavg()
    rows = targets(runs)
    print("\n" + plain(details))
    print(f"\ntargets (load {box['load_at_start'][0]:.2f} at the start, {box['load_at_end'][0]:.2f} at the end)")
    print(table(rows))
    figures = {"machine": box, "runs": runs, "details": details, "targets": [r.as_dict() for r in rows]}
    (OUT / "latest.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    if args.json:
        json.dump(figures, sys.stdout, indent=2, ensure_ascii=False)
        print()


if __name__ == "__main__":
    main()
