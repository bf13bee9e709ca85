"""Every failure with the status it deserves, never a trace: under /api/v1 in Canvas's shape
`{"errors": [{"message": "..."}]}`, elsewhere (POST /events, /docs) as `{"error": "..."}`, and a small HTML page
for pages.

Canvas resends a delivery answered with anything but 2xx, so a failure to store answers 5xx, never 2xx.
The session's errors (projections/session.py) answer 404 when a thing or an account is not there, 400 for a
bad value and when the store holds several root accounts and the request chose none (the message says how), and 503 while the store or its read
model cannot serve: unavailable, built from another store, or by another version (`mastery rebuild`).
"""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from projections.session import BadInput, NotFound, SessionError, SeveralAccounts, StaleReadModel, Unavailable
from web.auth import Unauthorized


class Problem(Exception):
    """A request the server cannot answer as asked, with its HTTP status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/events", "/docs", "/openapi"))


CANVAS_API = "/api/v1/"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # none is routed under /api/v1: each is a 405
CHOOSE_ACCOUNT = (
    "over HTTP choose one with the `account` query parameter (account=ROOT_UUID), "
    "or start the server on one: `mastery --account ROOT_UUID serve`"
)


def is_canvas(request: Request) -> bool:
    """Whether the request is to the Canvas-compatible API (Canvas's error shape and conventions)."""
    return request.url.path.startswith(CANVAS_API)


def answer(request: Request, status: int, message: str, headers: dict | None = None) -> Response:
    if is_page(request):
        from web.render import page

        return page("error.html", status=status, headers=headers, message=message, code=status)
    if is_canvas(request):
        return JSONResponse({"errors": [{"message": message}]}, status_code=status, headers=headers)
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def status_of(error: SessionError) -> int:
    """The HTTP status of a session error."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, BadInput | SeveralAccounts):
        return 400
    if isinstance(error, Unavailable | StaleReadModel):
        return 503
    return 500


def message_of(error: SessionError) -> str:
    """What the client is told: a bad value names the parameter it was given in; several accounts, how to
    choose one over HTTP."""
    if isinstance(error, BadInput):
        return f"Invalid value for {error.option}: {error}"
    if isinstance(error, SeveralAccounts):
        return f"{error}; {CHOOSE_ACCOUNT}"
    return str(error)


def install(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into answers."""

    @app.exception_handler(Problem)
    async def problem(request: Request, error: Problem) -> Response:
        return answer(request, error.status, str(error), error.headers)

    @app.exception_handler(Unauthorized)
    async def unauthorized(request: Request, error: Unauthorized) -> Response:
        challenge = 'Basic realm="mastery"' if error.browser else "Bearer"
        return answer(request, 401, str(error), {"WWW-Authenticate": challenge})

    @app.exception_handler(SessionError)
    async def session(request: Request, error: SessionError) -> Response:
        return answer(request, status_of(error), message_of(error))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        parts = [
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}" for e in error.errors()
        ]
        return answer(request, 400, "; ".join(parts) or "invalid request")

    @app.exception_handler(HTTPException)
    async def http(request: Request, error: HTTPException) -> Response:
        if is_canvas(request) and request.method in WRITES and error.status_code in (404, 405):
            path = request.url.path
            return answer(request, 405, f"the API is read-only: {path} answers GET only", {"Allow": "GET"})
        return answer(request, error.status_code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(sqlite3.OperationalError)
    async def busy(request: Request, error: sqlite3.OperationalError) -> Response:
        return answer(request, 503, f"the database is busy or unreadable ({error}); try again")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # The server logs the traceback; the client gets a message (a delivery is resent: nothing was kept).
        return answer(request, 500, f"internal error ({type(error).__name__}); try again")
