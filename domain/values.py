"""The value types of an inbound Canvas event and their bounds (DESIGN decision 4).

Each type (`CanvasId`, `Number`, `Time`, `Code`, `Text`, `Guid`, …) reads a field the folds and the
calculation use. Validated with the `STRICT` context (an arriving event), it refuses what would break a
fold, the calculation or the store later; without it (an event stored before a bound existed) it reads the
value as it was stored. `check_shape` bounds the whole value (depth, numbers, text). Times are parsed and
written here too (`parse_time`, `iso`, `display_time`). The envelope and bodies built from these types
are in domain/canvas.py.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import PlainValidator, ValidationInfo

STRICT = {"strict_bounds": True}  # the validation context of an arriving event
MAX_NUMBER = 1e15  # |x| of any number a fold or the calculation reads
MAX_ID = 255  # characters of an id
MAX_DIGITS = 30  # digits of a numeric id (Canvas global ids have 17)
MAX_CODE = 255  # names, states, types, uuids, colours
MAX_TEXT = 1_000_000  # titles and descriptions (HTML)
MAX_DEPTH = 64  # nesting of objects and arrays anywhere in an event
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


def _sis_id(value: Any, info: ValidationInfo | None) -> str | None:
    # SIS ids are text ("007" stays "007"); a producer that sends an integer gets its digits as text.
    if value is None or type(value) is str:
        return _texts(MAX_CODE)(value, info)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if _strict(info):
        raise ValueError(f"an SIS id must be a string (got {type(value).__name__})")
    return str(value)


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
    pairs = value.items() if is_dict else enumerate(value)  # type: ignore[union-attr]  # type() is faster than isinstance
    for key, child in pairs:
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
    if moment is None or moment == "":
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
Code = Annotated[str | None, PlainValidator(_texts(MAX_CODE))]  # names, states, types, uuids
Text = Annotated[str | None, PlainValidator(_texts(MAX_TEXT))]  # titles, descriptions
Guid = Annotated[str | None, PlainValidator(_guid)]
SisId = Annotated[str | None, PlainValidator(_sis_id)]  # SIS ids: always text, leading zeros kept
RequiredCode = Annotated[str, PlainValidator(_texts(MAX_CODE))]  # a code that must be there


def check_id(value: Any, info: ValidationInfo | None) -> str | None:
    """Check one Canvas id the way `CanvasId` does (for a model validator that checks a field by hand)."""
    return _canvas_id(value, info)
