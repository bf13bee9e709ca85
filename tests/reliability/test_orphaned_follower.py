"""An ingest killed (kill -9) while its projecting follower is still starting leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.reliability.procs import children

DEADLINE_SECONDS = 10.0


def is_follower(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition, deadline: float) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_a_follower_whose_ingest_is_killed_while_it_starts_exits_by_itself(tmp_path):
    # Reading stdin ("-") always starts the follower; the open, empty pipe keeps the ingest waiting for input.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASTERY_")}
    ingest = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from cli.main import main; main()",
            "--store",
            str(tmp_path / "store.db"),
            "ingest",
            "-",
            "--json",
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    followers: list[int] = []
    try:
        assert wait_for(
            lambda: followers.extend(p for p in children(ingest.pid) if is_follower(p)) or followers, DEADLINE_SECONDS
        ), "the ingest never started its follower"
        os.kill(ingest.pid, signal.SIGKILL)  # right after the follower process appears: it is still starting
        ingest.wait()
        assert wait_for(lambda: not any(alive(p) for p in followers), DEADLINE_SECONDS), (
            "the follower outlived its killed ingest"
        )
    finally:
        for pid in followers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if ingest.poll() is None:
            ingest.kill()
            ingest.wait()
        if ingest.stdin:
            ingest.stdin.close()
