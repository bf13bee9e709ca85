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
import math
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, PlainValidator, ConfigDict, ValidationError, ValidationInfo, model_validator

from domain.redaction import REDACTED, may_hold_secret, redact_event, redact_text, redact_value

__all__ = [
    "ValidationError", "Metadata", "BODIES", "parse_time", "iso", "display_time", "check_shape", "STRICT",
    "redact_event", "redact_text", "content_hash", "redact_and_hash", "REDACTED",
]

STRICT = {"strict_bounds": True}  # the validation context of an arriving event
MAX_NUMBER = 1e15        # |x| of any number a fold or the calculation reads
MAX_ID = 255             # characters of an id
MAX_DIGITS = 30          # digits of a numeric id (Canvas global ids have 17)
MAX_CODE = 255           # names, states, types, uuids, colours
MAX_TEXT = 1_000_000     # titles and descriptions (HTML)
MAX_DEPTH = 64           # nesting of objects and arrays anywhere in an event
INT_RANGE = (-(2**63), 2**64 - 1)  # what orjson can write back


def _strict(info: ValidationInfo | None) -> bool:
    return bool(info is not None and info.context and info.context.get("strict_bounds"))


def _canvas_id(value: Any, info: ValidationInfo | None) -> str | None:
    # Canvas sends ids as strings ("21070000000000001") but some producers send integers.
    if type(value) is str and value.isdigit() and value.isascii() and len(value) <= MAX_DIGITS:
        return value  # the usual case, first
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("an id must be a string or an integer")
    if isinstance(value, int) and abs(value) >= 10**MAX_DIGITS:
        if _strict(info):
            raise ValueError(f"a numeric id has at most {MAX_DIGITS} digits")
        return str(value)  # re-read: stored ints are within 64 bits (orjson wrote them)
    text = str(value).strip()
    if not text:
        raise ValueError("an id must not be empty")
    if _strict(info):
        if len(text) > MAX_ID:
            raise ValueError(f"an id has at most {MAX_ID} characters (got {len(text)})")
        if text.isdigit() and not text.isascii():
            raise ValueError("an id's digits must be ASCII 0-9")
        if text.isdigit() and len(text) > MAX_DIGITS:
            raise ValueError(f"a numeric id has at most {MAX_DIGITS} digits (got {len(text)})")
    return text


def _number(value: Any, info: ValidationInfo | None) -> float:
    kind = type(value)
    if (kind is float or kind is int) and -MAX_NUMBER <= value <= MAX_NUMBER:
        return float(value)  # the usual case, first (NaN fails the comparison)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a JSON number (not a string or boolean)")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and Infinity are not JSON numbers")
    if isinstance(value, int) and abs(value) > MAX_NUMBER * 10:  # before float(): no OverflowError
        number = math.inf
    else:
        number = float(value)
    if abs(number) > MAX_NUMBER and _strict(info):
        raise ValueError(f"out of range: a number here is at most {MAX_NUMBER:g} in size")
    return number


def _optional_number(value: Any, info: ValidationInfo | None) -> float | None:
    return None if value is None else _number(value, info)


def _texts(cap: int):
    def text(value: Any, info: ValidationInfo | None) -> str | None:
        if value is None or (type(value) is str and len(value) <= cap):
            return value
        if not isinstance(value, str):
            if _strict(info):
                raise ValueError(f"must be a string or null (got {type(value).__name__})")
            return value  # re-read of an old event: as stored (the folds' problem, not the reader's)
        if len(value) > cap and _strict(info):
            raise ValueError(f"too long: at most {cap:,} characters (got {len(value):,})")
        return value
    return text


def _guid(value: Any, info: ValidationInfo | None) -> str | None:
    # vendor_guid: a string, though some producers send a number; either is kept as text.
    if value is not None and not isinstance(value, str) and not _strict(info):
        return str(value)  # re-read of an old event: what the fold made of it before (str of anything)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e30:
        return str(value)
    return _texts(MAX_CODE)(value, info)


def check_shape(value: Any) -> str | None:
    """Why a parsed JSON value cannot be stored as it is, or None when it can.

    Refused anywhere in the value: nesting deeper than MAX_DEPTH, an integer orjson cannot write
    (outside -2**63 .. 2**64-1), a NaN or infinite float, a lone surrogate in a string or a key.
    """
    if type(value) is not dict and type(value) is not list:
        return _scalar_problem(value)
    found = _problem(value, 1)
    if found is None:
        return None
    where, why = found
    return f"{why} (at {_path(where)})"


def _problem(value: dict | list, depth: int) -> tuple[tuple, str] | None:
    if depth > MAX_DEPTH:
        return (), f"nested deeper than {MAX_DEPTH} levels"
    is_dict = type(value) is dict
    for key, child in (value.items() if is_dict else enumerate(value)):
        if is_dict and (type(key) is not str or (not key.isascii() and _lone_surrogate(key))):
            return (), "a key with a lone surrogate (not Unicode text) or not a string"
        kind = type(child)
        if kind is dict or kind is list:
            found = _problem(child, depth + 1)
            if found is not None:
                return (key, *found[0]), found[1]
        elif kind is not str or not child.isascii():
            why = _scalar_problem(child)
            if why is not None:
                return (key,), why
    return None


def _scalar_problem(value: Any) -> str | None:
    kind = type(value)
    if kind is str and _lone_surrogate(value):
        return "a string with a lone surrogate (not Unicode text)"
    if kind is int and not INT_RANGE[0] <= value <= INT_RANGE[1]:
        return "an integer outside -2**63 .. 2**64-1"
    if kind is float and not math.isfinite(value):
        return "NaN or Infinity"
    return None


def _lone_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _path(where: tuple) -> str:
    parts = [str(key)[:40] for key in where]
    shown = parts if len(parts) <= 6 else [*parts[:3], "…", *parts[-2:]]
    return ".".join(shown) or "the top"


def redact_and_hash(event: dict) -> tuple[dict, str]:
    """The event without access tokens, and its content hash (one serialisation when there is none)."""
    dumped = orjson.dumps(event, option=orjson.OPT_SORT_KEYS)
    if may_hold_secret(dumped):
        clean = redact_value(event)
        if clean is not event:
            event, dumped = clean, orjson.dumps(clean, option=orjson.OPT_SORT_KEYS)
    return event, hashlib.sha256(dumped).hexdigest()


def parse_time(value: Any) -> datetime:
    """Every documented Canvas time form (`Z`, milliseconds or not, `-06:00`) as an aware UTC time."""
    if not isinstance(value, str):
        raise ValueError("a time must be an ISO 8601 string")
    text = value.strip()
    if text.endswith(" UTC"):  # Ruby's Time#to_s form, seen in older dumps
        text = text[:-4].replace(" ", "T") + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:  # Canvas times are UTC; a bare time is read as UTC
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved past the calendar's end
        raise ValueError(f"unreadable time {value[:64]!r} (expected ISO 8601, e.g. 2019-11-05T10:03:37.526Z)") from None


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


CanvasId = Annotated[str, PlainValidator(_canvas_id)]
Number = Annotated[float, PlainValidator(_number)]
OptNumber = Annotated[float | None, PlainValidator(_optional_number)]
Time = Annotated[datetime, PlainValidator(parse_time)]
Code = Annotated[str | None, PlainValidator(_texts(MAX_CODE))]   # names, states, types, uuids
Text = Annotated[str | None, PlainValidator(_texts(MAX_TEXT))]   # titles, descriptions
Guid = Annotated[str | None, PlainValidator(_guid)]


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Metadata(_Tolerant):
    event_name: str
    event_time: Time
    root_account_uuid: Annotated[str, PlainValidator(_texts(MAX_CODE))]
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
            _canvas_id(data["id"], info)
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


BODIES: dict[str, type[_Tolerant]] = {
    "outcome": OutcomeBody,
    "group": GroupBody,
    "link": LinkBody,
    "scale": ProficiencyBody,
    "method": MethodBody,
    "result": ResultBody,
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
