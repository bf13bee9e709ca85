"""The key table: one AES-GCM data key per person, kept outside the hash chain, destroyed on erasure.

The building block of crypto-shredding (issue 15): `EventStore.append` seals every event with `seal`
(personal values encrypted per person, keyed content hash) and every reader opens it with `unseal`
("erased person" where a key is gone). A SQLite file beside the store (`<store>.keys`; a PostgreSQL
store keeps the same tables beside its own, `store/pgkeys.py`) holds:
- `key_meta`: the pseudonym secret (people are looked up by `domain.personal.pseudonym`, never by a raw
  uuid or id) and, when the table is wrapped, a check value of the master key (never the key itself);
- `person_keys`: each person's 256-bit data key, AES-GCM-wrapped by `MASTERY_MASTER_KEY` when one is set;
- `erasures`: who was erased, when and why (the pseudonym only), so the erasure wins over a later key
  request: an erased person never gets a new key, so their personal fields are refused, not re-stored.

Destroying a key leaves no copy behind: `secure_delete` zeroes freed pages and the rollback journal
(`journal_mode=DELETE`, not WAL) is removed at commit. Keys and the master key are never logged or put
in an error message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from domain.events import REGISTRY
from domain.personal import (
    BODY_FIELDS,
    METADATA_FIELDS,
    PLACEHOLDER,
    PersonRef,
    join,
    keyed_hash,
    order_hash,
    pseudonym,
    split,
)

MASTER_ENV = "MASTERY_MASTER_KEY"
TOKEN_PREFIX = "enc:v1:"
_MASTER_CHECK_TEXT = b"outcome-mastery master key check"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS key_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS person_keys (ref TEXT PRIMARY KEY, data_key BLOB NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS erasures (ref TEXT PRIMARY KEY, erased_at TEXT NOT NULL, reason TEXT)",
)


class KeyTableError(Exception):
    """The key table cannot be used as asked: a missing or wrong master key (the message never holds one)."""


def keys_path(store_path: Path) -> Path:
    """Where a SQLite store's key table lives: beside it, never inside its hash chain."""
    return store_path.with_name(store_path.name + ".keys")


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


class KeyTable:
    """Per-person data keys in a SQLite file; `master` (bytes) wraps them when given.

    `readonly` opens an existing file read-only (a read never writes beside a store); a reader of a
    store that has no key table yet gets `KeyTable.empty()`, which opens nothing (every token reads as
    an erased person's)."""

    def __init__(self, path: Path | str, master: bytes | None = None, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._wrap = AESGCM(_derive(master, b"outcome-mastery key wrap")) if master else None
        self._check = hmac.new(master, _MASTER_CHECK_TEXT, hashlib.sha256).hexdigest().encode() if master else None
        self._keys: dict[str, bytes] = {}  # opened data keys, by pseudonym (never written anywhere)
        self._hash_keys: dict[str, bytes] = {}
        self._ciphers: dict[str, tuple[bytes, AESGCM]] = {}
        self._lock = threading.RLock()
        self._db = self._connect()
        if readonly:
            self._check_master()
            self._secret = self._meta_secret()
            self._erasures = self._db.execute("SELECT COUNT(*) FROM erasures").fetchone()[0]
            return
        with self._tx():
            for statement in self._schema():
                self._db.execute(statement)
            self._check_master()
            self._secret = self._meta_secret()
            self._erasures = self._db.execute("SELECT COUNT(*) FROM erasures").fetchone()[0]

    def _connect(self) -> Any:
        if self.readonly:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=30)
        else:  # one store serves a web server's threads: its transactions are serialised by _Immediate
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            db.execute("PRAGMA journal_mode = DELETE")
        db.execute("PRAGMA secure_delete = ON")
        return db

    def _schema(self) -> tuple[str, ...]:
        return _SCHEMA

    @classmethod
    def from_env(cls, path: Path | str, *, readonly: bool = False) -> KeyTable:
        text = os.environ.get(MASTER_ENV)
        return cls(path, text.encode() if text else None, readonly=readonly)

    @classmethod
    def empty(cls) -> KeyTable:
        """A table in memory holding no key: what a reader uses for a store without a key table."""
        return cls(":memory:")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> KeyTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> Any:
        return _Immediate(self)

    def batch(self) -> Any:
        """One transaction around many seals: the keys of new people are written with one commit."""
        return self._tx()

    # -- master key ------------------------------------------------------------------------------------
    def _check_master(self) -> None:
        row = self._db.execute("SELECT value FROM key_meta WHERE key = 'master_check'").fetchone()
        if row is None:
            any_key = self._db.execute("SELECT 1 FROM key_meta WHERE key = 'pseudonym_secret'").fetchone()
            if self._check and any_key:
                raise KeyTableError(f"{MASTER_ENV} is set but this key table is not wrapped: unset it for this store")
            if self._check and not self.readonly:
                self._db.execute("INSERT INTO key_meta (key, value) VALUES ('master_check', ?)", (self._check,))
            return
        if self._check is None:
            raise KeyTableError(f"this key table is wrapped: set {MASTER_ENV} to its master key")
        if not hmac.compare_digest(bytes(row[0]), self._check):
            raise KeyTableError(f"{MASTER_ENV} is not this key table's master key (its check value differs)")

    def _seal(self, ref: str, key: bytes) -> bytes:
        if self._wrap is None:
            return key
        nonce = os.urandom(12)
        return nonce + self._wrap.encrypt(nonce, key, ref.encode())

    def _open(self, ref: str, stored: bytes) -> bytes:
        if self._wrap is None:
            return stored
        try:
            return self._wrap.decrypt(stored[:12], stored[12:], ref.encode())
        except InvalidTag:
            raise KeyTableError(f"a data key cannot be unwrapped with this {MASTER_ENV}") from None

    def _meta_secret(self) -> bytes:
        row = self._db.execute("SELECT value FROM key_meta WHERE key = 'pseudonym_secret'").fetchone()
        if row is not None:
            return self._open("pseudonym_secret", bytes(row[0]))
        if self.readonly:  # not written yet: nothing was sealed with this table, a random one opens nothing
            return os.urandom(32)
        secret = os.urandom(32)
        sealed = self._seal("pseudonym_secret", secret)
        self._db.execute("INSERT INTO key_meta (key, value) VALUES ('pseudonym_secret', ?)", (sealed,))
        return secret

    # -- people ----------------------------------------------------------------------------------------
    def ref(self, person: PersonRef) -> str:
        """The person's pseudonym: what the key table, and a stored event, name them by."""
        return pseudonym(self._secret, person)

    @property
    def pseudonym_secret(self) -> bytes:
        return self._secret

    def erased(self, ref: str) -> bool:
        return self._db.execute("SELECT 1 FROM erasures WHERE ref = ?", (ref,)).fetchone() is not None

    def known(self, ref: str) -> bool:
        """Whether the person has a key or had one (erased)."""
        row = self._db.execute("SELECT 1 FROM person_keys WHERE ref = ?", (ref,)).fetchone()
        return row is not None or self.erased(ref)

    def refresh(self) -> None:
        """Forget the keys held in memory when another process has erased someone since (a writer calls
        this once per batch, so an erasure elsewhere wins from the next batch on)."""
        count = self._db.execute("SELECT COUNT(*) FROM erasures").fetchone()[0]
        if count != self._erasures:
            self._keys.clear()
            self._hash_keys.clear()
            self._ciphers.clear()
            self._erasures = count

    def data_key(self, ref: str, *, create: bool = False) -> bytes | None:
        """The person's data key; None when there is none (erased, or not created)."""
        held = self._keys.get(ref)
        if held is not None:
            return held
        row = self._db.execute("SELECT data_key FROM person_keys WHERE ref = ?", (ref,)).fetchone()
        if row is not None:
            key = self._keys[ref] = self._open(ref, bytes(row[0]))
            return key
        if not create:
            return None
        with self._tx():
            if self.erased(ref):  # the erasure wins: never a new key for an erased person
                return None
            key = AESGCM.generate_key(bit_length=256)
            self._db.execute(
                "INSERT OR IGNORE INTO person_keys (ref, data_key, created_at) VALUES (?, ?, ?)",
                (ref, self._seal(ref, key), datetime.now(UTC).isoformat()),
            )
        return self.data_key(ref)

    def hash_key(self, ref: str) -> bytes | None:
        """The person's key for content hashes (derived from the data key: gone with it)."""
        held = self._hash_keys.get(ref)
        if held is not None:
            return held
        key = self.data_key(ref)
        if key is None:
            return None
        derived = self._hash_keys[ref] = _derive(key, b"outcome-mastery content hash")
        return derived

    def encrypt(self, ref: str, values: dict[str, Any]) -> str | None:
        """The person's personal values as a randomised AES-GCM token; None when the person is erased."""
        key = self.data_key(ref, create=True)
        if key is None:
            return None
        nonce = os.urandom(12)
        sealed = nonce + self._aes(ref, key).encrypt(
            nonce, orjson.dumps(values, option=orjson.OPT_SORT_KEYS), ref.encode()
        )
        return TOKEN_PREFIX + binascii.b2a_base64(sealed, newline=False).decode("ascii")  # base64.b64encode's own

    def decrypt(self, ref: str, token: str) -> dict[str, Any] | None:
        """The values a token holds; None once the person's key is destroyed (an erased person)."""
        key = self.data_key(ref)
        if key is None or not token.startswith(TOKEN_PREFIX):
            return None
        sealed = base64.b64decode(token[len(TOKEN_PREFIX) :])
        try:
            return orjson.loads(self._aes(ref, key).decrypt(sealed[:12], sealed[12:], ref.encode()))
        except InvalidTag:
            return None

    def _aes(self, ref: str, key: bytes) -> AESGCM:
        """The person's cipher, made once per opened key (forgotten with it)."""
        held = self._ciphers.get(ref)
        if held is None or held[0] is not key:
            held = self._ciphers[ref] = (key, AESGCM(key))
        return held[1]

    def erase(self, ref: str, reason: str | None = None) -> Literal["erased", "already erased", "unknown"]:
        """Destroy the person's key and record the erasure; idempotent; an unknown person is not recorded."""
        self._keys.pop(ref, None)
        self._hash_keys.pop(ref, None)
        self._ciphers.pop(ref, None)
        with self._tx():
            if self.erased(ref):
                return "already erased"
            gone = self._db.execute("DELETE FROM person_keys WHERE ref = ?", (ref,)).rowcount
            if not gone:
                return "unknown"
            self._db.execute(
                "INSERT INTO erasures (ref, erased_at, reason) VALUES (?, ?, ?)",
                (ref, datetime.now(UTC).isoformat(), reason),
            )
        return "erased"


class _Immediate:
    """One write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on an error); nested uses join it.
    A rollback also forgets the keys held in memory: a key whose row was rolled back must never be used."""

    def __init__(self, table: KeyTable) -> None:
        self.table, self.db, self.outer = table, table._db, False

    def __enter__(self) -> None:
        self.table._lock.acquire()  # re-entrant: a nested use in the same thread joins
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self.outer = True

    def __exit__(self, kind: object, *_: object) -> None:
        try:
            if not self.outer:
                return
            if kind is None:
                self.db.execute("COMMIT")
                return
            self.db.execute("ROLLBACK")
            self.table._keys.clear()
            self.table._hash_keys.clear()
            self.table._ciphers.clear()
        finally:
            self.table._lock.release()


# -- an event sealed for storing, and opened for reading ------------------------------------------------
ERASED = "erased person"
PERSONAL_MEMBER = "personal"  # the stored event's member holding each person's token, by pseudonym


@dataclass(frozen=True)
class Sealed:
    """An event ready to store: no personal value in the clear, its keyed content hash, who was refused."""

    event: dict[str, Any]
    content_hash: str
    refused: tuple[str, ...]  # pseudonyms of erased people whose values were dropped (the erasure wins)
    order_hash: str = ""  # what breaks a fold-order tie, alike in every store (`domain.personal.order_hash`)


def seal(keys: KeyTable, kind: str, event: dict[str, Any], root_account: str, plain_hash: str | None = None) -> Sealed:
    """The event with its personal values encrypted per person (`domain.personal.split`), and its hash.

    The hash is keyed by the people's hash keys over the plaintext, so a repeat dedups although each
    token is new (`plain_hash`: the event's plain content hash when the caller has it, saving a
    serialisation). An erased person's values are not stored; the hash then keys their part by the
    placeholder form alone, so repeats of such an input still dedup among themselves."""
    parts = split(kind, event, root_account, keys.pseudonym_secret)
    tokens: dict[str, str] = {}
    hash_keys: dict[PersonRef, bytes] = {}
    refused: list[str] = []
    kept: list[dict[str, Any]] = []
    personal = parts.personal
    for person, values in sorted(personal.items()) if len(personal) > 1 else personal.items():
        ref = keys.ref(person)
        token = keys.encrypt(ref, values)
        if token is None:
            refused.append(ref)
            continue
        tokens[ref] = token
        kept.append(values)
        hash_key = keys.hash_key(ref)
        if hash_key:
            hash_keys[person] = hash_key
    stored = dict(parts.event)
    if tokens:
        stored[PERSONAL_MEMBER] = tokens
    # Nothing personal in it (split copies a section only where it replaced a value):
    untouched = parts.event.get("metadata") is event.get("metadata") and parts.event.get("body") is event.get("body")
    order = plain_hash if untouched and plain_hash else order_hash(kind, parts.event)
    if not refused:
        return Sealed(stored, keyed_hash(event, hash_keys, plain_hash), (), order)
    plain = parts.event  # the refused people's part as placeholders: nothing of theirs is hashed
    for values in kept:
        plain = join(plain, values)
    return Sealed(stored, keyed_hash(plain, hash_keys), tuple(refused), order)


def unseal(keys: KeyTable, stored: dict[str, Any]) -> dict[str, Any]:
    """The event as it arrived; each erased person's values read "erased person" (uuids keep their
    pseudonym: folds key by it)."""
    tokens = stored.get(PERSONAL_MEMBER)
    event = {k: v for k, v in stored.items() if k != PERSONAL_MEMBER}
    for ref, token in (tokens or {}).items():
        values = keys.decrypt(ref, token)
        if values is not None:
            event = join(event, values)
    return _erased_left(event)


def _erased_left(event: dict[str, Any]) -> dict[str, Any]:
    """Placeholders whose token could not be opened read "erased person" (that kind's personal fields only)."""
    meta, body = event.get("metadata"), event.get("body")
    if not any(isinstance(part, dict) and PLACEHOLDER in part.values() for part in (meta, body)):
        return event  # every value opened (the usual case): nothing to mark
    cls = REGISTRY.get(str((meta if isinstance(meta, dict) else {}).get("event_name")))
    out = dict(event)
    for section, names in (("metadata", METADATA_FIELDS), ("body", BODY_FIELDS.get(cls.kind, ()) if cls else ())):
        if isinstance(out.get(section), dict):
            out[section] = erased_in(out[section], names)
    return out


def erased_in(part: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """One section with each placeholder left among its personal fields (`names`) read "erased person"."""
    if PLACEHOLDER not in part.values():
        return part
    return {k: (ERASED if v == PLACEHOLDER and k in names else v) for k, v in part.items()}
