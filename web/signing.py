"""Canvas's signed payloads: an RS256 JWT whose claims are the Live Event, checked against a JWKS.

Canvas Data Services signs each event with a key it rotates monthly and publishes as a JWKS (the previous,
current and next keys); the JWT header's `kid` names the key. MASTERY_JWKS names that JWKS as a file or an
http(s) URL. The set is kept for an hour (TTL) and then fetched again; an unknown `kid` fetches it again
too, so a rotation needs no restart, but at most once a minute, whatever arrives. A fetch gets 5 seconds
in all; while the JWKS host fails, the keys already known keep working, and a token whose key is not known
is answered 503 (Canvas tries again later), never 500.

Every token must carry `exp`; `iss` and `aud` must be among the accepted ones when those are configured.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jwt

# Registered claims describe the token, not the event: they differ between re-signed deliveries of the
# same event, so they are dropped before the event is hashed for dedup.
REGISTERED = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
_SHAPE = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
TTL = 3600.0  # seconds a fetched JWKS is used before it is fetched again
RELOAD_EVERY = 60.0  # the fewest seconds between two fetches, whatever arrives
DEADLINE = 5.0  # seconds one fetch may take in all
MAX_JWKS = 1 << 20  # bytes
LEEWAY = 60


class BadSignature(Exception):
    """A signed payload that is malformed, expired, or not signed by a key of the set."""


class KeysUnavailable(Exception):
    """The JWKS named by MASTERY_JWKS cannot be read or holds no usable key."""


class UnusableClaims(Exception):
    """A token signed by a key of the set whose claims are not a JSON object (kept in the quarantine)."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(reason)
        self.text = text


def looks_signed(body: bytes) -> bool:
    """Whether a request body is a compact JWT rather than JSON."""
    return _SHAPE.fullmatch(body.strip()) is not None


class KeySet:
    """The signing keys by `kid`, from a JWKS file or URL, fetched again when stale or a `kid` is unknown."""

    def __init__(self, source: str, ttl: float = TTL, every: float = RELOAD_EVERY, deadline: float = DEADLINE) -> None:
        self.source, self.ttl, self.every, self.deadline = source, ttl, every, deadline
        self._keys: dict[str, Any] = {}
        self._loaded = 0.0  # when the set was last fetched successfully
        self._tried = float("-inf")  # when a fetch for a request was last started
        self._failure: str | None = None
        self._lock = threading.Lock()

    @property
    def remote(self) -> bool:
        return self.source.startswith(("https://", "http://"))

    def load(self) -> KeySet:
        """Fetch the set now; KeysUnavailable (and the keys known so far kept) when that fails."""
        try:
            keys = jwt.PyJWKSet.from_json(self._read()).keys
            found = {k.key_id: k for k in keys if k.key_id}
            if not found:
                raise ValueError("no key has a kid")
        except (
            OSError,
            ValueError,
            http.client.HTTPException,
            jwt.PyJWKSetError,
            jwt.PyJWKError,
            jwt.InvalidKeyError,
        ) as error:
            self._failure = f"MASTERY_JWKS {self.source!r}: {error or type(error).__name__}"
            raise KeysUnavailable(self._failure) from None
        self._keys, self._loaded, self._failure = found, time.monotonic(), None
        return self

    def _read(self) -> str:
        if not self.remote:
            return Path(self.source).read_text()
        done: dict[str, Any] = {}

        def fetch() -> None:
            try:
                done["text"] = self._fetch(time.monotonic() + self.deadline)
            except BaseException as error:  # handed to the waiting thread
                done["error"] = error

        worker = threading.Thread(target=fetch, name="mastery-jwks", daemon=True)
        worker.start()
        worker.join(self.deadline)  # a host that drips its answer cannot hold the request longer
        if "error" in done:
            raise done["error"]
        if "text" not in done:
            raise TimeoutError(f"no complete answer within {self.deadline:g} s")
        return done["text"]

    def _fetch(self, deadline: float) -> str:
        chunks, size = [], 0
        with urllib.request.urlopen(self.source, timeout=self.deadline) as answer:  # noqa: S310 (the admin's URL)
            while chunk := answer.read1(1 << 16):
                size += len(chunk)
                if size > MAX_JWKS:
                    raise ValueError(f"the JWKS is over {MAX_JWKS} bytes")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no complete answer within {self.deadline:g} s")
                chunks.append(chunk)
            if answer.length:  # the host closed before sending what it announced
                raise http.client.IncompleteRead(b"".join(chunks), answer.length)
        return b"".join(chunks).decode()

    def key(self, kid: str | None) -> Any:
        """The key named `kid`; BadSignature when the set has none, KeysUnavailable when it cannot be read."""
        if kid in self._keys and not self._stale():
            return self._keys[kid]
        with self._lock:  # one fetch at a time; the others wait for it (on worker threads, never the loop)
            if (kid not in self._keys or self._stale()) and time.monotonic() - self._tried >= self.every:
                self._tried = time.monotonic()  # the loading at start-up is not counted
                try:
                    self.load()
                except KeysUnavailable:
                    pass  # keep the keys we had
        if kid in self._keys:
            return self._keys[kid]
        if self._failure:
            raise KeysUnavailable(f"{self._failure}; the key {kid!r} cannot be checked now, try again")
        raise BadSignature(f"no key with kid {kid!r} in the JWKS")

    def _stale(self) -> bool:
        return self.remote and time.monotonic() - self._loaded > self.ttl


class _Claims(jwt.PyJWT):
    """PyJWT, except that claims which are not a JSON object, found once the signature checked, say so."""

    def _decode_payload(self, decoded: dict[str, Any]) -> dict[str, Any]:
        try:
            return super()._decode_payload(decoded)
        except jwt.DecodeError as error:
            raw = decoded["payload"]
            raise UnusableClaims(
                str(error), raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else str(raw)
            ) from None


def signed_event(
    token: bytes, keys: KeySet, issuers: Sequence[str] = (), audiences: Sequence[str] = ()
) -> dict[str, Any]:
    """The Live Event carried by a verified token (its claims less the registered ones)."""
    text = token.strip().decode("ascii")
    require = ["exp", *(["iss"] if issuers else []), *(["aud"] if audiences else [])]
    try:
        header = jwt.get_unverified_header(text)
        if header.get("alg") != "RS256":
            raise BadSignature(f"algorithm {header.get('alg')!r} is not RS256")
        key = keys.key(header.get("kid"))
        claims = _Claims().decode(
            text,
            key.key,
            algorithms=["RS256"],
            leeway=LEEWAY,
            issuer=list(issuers) or None,
            audience=list(audiences) or None,
            options={"require": require, "verify_aud": bool(audiences), "verify_iss": bool(issuers)},
        )
    except jwt.ExpiredSignatureError:
        raise BadSignature("the signed payload has expired") from None
    except jwt.MissingRequiredClaimError as error:
        raise BadSignature(f"the signed payload has no {error.claim!r} claim") from None
    except jwt.InvalidIssuerError:
        raise BadSignature(f"the signed payload's issuer is not one of {', '.join(issuers)}") from None
    except jwt.InvalidAudienceError:
        raise BadSignature(f"the signed payload's audience is not one of {', '.join(audiences)}") from None
    except jwt.InvalidTokenError as error:
        raise BadSignature(f"invalid signed payload: {error}") from None
    return {k: v for k, v in claims.items() if k not in REGISTERED}
