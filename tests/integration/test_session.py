"""The shared session (projections/session.py) on real SQLite files, and how each entry point maps its errors:
plain exceptions in the session, DESIGN's exit codes in `cli/`, HTTP statuses in `web/`, and no `web → cli` edge."""

from __future__ import annotations

import ast
import copy
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from starlette.testclient import TestClient

from domain.events import parse
from projections.session import (
    BadInput,
    NotFound,
    Session,
    SessionError,
    SeveralAccounts,
    StaleReadModel,
    StoreMismatch,
    Unavailable,
)
from tests.conftest import ROOT, SEED_ROOT, seed_events

OTHER = "AnotherTenantUuid0000000000000000000000000"


def stored(path: Path, events: list[dict]) -> str:
    """A SQLite store file holding `events`, appended through a session."""
    session = Session(str(path))
    session.store.append([parse(e) for e in events])
    session.close()
    return str(path)


def two_tenants() -> list[dict]:
    stray = copy.deepcopy(seed_events()[1])
    stray["metadata"]["root_account_uuid"] = OTHER
    return [*seed_events(), stray]


def test_a_session_catches_up_resolves_the_only_account_and_reduces_global_ids(tmp_path):
    session = Session(stored(tmp_path / "s.db", seed_events()), str(tmp_path / "read.db"))
    conn = session.caught_up()
    assert session.root(conn) == SEED_ROOT
    assert conn.execute("SELECT COUNT(*) FROM entity_versions").fetchone()[0] > 0
    shard = conn.execute("SELECT shard FROM roots WHERE root = ?", (SEED_ROOT,)).fetchone()[0]
    assert session.local(f"{shard}0000000000042", conn, SEED_ROOT) == "42"
    assert session.local(" 42 ", conn, SEED_ROOT) == "42"
    session.close()


def test_session_errors_are_plain_exceptions_that_say_what_to_do(tmp_path):
    empty = Session(str(tmp_path / "empty.db"))
    with pytest.raises(NotFound, match="holds no events yet"):
        empty.root()
    empty.close()
    several = Session(stored(tmp_path / "two.db", two_tenants()))
    with pytest.raises(SeveralAccounts, match="holds 2 root accounts") as raised:
        several.root()
    assert not isinstance(raised.value, click.ClickException)
    assert several.root(account=OTHER) == OTHER, "an account asked for per call wins"
    with pytest.raises(NotFound, match="'nobody' is not in the store"):
        several.root(account="nobody")
    several.close()
    with pytest.raises(BadInput, match="not a date or time") as bad:
        Session("x.db").parse_time("yesterday", "as_of")
    assert bad.value.option == "as_of"
    with pytest.raises(BadInput) as zone:
        Session("x.db", tz="Mars/Olympus").parse_time("2020-01-01", "--as-of")
    assert zone.value.option == "--tz"
    with pytest.raises(Unavailable, match="cannot open read model"):
        _ = Session(str(tmp_path / "s2.db"), str(tmp_path / "no-such-folder" / "read.db")).conn


def test_a_read_model_of_another_store_is_a_store_mismatch_and_of_another_version_is_stale(tmp_path):
    read = str(tmp_path / "read.db")
    first = Session(stored(tmp_path / "a.db", seed_events()), read)
    first.caught_up()
    first.close()
    second = Session(stored(tmp_path / "b.db", seed_events("legacy")), read)
    with pytest.raises(StoreMismatch, match="belongs to another event store") as refused:
        second.caught_up()
    assert isinstance(refused.value, Unavailable) and "rebuild --adopt" in str(refused.value)
    second.close()
    with sqlite3.connect(read) as db:
        db.execute("UPDATE rm_tracking SET version = version + 100")
    again = Session(str(tmp_path / "a.db"), read)
    with pytest.raises(StaleReadModel, match="mastery rebuild"):
        again.caught_up()
    again.close()


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFound("x"), 1),
        (SeveralAccounts("x"), 1),
        (StaleReadModel("x"), 1),
        (Unavailable("x"), 3),
        (StoreMismatch("x"), 3),
        (BadInput("x", "--as-of"), 2),
    ],
)
def test_the_cli_maps_each_session_error_to_its_design_exit_code(error, code):
    from cli.context import to_click

    assert to_click(error).exit_code == code and str(error) in to_click(error).format_message()


def test_the_cli_context_raises_click_exceptions_with_the_same_messages(tmp_path):
    from cli.context import Context, DomainError, Settings

    app = Context(Settings(stored(tmp_path / "two.db", two_tenants()), None, None, "UTC"))
    with pytest.raises(DomainError, match="holds 2 root accounts"):
        app.root()
    with pytest.raises(click.BadParameter) as bad:
        app.parse_time("soon", "--known-at")
    assert bad.value.param_hint == "--known-at"
    app.close()


def served(store: str, read: str) -> TestClient:
    from projections.session import Settings
    from web.app import create_app
    from web.config import ServeConfig

    return TestClient(
        create_app(ServeConfig(Settings(store, read), ingest_token="t" * 32)), base_url="http://127.0.0.1"
    )


def test_the_web_answers_400_for_several_accounts_and_503_for_a_stale_or_foreign_read_model(tmp_path):
    read = str(tmp_path / "read.db")
    client = served(stored(tmp_path / "two.db", two_tenants()), read)
    several = client.get("/api/v1/courses")
    assert several.status_code == 400 and "root accounts" in several.json()["errors"][0]["message"]
    assert client.get("/api/v1/courses", params={"account": SEED_ROOT}).status_code == 200
    bad = client.get("/api/v1/courses/1/outcome_rollups", params={"account": SEED_ROOT, "as_of": "soon"})
    assert bad.status_code == 400 and "as_of" in bad.json()["errors"][0]["message"]
    client.app.state.service.close()
    foreign = served(stored(tmp_path / "other.db", seed_events("legacy")), read)
    refused = foreign.get("/api/v1/courses")
    assert refused.status_code == 503 and "belongs to another event store" in refused.json()["errors"][0]["message"]
    foreign.app.state.service.close()
    with sqlite3.connect(read) as db:
        db.execute("UPDATE rm_tracking SET version = version + 100")
    stale = served(str(tmp_path / "two.db"), read)
    answer = stale.get("/api/v1/courses", params={"account": SEED_ROOT})
    assert answer.status_code == 503 and "mastery rebuild" in answer.json()["errors"][0]["message"]
    page = stale.get("/")
    assert page.status_code == 503 and "mastery rebuild" in page.text
    stale.app.state.service.close()


def imported(folder: str) -> set[str]:
    """Every module the files of `folder` import, at top level or inside functions."""
    names: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    return names


def test_web_never_imports_cli_and_the_session_knows_nothing_of_click_or_http():
    assert not {n for n in imported("web") if n == "cli" or n.startswith("cli.")}
    session = {n for n in imported("projections") if n.split(".")[0] in {"cli", "web", "click", "fastapi"}}
    assert not session
    assert issubclass(StoreMismatch, SessionError) and not issubclass(SessionError, click.ClickException)


def test_the_import_contracts_of_pyproject_hold():
    """import-linter's contracts (pyproject [tool.importlinter]): domain imports nothing of ours, web never
    imports cli, and the layers cli > web > projections > store > domain only import downwards."""
    # In its own process: import-linter configures logging with dictConfig, which disables every logger
    # already made (the store's witness warnings would vanish from the later tests of this session).
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_serve_refuses_a_read_model_of_another_store_with_exit_3_before_listening(tmp_path):
    """`serve` catches its session up outside a command's Context: the session error still gets exit 3."""
    from tests.conftest import mastery

    read = str(tmp_path / "read.db")
    first = Session(stored(tmp_path / "a.db", seed_events()), read)
    first.caught_up()
    first.close()
    other = stored(tmp_path / "b.db", seed_events("legacy"))
    refused = mastery(
        "--store", other, "--read-db", read, "serve", "--port", "0", env={"MASTERY_INGEST_TOKEN": "t" * 32}
    )
    assert refused.returncode == 3 and b"belongs to another event store" in refused.stderr, refused.stderr
    assert b"Traceback" not in refused.stderr and b"mastery serve:" not in refused.stdout
