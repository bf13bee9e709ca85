"""Canvas's course routes, as far as the events know courses: `GET /api/v1/courses` (a bare, paginated list
of Canvas Course objects, as Canvas's "list your courses"), `GET /api/v1/courses/:id`, and
`GET /api/v1/accounts/:id/courses` (the courses last seen in that account; all of them for the root
account, whose sub-accounts' courses Canvas lists too). Shapes in
projections/queries/course_shapes.py; every answer now, or as of / as known at a time.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from web.canvas_params import Account, AsOf, KnownAt, Page, PerPage, json, readable
from web.errors import Problem
from web.paging import paginate

router = APIRouter(tags=["read"], dependencies=[Depends(readable)])


def course_list(request: Request, as_of: str | None, known_at: str | None, account: str | None) -> list[Any]:
    from projections.queries.catalog import named_courses
    from projections.queries.course_shapes import canvas_course

    with request.app.state.service.reading(account) as r:
        view = r.view(r.time(as_of, "as_of"), r.time(known_at, "known_at"))
        return [canvas_course(view, c) for c in named_courses(view)]


@router.get("/courses", summary="Courses in the store, in Canvas's Course shape (paginated)")
async def list_courses(
    request: Request,
    page: Page = None,
    per_page: PerPage = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    account: Account = None,
) -> Response:
    found = await request.app.state.service.read(course_list, request, as_of, known_at, account)
    items, headers, _meta = paginate(request, found)
    return json(items, headers)


@router.get("/courses/{course_id}", summary="One course in Canvas's Course shape")
async def get_course(
    request: Request, course_id: str, as_of: AsOf = None, known_at: KnownAt = None, account: Account = None
) -> Response:
    def read() -> Any:
        from projections.queries.catalog import named_courses
        from projections.queries.course_shapes import canvas_course, known_course

        with request.app.state.service.reading(account) as r:
            course = r.local(course_id, "course_id")
            if not known_course(r.view(), course):
                raise Problem(404, f"course {course_id} is not in the store: no event speaks of it")
            view = r.view(r.time(as_of, "as_of"), r.time(known_at, "known_at"))
            found = [c for c in named_courses(view) if c["course"] == course]
            empty = {"course": course, "students": 0, "outcomes": 0, "results": 0, "account": None}
            return canvas_course(view, found[0] if found else empty | {"name": None, "workflow_state": None})

    return json(await request.app.state.service.read(read))


@router.get("/accounts/{account_id}/courses", summary="The courses of one account (paginated)")
async def account_courses(
    request: Request,
    account_id: str,
    page: Page = None,
    per_page: PerPage = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    account: Account = None,
) -> Response:
    def read() -> Any:
        from projections.queries.catalog import named_courses
        from projections.queries.course_shapes import canvas_course

        with request.app.state.service.reading(account) as r:
            wanted = r.local(account_id, "account_id")
            view = r.view(r.time(as_of, "as_of"), r.time(known_at, "known_at"))
            courses = named_courses(view)
            if wanted == view.root_local_id():  # the root account: every course, sub-accounts' too
                return [canvas_course(view, c) for c in courses]
            if wanted not in {c["account"] for c in courses}:
                raise Problem(404, f"account {account_id} is not in the store: no course was seen in it")
            return [canvas_course(view, c) for c in courses if c["account"] == wanted]

    items, headers, _meta = paginate(request, await request.app.state.service.read(read))
    return json(items, headers)
