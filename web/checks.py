"""Checks one delivered item must pass before it reaches the store, each failure a quarantine reason.

An item the store could not serialise (nested beyond orjson's 255 levels, an integer outside 64 bits, a
lone surrogate) or an event of a root account this server does not accept becomes an error item: it is
quarantined with its reason and the rest of the request is stored, and Canvas gets a 2xx so it stops
resending.
"""

from __future__ import annotations

import json
from collections.abc import Collection

import orjson

from sources import RawItem


def element(source: str, value: object, fallback: str) -> RawItem:
    """The raw item of one delivered value, its text serialised once; an error item saying why when the
    value cannot be stored as JSON (the text then is the stdlib's, or the raw body)."""
    try:
        return RawItem(source, 1, orjson.dumps(value).decode(), value, None)
    except orjson.JSONEncodeError as error:
        return RawItem(
            source,
            1,
            readable(value, fallback),
            None,
            f"the event cannot be stored as JSON: {error} (more than 255 levels deep, an integer "
            "beyond 64 bits, or a lone surrogate)",
        )


def readable(value: object, fallback: str) -> str:
    """Text for a value orjson refuses: stdlib JSON (escaped, every digit), else the raw body."""
    try:
        return json.dumps(value)
    except (RecursionError, ValueError, TypeError):
        return fallback


def accepted(item: RawItem, accounts: Collection[str]) -> RawItem:
    """The item, or an error item when it is an event of a root account not in `accounts` (all when empty)."""
    if not accounts or not item.ok or not isinstance(item.value, dict):
        return item
    metadata = item.value.get("metadata")
    root = metadata.get("root_account_uuid") if isinstance(metadata, dict) else None
    if not isinstance(root, str) or root.strip() in accounts:
        return item  # no root account at all: the parser gives the reason
    return RawItem(
        item.source,
        item.line,
        item.text,
        None,
        f"root account {root!r} is not accepted by this server (serve --accept-account: {', '.join(sorted(accounts))})",
    )
