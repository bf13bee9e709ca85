"""The key table of a PostgreSQL store: the same three tables as `<store>.keys`, beside the store's own.

`PostgresKeyTable` is `store.keys.KeyTable` (same public API, same erasure semantics) over a psycopg
connection to the store's database and schema. Its tables (`key_meta`, `person_keys`, `erasures`) are
not in the hash chain and carry no immutability trigger: erasing a person deletes their key row. What
PostgreSQL may keep of a deleted row (the dead tuple until VACUUM, the write-ahead log, base backups) is
said in README "Erasing a person"; `erase` runs `VACUUM person_keys` after the delete. Wrap the keys with
`MASTERY_MASTER_KEY` and none of those copies opens without it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse, urlunparse

from store.keys import KeyTable

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS key_meta (key text PRIMARY KEY, value bytea NOT NULL)",
    "CREATE TABLE IF NOT EXISTS person_keys (ref text PRIMARY KEY, data_key bytea NOT NULL, created_at text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS erasures (ref text PRIMARY KEY, erased_at text NOT NULL, reason text)",
)
_LOCK = 74110520  # serialises key creation and erasure, as BEGIN IMMEDIATE does on SQLite


def conninfo(url: str) -> tuple[str, str]:
    """(the libpq URL without our `?schema=`, the schema) of a store URL."""
    u = urlparse(url)
    schema = parse_qs(u.query).get("schema", ["public"])[0]
    return urlunparse(u._replace(query="")), schema


class _Connection:
    """A psycopg connection that speaks the SQLite dialect KeyTable writes ("?" marks, INSERT OR IGNORE,
    BEGIN IMMEDIATE, PRAGMA), so both tables share one implementation."""

    def __init__(self, url: str) -> None:
        import psycopg

        dsn, self.schema = conninfo(url)
        self.conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
        self.conn.execute(f'SET search_path TO "{self.schema}"')

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.conn.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, params: tuple = ()) -> Any:
        if sql.startswith("PRAGMA"):
            return self.conn.execute("SELECT 1")
        if sql == "BEGIN IMMEDIATE":
            self.conn.execute("BEGIN")
            return self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        if sql.startswith("INSERT OR IGNORE"):
            sql = sql.replace("INSERT OR IGNORE", "INSERT", 1) + " ON CONFLICT DO NOTHING"
        return self.conn.execute(sql.replace("?", "%s"), params)

    def close(self) -> None:
        self.conn.close()


class PostgresKeyTable(KeyTable):
    """The key table in the PostgreSQL database and schema of a store (`url`, the store's URL)."""

    def __init__(self, url: str, master: bytes | None = None, *, readonly: bool = False) -> None:
        self.url = url
        super().__init__(url, master, readonly=readonly)

    def _connect(self) -> Any:
        return _Connection(self.url)

    def _schema(self) -> tuple[str, ...]:
        return _SCHEMA

    @classmethod
    def exists(cls, url: str) -> bool:
        """Whether the store's schema holds a key table (a reader opens nothing when it does not)."""
        db = _Connection(url)
        try:
            row = db.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'key_meta'",
                (db.schema,),
            ).fetchone()
            return row is not None
        finally:
            db.close()

    def vacuum(self) -> None:
        """Reclaim the dead tuple a deleted key leaves (outside any transaction)."""
        self._db.execute("VACUUM person_keys")
