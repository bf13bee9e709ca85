"""Fixtures of the web tests: `mastery serve` on a temp SQLite store, and HTTP requests to it.

Most tests drive the app in process: the real `serve` command parses its options and environment and
builds the app (only `uvicorn.run` is held back), and an ASGI client (starlette's TestClient, an httpx
client) sends it requests, lifespan included. Where the process is the point (timeouts, TLS, concurrent
writers, the browser) `start`/`serve_process` run the real command in a subprocess on a free loopback port.
Nothing ever listens beyond 127.0.0.1."""

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
    """A `mastery serve` (a subprocess, or the app in this process), the store it writes, and a client."""

    url: str
    store: str
    http: httpx.Client
    process: subprocess.Popen | None = None  # None: the app runs in this process behind `http`

    def post(self, body: bytes | str, token: str | None = TOKEN, **kw) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.post("/events", content=body, headers=headers | kw.pop("headers", {}), **kw)

    def get(self, path: str, **kw) -> httpx.Response:
        return self.http.get(path, **kw)


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
        "--host",
        HOST,
        "--port",
        str(port),
        *options,
    ]
    process = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"{scheme}://{HOST}:{port}"
    server = Server(url, store, httpx.Client(base_url=url, timeout=30, verify=verify), process)
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


def in_process(store: str, env: dict[str, str], *options: str) -> Server:
    """The app the real `serve` command builds from these options and this environment (everything but
    `uvicorn.run`), started (lifespan: the background catch-up) behind an in-process ASGI client."""
    import uvicorn
    from click.testing import CliRunner
    from starlette.testclient import TestClient

    from cli.main import cli

    built: list[Any] = []
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("MASTERY_")}
    args = ["--store", store, "serve", "--host", HOST, "--port", "8000", *options]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uvicorn, "run", lambda asgi, **_: built.append(asgi))
        ran = CliRunner().invoke(cli, args, env=unset | env)
    if not built:
        raise AssertionError(f"mastery serve exited {ran.exit_code}: {ran.output}")
    # Unhandled errors answer 500 as they do over a socket, instead of being raised into the test.
    client = TestClient(built[0], base_url=f"http://{HOST}:8000", raise_server_exceptions=False)
    client.__enter__()
    return Server(str(client.base_url), store, client)


def stop(server: Server) -> None:
    if server.process is None:
        server.http.__exit__(None, None, None)  # the app's lifespan ends: the store is closed
        return
    server.http.close()
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(5)


def servers(tmp_path: Path, process: bool) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def run(env: dict[str, str] | None = None, store: str | None = None, *options: str) -> Server:
        n = len(started)
        store = store or str(tmp_path / f"store{n}.db")
        env = {"MASTERY_INGEST_TOKEN": TOKEN} if env is None else env
        server = (
            start(store, env, tmp_path / f"serve{n}.log", *options) if process else in_process(store, env, *options)
        )
        started.append(server)
        return server

    yield run
    for server in started:
        stop(server)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start apps in process (each on its own store unless one is given); all are stopped afterwards."""
    yield from servers(tmp_path, process=False)


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start real `mastery serve` processes on loopback ports, where the process is the point."""
    yield from servers(tmp_path, process=True)


def seeded_server(folder: Path, process: bool) -> Server:
    """A server whose store got the Canvas seed payloads POSTed one by one with the token."""
    from tests.conftest import seed_events

    store, env = str(folder / "store.db"), {"MASTERY_INGEST_TOKEN": TOKEN}
    server = start(store, env, folder / "serve.log") if process else in_process(store, env)
    for event in seed_events("current"):
        answer = server.post(httpx_json(event))
        assert answer.status_code == 200, answer.text
    return server


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The seeded app of a module, in process."""
    server = seeded_server(tmp_path_factory.mktemp("seeded"), process=False)
    yield server
    stop(server)


@pytest.fixture(scope="module")
def seeded_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The seeded `mastery serve` of a module, a real process on a loopback port (for canvasapi and the
    browser, which need a socket)."""
    server = seeded_server(tmp_path_factory.mktemp("seeded_process"), process=True)
    yield server
    stop(server)


def httpx_json(value: object) -> bytes:
    import json

    return json.dumps(value).encode()


def quarantine_reason(store: str, quarantine_id: int) -> str:
    """The reason a server's SQLite store gives for one quarantined item."""
    import sqlite3

    with sqlite3.connect(store, timeout=10) as conn:
        return conn.execute("SELECT reason FROM quarantine WHERE id = ?", (quarantine_id,)).fetchone()[0]
