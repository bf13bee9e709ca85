"""Who may do what: the ingest token or a signature for POST /events, the read token for everything else.

Tokens are compared in constant time. Reads accept the read token as `Authorization: Bearer TOKEN`, as
the `access_token` query parameter (as Canvas does; the server keeps no access log, so the query string
is never written anywhere), or as the password of HTTP Basic auth so that a person's browser can open the
pages (it asks once). The ingest token is accepted in the header only.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from fastapi import Request

from web.config import ServeConfig


class Unauthorized(Exception):
    """A request without the credentials it needs (401; nothing is kept or shown)."""

    def __init__(self, message: str, browser: bool = False) -> None:
        super().__init__(message)
        self.browser = browser


def same(given: str | None, wanted: str | None) -> bool:
    return given is not None and wanted is not None and hmac.compare_digest(given.encode(), wanted.encode())


def credentials(request: Request) -> tuple[str | None, str | None]:
    """(scheme, secret) of the Authorization header: a Bearer token, or a Basic password."""
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return scheme, value.strip()
    if scheme == "basic":
        try:
            return scheme, base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return scheme, None
    return None, None


def check_ingest_token(request: Request, config: ServeConfig) -> bool:
    """Whether an unsigned delivery carries the ingest token."""
    scheme, secret = credentials(request)
    return scheme == "bearer" and same(secret, config.ingest_token)


def check_read(request: Request, config: ServeConfig, page: bool = False) -> None:
    """Reads need the read token when one is set (it must be, beyond loopback)."""
    if config.read_token is None and config.loopback:
        return
    _scheme, secret = credentials(request)
    if secret is None:
        secret = request.query_params.get("access_token")
    if not same(secret, config.read_token):
        raise Unauthorized(
            "reads need Authorization: Bearer $MASTERY_READ_TOKEN (or ?access_token=$MASTERY_READ_TOKEN)", browser=page
        )
