"""The read API, Canvas-compatible where Canvas has the call: a course's outcome_rollups, an outcome, and
an outcome's audit trail; every answer now, or as of a time (`as_of`) and as known at a time (`known_at`).

The rollups JSON is the one `mastery rollups --json` prints (the same function); `linked.outcomes` is
always there, so `include[]=outcomes` is accepted and changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from web.auth import check_read
from web.errors import Problem
from web.service import checked_id

Account = Annotated[str | None, Query(description="Root account uuid (implied when the store holds one).")]
AsOf = Annotated[str | None, Query(description="State as of this time (a date means the end of that day).")]
KnownAt = Annotated[str | None, Query(description="Only events recorded by this time.")]
UserIds = Annotated[list[str] | None, Query(alias="user_ids[]", description="Only these students (user_uuid).")]
OutcomeIds = Annotated[list[str] | None, Query(alias="outcome_ids[]", description="Only these outcomes.")]
Include = Annotated[list[str] | None, Query(alias="include[]", description="`outcomes` (always there).")]


async def readable(request: Request) -> None:
    check_read(request, request.app.state.config)


router = APIRouter(tags=["read"], dependencies=[Depends(readable)])


def json(value: Any) -> Response:
    return Response(orjson.dumps(value), media_type="application/json")


@router.get("/courses", summary="Courses in the store, with their account and counts")
async def list_courses(request: Request, account: Account = None) -> Response:
    from projections.queries.catalog import courses

    def read() -> Any:
        with request.app.state.service.reading(account) as r:
            return {"courses": courses(r.view())}

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
    as_of: AsOf = None,
    known_at: KnownAt = None,
    account: Account = None,
) -> Response:
    from projections.queries.outcome_rollups import rollups

    def read() -> Any:
        with request.app.state.service.reading(account) as r:
            return rollups(
                r.conn,
                r.root,
                r.local(course_id, "course_id"),
                as_of=r.time(as_of, "as_of"),
                known_at=r.time(known_at, "known_at"),
                aggregate=aggregate_stat if aggregate else None,
                user_ids=[checked_id(u, "user_ids[]") for u in user_ids or []] or None,
                outcome_ids=[r.local(o, "outcome_ids[]") for o in outcome_ids or []] or None,
            )

    answer = await request.app.state.service.read(read)
    if not answer["linked"]["outcomes"]:
        raise Problem(
            404,
            f"course {course_id} has no outcomes or results in the store"
            + (" at that time" if as_of or known_at else ""),
        )
    return json(answer)


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
