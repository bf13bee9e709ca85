"""The pages a person opens: the root accounts and their courses (with their names), a course's mastery grid
(now or as it was on any day; one section, or without inactive / concluded students; sorted and filtered by
links; a chart of the students per rating for each outcome; the same rows as CSV), a student's outcomes in a
course with their mastery over time, how one score came out (`mastery explain`), and an outcome with its
history. Every page prints its absolute cut and when it was made. Rendered server-side; no script anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response

from domain.people import EXCLUDABLE
from projections.queries.catalog import named_courses
from web.api import audit_trail, outcome_state
from web.auth import check_read
from web.errors import Problem
from web.grid import utc_text
from web.render import CSS, page


async def readable(request: Request) -> None:
    check_read(request, request.app.state.config, page=True)


router = APIRouter(tags=["pages"], include_in_schema=False)
pages = APIRouter(dependencies=[Depends(readable)], include_in_schema=False)
Exclude = Annotated[list[str] | None, Query()]


@router.get("/static/mastery.css")
async def stylesheet() -> Response:
    return FileResponse(CSS, media_type="text/css")


def carried(account: str | None) -> str:
    """The query string that keeps a chosen root account on every link."""
    return "?" + urlencode({"account": account}) if account else ""


@pages.get("/")
async def index(request: Request, account: str | None = None) -> Response:
    """Every root account the store holds (with its host) and its courses; with `account`, that one only.
    Course links carry `?account=` whenever the store holds more than one account."""
    from projections.queries.people import accounts
    from projections.views import View

    service = request.app.state.service

    def read() -> list[dict[str, Any]]:
        if account:  # that account only (404 when the store does not hold it)
            with service.reading(account) as r:
                return listed(r.conn, [a for a in accounts(r.conn) if a.root == r.root], always=True)
        with service.reading_all() as conn:  # every account: none is chosen
            return listed(conn, accounts(conn), always=False)

    def listed(conn: Any, found: list, always: bool) -> list[dict[str, Any]]:
        return [
            {
                "root": a.root,
                "host": a.host,
                "local_id": a.local_id,
                "courses": named_courses(View(conn, a.root)),
                "qs": carried(a.root) if always or len(found) > 1 else "",
            }
            for a in found
        ]

    found = await service.read(read)
    return page("index.html", accounts=found, made_at=utc_text(datetime.now(UTC)), qs=carried(account))


HIDDEN = tuple(EXCLUDABLE)  # the page's "hide" checkboxes, as `rollups --exclude` takes them


def course_cut(
    r: Any, course_id: str, as_of: str | None, known_at: str | None, section: str | None
) -> tuple[str, datetime | None, datetime | None, str | None]:
    """A course page's local course id, its two times and its checked section (400s name the parameter)."""
    from web.api import section as checked_section

    local = r.local(course_id, "course_id")
    as_of_time, known_at_time = r.time(as_of, "as_of"), r.time(known_at, "known_at")
    chosen = checked_section(r, r.view(as_of_time, known_at_time), local, section) if section else None
    return local, as_of_time, known_at_time, chosen


@pages.get("/courses/{course_id}")
async def course(
    request: Request,
    course_id: str,
    as_of: str | None = None,
    known_at: str | None = None,
    account: str | None = None,
    section: str | None = None,
    exclude: Exclude = None,
    sort: str | None = None,
    order: str | None = None,
    only: str | None = None,
    outcome: str | None = None,
) -> Response:
    from web.grid import GridParameter, arranged, course_grid

    hidden = frozenset(e for e in exclude or [] if e in HIDDEN)

    def read() -> tuple[str, dict[str, Any] | None, str | None]:
        with request.app.state.service.reading(account) as r:
            local, as_of_time, known_at_time, chosen = course_cut(r, course_id, as_of, known_at, section)
            grid = course_grid(r.conn, r.root, local, as_of_time, known_at_time, exclude=hidden, section=chosen)
            wanted = r.local(outcome, "outcome") if outcome else None
            return local, grid, wanted

    local, grid, wanted = await request.app.state.service.read(read)
    if grid is not None:
        try:
            grid = arranged(grid, sort, order, only, wanted)
        except GridParameter as error:
            raise Problem(400, str(error)) from None
    day = (as_of or "")[:10] if as_of else None
    cut = {"as_of": as_of, "known_at": known_at, "account": account}
    here = cut | {
        "section": section,
        "exclude": sorted(hidden),
        "sort": sort,
        "order": order,
        "only": only,
        "outcome": outcome,
    }
    return page(
        "course.html",
        status=404 if grid is None and not (as_of or known_at) else 200,
        course=local,
        grid=grid,
        day=day,
        account=account,
        hidden=HIDDEN,
        qs=carried(account),
        cut=cut,
        here=here,
    )


@pages.get("/courses/{course_id}/rollups.csv")
async def course_csv(
    request: Request,
    course_id: str,
    as_of: str | None = None,
    known_at: str | None = None,
    account: str | None = None,
    section: str | None = None,
    exclude: Exclude = None,
) -> Response:
    """What `mastery rollups --course C --csv` prints for the same cut, section and exclusions (the same
    writer, projections.queries.csv_out)."""
    from projections.queries.csv_out import csv_text, rollups_rows
    from projections.queries.outcome_rollups import rollups

    unknown = [e for e in exclude or [] if e not in HIDDEN]
    if unknown:
        raise Problem(400, f"exclude: {unknown[0]!r} is not one of {', '.join(HIDDEN)}")

    def read() -> tuple[str, dict[str, Any]]:
        with request.app.state.service.reading(account) as r:
            local, as_of_time, known_at_time, chosen = course_cut(r, course_id, as_of, known_at, section)
            answer = rollups(
                r.conn,
                r.root,
                local,
                as_of=as_of_time,
                known_at=known_at_time,
                exclude=frozenset(exclude or []),
                section=chosen,
            )
            return local, answer

    local, answer = await request.app.state.service.read(read)
    if not answer["linked"]["outcomes"]:
        raise Problem(
            404,
            f"course {course_id} has no outcomes or results in the store"
            + (" at that time" if as_of or known_at else ""),
        )
    return Response(
        csv_text(*rollups_rows(answer)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="course-{local}-rollups.csv"'},
    )


@pages.get("/students/{student_ref}")
async def student(
    request: Request,
    student_ref: str,
    course: str | None = None,
    as_of: str | None = None,
    known_at: str | None = None,
    account: str | None = None,
) -> Response:
    """A student's outcomes in a course (score, rating, results) and each outcome's mastery over time."""
    from web.student_pages import student_page

    if not course:
        raise Problem(400, "course: give the course whose outcomes to show (?course=ID)")
    values = await request.app.state.service.read(student_page, request, student_ref, course, as_of, known_at, account)
    return page("student.html", **values, cut={"as_of": as_of, "known_at": known_at, "account": account})


@pages.get("/courses/{course_id}/students/{student_ref}/outcomes/{outcome_id}")
async def explained(
    request: Request,
    course_id: str,
    student_ref: str,
    outcome_id: str,
    as_of: str | None = None,
    known_at: str | None = None,
    account: str | None = None,
) -> Response:
    """How one student's score for one outcome came out: `mastery explain`'s answer."""
    from web.student_pages import explain_page

    values = await request.app.state.service.read(
        explain_page, request, course_id, student_ref, outcome_id, as_of, known_at, account
    )
    return page("explain.html", **values, cut={"as_of": as_of, "known_at": known_at, "account": account})


@pages.get("/outcomes/{outcome_id}")
async def outcome_page(
    request: Request, outcome_id: str, as_of: str | None = None, account: str | None = None
) -> Response:
    state = await request.app.state.service.read(outcome_state, request, outcome_id, as_of, None, account)
    trail = await request.app.state.service.read(audit_trail, request, "outcome", outcome_id, account)
    if state is None and not trail["entries"]:
        raise Problem(404, f"outcome {outcome_id} has no events")
    return page("outcome.html", outcome_id=trail["id"], state=state, entries=trail["entries"], qs=carried(account))


router.include_router(pages)
