"""The PostgreSQL event recorder: the library's PostgreSQL recorder plus our chained batch append.

Kept apart from store/persistence.py so that psycopg (and the asyncio, ssl and pool modules it brings)
is imported only when a PostgreSQL store is opened: the library imports a recorder class from its topic
(`store.application._env_for` names `store.postgres_recorder:PostgresEventRecorder`), so a SQLite command
never loads this module. Schema, triggers and locking are as they were (DESIGN decisions 4 and 5).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from store.persistence import ChainedBatchMixin


def _pg_extra(schema: str, events_table: str) -> list[str]:
    s = f'"{schema}"'
    refuse = f"{s}.mastery_refuse_change"
    stmts = [
        f"CREATE TABLE IF NOT EXISTS {s}.event_hashes (hash text PRIMARY KEY, position bigint NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {s}.event_chain (position bigint PRIMARY KEY, hash text NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {s}.quarantine (id bigserial PRIMARY KEY, raw_hash text NOT NULL UNIQUE, "
        "raw_text text NOT NULL, source text, line integer, reason text NOT NULL, received_at text NOT NULL, "
        "status text NOT NULL DEFAULT 'open', resolved_at text, note text)",
        f"CREATE TABLE IF NOT EXISTS {s}.store_meta (key text PRIMARY KEY, value text NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {s}.store_dictionaries (id bigint PRIMARY KEY, milestone bigint NOT NULL "
        "UNIQUE, dictionary bytea NOT NULL)",
        f"INSERT INTO {s}.store_meta (key, value) VALUES ('store_id', replace(gen_random_uuid()::text, '-', '')) "
        "ON CONFLICT (key) DO NOTHING",
        f"CREATE OR REPLACE FUNCTION {refuse}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'refused: the event history is immutable (% on %)', TG_OP, TG_TABLE_NAME; END $$",
    ]
    for table in (events_table, "event_chain", "event_hashes", "store_meta", "store_dictionaries"):
        stmts.append(
            f"CREATE OR REPLACE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {s}.{table} "
            f"FOR EACH ROW EXECUTE FUNCTION {refuse}()"
        )
        stmts.append(
            f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {s}.{table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {refuse}()"
        )
    return stmts


class PostgresEventRecorder(ChainedBatchMixin, PostgresApplicationRecorder):
    """The library's PostgreSQL recorder plus dedup, hash chain, quarantine and immutability."""

    ph, position, no_limit = "%s", "notification_id", "ALL"
    is_postgres_recorder = True

    def _scope(self, c: Any) -> None:
        c.execute(f'SET LOCAL search_path TO "{self.datastore.schema}"')

    def create_table(self) -> None:
        # Several processes may open a new store at once: PostgreSQL's DDL is not safe against that
        # ("tuple concurrently updated"), so schema creation is serialised by a session advisory lock.
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(74110519)")
            try:
                super().create_table()
                with self.datastore.transaction(commit=True) as curs:
                    for statement in _pg_extra(self.datastore.schema, self.events_table_name):
                        curs.execute(statement)
            finally:
                conn.execute("SELECT pg_advisory_unlock(74110519)")

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=True) as curs:
            # The library's table lock serialises writers, so dedup and versions see every commit.
            self._lock_table(curs)
            curs.execute(f'SET LOCAL search_path TO "{self.datastore.schema}"')
            yield curs

    def _insert_library_rows(self, c: Any, stored: list[StoredEvent]) -> list[int]:
        self._insert_stored_events(c, stored)
        return list(self._fetch_ids_after_insert_events(c, stored) or [])

    def _returning_id(self) -> str:
        return " RETURNING id"

    def _inserted_id(self, c: Any) -> int:
        return c.fetchone()["id"]
