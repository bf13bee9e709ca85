"""The Host check that stops DNS rebinding: a server bound to loopback answers only requests whose Host
is localhost, 127.0.0.1 or [::1] (any port) or a name given with `serve --allowed-host`; any other Host is
a page of some other site reaching this machine through the browser, answered 421 with a JSON error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

import orjson

LOCAL = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})

Scope = dict[str, Any]
ASGI = Callable[[Scope, Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]]


def hostname(header: str) -> str:
    """The name of a Host header without its port, lower-cased ("[::1]:8000" -> "[::1]")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header.partition("]")[0] + "]"
    return header.rpartition(":")[0] if header.count(":") == 1 else header


class LoopbackHosts:
    """ASGI middleware answering 421 to HTTP requests whose Host is not a name of this machine."""

    def __init__(self, app: ASGI, allowed: Collection[str] = ()) -> None:
        self.app = app
        self.allowed = LOCAL | {hostname(h) for h in allowed}

    async def __call__(
        self, scope: Scope, receive: Callable[..., Awaitable[Any]], send: Callable[..., Awaitable[Any]]
    ) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        header = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), "")
        if hostname(header) in self.allowed:
            return await self.app(scope, receive, send)
        message = (
            f"Host {header!r} is not a name of this server: it listens on loopback and "
            "answers only localhost, 127.0.0.1 and [::1] (add names with serve --allowed-host)"
        )
        # Canvas's error shape under /api/v1, as every other answer there (web/errors.py).
        canvas = str(scope.get("path", "")).startswith("/api/v1")
        body = orjson.dumps({"errors": [{"message": message}]} if canvas else {"error": message})
        await send(
            {
                "type": "http.response.start",
                "status": 421,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
