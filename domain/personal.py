"""Which fields of a Canvas event are personal, whose they are, and the keyed forms that replace them.

The building block of crypto-shredding (issue 15): `split` takes a parsed event apart into the event with
every personal value replaced by a placeholder and the personal values themselves, grouped by the person
they belong to; `join` puts them back. A person is named by a `PersonRef` (root account, which Canvas id
names them, the id) so that a store can keep one data key per person. Values that a fold needs as an
entity key (a result's `user_uuid`) are replaced by a stable pseudonym (`pseudonym`: an HMAC, so it
cannot be recomputed, or used to confirm a guessed value, without the secret). `keyed_hash` is the
content hash of the plaintext, keyed per person, so repeats of one event hash alike although the
encrypted form differs each time. Pure: no I/O.

Personal, exactly:
- metadata (any event, the actor's): `user_login`, `user_sis_id`, `client_ip`, `user_agent`, `session_id`;
- a user's body: `uuid`, `name`, `short_name`, `sortable_name`, `user_login`, `user_sis_id`, `email`;
- an enrollment's body: `user_name`;
- a result's body: `user_uuid` (the link to the person).
A user's `uuid` and a result's `user_uuid` become the pseudonym of the uuid (results fold by it and the
rollups join users to results by it); every other personal value becomes `PLACEHOLDER`.
Canvas numeric ids (`user_id`, `enrollment_id`, …) are kept: they name no one outside Canvas.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from domain.ids import local_id, shard_of

__all__ = [
    "METADATA_FIELDS",
    "BODY_FIELDS",
    "PLACEHOLDER",
    "PersonRef",
    "Split",
    "split",
    "join",
    "pseudonym",
    "keyed_hash",
    "order_hash",
]

METADATA_FIELDS = ("user_login", "user_sis_id", "client_ip", "user_agent", "session_id")
BODY_FIELDS: dict[str, tuple[str, ...]] = {
    "user": ("uuid", "name", "short_name", "sortable_name", "user_login", "user_sis_id", "email"),
    "enrollment": ("user_name",),
    "result": ("user_uuid",),
}
# Personal values a fold keys or joins by: replaced by the pseudonym of the uuid, so a user's `uuid` and
# their results' `user_uuid` still meet without decrypting anything.
PSEUDONYMISED = {("result", "user_uuid"), ("user", "uuid")}
_PSEUDONYMISED_BY_KIND: dict[str, tuple[str, ...]] = {}
for _kind, _name in sorted(PSEUDONYMISED):
    _PSEUDONYMISED_BY_KIND[_kind] = (*_PSEUDONYMISED_BY_KIND.get(_kind, ()), _name)
PLACEHOLDER = "[PERSONAL]"


class PersonRef(NamedTuple):
    """One person: the root account and the Canvas value that names them (`user_id` or `uuid`).

    A named tuple (immutable, ordered and hashed by its fields, as the frozen dataclass it was): made,
    hashed and compared several times per sealed event, where a tuple's C-level hash costs a third."""

    root_account: str
    by: str  # "user_id" (metadata or body Canvas id) or "uuid" (a result's user_uuid)
    value: str

    def text(self) -> str:
        return f"{self.root_account}|{self.by}|{self.value}"


@dataclass(frozen=True)
class Split:
    """An event taken apart: the placeholder form and each person's personal values by path."""

    event: dict[str, Any]
    personal: dict[PersonRef, dict[str, Any]]  # path ("metadata.user_login", "body.name") → value


def _owner(kind: str, section: str, event: dict[str, Any], root: str) -> PersonRef | None:
    """Whose the personal values of one section are: the actor (metadata), the user, the enrolled user,
    the result's student. Canvas ids are reduced to local ids (global and local forms name one person)."""
    meta, body = event.get("metadata") or {}, event.get("body") or {}
    if kind == "result" and section == "body":
        uuid = body.get("user_uuid")
        return PersonRef(root, "uuid", str(uuid)) if uuid else None
    raw = meta.get("user_id") if section == "metadata" else body.get("user_id")
    try:
        owner = local_id(raw, shard_of(meta.get("root_account_id")))
    except (TypeError, ValueError):  # an id no int can hold (hostile input): named by the id as given
        owner = str(raw) if raw is not None else None
    return PersonRef(root, "user_id", owner) if owner is not None else None


def split(kind: str, event: dict[str, Any], root_account: str, secret: bytes) -> Split:
    """The event with each personal value (that has a value) replaced, and the values by person and path.

    A uuid becomes its pseudonym (under `secret`), any other value the placeholder. A
    value whose owner cannot be named (no actor id) is still replaced: it is kept by no one, so it is
    dropped rather than stored in the clear."""
    out = dict(event)
    personal: dict[PersonRef, dict[str, Any]] = {}
    for section, fields in (("metadata", METADATA_FIELDS), ("body", BODY_FIELDS.get(kind, ()))):
        part = event.get(section)
        if not isinstance(part, dict):
            continue
        present = [name for name in fields if part.get(name) is not None]
        if not present:
            continue
        owner = _owner(kind, section, event, root_account)
        mine = personal.setdefault(owner, {}) if owner is not None else None
        copy = dict(part)
        for name in present:
            if mine is not None:
                mine[f"{section}.{name}"] = copy[name]
            if section == "body" and (kind, name) in PSEUDONYMISED:
                copy[name] = pseudonym(secret, PersonRef(root_account, "uuid", str(copy[name])))
            else:
                copy[name] = PLACEHOLDER
        out[section] = copy
    return Split(out, personal)


def join(event: dict[str, Any], personal: dict[str, Any]) -> dict[str, Any]:
    """The event with the personal values given put back (paths not given keep their placeholder)."""
    out = dict(event)
    for path, value in personal.items():
        section, name = path.split(".", 1)
        part = dict(out.get(section) or {})
        part[name] = value
        out[section] = part
    return out


@functools.lru_cache(maxsize=1 << 16)  # one per person seen lately: every event of theirs asks again
def pseudonym(secret: bytes, ref: PersonRef) -> str:
    """The stable stand-in for a person's personal key value: the same person, the same pseudonym."""
    return "p:" + hmac.digest(secret, ref.text().encode(), "sha256").hex()[:32]


def keyed_hash(plain_event: dict[str, Any], keys: dict[PersonRef, bytes], digest: str | None = None) -> str:
    """The content hash of an event's (token-redacted) plaintext, keyed by the hash keys of its people.

    Stable across repeats (no randomness, unlike the encrypted form); two events that differ only in a
    personal value still differ. Without the people's keys it cannot be recomputed, so a stored hash
    cannot be used to test a guessed name or login, and once a key is destroyed never again. An event
    with no person in it hashes plainly (as today's content hash). `digest`, when the caller has it
    already, is that plain hash (`domain.canvas.content_hash` of the same event): it is what is keyed."""
    plain = digest or hashlib.sha256(orjson.dumps(plain_event, option=orjson.OPT_SORT_KEYS)).hexdigest()
    if not keys:
        return plain
    ordered = tuple(keys.values()) if len(keys) == 1 else tuple(keys[ref] for ref in sorted(keys))
    return hmac.digest(hashlib.sha256(b"".join(ordered)).digest(), plain.encode(), "sha256").hex()


def order_hash(kind: str, placeholder_event: dict[str, Any]) -> str:
    """The hash that breaks a true tie in fold order (DESIGN decision 3), the same in every store: SHA-256
    of `split`'s placeholder form with the pseudonyms masked too (they are keyed per store). It holds no
    personal value; for an event that names no one it is the plain content hash."""
    event = placeholder_event
    body = event.get("body")
    if isinstance(body, dict):
        masked = None  # the pseudonymised fields looked up by name, not found by walking the body (hot path)
        for name in _PSEUDONYMISED_BY_KIND.get(kind, ()):
            if body.get(name) is not None:
                masked = dict(body) if masked is None else masked
                masked[name] = PLACEHOLDER
        if masked is not None:
            event = {**event, "body": masked}
    return hashlib.sha256(orjson.dumps(event, option=orjson.OPT_SORT_KEYS)).hexdigest()
