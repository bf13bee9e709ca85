"""The hash chain's links and the chain key's check value: what makes an edit of the history visible.

Each stored event's link hashes its identity and state with the previous link (an HMAC-SHA256 when the
store has a chain key, so that someone editing the database without the key cannot recompute it); the
store keeps only an HMAC of a fixed text to recognise its key, never the key.
"""

from __future__ import annotations

import hashlib
import hmac

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
