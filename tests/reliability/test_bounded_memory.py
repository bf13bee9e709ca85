"""A real `mastery ingest` holds bounded memory on hostile input: a gzip bomb, a 200 MB line, /dev/zero,
a FIFO in a folder, and a NUL byte bound for PostgreSQL; each ends with the bad item quarantined, nothing lost."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from synthetic import generate, to_jsonl
from tests.conftest import ROOT, seed_events

PEAK_RSS_KIB = 300 * 1024  # ru_maxrss is in KiB on Linux
HANG_GUARD_SECONDS = 120  # not a timing assertion: only so that a blocked reader fails instead of hanging
ITEM_CAP = 4 << 20  # the default --max-item-bytes
PREFIX = 4096


# The ingest is started by a small launcher that forks it and reports its rusage: a child spawned
# straight from pytest (vfork) would inherit pytest's own peak RSS in ru_maxrss, which survives exec.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_ingest(tmp_path: Path, *args: str) -> tuple[int, dict]:
    """Run a real `mastery ingest ARGS --json` (exit 0 asserted); return its peak RSS in KiB (its own
    and that of any child it waited for) and its counts. Killed if it outlives the hang guard."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASTERY_")}
    rss = tmp_path / "maxrss.txt"
    cmd = [
        sys.executable,
        "-c",
        LAUNCHER,
        str(rss),
        "-c",
        "from cli.main import main; main()",
        "--store",
        str(tmp_path / "store.db"),
        "ingest",
        *args,
        "--json",
    ]
    with open(tmp_path / "out.json", "wb") as out, open(tmp_path / "err.txt", "wb") as err:
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
        )
    try:
        code = process.wait(timeout=HANG_GUARD_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the launcher and the ingest it forked
        process.wait()
        raise AssertionError(f"`mastery ingest {' '.join(args)}` still running after {HANG_GUARD_SECONDS}s") from None
    assert code == 0, (tmp_path / "err.txt").read_text(errors="replace")
    return int(rss.read_text()), json.loads((tmp_path / "out.json").read_bytes())


def quarantined(tmp_path: Path) -> list[tuple[str, int, str, str]]:
    """(source, line, reason, raw text) of every quarantined item, in order."""
    conn = sqlite3.connect(tmp_path / "store.db")
    try:
        return conn.execute("SELECT source, line, reason, raw_text FROM quarantine ORDER BY id").fetchall()
    finally:
        conn.close()


def good_lines(count: int) -> bytes:
    return b"".join(to_jsonl(generate(count, seed=3)))


def test_a_one_megabyte_gzip_bomb_is_quarantined_as_a_prefix_with_its_size_in_bounded_memory(tmp_path):
    member = gzip.compress(b"A" * (16 << 20), compresslevel=9)  # gzip members may be concatenated
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(member * 64 + gzip.compress(b"\n" + good_lines(50)))
    assert bomb.stat().st_size < 1_200_000  # about 1 MB on disk, 1 GiB once decompressed (the size counts its newline)
    peak, counts = run_ingest(tmp_path, str(bomb))
    assert peak < PEAK_RSS_KIB, f"peak RSS {peak} KiB"
    assert counts["quarantined"] == 1 and counts["appended"] > 0
    [(source, line, reason, text)] = quarantined(tmp_path)
    assert (source, line) == (str(bomb), 1)
    assert f"line of {(1 << 30) + 1} bytes is over the {ITEM_CAP}-byte limit" in reason
    assert text == "A" * PREFIX


def test_a_200_megabyte_single_line_is_quarantined_as_a_prefix_with_its_size_in_bounded_memory(tmp_path):
    size = 200_000_000
    path = tmp_path / "long.jsonl"
    with path.open("wb") as out:
        out.write(good_lines(20))
        head = b'{"metadata": {"event_name": "learning_outcome_created"}, "body": {"title": "'
        out.write(head + b"x" * (size - len(head) - 4) + b'"}}\n')
        out.write(good_lines(20))
    peak, counts = run_ingest(tmp_path, str(path))
    assert peak < PEAK_RSS_KIB, f"peak RSS {peak} KiB"
    assert counts["read"] == 41 and counts["quarantined"] == 1
    [(_, line, reason, text)] = quarantined(tmp_path)
    assert line == 21
    assert f"line of {size} bytes is over the {ITEM_CAP}-byte limit (only its first {PREFIX} bytes kept)" in reason
    assert len(text) == PREFIX and text.startswith(head.decode())


def test_dev_zero_stops_at_the_file_cap_with_its_nul_prefix_quarantined_in_bounded_memory(tmp_path):
    cap = 16 << 20
    peak, counts = run_ingest(tmp_path, "/dev/zero", "--max-file-bytes", str(cap))
    assert peak < PEAK_RSS_KIB, f"peak RSS {peak} KiB"
    assert counts == {"read": 2, "appended": 0, "duplicates": 0, "quarantined": 2, "ignored": 0, "head": None}
    (_, _, too_long, prefix), (_, _, stopped, rest) = quarantined(tmp_path)
    assert f"line of {cap} bytes is over the {ITEM_CAP}-byte limit" in too_long
    assert "NUL characters shown as \\x00" in too_long and prefix == "\\x00" * PREFIX
    assert f"over the {cap}-byte limit: read stopped after {cap} bytes" in stopped and rest == ""


def test_a_fifo_in_a_folder_is_skipped_with_a_reason_and_the_other_files_are_read(tmp_path):
    folder = tmp_path / "dump"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(good_lines(30))
    os.mkfifo(folder / "b.pipe")  # opening it for reading would block until a writer came
    (folder / "c.jsonl").write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in seed_events()))
    _, counts = run_ingest(tmp_path, str(folder))
    assert counts["quarantined"] == 1 and counts["appended"] > len(seed_events())
    [(source, line, reason, text)] = quarantined(tmp_path)
    assert (source, line, text) == (str(folder / "b.pipe"), 0, "")
    assert reason == "not a regular file (a FIFO) in a folder: skipped, not read"


def test_a_nul_byte_in_quarantined_text_is_stored_on_postgresql_with_the_rest_of_its_batch(tmp_path, pg_url):
    from sources import read_sources
    from store.application import open_store
    from store.ingest import ingest

    seeds = seed_events()
    lines = [json.dumps(e).encode() for e in seeds]
    path = tmp_path / "nul.jsonl"
    path.write_bytes(b"\n".join(lines[:3] + [b'{"metadata": {"event_name": "a\x00b"}, broken'] + lines[3:]) + b"\n")
    store = open_store(pg_url)
    try:
        counts = ingest(store, read_sources([str(path)]))  # one batch: the NUL must not lose it
        assert (counts.appended, counts.quarantined) == (len(seeds), 1)
        assert len(list(store.iter_all())) == len(seeds)
        [row] = store.query("SELECT line, raw_text, reason FROM quarantine")
        assert row["line"] == 4 and row["raw_text"] == '{"metadata": {"event_name": "a\\x00b"}, broken'
        assert "NUL characters shown as \\x00" in row["reason"]
    finally:
        store.close()
