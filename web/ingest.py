"""POST /events: Canvas Data Services' HTTPS delivery, one Live Event per request (or a JSON array), raw
JSON with the ingest bearer token or a signed JWT.

The answer is 2xx only once the request's items are committed in one store transaction: appended, found
duplicates, ignored, or quarantined (unusable input is kept with its reason and answered 2xx with its
quarantine id, so Canvas does not resend it). Anything else is non-2xx, so Canvas tries again.
"""

from __future__ import annotations

import io

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from store.sources import RawItem, iter_items
from web.auth import Unauthorized, check_ingest_token
from web.errors import Problem
from web.signing import BadSignature, looks_signed, signed_event

router = APIRouter(tags=["ingest"])
SOURCE = "http"

COUNTS = {"read": 1, "appended": 1, "duplicates": 0, "quarantined": 0, "ignored": 0, "quarantine_ids": []}


@router.post("/events", summary="Receive Canvas Live Events (JSON, a JSON array, or a signed JWT)",
             responses={200: {"content": {"application/json": {"example": COUNTS}}},
                        401: {"description": "no ingest token and no valid signature; nothing kept"},
                        413: {"description": "the body is over the size limit"}})
async def post_events(request: Request) -> Response:
    """Keep the delivered events exactly once; answer the accounting of this request."""
    config, service = request.app.state.config, request.app.state.service
    body = await limited_body(request, config.max_body)
    items = delivered(request, body)
    counts = await run_in_threadpool(service.ingest, items)
    return Response(orjson.dumps({**counts.as_json(), "quarantine_ids": counts.quarantine_ids}),
                    media_type="application/json")


async def limited_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed the limit."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"the body is {declared} bytes; the limit is {limit} (one event per request)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"the body is over the limit of {limit} bytes (one event per request)")
        chunks.append(chunk)
    return b"".join(chunks)


def delivered(request: Request, body: bytes) -> list[RawItem]:
    """The raw items of an authorised delivery; Unauthorized before anything is read otherwise."""
    if looks_signed(body):
        keys = request.app.state.keys
        if keys is None:
            raise Unauthorized("a signed payload arrived but MASTERY_JWKS is not set, so it cannot be checked")
        try:
            event = signed_event(body, keys)
        except BadSignature as error:
            raise Unauthorized(str(error)) from None
        return [RawItem(f"{SOURCE}:jwt", 1, orjson.dumps(event).decode(), event, None)]
    if not check_ingest_token(request, request.app.state.config):
        raise Unauthorized("POST /events needs Authorization: Bearer $MASTERY_INGEST_TOKEN or a signed payload")
    if not body.strip():
        raise Problem(400, "the body is empty: send one Live Event as JSON, a JSON array, or a signed JWT")
    if body.startswith(b"\x1f\x8b"):  # a small gzip body can expand without bound
        raise Problem(415, "compressed bodies are not accepted: send the JSON itself")
    return items(body)


def items(body: bytes) -> list[RawItem]:
    """One item per event: a JSON object, each element of an array; other input through the file reader
    (JSON Lines, concatenated values, and the reasons for what is not JSON)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return list(iter_items(SOURCE, io.BytesIO(body)))
    if isinstance(value, list):
        return [RawItem(f"{SOURCE}[{i}]", 1, orjson.dumps(v).decode(), v, None) for i, v in enumerate(value)]
    return [RawItem(SOURCE, 1, body.decode(), value, None)]
