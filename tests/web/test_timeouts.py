"""Slow clients cannot hold a real `mastery serve`: headers and bodies have deadlines, sockets are raw."""

from __future__ import annotations

import socket

import httpx

from tests.conftest import seed_events
from tests.web.conftest import TOKEN
from tests.web.test_ingest_http import body


def connect(server) -> socket.socket:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    conn = socket.create_connection((host, int(port)), timeout=30)
    return conn


def closed_without_answer(conn: socket.socket, drip: bytes) -> bool:
    """Send `drip` a byte at a time until the server closes the connection (False if it never does)."""
    for _ in range(150):
        try:
            conn.sendall(drip[:1])
            conn.settimeout(0.2)
            if conn.recv(1024) == b"":
                return True
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def read_answer(conn: socket.socket) -> bytes:
    """One whole HTTP answer: headers, then as many body bytes as Content-Length says (segments may split)."""
    answer = b""
    while b"\r\n\r\n" not in answer and (chunk := conn.recv(65536)):
        answer += chunk
    head, _, rest = answer.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    while len(rest) < length and (chunk := conn.recv(65536)):
        rest += chunk
    return head + b"\r\n\r\n" + rest


def test_a_connection_sending_its_headers_slowly_is_closed(serve_process):
    server = serve_process({"MASTERY_INGEST_TOKEN": TOKEN}, None, "--header-timeout", "1")
    with connect(server) as conn:
        conn.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert closed_without_answer(conn, b"X"), "a byte now and then kept the connection open"
    with httpx.Client(timeout=30) as client:  # a prompt client is served, twice on one connection
        for _ in range(2):
            assert client.get(f"{server.url}/openapi.json").status_code == 200


def test_a_body_arriving_too_slowly_is_answered_408_and_nothing_kept(serve_process):
    server = serve_process({"MASTERY_INGEST_TOKEN": TOKEN}, None, "--body-timeout", "1")
    event = body(seed_events("current")[0])
    with connect(server) as conn:
        conn.sendall(
            b"POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + TOKEN.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(event)).encode()
            + b"\r\n\r\n"
            + event[:10]
        )
        answer = read_answer(conn)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'{"error":' in answer and b"nothing was kept" in answer
    assert server.post(event).json()["appended"] == 1, "the event was not kept before"
