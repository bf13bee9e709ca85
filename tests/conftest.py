"""Shared test fixtures: the Canvas seed payloads, real stores (SQLite files, the PostgreSQL server), the CLI
in process (`mastery`) and as a real process (`mastery_process`)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "canvas"
ROOT = Path(__file__).resolve().parents[1]
PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"
SEED_ROOT = "VicYj3cu5BIFpoZhDVU4DZumnlBrWi1grgJEzADs"
STUDENT = "elXwFPr6uKGaiVxchQSsqV6YZy5HBtlq8O2vqMXM"


@pytest.fixture(scope="session", autouse=True)
def _state_home(tmp_path_factory: pytest.TempPathFactory):
    """PostgreSQL head witnesses go to $XDG_STATE_HOME: keep the tests' own out of the user's home."""
    previous = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))
    yield
    if previous is None:
        os.environ.pop("XDG_STATE_HOME", None)
    else:
        os.environ["XDG_STATE_HOME"] = previous


def seed_events(generation: str = "current") -> list[dict]:
    """The payload examples of the Canvas documentation ("current" .txt page, "legacy" .md page)."""
    return [json.loads(p.read_text()) for p in sorted(FIXTURES.glob(f"{generation}-*.json"))]


@pytest.fixture
def seeds() -> list[dict]:
    return seed_events("current")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return str(tmp_path / "store.db")


@pytest.fixture
def pg_url() -> str:
    """A fresh schema on the local PostgreSQL server (loopback only), dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_BASE.replace("postgresql://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_BASE}?schema={schema}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs against a real SQLite file and the real PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("pg_url")


def write_jsonl(path: Path, events: list) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


@dataclass
class Ran:
    """What a `mastery` run left: the same attributes as `subprocess.CompletedProcess` (bytes out)."""

    args: list[str]
    returncode: int
    stdout: bytes
    stderr: bytes


def mastery(
    *args: str, cwd: Path | None = None, input: bytes | None = None, env: dict | None = None, check: bool = False
) -> Ran:
    """Run `mastery` in this process through click's CliRunner: the group's own exit codes and messages,
    MASTERY_* of the test process dropped and `env` applied for the call, in `cwd` (the project root by
    default) for the call."""
    from click.testing import CliRunner

    from cli.main import cli

    call_env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("MASTERY_")}
    call_env.update(env or {})
    with contextlib.chdir(cwd or ROOT):
        result = CliRunner(env=call_env).invoke(cli, list(args), input=input, prog_name="mastery")
    stderr = result.stderr_bytes or b""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # Escaped the group's mapping: what a user would see as a traceback, so tests catch it.
        stderr += "".join(traceback.format_exception(result.exception)).encode()
    ran = Ran(["mastery", *args], result.exit_code, result.stdout_bytes, stderr)
    if check and ran.returncode != 0:
        raise AssertionError(f"mastery {' '.join(args)} exited {ran.returncode}: {ran.stderr.decode()}")
    return ran


def mastery_process(
    *args: str, cwd: Path | None = None, input: bytes | None = None, env: dict | None = None, check: bool = False
) -> subprocess.CompletedProcess:
    """Run the real `mastery` command in a subprocess: for tests where the process is the point."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MASTERY_")}
    full_env.update(env or {})
    cmd = [sys.executable, "-c", "from cli.main import main; main()", *args]
    result = subprocess.run(cmd, cwd=cwd or ROOT, input=input, capture_output=True, env=full_env, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"mastery {' '.join(args)} exited {result.returncode}: {result.stderr.decode()}")
    return result


def mastery_json(*args: str, **kw) -> dict:
    result = mastery(*args, "--json", check=True, **kw)
    return json.loads(result.stdout)
