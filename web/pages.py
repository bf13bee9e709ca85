"""The pages a person opens: the courses (with their names), a course's mastery grid (now or as it was on
any day; one section, or without inactive / concluded students), and an outcome with its history.
Rendered server-side; no script anywhere.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response

from domain.people import EXCLUDABLE
from projections.queries.catalog import named_courses
from web.api import audit_trail, outcome_state
from web.auth import check_read
from web.errors import Problem
from web.render import CSS, page


async def readable(request: Request) -> None:
    check_read(request, request.app.state.config, page=True)


router = APIRouter(tags=["pages"], include_in_schema=False)
pages = APIRouter(dependencies=[Depends(readable)], include_in_schema=False)


@router.get("/static/mastery.css")
async def stylesheet() -> Response:
    return FileResponse(CSS, media_type="text/css")


def carried(account: str | None) -> str:
    """The query string that keeps a chosen root account on every link."""
    return "?" + urlencode({"account": account}) if account else ""


@pages.get("/")
async def index(request: Request, account: str | None = None) -> Response:
    def read() -> tuple[str, list]:
        with request.app.state.service.reading(account) as r:
            return r.root, named_courses(r.view())

    root, found = await request.app.state.service.read(read)
    return page("index.html", root=root, courses=found, qs=carried(account))


HIDDEN = tuple(EXCLUDABLE)  # the page's "hide" checkboxes, as `rollups --exclude` takes them


@pages.get("/courses/{course_id}")
async def course(
    request: Request,
    course_id: str,
    as_of: str | None = None,
    known_at: str | None = None,
    account: str | None = None,
    section: str | None = None,
    exclude: Annotated[list[str] | None, Query()] = None,
) -> Response:
    from web.api import section as checked_section
    from web.grid import course_grid

    hidden = frozenset(e for e in exclude or [] if e in HIDDEN)

    def read() -> tuple[str, Any]:
        with request.app.state.service.reading(account) as r:
            local = r.local(course_id, "course_id")
            as_of_time, known_at_time = r.time(as_of, "as_of"), r.time(known_at, "known_at")
            chosen = checked_section(r, r.view(as_of_time, known_at_time), local, section) if section else None
            grid = course_grid(r.conn, r.root, local, as_of_time, known_at_time, exclude=hidden, section=chosen)
            return local, grid

    local, grid = await request.app.state.service.read(read)
    day = (as_of or "")[:10] if as_of else None
    return page(
        "course.html",
        status=404 if grid is None and not (as_of or known_at) else 200,
        course=local,
        grid=grid,
        day=day,
        account=account,
        hidden=HIDDEN,
        qs=carried(account),
    )


@pages.get("/outcomes/{outcome_id}")
async def outcome(request: Request, outcome_id: str, as_of: str | None = None, account: str | None = None) -> Response:
    state = await request.app.state.service.read(outcome_state, request, outcome_id, as_of, None, account)
    trail = await request.app.state.service.read(audit_trail, request, "outcome", outcome_id, account)
    if state is None and not trail["entries"]:
        raise Problem(404, f"outcome {outcome_id} has no events")
    return page("outcome.html", outcome_id=trail["id"], state=state, entries=trail["entries"], qs=carried(account))


router.include_router(pages)
