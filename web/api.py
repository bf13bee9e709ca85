"""The read API, Canvas-compatible where Canvas has the call: a course's outcome_rollups, an outcome, and
an outcome's audit trail; every answer now, or as of a time (`as_of`) and as known at a time (`known_at`).

The rollups JSON is the one `mastery rollups --json` prints (the same function); `linked.outcomes` is
always there, so `include[]=outcomes` is accepted and changes nothing; `linked.users` only with
`include[]=users` (the CLI always prints it; with `aggregate=course` too, where Canvas refuses it: here
it names the students aggregated). As Canvas's outcome_results_controller does: `user_ids[]`
takes Canvas user ids (local or global) and `sis_user_id:X` (and here user_uuids), and one that names no
student is a 400 ("can only include id's of users in the outcome context"); `user_ids[]` with `section_id`
is a 400; `exclude[]=inactive_enrollments` / `concluded_enrollments` leave out students whose enrollments
are all inactive / concluded, and other `exclude[]` values are ignored as Canvas ignores them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from domain.people import EXCLUDABLE
from projections.queries.catalog import named_courses
from web.auth import check_read
from web.errors import Problem
from web.service import checked_id

Account = Annotated[str | None, Query(description="Root account uuid (implied when the store holds one).")]
AsOf = Annotated[str | None, Query(description="State as of this time (a date means the end of that day).")]
KnownAt = Annotated[str | None, Query(description="Only events recorded by this time.")]
UserIds = Annotated[
    list[str] | None,
    Query(alias="user_ids[]", description="Only these students: Canvas user id, `sis_user_id:X` or user_uuid."),
]
OutcomeIds = Annotated[list[str] | None, Query(alias="outcome_ids[]", description="Only these outcomes.")]
Include = Annotated[
    list[str] | None, Query(alias="include[]", description="`users` (linked.users); `outcomes` (always there).")
]
Exclude = Annotated[
    list[str] | None,
    Query(alias="exclude[]", description="`inactive_enrollments`, `concluded_enrollments` (others are ignored)."),
]
SectionId = Annotated[str | None, Query(description="Only the students of this course section.")]
EXCLUDES = {f"{name}_enrollments": name for name in EXCLUDABLE}  # Canvas's exclude[] names
NOT_IN_CONTEXT = "can only include id's of users in the outcome context"


async def readable(request: Request) -> None:
    check_read(request, request.app.state.config)


router = APIRouter(tags=["read"], dependencies=[Depends(readable)])


def json(value: Any) -> Response:
    return Response(orjson.dumps(value), media_type="application/json")


@router.get("/courses", summary="Courses in the store: name, state, account and counts")
async def list_courses(request: Request, account: Account = None) -> Response:
    def read() -> Any:
        with request.app.state.service.reading(account) as r:
            return {"courses": named_courses(r.view())}

    return json(await request.app.state.service.read(read))


@router.get("/courses/{course_id}/outcome_rollups", summary="Canvas's outcome_rollups for a course")
async def outcome_rollups(
    request: Request,
    course_id: str,
    user_ids: UserIds = None,
    outcome_ids: OutcomeIds = None,
    aggregate: Annotated[Literal["course"] | None, Query(description="`course`: one course rollup.")] = None,
    aggregate_stat: Literal["mean", "median"] = "mean",
    include: Include = None,
    exclude: Exclude = None,
    section_id: SectionId = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    account: Account = None,
) -> Response:
    from projections.queries.outcome_rollups import rollups

    if user_ids and section_id:
        raise Problem(400, "cannot specify both user_ids and section_id")

    def read() -> Any:
        with request.app.state.service.reading(account) as r:
            as_of_time, known_at_time = r.time(as_of, "as_of"), r.time(known_at, "known_at")
            view = r.view(as_of_time, known_at_time)
            course = r.local(course_id, "course_id")
            return rollups(
                r.conn,
                r.root,
                course,
                as_of=as_of_time,
                known_at=known_at_time,
                aggregate=aggregate_stat if aggregate else None,
                user_ids=[student(view, checked_id(u, "user_ids[]")) for u in user_ids or []] or None,
                outcome_ids=[r.local(o, "outcome_ids[]") for o in outcome_ids or []] or None,
                exclude=frozenset(EXCLUDES[e] for e in exclude or [] if e in EXCLUDES),
                section=section(r, view, course, section_id) if section_id else None,
            )

    answer = await request.app.state.service.read(read)
    if "users" not in (include or []):
        answer["linked"].pop("users", None)
    if not answer["linked"]["outcomes"]:
        raise Problem(
            404,
            f"course {course_id} has no outcomes or results in the store"
            + (" at that time" if as_of or known_at else ""),
        )
    return json(answer)


def student(view: Any, ref: str) -> str:
    """The user_uuid a `user_ids[]` value names (Canvas user id local or global, `sis_user_id:X`,
    user_uuid; no prefixes or names over HTTP); 400 as Canvas answers when it names no one student."""
    from projections.queries.people import AmbiguousStudent, UnknownStudent, resolve_student

    try:
        return resolve_student(view, ref.strip())
    except UnknownStudent:
        raise Problem(400, f"{NOT_IN_CONTEXT}: no student {ref!r}") from None
    except AmbiguousStudent as error:
        raise Problem(400, f"{NOT_IN_CONTEXT}: {ref!r} names {len(error.matches)} students") from None


def section(r: Any, view: Any, course: str, section_id: str) -> str:
    """The local id of `section_id`; 400 ("invalid section id", as Canvas) when the course's section
    events name other sections only."""
    from projections.queries.people import sections

    local = r.local(section_id, "section_id")
    known = sections(view, course)
    if known and local not in {s.id for s in known}:
        raise Problem(400, f"invalid section id: course {course} has no section {section_id}")
    return local


@router.get("/outcomes/{outcome_id}", summary="An outcome's Canvas fields, now or as of a time")
async def outcome(
    request: Request, outcome_id: str, as_of: AsOf = None, known_at: KnownAt = None, account: Account = None
) -> Response:
    state = await request.app.state.service.read(outcome_state, request, outcome_id, as_of, known_at, account)
    if state is None:
        raise Problem(404, f"outcome {outcome_id} has no events" + (" by that time" if as_of or known_at else ""))
    return json(state)


def outcome_state(
    request: Request, outcome_id: str, as_of: str | None, known_at: str | None, account: str | None
) -> dict[str, Any] | None:
    """The outcome folded from its events inside the cut (None when it has none)."""
    from domain.fold import projector
    from domain.outcome import evolve
    from projections.problems import excluded

    with request.app.state.service.reading(account) as r:
        cut = projector(evolve, r.time(as_of, "as_of"), r.time(known_at, "known_at"))
        state = r.store.fold(
            r.root, "outcome", r.local(outcome_id, "outcome_id"), cut, excluded(r.conn, 1, r.store.head())
        )
    return None if state is None else state.model_dump(mode="json")


@router.get("/outcomes/{outcome_id}/audit", summary="Who changed an outcome, when, field by field")
async def outcome_audit(request: Request, outcome_id: str, account: Account = None) -> Response:
    answer = await request.app.state.service.read(audit_trail, request, "outcome", outcome_id, account)
    if not answer["entries"]:
        raise Problem(404, f"no events for outcome {outcome_id}")
    return json(answer)


def audit_trail(request: Request, kind: str, entity_id: str, account: str | None) -> dict[str, Any]:
    from projections.queries.audit import by_entity

    with request.app.state.service.reading(account) as r:
        return by_entity(r.store, r.conn, r.root, kind, r.local(entity_id, f"{kind}_id"))
