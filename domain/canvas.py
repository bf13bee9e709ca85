"""Inbound Canvas Live Events: the envelope (metadata + body) as Canvas sends it, checked and tolerant.

Strict where our calculations depend on a field (ids, numbers, times), tolerant everywhere else: unknown
fields are kept (Canvas payloads grow), and the stored event keeps the payload verbatim. Also here: the
`access_token` redaction (DESIGN decision 6) and the content hash (decision 4).
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

__all__ = [
    "ValidationError", "Metadata", "BODIES", "parse_time", "iso", "display_time",
    "redact_event", "redact_text", "content_hash",
]


def _canvas_id(value: Any) -> str:
    # Canvas sends ids as strings ("21070000000000001") but some producers send integers.
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("an id must be a string or an integer")
    text = str(value).strip()
    if not text:
        raise ValueError("an id must not be empty")
    return text


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a JSON number (not a string or boolean)")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and Infinity are not JSON numbers")
    return float(value)


def parse_time(value: Any) -> datetime:
    """Every documented Canvas time form (`Z`, milliseconds or not, `-06:00`) as an aware UTC time."""
    if not isinstance(value, str):
        raise ValueError("a time must be an ISO 8601 string")
    text = value.strip()
    if text.endswith(" UTC"):  # Ruby's Time#to_s form, seen in older dumps
        text = text[:-4].replace(" ", "T") + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"unreadable time {value!r} (expected ISO 8601, e.g. 2019-11-05T10:03:37.526Z)") from None
    if parsed.tzinfo is None:  # Canvas times are UTC; a bare time is read as UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso(moment: datetime | None) -> str:
    """Fixed-width UTC text that sorts like the time itself; '' (sorts first) for no time."""
    if moment is None:
        return ""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def display_time(moment: datetime | str | None) -> str | None:
    """Output form of DESIGN decision 2: `YYYY-MM-DDTHH:MM:SS[.sss]Z`."""
    if moment in (None, ""):
        return None
    if isinstance(moment, str):
        moment = parse_time(moment)
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


CanvasId = Annotated[str, BeforeValidator(_canvas_id)]
Number = Annotated[float, BeforeValidator(_number)]
Time = Annotated[datetime, BeforeValidator(parse_time)]


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Metadata(_Tolerant):
    event_name: str
    event_time: Time
    root_account_uuid: str
    root_account_id: CanvasId | None = None
    user_id: CanvasId | None = None
    real_user_id: CanvasId | None = None
    user_login: str | None = None
    user_sis_id: str | None = None
    developer_key_id: CanvasId | None = None
    job_id: CanvasId | None = None
    job_tag: str | None = None
    request_id: str | None = None
    context_type: str | None = None
    context_id: CanvasId | None = None
    context_account_id: CanvasId | None = None


class CriterionRating(_Tolerant):
    description: str | None = None
    points: Number


class Criterion(_Tolerant):
    description: str | None = None
    mastery_points: Number | None = None
    points_possible: Number | None = None
    ratings: list[CriterionRating] | None = None


class OutcomeBody(_Tolerant):
    learning_outcome_id: CanvasId
    title: str | None = None
    context_type: str | None = None
    context_id: CanvasId | None = None
    calculation_method: str | None = None
    calculation_int: Number | None = None
    workflow_state: str | None = None
    rubric_criterion: Criterion | None = None
    updated_at: Time | None = None


class GroupBody(_Tolerant):
    learning_outcome_group_id: CanvasId
    parent_outcome_group_id: CanvasId | None = None
    title: str | None = None
    context_type: str | None = None
    context_id: CanvasId | None = None
    workflow_state: str | None = None
    updated_at: Time | None = None


class LinkBody(_Tolerant):
    learning_outcome_link_id: CanvasId
    learning_outcome_id: CanvasId
    learning_outcome_group_id: CanvasId | None = None
    context_type: str | None = None
    context_id: CanvasId | None = None
    workflow_state: str | None = None
    updated_at: Time | None = None


class ProficiencyRating(_Tolerant):
    outcome_proficiency_rating_id: CanvasId | None = None
    description: str | None = None
    points: Number
    mastery: bool = False
    color: str | None = None
    workflow_state: str | None = None


class ProficiencyBody(_Tolerant):
    outcome_proficiency_id: CanvasId
    context_type: str | None = None
    context_id: CanvasId | None = None
    workflow_state: str | None = None
    outcome_proficiency_ratings: list[ProficiencyRating] = []
    updated_at: Time | None = None


class MethodBody(_Tolerant):
    outcome_calculation_method_id: CanvasId
    context_type: str | None = None
    context_id: CanvasId | None = None
    workflow_state: str | None = None
    calculation_method: str | None = None
    calculation_int: Number | None = None
    updated_at: Time | None = None


class ResultBody(_Tolerant):
    # Both documented shapes: the older one has no id / user_uuid / result_context_* but a title.
    id: CanvasId | None = None
    user_uuid: str | None = None
    learning_outcome_id: CanvasId
    result_context_type: str | None = None
    result_context_id: CanvasId | None = None
    score: Number | None = None
    possible: Number | None = None
    percent: Number | None = None
    original_score: Number | None = None
    original_possible: Number | None = None
    attempt: Number | None = None
    assessed_at: Time | None = None
    created_at: Time | None = None
    updated_at: Time | None = None
    artifact_id: CanvasId | None = None
    artifact_type: str | None = None
    associated_asset_id: CanvasId | None = None
    associated_asset_type: str | None = None
    workflow_state: str | None = None
    title: str | None = None
    # `mastery` is left unchecked: until Nov 2019 it held the outcome id (canvas-lms issue 1526).


BODIES: dict[str, type[_Tolerant]] = {
    "outcome": OutcomeBody,
    "group": GroupBody,
    "link": LinkBody,
    "scale": ProficiencyBody,
    "method": MethodBody,
    "result": ResultBody,
}

_TOKEN_IN_URL = re.compile(r"(access_token(?:=|%3[Dd]))[^&#\s\"'\\]*")
_TOKEN_IN_JSON = re.compile(r'("access_token"\s*:\s*")(?:[^"\\]|\\.)*(")')
REDACTED = "[REDACTED]"


def redact_text(text: str) -> str:
    """Remove access_token values from any text (raw input bound for the quarantine or a log)."""
    if "access_token" not in text:
        return text
    text = _TOKEN_IN_URL.sub(lambda m: m.group(1) + REDACTED, text)
    return _TOKEN_IN_JSON.sub(lambda m: m.group(1) + REDACTED + m.group(2), text)


def redact_event(event: dict) -> dict:
    """The event with access_token values removed from its metadata strings (url, referrer, …)."""
    metadata = event.get("metadata")
    if not isinstance(metadata, dict):
        return event
    if not any(isinstance(v, str) and "access_token" in v for v in metadata.values()):
        return event
    clean = {k: redact_text(v) if isinstance(v, str) else v for k, v in metadata.items()}
    return {**event, "metadata": clean}


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
