"""Canvas's `GET /api/v1/courses/:id/outcome_rollups` and `…/outcome_results`, with Canvas's parameters:
each is applied, or rejected with the 400 Canvas's OutcomeResultsController answers (its messages).

Rollups (the JSON `mastery rollups --json` prints, from the same query) are paginated by student (`page`,
`per_page`, `Link`, `meta.pagination`); `linked.users` names the page's students only, `linked.outcomes`
all outcomes (always there: `include[]=outcomes` changes nothing). `aggregate=course` is one rollup, not
paginated, without `meta.pagination`, as Canvas. Where this differs from Canvas, because events cannot tell:
- the default order (no `sort_by`) is Canvas's `sort_by=student` order (sortable name), not user id;
- students with no counted result are never listed, so `exclude[]=missing_user_rollups` is always in
  effect (Canvas lists enrolled students without results with `scores: []` unless it is given);
- `include[]=alignments`/`outcomes.alignments`/`assignments` list the assets counted results name
  (projections/queries/outcome_results.py); `add_defaults` is accepted: ratings always carry color and
  mastery; `rating_percents=true` adds Canvas's `percent` to each linked outcome's ratings (over every
  listed student, not the page); `contributing_scores=true` is a 400 (not computed here).
Unknown `exclude[]` values are ignored, as Canvas ignores them; unknown `include[]` values are a 400.
A course any event speaks of answers 200 (empty rollups when nothing is known at that time); another, 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from domain.people import EXCLUDABLE
from web.canvas_params import Account, AsOf, KnownAt, Page, PerPage, check_includes, json, readable, values
from web.errors import Problem
from web.paging import paginate
from web.service import checked_id

EXCLUDES = {f"{name}_enrollments": name for name in EXCLUDABLE}  # Canvas's exclude[] names
TRUE = ("true", "1", "yes", "on")
List = Annotated[list[str] | None, Query(description="Repeatable; or one comma-separated value without `[]`.")]

router = APIRouter(tags=["read"], dependencies=[Depends(readable)])


def check_sort(sort_by: str | None, sort_order: str | None, sort_outcome_id: str | None) -> None:
    """Canvas's `verify_sort_parameters` (sort_order and sort_outcome_id only matter with sort_by)."""
    if sort_by is None:
        return
    if sort_by not in ("student", "outcome"):
        raise Problem(400, "invalid sort_by parameter value")
    if sort_by == "outcome":
        if not sort_outcome_id:
            raise Problem(400, "missing required sort_outcome_id parameter value")
        if not (sort_outcome_id.isascii() and sort_outcome_id.isdigit()):
            raise Problem(400, "invalid sort_outcome_id parameter value")
    if sort_order is not None and sort_order not in ("asc", "desc"):
        raise Problem(400, "invalid sort_order parameter value")


def refuse_unsupported(request: Request) -> None:
    for name in ("contributing_scores",):
        if (request.query_params.get(name) or "").strip().lower() in TRUE:
            raise Problem(400, f"{name}=true is not supported by this server (it is not computed from the events)")


@router.get("/courses/{course_id}/outcome_rollups", summary="Canvas's outcome_rollups for a course, paginated")
async def outcome_rollups(
    request: Request,
    course_id: str,
    user_ids: Annotated[List, Query(alias="user_ids[]", description="Canvas user id, sis_user_id:X, user_uuid")] = None,
    outcome_ids: Annotated[List, Query(alias="outcome_ids[]", description="Outcomes linked to the course")] = None,
    outcome_group_id: Annotated[str | None, Query(description="The outcomes of this course group")] = None,
    aggregate: Annotated[str | None, Query(description="`course`: one course rollup")] = None,
    aggregate_stat: Annotated[str | None, Query(description="`mean` (default) or `median`")] = None,
    include: Annotated[List, Query(alias="include[]", description="users, outcomes, outcome_groups, …")] = None,
    exclude: Annotated[List, Query(alias="exclude[]", description="…_enrollments, missing_…")] = None,
    sort_by: Annotated[str | None, Query(description="`student` or `outcome`")] = None,
    sort_order: Annotated[str | None, Query(description="`asc` (default) or `desc`")] = None,
    sort_outcome_id: Annotated[str | None, Query(description="The outcome to sort by")] = None,
    section_id: Annotated[str | None, Query(description="Only the students of this course section")] = None,
    add_defaults: Annotated[str | None, Query(description="Accepted: ratings always carry defaults")] = None,
    rating_percents: Annotated[str | None, Query(description="`true`: ratings[].percent of students")] = None,
    page: Page = None,
    per_page: PerPage = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    account: Account = None,
) -> Response:
    from web.rollups_read import read_rollups

    if aggregate is not None and aggregate != "course":
        raise Problem(400, "invalid aggregate parameter value")
    if aggregate_stat is not None and aggregate_stat not in ("mean", "median"):
        raise Problem(400, "invalid aggregate_stat parameter value")
    check_sort(sort_by, sort_order, sort_outcome_id)
    includes = values(request, "include") or []
    check_includes(includes, aggregate)
    refuse_unsupported(request)
    users, outcomes = values(request, "user_ids"), values(request, "outcome_ids")
    if outcomes and outcome_group_id:
        raise Problem(400, "can't filter by both outcome_ids and outcome_group_id")
    if users and section_id:
        raise Problem(400, "cannot specify both user_ids and section_id")
    excludes = values(request, "exclude") or []
    asked = {
        "course_id": course_id,
        "users": [checked_id(u, "user_ids[]") for u in users or []] or None,
        "outcomes": outcomes,
        "outcome_group_id": outcome_group_id,
        "stat": (aggregate_stat or "mean") if aggregate else None,
        "includes": includes,
        "exclude": frozenset(EXCLUDES[e] for e in excludes if e in EXCLUDES),
        "missing_outcomes": "missing_outcome_results" in excludes,
        "rating_percents": (request.query_params.get("rating_percents") or "").strip().lower() in TRUE,
        "section_id": section_id,
        "as_of": as_of,
        "known_at": known_at,
        "account": account,
    }
    answer = await request.app.state.service.read(read_rollups, request, asked)
    if aggregate:  # one course rollup: no paging, no users (Canvas refuses include[]=users here)
        answer["linked"].pop("users", None)
        answer.pop("sort_outcome", None)
        return json(answer)
    order_rollups(answer, sort_by, sort_order, sort_outcome_id)
    return json(*page_of(request, answer, "users" in includes))


def order_rollups(answer: dict[str, Any], sort_by: str | None, order: str | None, outcome: str | None) -> None:
    """Canvas's orders: by student (sortable name), or by one outcome's score (missing scores last when
    ascending, first when descending; ties by student), reversed for `desc`."""
    rollups = answer["rollups"]
    if sort_by == "outcome" and outcome is not None:
        wanted = answer.pop("sort_outcome", outcome)
        rank = {id(r): i for i, r in enumerate(rollups)}

        def score(rollup: dict[str, Any]) -> float | None:
            found = [s["score"] for s in rollup["scores"] if s["links"]["outcome"] == wanted]
            return found[0] if found else None

        def key(rollup: dict[str, Any]) -> tuple:
            value = score(rollup)
            missing = (value is None) if order != "desc" else (value is not None)
            return (missing, value if value is not None else 0.0, rank[id(rollup)])

        rollups.sort(key=key)
        if order == "desc":
            rollups.reverse()
    elif sort_by == "student" and order == "desc":
        rollups.reverse()
    answer.pop("sort_outcome", None)


def page_of(request: Request, answer: dict[str, Any], with_users: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The page of students asked for: its rollups, its `linked.users`, `meta.pagination`, `Link`."""
    rollups, headers, meta = paginate(request, answer["rollups"])
    answer["rollups"] = rollups
    users = answer["linked"].pop("users", [])
    if with_users:
        on_page = {r["links"]["user"] for r in rollups}
        answer["linked"]["users"] = [u for u in users if (u.get("id") or u["uuid"]) in on_page]
    answer["meta"] = {**answer["meta"], **meta}
    return answer, headers


@router.get("/courses/{course_id}/outcome_results", summary="Canvas's outcome_results for a course, paginated")
async def outcome_results(
    request: Request,
    course_id: str,
    user_ids: Annotated[List, Query(alias="user_ids[]", description="Canvas user id, sis_user_id:X, user_uuid")] = None,
    outcome_ids: Annotated[List, Query(alias="outcome_ids[]", description="Outcomes linked to the course")] = None,
    include: Annotated[List, Query(alias="include[]", description="alignments, outcomes, users, …")] = None,
    include_hidden: Annotated[str | None, Query(description="Accepted: no result is hidden here")] = None,
    page: Page = None,
    per_page: PerPage = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    account: Account = None,
) -> Response:
    from web.rollups_read import read_results

    includes = values(request, "include") or []
    check_includes(includes, None)
    users = values(request, "user_ids")
    asked = {
        "course_id": course_id,
        "users": [checked_id(u, "user_ids[]") for u in users or []] or None,
        "outcomes": values(request, "outcome_ids"),
        "as_of": as_of,
        "known_at": known_at,
        "account": account,
    }
    answer, headers = await request.app.state.service.read(read_results, request, asked, includes)
    return json(answer, headers)
