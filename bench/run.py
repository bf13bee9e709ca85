"""`make bench`: ingest, rebuild and query figures, each beside a baseline measured in the same run.

This machine is noisy, so every figure is printed with its floor from the same run:
- ingest (with projections caught up) vs the raw floor: readline, json.loads, SHA-256 of the sorted dump,
  one executemany of (hash, line) into a fresh SQLite file with a UNIQUE hash, standard library only;
- rebuild of every projection vs the library's bare read of the same notifications;
- one course's rollups now and as of a past day (in-process p95) and the whole `mastery rollups` command;
- peak RSS of ingest and rebuild (each in its own process), store bytes per event;
- with --postgres: the same ingest into the PostgreSQL store, and 4 concurrent ingest processes;
- with --people: ingest and rebuild of the stream against the same stream without its users, courses,
  sections and enrollments (`generate(people=False)`), run one after the other (issue 12: within 10%).

Usage: python bench/run.py [--events 100000] [--also 1000000] [--postgres] [--people]
Output and data go to bench/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
PY = sys.executable
PG = "postgresql://postgres@127.0.0.1:5432/test"


def data(events: int, people: bool = True) -> Path:
    path = OUT / f"events-{events}{'' if people else '-without-people'}.jsonl"
    if not path.exists() and people:
        run_cli("generate", "--events", str(events), "--seed", "1", "-o", str(path))
    elif not path.exists():  # `mastery generate` has no switch for it: the generator itself, in a child
        code = (
            "import sys; from synthetic import generate, to_jsonl; out = open(sys.argv[2], 'wb'); "
            "out.writelines(to_jsonl(generate(int(sys.argv[1]), seed=1, people=False))); out.close()"
        )
        subprocess.run([PY, "-c", code, str(events), str(path)], cwd=ROOT, check=True)
    return path


def run_cli(*args: str, env: dict | None = None) -> tuple[float, int, str]:
    """Run `mastery …` in a child; return (seconds, peak RSS in MB of that child and its follower, stdout)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [PY, "-c", "from cli.main import main; main()", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"mastery {' '.join(args)} failed: {err.decode()[-2000:]}")
    # ru_maxrss of children is a running maximum over every child so far: ask for this one's own.
    peak = _peak_rss_mb(process.pid)
    return seconds, peak, out.decode()


_PEAKS: dict[int, int] = {}


def _peak_rss_mb(pid: int) -> int:
    """Peak RSS of a finished child, from the kernel's per-child accounting (wait4), in MB."""
    return _PEAKS.get(pid, 0)


def _reap_with_rusage() -> None:
    """Make Popen's wait record each child's own rusage (wait4), so peaks are per child."""
    original = os.waitpid

    def waitpid(pid: int, options: int) -> tuple[int, int]:
        if pid <= 0:
            return original(pid, options)
        got, status, usage = os.wait4(pid, options)
        if got:
            _PEAKS[got] = usage.ru_maxrss // 1024
        return got, status

    os.waitpid = waitpid


def raw_floor(path: Path) -> float:
    """Events/s of the simplest possible durable dedup ingest (standard library only)."""
    db = OUT / "floor.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    count = 0

    def rows():  # streamed into the one executemany: holding 1M lines would inflate every later child's RSS
        nonlocal count
        with path.open("rb") as handle:
            for line in handle:
                value = json.loads(line)
                dump = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
                count += 1
                yield hashlib.sha256(dump).hexdigest(), line

    start = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE events (hash TEXT UNIQUE, line BLOB)")
    with conn:
        conn.executemany("INSERT OR IGNORE INTO events VALUES (?, ?)", rows())
    conn.close()
    return count / (time.perf_counter() - start)


def bare_read(store: str) -> float:
    """Notifications/s of the library's own read of every notification (no mapping, no projection)."""
    code = (
        "import sys,time; from store.application import open_store; s=open_store(sys.argv[1]); r=s.recorder;"
        "t=time.perf_counter(); n=0; start=0\n"
        "while True:\n b=r.select_notifications(start=start, limit=1000, inclusive_of_start=False)\n"
        " if not b: break\n n+=len(b); start=b[-1].id\n"
        "print(n/(time.perf_counter()-t))"
    )
    done = subprocess.run([PY, "-c", code, store], cwd=ROOT, capture_output=True, check=True)
    return float(done.stdout)


def prepare_micro(store: str, limit: int = 20_000) -> tuple[float, float]:
    """µs per stored event from record to checked history row: today's path (mapper, `version_row`, the
    read-back check) and the lean path (projections/lean.py, today's for what it declines), same records,
    interleaved, median of 3 rounds each."""
    code = r"""
import sys, time, statistics
from store.application import open_store
from domain.states import FOLDS
from projections import lean
from projections.history import version_row
s = open_store(sys.argv[1])
records = s.recorder.select_notifications(start=0, limit=int(sys.argv[2]), inclusive_of_start=False)
def today(n):
    e = s.mapper.to_domain_event(n); r = version_row(n.id, e); FOLDS[e.kind][1].model_validate_json(r["state"])
def lean_path(n):
    if lean.read(n.id, n.topic, n.state) is None:
        today(n)
def run(f):
    t = time.perf_counter()
    for n in records:
        f(n)
    return (time.perf_counter() - t) / len(records) * 1e6
old, new = [], []
for _ in range(3):
    old.append(run(today)); new.append(run(lean_path))
print(statistics.median(old), statistics.median(new))
"""
    done = subprocess.run([PY, "-c", code, store, str(limit)], cwd=ROOT, capture_output=True, check=True, text=True)
    old, new = map(float, done.stdout.split())
    return old, new


def query_latency(store: str) -> dict:
    """p95 of one busy course's rollups in-process, now and as of a past day (30 runs each)."""
    code = r"""
import sys, time, statistics
from datetime import datetime, UTC
from projections.schema import connect
from projections.queries.outcome_rollups import rollups
conn = connect(sys.argv[1]).conn
root, course, n = conn.execute("SELECT root, course, COUNT(*) FROM mastery GROUP BY root, course ORDER BY 3 DESC").fetchone()
outcomes = conn.execute("SELECT COUNT(DISTINCT outcome) FROM mastery WHERE root=? AND course=?", (root, course)).fetchone()[0]
def p95(**cut):
    times = []
    for _ in range(30):
        t = time.perf_counter(); rollups(conn, root, course, **cut); times.append(time.perf_counter() - t)
    return statistics.quantiles(times, n=20)[18] * 1000
print(root, course, n, outcomes, p95(), p95(as_of=datetime(2025, 10, 15, tzinfo=UTC)))
"""
    done = subprocess.run([PY, "-c", code, store], cwd=ROOT, capture_output=True, check=True, text=True)
    root, course, rows, outcomes, now, past = done.stdout.split()
    return {
        "root": root,
        "course": course,
        "rows": int(rows),
        "outcomes": int(outcomes),
        "p95_now_ms": float(now),
        "p95_as_of_ms": float(past),
    }


def command_time(store: str, root: str, course: str) -> float:
    times = [run_cli("--store", store, "--account", root, "rollups", "--course", course, "--json")[0] for _ in range(5)]
    return statistics.median(times)


def fresh(path: Path) -> str:
    for suffix in ("", "-wal", "-shm", ".head"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return str(path)


def bench_sqlite(events: int) -> list[tuple[str, str, str]]:
    source = data(events)
    floor = raw_floor(source)
    store = fresh(OUT / f"store-{events}.db")
    seconds, rss, out = run_cli("--store", store, "ingest", str(source), "--json")
    counts = json.loads(out)
    ingest_rate = counts["read"] / seconds
    size = sum(Path(f"{store}{s}").stat().st_size for s in ("", "-wal") if Path(f"{store}{s}").exists())
    read_floor = bare_read(store)
    micro_old, micro_lean = prepare_micro(store)
    r_seconds, r_rss, _ = run_cli("--store", store, "rebuild", "--json")
    stored = counts["appended"]
    q = query_latency(store)
    cmd = command_time(store, q["root"], q["course"])
    return [
        (
            f"ingest {events:,} events (projections caught up)",
            f"{ingest_rate:,.0f} ev/s ({seconds:.1f} s)",
            f"raw floor {floor:,.0f} ev/s → {ingest_rate / floor:.2f}× floor (target ≥ 0.25×)",
        ),
        ("ingest peak RSS", f"{rss} MB", "target ≤ 300 MB"),
        (
            "projection: record → checked history row (lean path)",
            f"{micro_lean:.1f} µs/ev",
            f"today's path {micro_old:.1f} µs/ev, same records → {micro_old / micro_lean:.2f}× faster",
        ),
        ("store bytes per stored event", f"{size / max(stored, 1):,.0f} B", f"{stored:,} stored, {size / 1e6:,.0f} MB"),
        (
            f"rebuild every projection ({stored:,} events)",
            f"{stored / r_seconds:,.0f} ev/s ({r_seconds:.1f} s)",
            f"bare library read {read_floor:,.0f} ev/s; target ≥ 30,000 ev/s",
        ),
        ("rebuild peak RSS", f"{r_rss} MB", "target ≤ 300 MB"),
        (
            f"rollups course {q['course']} ({q['rows']} rows, {q['outcomes']} outcomes) now, in-process p95",
            f"{q['p95_now_ms']:.1f} ms",
            "target ≤ 10 ms",
        ),
        ("same course as of 2025-10-15, in-process p95", f"{q['p95_as_of_ms']:.1f} ms", "target ≤ 50 ms"),
        ("`mastery rollups --course` whole command (median of 5)", f"{cmd:.2f} s", "target ≤ 0.6 s"),
    ]


def bench_people(events: int, rounds: int = 3) -> list[tuple[str, str, str]]:
    """Ingest and rebuild rates of the stream with and without the people events: alternated, best of
    `rounds` each (the machine is shared; the best run is the one least disturbed)."""
    rates = {True: (0.0, 0.0), False: (0.0, 0.0)}
    for _ in range(rounds):
        for people in (True, False):
            store = fresh(OUT / f"store-{events}-people-{people}.db")
            seconds, _, out = run_cli("--store", store, "ingest", str(data(events, people)), "--json")
            r_seconds, _, _ = run_cli("--store", store, "rebuild", "--json")
            ingest, rebuild = json.loads(out)["read"] / seconds, json.loads(out)["appended"] / r_seconds
            rates[people] = (max(rates[people][0], ingest), max(rates[people][1], rebuild))
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
        run_cli("--store", url, "--read-db", fresh(OUT / "pg-read.db"), "verify")  # create the tables once
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
                    fresh(OUT / f"pg-read-{i}.db"),
                    "ingest",
                    str(source),
                    "--json",
                ],
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
            stored = conn.execute(f'SELECT COUNT(*) FROM "{schema}".mastery_events').fetchone()[0]
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        appended = sum(o["appended"] for o in outs)
        results.append(
            (
                f"PostgreSQL ingest, {writers} writer(s) × {events:,} overlapping events",
                f"{writers * events / seconds:,.0f} items/s ({seconds:.1f} s)",
                f"stored {stored:,} = appended {appended:,} (each event once: {stored == appended})",
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--also", type=int, nargs="*", default=[], help="more sizes, e.g. 1000000")
    parser.add_argument("--postgres", action="store_true", help="also benchmark the PostgreSQL store")
    parser.add_argument("--people", action="store_true", help="also compare a stream without people events")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    _reap_with_rusage()
    rows = []
    for size in [args.events, *args.also]:
        rows += bench_sqlite(size)
    if args.people:
        rows += bench_people(args.events)
    if args.postgres:
        rows += bench_postgres(min(args.events, 50_000))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure'.ljust(width)}  {'result':<28}  baseline / target")
    for name, value, base in rows:
        print(f"{name.ljust(width)}  {value:<28}  {base}")


if __name__ == "__main__":
    main()
