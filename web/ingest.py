"""POST /events: Canvas Data Services' HTTPS delivery, one Live Event per request (or a JSON array), raw
JSON with the ingest bearer token or a signed JWT.

The answer is 2xx only once the request's items are committed in one store transaction: appended, found
duplicates, ignored, or quarantined (unusable input is kept with its reason and answered 2xx with its
quarantine id, so Canvas does not resend it). Anything else is non-2xx, so Canvas tries again. The body
must arrive within the body deadline (408 otherwise); checking a signature, fetching keys and parsing run
on worker threads, never on the event loop.
"""

from __future__ import annotations

import io

import anyio
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sources import RawItem, iter_items
from web.auth import Unauthorized, check_ingest_token
from web.checks import accepted, element
from web.errors import Problem
from web.signing import BadSignature, KeysUnavailable, UnusableClaims, looks_signed, signed_event

router = APIRouter(tags=["ingest"])
SOURCE = "http"

COUNTS = {"read": 1, "appended": 1, "duplicates": 0, "quarantined": 0, "ignored": 0, "quarantine_ids": []}


@router.post(
    "/events",
    summary="Receive Canvas Live Events (JSON, a JSON array, or a signed JWT)",
    responses={
        200: {"content": {"application/json": {"example": COUNTS}}},
        401: {"description": "no ingest token and no valid signature; nothing kept"},
        408: {"description": "the body did not arrive within the deadline; nothing kept"},
        413: {"description": "the body is over the size limit"},
        503: {"description": "the signing keys cannot be fetched now; nothing kept"},
    },
)
async def post_events(request: Request) -> Response:
    """Keep the delivered events exactly once; answer the accounting of this request."""
    config, service = request.app.state.config, request.app.state.service
    body = await limited_body(request, config.max_body, config.body_timeout)
    items = await run_in_threadpool(delivered, request, body)
    counts = await run_in_threadpool(service.ingest, items)
    return Response(
        orjson.dumps({**counts.as_json(), "quarantine_ids": counts.quarantine_ids}), media_type="application/json"
    )


async def limited_body(request: Request, limit: int, deadline: float) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed the limit, 408 if it comes too slowly."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"the body is {declared} bytes; the limit is {limit} (one event per request)")
    chunks, size = [], 0
    with anyio.move_on_after(deadline) as scope:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Problem(413, f"the body is over the limit of {limit} bytes (one event per request)")
            chunks.append(chunk)
    if scope.cancelled_caught:
        raise Problem(408, f"the body did not arrive within {deadline:g} s; nothing was kept")
    return b"".join(chunks)


def delivered(request: Request, body: bytes) -> list[RawItem]:
    """The raw items of an authorised delivery, each checked; Unauthorized before anything is read otherwise."""
    config = request.app.state.config
    if looks_signed(body):
        found = [signed(request, body)]
    else:
        if not check_ingest_token(request, config):
            raise Unauthorized("POST /events needs Authorization: Bearer $MASTERY_INGEST_TOKEN or a signed payload")
        if not body.strip():
            raise Problem(400, "the body is empty: send one Live Event as JSON, a JSON array, or a signed JWT")
        if body.startswith(b"\x1f\x8b"):  # a small gzip body can expand without bound
            raise Problem(415, "compressed bodies are not accepted: send the JSON itself")
        found = items(body)
    return [accepted(item, config.accept_accounts) for item in found]


def signed(request: Request, body: bytes) -> RawItem:
    """The one event of a verified token (an error item when its claims are not usable)."""
    keys, config = request.app.state.keys, request.app.state.config
    if keys is None:
        raise Unauthorized("a signed payload arrived but MASTERY_JWKS is not set, so it cannot be checked")
    try:
        event = signed_event(body, keys, config.jwt_issuers, config.jwt_audiences)
    except BadSignature as error:
        raise Unauthorized(str(error)) from None
    except KeysUnavailable as error:
        raise Problem(503, str(error)) from None
    except UnusableClaims as error:
        return RawItem(f"{SOURCE}:jwt", 1, error.text, None, f"the signed claims are not usable: {error}")
    return element(f"{SOURCE}:jwt", event, body.decode("utf-8", "backslashreplace"))


def items(body: bytes) -> list[RawItem]:
    """One item per event: a JSON object, each element of an array; other input through the file reader
    (JSON Lines, concatenated values, and the reasons for what is not JSON)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return list(iter_items(SOURCE, io.BytesIO(body)))
    if isinstance(value, list):  # each element's text is its own, serialised once
        fallback = body.decode("utf-8", "backslashreplace")
        return [element(f"{SOURCE}[{i}]", v, fallback) for i, v in enumerate(value)]
    return [RawItem(SOURCE, 1, body.decode(), value, None)]  # parse() checks its shape
