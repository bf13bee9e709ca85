"""Which results count and which rules apply (docs/canvas-rollups.md §1 and §2), from folded states.

Pure: the caller hands in the states inside its cut (outcome, links, results, scales, methods, the
course's account, the root account's local id, the settings); nothing here reads a database or a clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from domain.calculation_method import MethodState
from domain.link import LinkState
from domain.outcome import OutcomeState
from domain.proficiency import ScaleState
from domain.result import ResultState
from domain.rollup import DEFAULT_SCALE, Method, ResultInput, Scale, criterion_scale, method_from, proficiency_scale

MODES = ("auto", "outcome", "scale")


@dataclass(frozen=True)
class Rules:
    """The scale and method in force for one (course, outcome), and why."""

    mode: str
    scale: Scale
    method: Method


def excluded_reason(result: ResultState, outcome: OutcomeState | None, links: Sequence[LinkState]) -> str | None:
    """Why a result does not count (None when it counts), §1."""
    if not result.attributable:
        return "older result shape without id/user_uuid: not attributable to a student"
    if result.workflow_state == "deleted":
        return "result deleted"
    if result.score is None:
        return "no score"
    if result.context_type != "Course":
        return f"result context is {result.context_type or 'missing'}, not a Course"
    if outcome is not None and outcome.workflow_state == "deleted":
        return "outcome deleted"
    if links and all(link.workflow_state == "deleted" for link in links):
        return "outcome unlinked from the course (every link deleted)"
    return None


def as_input(result: ResultState) -> ResultInput:
    return ResultInput(
        id=result.id,
        score=result.score,
        percent=result.percent,
        possible=result.possible,
        assessed_at=result.assessed_at,
        artifact_type=result.artifact_type,
        associated_asset_type=result.associated_asset_type,
        associated_asset_id=result.associated_asset_id,
    )


def effective_mode(setting: str, has_scale_or_method_events: bool) -> str:
    """`auto` is scale mode once the cut holds any proficiency or calculation-method event."""
    if setting in ("outcome", "scale"):
        return setting
    return "scale" if has_scale_or_method_events else "outcome"


def rules(
    mode: str,
    outcome_id: str,
    outcome: OutcomeState | None,
    course: str,
    account: str | None,
    root_local: str | None,
    scales: Sequence[ScaleState],
    methods: Sequence[MethodState],
) -> Rules:
    """The scale and method for one outcome in one course, in the given (effective) mode."""
    if mode == "outcome":
        return Rules(mode, _outcome_scale(outcome_id, outcome), _outcome_method(outcome_id, outcome))
    scale_state, scale_where = _resolve(scales, course, account, root_local)
    if scale_state is None:
        scale = DEFAULT_SCALE
    else:
        scale = proficiency_scale(scale_state.ratings, f"{scale_where} scale {scale_state.id}")
    method_state, method_where = _resolve(methods, course, account, root_local)
    if method_state is None:
        method = method_from(None, None, "Canvas default (no calculation method for the course, account or root)")
    else:
        method = method_from(
            method_state.calculation_method,
            method_state.calculation_int,
            f"{method_where} calculation method {method_state.id}",
        )
    return Rules(mode, scale, method)


def _outcome_scale(outcome_id: str, outcome: OutcomeState | None) -> Scale:
    if outcome is None or outcome.rubric_criterion is None:
        why = "outcome never seen" if outcome is None else "outcome has no rubric_criterion"
        return criterion_scale(None, f"Canvas default criterion ({why})")
    return criterion_scale(outcome.rubric_criterion, f"outcome {outcome_id} rubric_criterion")


def _outcome_method(outcome_id: str, outcome: OutcomeState | None) -> Method:
    if outcome is None:
        return method_from(None, None, f"Canvas default (outcome {outcome_id} never seen)")
    return method_from(outcome.calculation_method, outcome.calculation_int, f"outcome {outcome_id}")


_Rule = TypeVar("_Rule", ScaleState, MethodState)


def _resolve(
    items: Sequence[_Rule], course: str, account: str | None, root_local: str | None
) -> tuple[_Rule | None, str]:
    """Course → the course's account → the root account, among active items (body contexts)."""
    active = [i for i in items if i.workflow_state != "deleted"]
    levels = [("Course", course, f"course {course}")]
    if account is not None:
        levels.append(("Account", account, f"account {account}"))
    if root_local is not None:
        levels.append(("Account", root_local, f"root account {root_local}"))
    for context_type, context_id, where in levels:
        found = [i for i in active if i.context_type == context_type and i.context_id == context_id]
        if found:
            return max(found, key=lambda i: (i.last_event_time, i.last_position_hash)), where
    return None, ""
