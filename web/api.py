"""The read API under /api/v1, Canvas-compatible where Canvas has the call: this module routes it (the
courses in web/courses_api.py, outcome_rollups and outcome_results in web/rollups_api.py) and answers an
outcome's audit trail (the outcome itself in Canvas's shape: web/canvas_outcomes.py); every answer now, or as of a time (`as_of`) and as known at a time
(`known_at`). It is read-only: a write method (POST, PUT, PATCH, DELETE) on any /api/v1 path is a 405 in
Canvas's error shape, with `Allow: GET` (web/errors.py answers it).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from web import courses_api, rollups_api
from web.canvas_params import Account, json, readable
from web.errors import Problem
from web.rollups_read import section

__all__ = ["router", "outcome_state", "audit_trail", "section"]  # section: web/pages.py checks ids with it

router = APIRouter(tags=["read"], dependencies=[Depends(readable)])


def outcome_state(
    request: Request, outcome_id: str, as_of: str | None, known_at: str | None, account: str | None
) -> dict[str, Any] | None:
    """The outcome folded from its events inside the cut (None when it has none), for the outcome page;
    `GET /api/v1/outcomes/{id}` answers Canvas's Outcome shape (web/canvas_outcomes.py)."""
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


router.include_router(courses_api.router)
router.include_router(rollups_api.router)
