"""Canvas's pagination for the read API: `page` (1-based) and `per_page` (default 10, at most 100: larger
values are clamped as Canvas clamps them), an RFC 5988 `Link` header (rel current, next, prev, first, last;
next is absent on the last page, prev on the first), and the `meta.pagination` object Canvas's
`Api.jsonapi_meta` builds (lib/api.rb): per_page, the same links, page, template, count, page_count.

Links are absolute URLs built from the request's own URL, keeping every other query parameter (repeated
ones such as `include[]` too) except `access_token`: a secret is never echoed into a header or a body.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request

from web.errors import Problem

PER_PAGE = 10  # Canvas's Api::PER_PAGE
MAX_PER_PAGE = 100  # Canvas's Api::MAX_PER_PAGE
SECRET_PARAMETERS = frozenset({"access_token"})
T = TypeVar("T")


def page_numbers(request: Request, default: int = PER_PAGE) -> tuple[int, int]:
    """(page, per_page) asked for; 400 naming the parameter when one is not a whole number >= 1."""
    numbers = []
    for name, fallback in (("page", 1), ("per_page", default)):
        text = request.query_params.get(name)
        if text is None or text.strip() == "":
            numbers.append(fallback)
            continue
        text = text.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) < 1:
            raise Problem(400, f"{name}: {text[:40]!r} is not a whole number of at least 1")
        numbers.append(int(text))
    page, per_page = numbers
    return page, min(per_page, MAX_PER_PAGE)


def page_url(request: Request, page: int, per_page: int) -> str:
    """The request's URL on another page: its other query parameters kept, in order."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "per_page", *SECRET_PARAMETERS)]
    query = urlencode([*kept, ("page", str(page)), ("per_page", str(per_page))])
    base = request.url.replace(query="", fragment="")
    return f"{str(base).rstrip('?')}?{query}"


def paginate(
    request: Request, items: Sequence[T], default: int = PER_PAGE
) -> tuple[list[T], dict[str, str], dict[str, Any]]:
    """The page's items, the response headers (`Link`), and Canvas's `{"pagination": {...}}` meta."""
    page, per_page = page_numbers(request, default)
    count = len(items)
    page_count = math.ceil(count / per_page)
    last = max(page_count, 1)
    rels: dict[str, int] = {"current": page}
    if page < page_count:
        rels["next"] = page + 1
    if page > 1:
        rels["prev"] = page - 1
    rels["first"] = 1
    rels["last"] = last
    urls = {rel: page_url(request, number, per_page) for rel, number in rels.items()}
    link = ",".join(f'<{url}>; rel="{rel}"' for rel, url in urls.items())
    start = (page - 1) * per_page
    meta: dict[str, Any] = {"per_page": per_page, **urls, "page": page}
    tail = f"page={page}&per_page={per_page}"  # page_url always ends so
    meta["template"] = urls["current"].removesuffix(tail) + f"page={{page}}&per_page={per_page}"
    meta["count"] = count
    meta["page_count"] = page_count
    return list(items[start : start + per_page]), {"Link": link}, {"pagination": meta}
