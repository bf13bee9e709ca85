"""The measurements behind `make bench` (bench/run.py): each one in a child process of its own, so that
its time and peak memory are its own, and each with the floor it is compared with.

- `run_cli`: a `mastery …` command in a child, its seconds and the peak RSS of the command's process and
  of its descendants (the projecting follower), from the kernel's high-water marks (VmHWM) sampled while
  it runs, and from wait4 at its end;
- `raw_floor`: the simplest durable dedup ingest (readline, `json.loads`, SHA-256 of the sorted dump, one
  `executemany` of (hash, line) into a fresh SQLite file with a UNIQUE hash; standard library only), also
  in a child (`python bench/measure.py floor SOURCE DB`): its events/s, bytes per event and peak RSS;
- `bare_read`, `prepare_micro`, `query_latency`, `command_time`, `stored_bytes`.

Streams are generated once with `mastery generate` and cached in bench/out/ under a digest of synthetic/.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
PY = sys.executable


def _generator_digest() -> str:
    """A digest of the generator's sources: a cached stream is reused only while they are unchanged."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "synthetic").glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:10]


def data(events: int, shape: str = "default", people: bool = True) -> Path:
    """The cached stream of `events` events of `shape` (seed 1), generated when missing."""
    tag = f"{'' if shape == 'default' else f'-{shape}'}{'' if people else '-without-people'}"
    digest = _generator_digest()
    path = OUT / f"events-{events}{tag}-{digest}.jsonl"
    if path.exists():
        return path
    prefix = f"events-{events}{tag}-"
    for stale in OUT.glob(f"{prefix}*.jsonl"):  # an older generator's: never compared again
        rest = stale.stem[len(prefix) :]
        if "-" not in rest and rest != digest:
            stale.unlink()
    partial = path.with_suffix(".partial")
    if people:
        run_cli("generate", "--events", str(events), "--seed", "1", "--shape", shape, "-o", str(partial))
    else:  # `mastery generate` has no switch for it: the generator itself, in a child
        code = (
            "import sys; from synthetic import generate, to_jsonl; out = open(sys.argv[2], 'wb'); "
            "out.writelines(to_jsonl(generate(int(sys.argv[1]), seed=1, people=False, shape=sys.argv[3]))); "
            "out.close()"
        )
        subprocess.run([PY, "-c", code, str(events), str(partial), shape], cwd=ROOT, check=True)
    partial.rename(path)
    return path


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            found += map(int, children)
            todo += map(int, children)
    return found


def _hwm_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


class Ran:
    """A finished child: seconds, stdout, peak RSS (MB) of the process itself and of its largest descendant
    (None when it had none), and wait4's ru_maxrss (see `run`)."""

    def __init__(self, seconds: float, out: str, rss: int, child_rss: int | None, peak: int) -> None:
        self.seconds, self.out, self.rss, self.child_rss, self.peak = seconds, out, rss, child_rss, peak


def run(argv: list[str], what: str) -> Ran:
    """Run `argv` in a child from the project root and reap it with a blocking wait4 (its time to the
    moment it ends), while a thread samples the high-water marks (VmHWM) of it and its descendants."""
    marks = {"own": 0, "children": 0, "seen": False}
    done = threading.Event()

    def sample(pid: int) -> None:
        while not done.is_set():
            marks["own"] = max(marks["own"], _hwm_mb(pid))
            for child in _descendants(pid):
                marks["seen"], marks["children"] = True, max(marks["children"], _hwm_mb(child))
            done.wait(0.1)

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=err)
        sampler = threading.Thread(target=sample, args=(process.pid,), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"{what} failed: {stderr[-2000:]}")
    # ru_maxrss is no use alone: Linux keeps the high-water mark of the memory the child had before its
    # exec (this process's, at the fork) and adds every descendant it waited for. Kept in the JSON only,
    # and used only for a child too short-lived to be sampled.
    peak = usage.ru_maxrss // 1024
    own, children = int(marks["own"]), int(marks["children"])
    return Ran(seconds, stdout, own or peak, children if marks["seen"] else None, peak)


def run_cli(*args: str) -> Ran:
    """Run `mastery …` in a child (the same entry point as the installed command)."""
    return run([PY, "-c", "from cli.main import main; main()", *args], f"mastery {' '.join(args)}")


def raw_floor(source: Path) -> dict:
    """The raw floor, in a child: {"rate": events/s, "bytes_per_event", "rss": MB, "events"}."""
    db = OUT / "floor.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    done = run([PY, str(Path(__file__)), "floor", str(source), str(db)], "the raw floor")
    figures = json.loads(done.out)
    figures["bytes_per_event"] = db.stat().st_size / max(figures["events"], 1)
    figures["rss"] = done.rss
    db.unlink()
    return figures


def _floor(source: str, db: str) -> None:
    count = 0

    def rows():  # streamed into the one executemany: holding 1M lines would inflate the peak
        nonlocal count
        with open(source, "rb") as handle:
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
    print(json.dumps({"rate": count / (time.perf_counter() - start), "events": count}))


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(16)


def stored_bytes(folder: Path) -> int:
    """Every byte the tool keeps in `folder` (store, read model and whatever it writes beside them), each
    SQLite file's WAL checkpointed into it first; shared-memory index files are not data."""
    for path in folder.iterdir():
        if path.is_file() and _head(path) == b"SQLite format 3\x00":
            conn = sqlite3.connect(path)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and not p.name.endswith("-shm"))


def bare_read(store: str) -> float:
    """Notifications/s of the library's own read of every notification (no mapping, no projection)."""
    code = (
        "import sys,time; from store.application import open_store; s=open_store(sys.argv[1]); r=s.recorder;"
        "t=time.perf_counter(); n=0; start=0\n"
        "while True:\n b=r.select_notifications(start=start, limit=1000, inclusive_of_start=False)\n"
        " if not b: break\n n+=len(b); start=b[-1].id\n"
        "print(n/(time.perf_counter()-t))"
    )
    return float(run([PY, "-c", code, store], "the bare read").out)


def prepare_micro(store: str, limit: int = 20_000) -> tuple[float, float] | None:
    """µs per stored event from record to checked history row: today's path (mapper, `version_row`, the
    read-back check) and the lean path (projections/lean.py), same records, interleaved, median of 3 rounds
    each; None when those modules have changed shape (the figure is a detail, not a target)."""
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
    done = subprocess.run([PY, "-c", code, store, str(limit)], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        return None
    old, new = map(float, done.stdout.split())
    return old, new


def query_latency(read_model: str) -> dict:
    """p95 of the busiest course's rollups in-process, now and as of a past day (30 runs each), beside the
    p95 of a bare SELECT of that course's mastery rows (the floor of any answer about it). Timed as the
    server answers: after one warm-up call of each, with the heap settled as `mastery serve` settles it
    at start-up (`web.app.settle_heap`: reads' modules imported, then `gc.freeze()`)."""
    code = r"""
import sys, time, statistics
from datetime import datetime, UTC
from projections.schema import connect
from projections.queries.outcome_rollups import rollups
from web.app import settle_heap
conn = connect(sys.argv[1]).conn
root, course, n = conn.execute("SELECT root, course, COUNT(*) FROM mastery GROUP BY root, course ORDER BY 3 DESC").fetchone()
outcomes = conn.execute("SELECT COUNT(DISTINCT outcome) FROM mastery WHERE root=? AND course=?", (root, course)).fetchone()[0]
rollups(conn, root, course)
rollups(conn, root, course, as_of=datetime(2025, 10, 15, tzinfo=UTC))
settle_heap()
def p95(f):
    times = []
    for _ in range(30):
        t = time.perf_counter(); f(); times.append(time.perf_counter() - t)
    return statistics.quantiles(times, n=20)[18] * 1000
bare = p95(lambda: conn.execute("SELECT * FROM mastery WHERE root=? AND course=?", (root, course)).fetchall())
now = p95(lambda: rollups(conn, root, course))
past = p95(lambda: rollups(conn, root, course, as_of=datetime(2025, 10, 15, tzinfo=UTC)))
print(root, course, n, outcomes, now, past, bare)
"""
    root, course, rows, outcomes, now, past, bare = run([PY, "-c", code, read_model], "the query timing").out.split()
    return {
        "root": root,
        "course": course,
        "rows": int(rows),
        "outcomes": int(outcomes),
        "p95_now_ms": float(now),
        "p95_as_of_ms": float(past),
        "p95_bare_select_ms": float(bare),
    }


def command_time(store: str, root: str, course: str) -> tuple[float, float]:
    """Median of 5 whole `mastery rollups --course … --json` commands, and of 5 `mastery --help` (the
    interpreter, click and the command table: the floor of any command), alternated."""
    whole, floor = [], []
    for _ in range(5):
        floor.append(run_cli("--help").seconds)
        whole.append(run_cli("--store", store, "--account", root, "rollups", "--course", course, "--json").seconds)
    return statistics.median(whole), statistics.median(floor)


if __name__ == "__main__" and sys.argv[1:2] == ["floor"]:
    _floor(sys.argv[2], sys.argv[3])
