"""Whether a store keeps personal values sealed, and the seal/open bridge of a store `migrate encrypt` sealed.

A store made before issue 15 holds personal fields (`domain.personal`) in the clear; `mastery migrate
encrypt` (store/migrate_encrypt.py: how it re-keys the history and why `verify` still proves it) seals
it once and marks it in `store_meta`: `personal=sealed`, with the migration's record (`RECORD`: when, how
many events, the last link before and after it). `is_sealed(store)` reads that mark; `should_seal(store)`
is what an append asks (a new store is marked from its first event on; an old one keeps appending in
the clear until migrated). `matches_old_head` lets `verify --head` recognise a head kept before the
migration. `key_table(store)` is the store's key table (`store/keys.py`, `store/pgkeys.py`). Sealing what
is appended and opening what is read is store/sealing.py's (EventStore.append seals when `should_seal`).
"""

from __future__ import annotations

from typing import Any

from store.keys import KeyTable
from store.witness import Head

MODE_KEY = "personal"  # store_meta: "sealed" once every personal value is stored encrypted
SEALED = "sealed"
RECORD = ("sealed_at", "sealed_events", "sealed_changed", "sealed_from_head", "sealed_head")


class MigrateError(Exception):
    """The migration cannot be done as asked (the store is left exactly as it was)."""


def meta(store: Any) -> dict[str, str]:
    return {r["key"]: r["value"] for r in store.query("SELECT key, value FROM store_meta")}


def is_sealed(store: Any) -> bool:
    """Whether the store keeps personal values sealed (appends must seal; readers must open)."""
    return meta(store).get(MODE_KEY) == SEALED


def should_seal(store: Any) -> bool:
    """Whether an append to this store must seal: a sealed store, or a new one (no event yet), which is
    marked sealed here, under the writer lock, so that it seals from its first event on. An old store not
    yet migrated keeps appending in the clear until `migrate encrypt`: a repeat of one of its clear events
    must still meet that event's plain content hash to dedup (the migration re-keys both at once).
    A store once sealed stays sealed, so that answer is kept on the open store (an append per web request
    asks)."""
    if store.sealed_known:
        return True
    if is_sealed(store):
        store.sealed_known = True
        return True
    if store.head():
        return False
    r = store.chained
    with r._write() as c:
        if r._meta(c).get(MODE_KEY) == SEALED:
            store.sealed_known = True
            return True
        c.execute(f"SELECT 1 FROM {r.events_table_name} LIMIT 1")
        if c.fetchone() is not None:  # another process appended first, in the clear
            return False
        c.execute(f"INSERT INTO store_meta (key, value) VALUES ({r.ph}, {r.ph})", (MODE_KEY, SEALED))
    store.sealed_known = True
    return True


def record(store: Any) -> dict[str, str]:
    """The migration's record in store_meta (empty for a store never migrated)."""
    found = meta(store)
    return {k: found[k] for k in RECORD if k in found}


def matches_old_head(store: Any, head: Head) -> bool:
    """Whether a head kept before the migration is the last link the migration recorded it started from."""
    return record(store).get("sealed_from_head") == f"{head.position}:{head.hash.lower()}"


def predates(store: Any, head: Head) -> bool:
    """Whether a head lies at or before the migration's last link: its link was re-computed by it."""
    before = record(store).get("sealed_from_head", "")
    return bool(before) and head.position <= int(before.split(":")[0])


def key_table(store: Any) -> KeyTable:
    """The store's key table, as its appends seal with it (store/sealing.py `Keys.writer`: `<store>.keys`
    beside a SQLite file, store/pgkeys.py beside a PostgreSQL store); the store closes it."""
    return store.keys.writer()
