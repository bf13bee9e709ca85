"""The HTTP/1.1 connections of `mastery serve` (uvicorn's h11 protocol) with a header deadline.

uvicorn closes a connection that idles between requests, but not one that sends its request headers
slowly (a byte now and then keeps it open for ever, and enough of them exhaust the server). Here every
connection must complete a request's headers within the deadline: once it opens, and again after each
answer; otherwise it is closed without an answer. Bodies have their own deadline (web.ingest).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def with_header_deadline(seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol closing connections whose request headers take longer than `seconds`."""

    class HeaderDeadline(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _waiting_since: Any = None  # the request cycle the deadline was armed after

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.cycle is not self._waiting_since:  # a request's headers are complete
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._waiting_since = self.cycle
            self._deadline = self.loop.call_later(seconds, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            if self.cycle is self._waiting_since and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadline
