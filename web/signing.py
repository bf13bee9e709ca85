"""Canvas's signed payloads: an RS256 JWT whose claims are the Live Event, checked against a JWKS.

Canvas Data Services signs each event with a key it rotates monthly and publishes as a JWKS (the previous,
current and next keys); the JWT header's `kid` names the key. MASTERY_JWKS names that JWKS as a file or an
http(s) URL. An unknown `kid` reloads the set (at most once a minute), so a rotation needs no restart.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import jwt

# Registered claims describe the token, not the event: they differ between re-signed deliveries of the
# same event, so they are dropped before the event is hashed for dedup.
REGISTERED = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
_SHAPE = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
RELOAD_EVERY = 60.0
LEEWAY = 60


class BadSignature(Exception):
    """A signed payload that is malformed, expired, or not signed by a key of the set."""


class KeysUnavailable(Exception):
    """The JWKS named by MASTERY_JWKS cannot be read or holds no usable key."""


def looks_signed(body: bytes) -> bool:
    """Whether a request body is a compact JWT rather than JSON."""
    return _SHAPE.fullmatch(body.strip()) is not None


class KeySet:
    """The signing keys by `kid`, from a JWKS file or URL, reloaded when an unknown `kid` arrives."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._keys: dict[str, Any] = {}
        self._loaded = 0.0
        self._lock = threading.Lock()

    def load(self) -> KeySet:
        try:
            keys = jwt.PyJWKSet.from_json(self._read()).keys
        except (OSError, ValueError, jwt.PyJWKSetError, jwt.PyJWKError, jwt.InvalidKeyError) as error:
            raise KeysUnavailable(f"MASTERY_JWKS {self.source!r}: {error}") from None
        self._keys = {k.key_id: k for k in keys if k.key_id}
        self._loaded = time.monotonic()
        if not self._keys:
            raise KeysUnavailable(f"MASTERY_JWKS {self.source!r}: no key has a kid")
        return self

    def _read(self) -> str:
        if self.source.startswith(("https://", "http://")):
            with urllib.request.urlopen(self.source, timeout=5) as answer:  # noqa: S310 (the admin's URL)
                return answer.read().decode()
        return Path(self.source).read_text()

    def key(self, kid: str | None) -> Any:
        if kid in self._keys:
            return self._keys[kid]
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._loaded > RELOAD_EVERY:
                with contextlib.suppress(KeysUnavailable):  # keep the keys we had; the token is refused below
                    self.load()
        if kid not in self._keys:
            raise BadSignature(f"no key with kid {kid!r} in the JWKS")
        return self._keys[kid]


def signed_event(token: bytes, keys: KeySet) -> dict[str, Any]:
    """The Live Event carried by a verified token (its claims less the registered ones)."""
    text = token.strip().decode("ascii")
    try:
        header = jwt.get_unverified_header(text)
        if header.get("alg") != "RS256":
            raise BadSignature(f"algorithm {header.get('alg')!r} is not RS256")
        key = keys.key(header.get("kid"))
        claims = jwt.decode(text, key.key, algorithms=["RS256"], leeway=LEEWAY, options={"verify_aud": False})
    except jwt.ExpiredSignatureError:
        raise BadSignature("the signed payload has expired") from None
    except jwt.InvalidTokenError as error:
        raise BadSignature(f"invalid signed payload: {error}") from None
    return {k: v for k, v in claims.items() if k not in REGISTERED}
