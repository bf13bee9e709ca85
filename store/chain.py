"""The hash chain's links and the chain key's check value: what makes an edit of the history visible.

Each stored event's link hashes its identity and state with the previous link (an HMAC-SHA256 when the
store has a chain key, so that someone editing the database without the key cannot recompute it); the
store keeps only an HMAC of a fixed text to recognise its key, never the key. `check_links` recomputes
the chain over the stored events for `verify`; a link is over the uncompressed state (store/codec.py).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from uuid import UUID

from store import codec

GENESIS = "0" * 64
KEY_CHECK_TEXT = b"outcome-mastery chain key check"


class ChainKeyError(Exception):
    """The chain key given does not fit the store: missing, wrong, or given for an unkeyed history."""


def key_check(key: bytes) -> str:
    """What the store keeps to recognise its key (an HMAC of a fixed text; the key cannot be read back)."""
    return hmac.new(key, KEY_CHECK_TEXT, hashlib.sha256).hexdigest()


def chain_hash(
    prev: str, position: int, stream: str, version: int, topic: str, state: bytes, key: bytes | None = None
) -> str:
    """The tamper-evident link: this event's identity and state, chained to the previous link.

    With a key the link is an HMAC: someone who edits the database without the key cannot recompute it."""
    head = f"{prev}|{position}|{stream}|{version}|{topic}|".encode()
    if key:
        return hmac.new(key, head + state, hashlib.sha256).hexdigest()
    return hashlib.sha256(head + state).hexdigest()


def check_links(statements: Any, chain_key: bytes | None, page: int) -> tuple[int, int, int | None, str | None]:
    """Recompute the chain from the stored events, `page` at a time (`statements`: the store's recorder):
    (events checked, last position, first failing position, why). Each state is decoded first: the chain
    is over the uncompressed state (store/codec.py)."""
    prev, checked, last = GENESIS, 0, 0
    orphan = statements.orphan_link()
    while rows := statements.chain_page(last, page):
        for position, sid, version, topic, state, link in rows:
            if orphan is not None and orphan < position:
                return checked, last, orphan, "a chain link has no event (an event was removed)"
            if link is None:
                return checked, last, position, "the event has no chain link"
            oid = sid.hex if isinstance(sid, UUID) else str(sid).replace("-", "")
            try:
                raw = codec.decode(state.encode() if isinstance(state, str) else bytes(state))
            except codec.CodecError:
                return checked, last, position, "the event was changed (its stored state cannot be decoded)"
            prev = chain_hash(prev, position, oid, version, topic, raw, chain_key)
            if prev != link:
                if position > last + 1 and statements.link_at(last + 1) is None:
                    return (
                        checked,
                        last,
                        last + 1,
                        (
                            f"position {last + 1} is missing (removed with its link), "
                            f"or the event at {position} was changed"
                        ),
                    )
                return checked, last, position, "the event or its link was changed"
            checked += 1
            last = position
    if orphan is not None:
        return checked, last, orphan, "a chain link has no event (an event was removed)"
    return checked, last, None, None
