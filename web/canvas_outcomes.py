"""Canvas's outcome routes: an outcome, the outcome groups and links of an account, a course (or the global
context), and a context's mastery scale (`outcome_proficiency`) and calculation method, in Canvas's shapes
(projections/queries/canvas_shapes.py), now or as of `as_of` / as known at `known_at`.

Canvas ids, local or global, are accepted everywhere. A context, group or outcome the events never named is
a 404. `root_outcome_group` answers the root group itself where Canvas redirects to it. Canvas paginates the
group and link lists, and so does `listing` (web/paging.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from projections.queries.canvas_shapes import GLOBAL, Catalog, Context, Shapes
from web.auth import check_read
from web.canvas_params import Page, PerPage
from web.errors import Problem

Account = Annotated[str | None, Query(description="Root account uuid (implied when the store holds one).")]
AsOf = Annotated[str | None, Query(description="State as of this time (a date means the end of that day).")]
KnownAt = Annotated[str | None, Query(description="Only events recorded by this time.")]
Style = Literal["abbrev", "full"]
OutcomeStyle = Annotated[Style, Query(description="`abbrev` (default) or `full` outcomes.")]
GroupStyle = Annotated[Style, Query(description="`abbrev` (default) or `full` outcome groups.")]
CONTEXTS = (("courses", "Course", "course_id"), ("accounts", "Account", "account_id"))


async def readable(request: Request) -> None:
    check_read(request, request.app.state.config)


router = APIRouter(tags=["canvas outcomes"], dependencies=[Depends(readable)])


def json(value: Any) -> Response:
    return Response(orjson.dumps(value), media_type="application/json")


async def paged(page: Page = None, per_page: PerPage = None) -> None:
    """Canvas's `page` / `per_page` of a list route (for OpenAPI; `listing` reads them from the request)."""


def listing(request: Request, items: list[Any]) -> Response:
    """A list Canvas paginates, paged as Canvas does (web/paging.py: `page`, `per_page`, `Link`)."""
    from web.paging import paginate

    page, headers, _meta = paginate(request, items)
    return Response(orjson.dumps(page), media_type="application/json", headers=headers)


async def reading(
    request: Request, account: str | None, as_of: str | None, known_at: str | None, func: Callable[..., Any]
) -> Any:
    """`func(reader, view)` on the read threads, the view cut at `as_of` / `known_at`."""

    def run() -> Any:
        with request.app.state.service.reading(account) as r:
            return func(r, r.view(r.time(as_of, "as_of"), r.time(known_at, "known_at")))

    return await request.app.state.service.read(run)


def path_id(context_id: Annotated[str, Path(description="Canvas course or account id (local or global).")]) -> str:
    return context_id


def no_id() -> str:
    return ""


def when(view: Any) -> str:
    return " by that time" if view.is_cut else ""


def context_of(r: Any, view: Any, kind: str | None, context_id: str | None, name: str) -> Context:
    """The (kind, local id) of a path's context; 404 when no event inside the cut names it."""
    if kind is None:
        return GLOBAL
    ctx = (kind, r.local(context_id or "", name))
    if not Shapes(view).known(ctx):
        raise Problem(404, f"{kind.lower()} {context_id} is not in the events{when(view)}")
    return ctx


def group_of(r: Any, view: Any, catalog: Catalog, group_id: str) -> str:
    gid = r.local(group_id, "group_id")
    if not catalog.has(gid):
        kind, cid = catalog.ctx
        where = f"{kind.lower()} {cid}" if kind else "the global context"
        raise Problem(404, f"outcome group {group_id} is not in {where}{when(view)}")
    return gid


@router.get("/outcomes/{outcome_id}", summary="An outcome in Canvas's Outcome shape, now or as of a time")
async def show_outcome(
    request: Request,
    outcome_id: str,
    add_defaults: Annotated[bool, Query(description="Add each rating's mastery flag and colour.")] = False,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    account: Account = None,
) -> Response:
    from projections.queries.canvas_shapes import assessed

    def read(r: Any, view: Any) -> Any:
        oid = r.local(outcome_id, "outcome_id")
        state = view.one("outcome", oid)
        if state is None or state.deleted:
            gone = "is deleted" if state is not None else "has no events"
            raise Problem(404, f"outcome {outcome_id} {gone}{when(view)}")
        done = oid in assessed(view, outcome=oid)
        return Shapes(view).outcome(oid, state, full=True, is_assessed=done, add_defaults=add_defaults)

    return json(await reading(request, account, as_of, known_at, read))


def add_context_routes(prefix: str, kind: str | None, name: str) -> None:
    """The group, link, scale and method routes of one kind of context (`/courses/{context_id}/…`)."""
    base = f"/{prefix}/{{context_id}}" if kind else f"/{prefix}"
    what = f"{kind or 'global'}".lower()
    tag = prefix
    # The global context's routes have no context id in their path: the same handlers get "".
    context = path_id if kind else no_id

    async def root_group(
        request: Request,
        context_id: str = Depends(context),
        as_of: AsOf = None,
        known_at: KnownAt = None,
        account: Account = None,
    ) -> Response:
        def read(r: Any, view: Any) -> Any:
            catalog = Catalog(view, context_of(r, view, kind, context_id, name))
            root = catalog.root()
            if root is None:
                where = f"{what} {context_id}" if kind else "the global context"
                raise Problem(404, f"no root outcome group of {where} in the events{when(view)}")
            return Shapes(view).group(root, catalog, full=True)

        return json(await reading(request, account, as_of, known_at, read))

    async def groups(
        request: Request,
        context_id: str = Depends(context),
        _paging: None = Depends(paged),
        as_of: AsOf = None,
        known_at: KnownAt = None,
        account: Account = None,
    ) -> Response:
        def read(r: Any, view: Any) -> Any:
            catalog, shapes = Catalog(view, context_of(r, view, kind, context_id, name)), Shapes(view)
            return [shapes.group(gid, catalog, full=True) for gid in catalog.ids()]

        return listing(request, await reading(request, account, as_of, known_at, read))

    async def links(
        request: Request,
        context_id: str = Depends(context),
        _paging: None = Depends(paged),
        outcome_style: OutcomeStyle = "abbrev",
        outcome_group_style: GroupStyle = "abbrev",
        as_of: AsOf = None,
        known_at: KnownAt = None,
        account: Account = None,
    ) -> Response:
        def read(r: Any, view: Any) -> Any:
            catalog, shapes = Catalog(view, context_of(r, view, kind, context_id, name)), Shapes(view)
            full, group_full = outcome_style == "full", outcome_group_style == "full"
            return [shapes.link(li, catalog, outcome_full=full, group_full=group_full) for li in catalog.links]

        return listing(request, await reading(request, account, as_of, known_at, read))

    async def group(
        request: Request,
        group_id: str,
        context_id: str = Depends(context),
        as_of: AsOf = None,
        known_at: KnownAt = None,
        account: Account = None,
    ) -> Response:
        def read(r: Any, view: Any) -> Any:
            catalog = Catalog(view, context_of(r, view, kind, context_id, name))
            return Shapes(view).group(group_of(r, view, catalog, group_id), catalog, full=True)

        return json(await reading(request, account, as_of, known_at, read))

    async def group_outcomes(
        request: Request,
        group_id: str,
        context_id: str = Depends(context),
        _paging: None = Depends(paged),
        outcome_style: OutcomeStyle = "abbrev",
        as_of: AsOf = None,
        known_at: KnownAt = None,
        account: Account = None,
    ) -> Response:
        def read(r: Any, view: Any) -> Any:
            catalog, shapes = Catalog(view, context_of(r, view, kind, context_id, name)), Shapes(view)
            gid, full = group_of(r, view, catalog, group_id), outcome_style == "full"
            return [shapes.link(li, catalog, outcome_full=full, group_full=False) for li in catalog.links_of(gid)]

        return listing(request, await reading(request, account, as_of, known_at, read))

    async def subgroups(
        request: Request,
        group_id: str,
        context_id: str = Depends(context),
        _paging: None = Depends(paged),
        as_of: AsOf = None,
        known_at: KnownAt = None,
        account: Account = None,
    ) -> Response:
        def read(r: Any, view: Any) -> Any:
            catalog, shapes = Catalog(view, context_of(r, view, kind, context_id, name)), Shapes(view)
            gid = group_of(r, view, catalog, group_id)
            return [shapes.group(child, catalog, full=False) for child in catalog.subgroups(gid)]

        return listing(request, await reading(request, account, as_of, known_at, read))

    routes: list[tuple[str, Callable[..., Any], str]] = [
        ("/root_outcome_group", root_group, "The root outcome group"),
        ("/outcome_groups/{group_id}", group, "An outcome group"),
        ("/outcome_groups/{group_id}/outcomes", group_outcomes, "The outcome links of a group"),
        ("/outcome_groups/{group_id}/subgroups", subgroups, "The subgroups of a group"),
    ]
    if kind is not None:
        routes[1:1] = [
            ("/outcome_groups", groups, "Every outcome group"),
            ("/outcome_group_links", links, "Every outcome link"),
        ]
    for path, handler, summary in routes:
        router.add_api_route(
            base + path,
            handler,
            methods=["GET"],
            summary=f"{summary} of {'an' if kind == 'Account' else 'a'} {what}"
            if kind
            else f"{summary} of the global context",
            name=f"{tag}_{handler.__name__}",
            tags=["canvas outcomes"],
        )


def add_rules_routes(prefix: str, kind: str, name: str) -> None:
    """`outcome_proficiency` and `outcome_calculation_method` of one kind of context."""

    def route(path: str, getter: str, label: str) -> None:
        async def handler(
            request: Request, context_id: str, as_of: AsOf = None, known_at: KnownAt = None, account: Account = None
        ) -> Response:
            def read(r: Any, view: Any) -> Any:
                shapes = Shapes(view)
                ctx = context_of(r, view, kind, context_id, name)
                found = getattr(shapes, getter)(ctx)
                if found is None:
                    raise Problem(404, f"no {label} for {kind.lower()} {context_id} in the events{when(view)}")
                return found

            return json(await reading(request, account, as_of, known_at, read))

        router.add_api_route(
            f"/{prefix}/{{context_id}}{path}",
            handler,
            methods=["GET"],
            summary=f"The {label} in force for {'an' if kind == 'Account' else 'a'} {kind.lower()}",
            name=f"{prefix}_{getter}",
        )

    route("/outcome_proficiency", "proficiency", "mastery scale")
    route("/outcome_calculation_method", "calculation_method", "calculation method")


for _prefix, _kind, _name in CONTEXTS:
    add_context_routes(_prefix, _kind, _name)
    add_rules_routes(_prefix, _kind, _name)
add_context_routes("global", None, "")
