"""Canvas's parameter conventions for the read API, shared by its routes: list parameters in both forms
(`name[]=a&name[]=b`, or `name=a,b` split on commas as canvas-lms `Api.value_to_array` splits a string),
the `include[]` check of `OutcomeResultsController#verify_include_parameter` with Canvas's 400 messages,
the read dependency, and the JSON response.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Query, Request
from fastapi.responses import Response

from web.auth import check_read
from web.errors import Problem

Account = Annotated[str | None, Query(description="Root account uuid (implied when the store holds one).")]
AsOf = Annotated[str | None, Query(description="State as of this time (a date means the end of that day).")]
KnownAt = Annotated[str | None, Query(description="Only events recorded by this time.")]
Page = Annotated[str | None, Query(description="Page number, from 1 (Canvas pagination; see the `Link` header).")]
PerPage = Annotated[str | None, Query(description="Items per page: default 10, at most 100 (larger is clamped).")]
# What `include[]` may name on outcome_rollups / outcome_results (Canvas's `include_*` methods).
INCLUDES = (
    "courses",
    "users",
    "outcomes",
    "outcome_groups",
    "outcome_links",
    "outcome_paths",
    "alignments",
    "outcomes.alignments",
    "assignments",
)


async def readable(request: Request) -> None:
    check_read(request, request.app.state.config)


def json(value: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(value), media_type="application/json", headers=headers)


def values(request: Request, name: str) -> list[str] | None:
    """A list parameter, given as `name[]` (repeatable) or `name` (a comma-separated string); None when absent."""
    params = request.query_params
    found = list(params.getlist(f"{name}[]"))
    for text in params.getlist(name):
        found += [part for part in text.split(",") if part.strip()]
    if not found and f"{name}[]" not in params and name not in params:
        return None
    return list(dict.fromkeys(v.strip() for v in found if v.strip()))


def check_includes(includes: list[str], aggregate: str | None) -> None:
    """Canvas's 400s for `include[]`: `courses` only with aggregate=course, `users` only without aggregate,
    and any other name it has no collection for."""
    for name in includes:
        if name == "courses" and aggregate != "course":
            raise Problem(400, "can't include courses unless aggregate is 'course'")
        if name == "users" and aggregate:
            raise Problem(400, "can't include users unless aggregate is not set")
        if name not in INCLUDES:
            raise Problem(400, f"invalid include: {name}")
