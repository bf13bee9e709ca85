"""Removing access tokens from everything we keep (DESIGN decision 6): events before hashing, raw text.

A token reaches us in many forms: a URL query (`access_token=…`, `access%5Ftoken%3D…`, any case), a
JSON member anywhere in an event (metadata or body, nested in objects and lists, the key in any case
or percent-encoded), an `Authorization` header value or a `Bearer …` credential, and, in raw text kept
for the quarantine, JSON-escaped forms (`\\"access_token\\":\\"…\\"`, `\\u0061ccess_token`). Every one
is replaced by `[REDACTED]`. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

import orjson

__all__ = [
    "REDACTED",
    "PERSONAL_FIELDS",
    "hide_personal",
    "redact_event",
    "redact_text",
    "redact_value",
    "redact_string",
    "may_hold_secret",
]

REDACTED = "[REDACTED]"
# Who made a request and from where: hidden on request (`mastery export --redact`, `mastery audit --redact`).
PERSONAL_FIELDS = ("user_login", "client_ip", "user_agent")


def hide_personal(fields: dict[str, Any]) -> dict[str, Any]:
    """A copy of a metadata, actor or request mapping with each personal field that has a value redacted."""
    return {k: (REDACTED if k in PERSONAL_FIELDS and v is not None else v) for k, v in fields.items()}


def _letter(char: str) -> str:
    """One letter of a secret's name as it may be written: itself, a JSON \\u escape, a %-escape."""
    code = f"{ord(char):02x}"
    forms = [re.escape(char), rf"\\u00{code}", rf"%(?:25)?{code}"]
    return "(?:" + "|".join(forms) + ")"


_NAME = "".join(_letter(c) for c in "access_token")
_AUTH = "".join(_letter(c) for c in "authorization")
_SCHEME = r"(?:(?:bearer|basic|token|digest)\s+)?"
_NOT_DONE = r"(?!\s*\\*\"?" + _SCHEME + r"\[REDACTED\])"
_SEPARATOR = r"\\*\"?\s*(?:=|%(?:25)?3d|:)\s*"
# The value: up to the closing quote when it is quoted (also \"-escaped), else up to a delimiter.
_VALUE = r"(\\*\")?" + _NOT_DONE + r"(?(2)[^\"\\]*|[^&#\s\"'\\,;}\]]+)"
_TOKEN = re.compile(rf"({_NAME}{_SEPARATOR}){_VALUE}", re.IGNORECASE)
_HEADER = re.compile(
    rf"({_AUTH}{_SEPARATOR}(?:\\*\")?\s*{_SCHEME}){_NOT_DONE}"
    r"[^\s\"'\\,;}\]]+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(\bbearer\s+)" + _NOT_DONE + r"[^\s\"'\\,;}\]]+", re.IGNORECASE)
# Anything that might hide one of the forms above; text without it is returned untouched (the fast path).
_HINT = re.compile(r"token|bearer|authori|\\u00|%[0-9a-f]{2}", re.IGNORECASE)
_SECRET_KEYS = ("access_token", "authorization")


def _token_sub(match: re.Match) -> str:
    return match.group(1) + (match.group(2) or "") + REDACTED


def redact_string(text: str) -> str:
    """One string with every token form in it redacted (percent-encoded forms decoded first)."""
    if not _HINT.search(text):
        return text
    clean = _TOKEN.sub(_token_sub, text)
    clean = _HEADER.sub(lambda m: m.group(1) + REDACTED, clean)
    clean = _BEARER.sub(lambda m: m.group(1) + REDACTED, clean)
    if "%" in clean:
        decoded = unquote(unquote(clean))
        if decoded != clean and redact_string(decoded) != decoded:
            # An encoding our patterns do not follow still hides a token: keep the decoded, redacted text.
            return redact_string(decoded)
    return clean


def _secret_key(key: str) -> bool:
    name = unquote(unquote(key)).lower().replace("-", "_")
    return any(secret in name for secret in _SECRET_KEYS)


def redact_value(value: Any) -> Any:
    """A parsed JSON value with every token removed; the very same object when there was none."""
    if isinstance(value, str):
        return redact_string(value)
    if isinstance(value, list):
        items = [redact_value(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if not isinstance(value, dict):
        return value
    out, changed = {}, False
    for key, item in value.items():
        clean_key = redact_string(key) if isinstance(key, str) else key
        if isinstance(key, str) and _secret_key(key) and item is not None and item != REDACTED:
            clean = REDACTED
        else:
            clean = redact_value(item)
        changed = changed or clean is not item or clean_key is not key
        out[clean_key] = clean
    return out if changed else value


def may_hold_secret(dumped: bytes) -> bool:
    """Whether a serialised value may hold a token in any form (False: certainly none)."""
    if b"%" in dumped or b"\\u" in dumped:
        return True
    low = dumped.lower()
    return b"token" in low or b"bearer" in low or b"authori" in low


def redact_event(event: dict) -> dict:
    """The event with every access token removed, metadata and body alike (the same dict when none)."""
    try:
        dumped = orjson.dumps(event)
    except (TypeError, orjson.JSONEncodeError):
        dumped = b"token"  # not serialisable as is: look everywhere
    return redact_value(event) if may_hold_secret(dumped) else event


def redact_text(text: str) -> str:
    """Raw text (bound for the quarantine or a log) with every token form removed.

    Text that is JSON is redacted as a value (so escaped keys and nested members are found) and written
    back; any text, JSON or not, then goes through the patterns.
    """
    if not _HINT.search(text):
        return text
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return redact_string(text)
    try:
        clean = redact_value(value)
        if clean is not value:
            text = json.dumps(clean)  # ASCII: a lone surrogate stays escaped
    except (ValueError, RecursionError, TypeError):
        pass
    return redact_string(text)
