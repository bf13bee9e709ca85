"""What a command imports: a command's time is mostly its imports (issue 16), so a SQLite command loads no
PostgreSQL driver, `mastery --help` loads no store, no read model and no web stack, and the PostgreSQL
recorder, now in its own module, is what the library resolves for a PostgreSQL URL. (Its old topic,
`store.persistence:PostgresEventRecorder`, was configuration built per process, never stored.)"""

from __future__ import annotations

import json
import subprocess
import sys

from eventsourcing.utils import resolve_topic

from store.application import open_store
from store.postgres_recorder import PostgresEventRecorder
from tests.conftest import ROOT, mastery, seed_events, write_jsonl

# Runs one command in a fresh interpreter, then prints the modules it had loaded (JSON, on stderr: the
# command's own output stays on stdout).
PROBE = """
import json, sys
from cli.main import cli
try:
    cli.main(sys.argv[1:], prog_name="mastery")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _loaded(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, timeout=120)
    return set(json.loads(done.stderr.decode().strip().splitlines()[-1]))


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_a_sqlite_query_opens_its_store_without_importing_the_postgresql_driver(tmp_path):
    store = str(tmp_path / "store.db")
    mastery("--store", store, "ingest", str(write_jsonl(tmp_path / "in.jsonl", seed_events())), check=True)
    loaded = _loaded("--store", store, "courses", "--json")
    assert {"store.application", "store.persistence"} <= loaded  # it did open the store
    assert not {"psycopg", "psycopg_pool", "eventsourcing.postgres", "store.postgres_recorder"} & loaded


def test_help_and_version_load_no_store_read_model_or_web_stack():
    for args in (["--help"], ["--version"]):
        loaded = _loaded(*args)
        assert "cli.main" in loaded
        assert not {"store", "sqlite_utils", "eventsourcing", "psycopg", "fastapi", "rich"} & _top(loaded), args
        assert "domain.canvas" not in loaded, args  # the pydantic event models: only a command that reads


def test_version_prints_the_installed_version_as_click_did():
    from projections.session import package_version

    ran = mastery("--version")
    assert ran.returncode == 0 and ran.stdout.decode() == f"mastery, version {package_version()}\n"
    assert package_version() != "0+unknown"  # installed (make dev): a real version was read


def test_the_postgresql_recorder_is_found_by_its_topic_and_opens_a_postgresql_store(pg_url):
    assert resolve_topic("store.postgres_recorder:PostgresEventRecorder") is PostgresEventRecorder
    store = open_store(pg_url)
    try:
        assert type(store.recorder) is PostgresEventRecorder and store.recorder.is_postgres_recorder
    finally:
        store.close()
