"""Inbound Canvas Live Events: the envelope (metadata + body) as Canvas sends it, checked and tolerant.

Strict where our folds and calculations read a field (ids, numbers, times, texts), tolerant everywhere
else: unknown fields are kept (Canvas payloads grow), and the stored event keeps the payload verbatim.
The bounds (DESIGN decision 4, "nothing unusable is stored") apply when an event arrives: the models are
validated with `STRICT` context then, and refuse what would break a fold, the calculation or the store
later (see `check_shape` for the whole value). An event stored before a bound existed is re-read without
the context: the bounds are not applied and its values are read as they were stored (no new reason to
raise; an event the folds still cannot use is the projections' problem list's, DESIGN decision 10). Also here: the content hash (decision 4); the token redaction lives in `domain.redaction`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, model_validator

from domain.redaction import REDACTED, may_hold_secret, redact_event, redact_text, redact_value
from domain.values import (
    STRICT,
    CanvasId,
    Code,
    Guid,
    Number,
    OptNumber,
    RequiredCode,
    SisId,
    Text,
    Time,
    check_id,
    check_shape,
    display_time,
    iso,
    parse_time,
)

__all__ = [
    "ValidationError",
    "Metadata",
    "BODIES",
    "parse_time",
    "iso",
    "display_time",
    "check_shape",
    "STRICT",
    "redact_event",
    "redact_text",
    "content_hash",
    "redact_and_hash",
    "REDACTED",
]


def redact_and_hash(event: dict) -> tuple[dict, str]:
    """The event without access tokens, and its content hash (one serialisation when there is none)."""
    dumped = orjson.dumps(event, option=orjson.OPT_SORT_KEYS)
    if may_hold_secret(dumped):
        clean = redact_value(event)
        if clean is not event:
            event, dumped = clean, orjson.dumps(clean, option=orjson.OPT_SORT_KEYS)
    return event, hashlib.sha256(dumped).hexdigest()


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Metadata(_Tolerant):
    event_name: str
    event_time: Time
    root_account_uuid: RequiredCode
    root_account_id: CanvasId | None = None
    user_id: CanvasId | None = None
    real_user_id: CanvasId | None = None
    user_login: Code = None
    user_sis_id: Code = None
    developer_key_id: CanvasId | None = None
    job_id: CanvasId | None = None
    job_tag: Code = None
    request_id: Code = None
    # The request an audit shows (rendered as text): strings or null.
    client_ip: Code = None
    hostname: Code = None
    http_method: Code = None
    session_id: Code = None
    url: Text = None
    referrer: Text = None
    user_agent: Text = None
    context_type: Code = None
    context_id: CanvasId | None = None
    context_account_id: CanvasId | None = None


class CriterionRating(_Tolerant):
    id: CanvasId | None = None
    description: Text = None
    points: Number
    color: Code = None


class Criterion(_Tolerant):
    description: Text = None
    mastery_points: OptNumber = None
    points_possible: OptNumber = None
    ratings: list[CriterionRating] | None = None


class OutcomeBody(_Tolerant):
    learning_outcome_id: CanvasId
    title: Text = None
    display_name: Text = None
    short_description: Text = None
    description: Text = None
    vendor_guid: Guid = None
    context_type: Code = None
    context_id: CanvasId | None = None
    calculation_method: Code = None
    calculation_int: OptNumber = None
    workflow_state: Code = None
    rubric_criterion: Criterion | None = None
    updated_at: Time | None = None


class GroupBody(_Tolerant):
    learning_outcome_group_id: CanvasId
    parent_outcome_group_id: CanvasId | None = None
    title: Text = None
    description: Text = None
    vendor_guid: Guid = None
    context_type: Code = None
    context_id: CanvasId | None = None
    workflow_state: Code = None
    updated_at: Time | None = None


class LinkBody(_Tolerant):
    learning_outcome_link_id: CanvasId
    learning_outcome_id: CanvasId
    learning_outcome_group_id: CanvasId | None = None
    context_type: Code = None
    context_id: CanvasId | None = None
    workflow_state: Code = None
    updated_at: Time | None = None


class ProficiencyRating(_Tolerant):
    outcome_proficiency_rating_id: CanvasId | None = None
    description: Text = None
    points: Number
    mastery: bool = False
    color: Code = None
    workflow_state: Code = None

    @model_validator(mode="before")
    @classmethod
    def _other_id(cls, data: Any, info: ValidationInfo) -> Any:
        # `id` (read when outcome_proficiency_rating_id is missing) is checked but not declared, so a
        # rating's dump keeps only the fields it was given.
        if isinstance(data, dict) and data.get("id") is not None:
            check_id(data["id"], info)
        return data


class ProficiencyBody(_Tolerant):
    outcome_proficiency_id: CanvasId
    context_type: Code = None
    context_id: CanvasId | None = None
    workflow_state: Code = None
    outcome_proficiency_ratings: list[ProficiencyRating] = []
    updated_at: Time | None = None


class MethodBody(_Tolerant):
    outcome_calculation_method_id: CanvasId
    context_type: Code = None
    context_id: CanvasId | None = None
    workflow_state: Code = None
    calculation_method: Code = None
    calculation_int: OptNumber = None
    updated_at: Time | None = None


class ResultBody(_Tolerant):
    # Both documented shapes: the older one has no id / user_uuid / result_context_* but a title.
    id: CanvasId | None = None
    user_uuid: Code = None
    learning_outcome_id: CanvasId
    result_context_type: Code = None
    result_context_id: CanvasId | None = None
    score: OptNumber = None
    possible: OptNumber = None
    percent: OptNumber = None
    original_score: OptNumber = None
    original_possible: OptNumber = None
    attempt: OptNumber = None
    assessed_at: Time | None = None
    created_at: Time | None = None
    updated_at: Time | None = None
    artifact_id: CanvasId | None = None
    artifact_type: Code = None
    associated_asset_id: CanvasId | None = None
    associated_asset_type: Code = None
    workflow_state: Code = None
    title: Text = None
    # `mastery` is left unchecked: until Nov 2019 it held the outcome id (canvas-lms issue 1526).


class UserBody(_Tolerant):
    user_id: CanvasId
    uuid: Code = None  # the user_uuid of result events
    name: Code = None
    short_name: Code = None
    sortable_name: Code = None  # not sent by today's producer; read when a newer one does
    workflow_state: Code = None
    user_login: Code = None
    user_sis_id: SisId = None
    created_at: Time | None = None
    updated_at: Time | None = None


class CourseBody(_Tolerant):
    course_id: CanvasId
    uuid: Code = None
    account_id: CanvasId | None = None  # the course's own account (global)
    name: Code = None
    course_code: Code = None
    sis_source_id: SisId = None
    workflow_state: Code = None
    created_at: Time | None = None
    updated_at: Time | None = None


class SectionBody(_Tolerant):
    # Canvas sends this event's ids local (the enrollment's are global): both reduce to the same key.
    course_section_id: CanvasId
    course_id: CanvasId | None = None
    name: Code = None
    sis_source_id: SisId = None
    workflow_state: Code = None
    default_section: bool | None = None
    created_at: Time | None = None
    updated_at: Time | None = None


class EnrollmentBody(_Tolerant):
    enrollment_id: CanvasId
    course_id: CanvasId
    user_id: CanvasId
    user_name: Code = None
    type: Code = None
    course_section_id: CanvasId | None = None
    workflow_state: Code = None
    associated_user_id: CanvasId | None = None
    created_at: Time | None = None
    updated_at: Time | None = None


class EnrollmentStateBody(_Tolerant):
    enrollment_id: CanvasId
    state: Code = None
    state_started_at: Time | None = None
    state_valid_until: Time | None = None
    state_is_current: bool | None = None
    access_is_current: bool | None = None
    restricted_access: bool | None = None


BODIES: dict[str, type[_Tolerant]] = {
    "outcome": OutcomeBody,
    "group": GroupBody,
    "link": LinkBody,
    "scale": ProficiencyBody,
    "method": MethodBody,
    "result": ResultBody,
    "user": UserBody,
    "course": CourseBody,
    "section": SectionBody,
    "enrollment": EnrollmentBody,
    "enrollment_state": EnrollmentStateBody,
}


def content_hash(event: dict) -> str:
    """SHA-256 of the parsed, redacted event with sorted keys: the identity used for dedup."""
    return hashlib.sha256(orjson.dumps(event, option=orjson.OPT_SORT_KEYS)).hexdigest()


def describe_error(error: ValidationError, where: str) -> str:
    """A validation error as one sentence a person can act on."""
    parts = []
    for item in error.errors()[:3]:
        loc = ".".join(str(p) for p in item["loc"])
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            msg = "required field is missing"
        parts.append(f"{where}.{loc}: {msg}" if loc else f"{where}: {msg}")
    more = len(error.errors()) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
