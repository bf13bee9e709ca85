"""Fixtures of the web tests: a real `mastery serve` in a subprocess on a free loopback port, with a temp
SQLite store, and real HTTP requests to it. Nothing ever listens beyond 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT

TOKEN = "ingest-secret"
READ_TOKEN = "read-secret"
HOST = "127.0.0.1"


@dataclass
class Server:
    """A running `mastery serve` and the store it writes."""

    url: str
    store: str
    process: subprocess.Popen
    verify: Any = True  # how HTTPS is checked (an SSLContext trusting a test certificate)

    def post(self, body: bytes | str, token: str | None = TOKEN, **kw) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(
            f"{self.url}/events",
            content=body,
            headers=headers | kw.pop("headers", {}),
            timeout=30,
            verify=self.verify,
            **kw,
        )

    def get(self, path: str, **kw) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=30, verify=self.verify, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start(
    store: str, env: dict[str, str], log: Path, *options: str, scheme: str = "http", verify: Any = True
) -> Server:
    """Start the real command and wait until it answers."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MASTERY_")} | env
    cmd = [
        sys.executable,
        "-c",
        "from cli.main import main; main()",
        "--store",
        store,
        "serve",
        "--create",
        "--host",
        HOST,
        "--port",
        str(port),
        *options,
    ]
    process = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = Server(f"{scheme}://{HOST}:{port}", store, process, verify)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"mastery serve exited {process.returncode}: {log.read_text()}")
        try:
            if server.get("/openapi.json").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"mastery serve did not answer within 30 s: {log.read_text()}")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(5)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start servers (each on its own store unless one is given); all are stopped afterwards."""
    started: list[Server] = []

    def run(env: dict[str, str] | None = None, store: str | None = None, *options: str) -> Server:
        n = len(started)
        server = start(
            store or str(tmp_path / f"store{n}.db"),
            {"MASTERY_INGEST_TOKEN": TOKEN} if env is None else env,
            tmp_path / f"serve{n}.log",
            *options,
        )
        started.append(server)
        return server

    yield run
    for server in started:
        stop(server)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per module, the Canvas seed payloads POSTed one by one with the token."""
    from tests.conftest import seed_events

    folder = tmp_path_factory.mktemp("seeded")
    server = start(str(folder / "store.db"), {"MASTERY_INGEST_TOKEN": TOKEN}, folder / "serve.log")
    try:
        for event in seed_events("current"):
            answer = server.post(httpx_json(event))
            assert answer.status_code == 200, answer.text
        yield server
    finally:
        stop(server)


def httpx_json(value: object) -> bytes:
    import json

    return json.dumps(value).encode()


def quarantine_reason(store: str, quarantine_id: int) -> str:
    """The reason a server's SQLite store gives for one quarantined item."""
    import sqlite3

    with sqlite3.connect(store, timeout=10) as conn:
        return conn.execute("SELECT reason FROM quarantine WHERE id = ?", (quarantine_id,)).fetchone()[0]
