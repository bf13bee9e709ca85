"""Each vocabulary is said once: the calculation methods, the entity kinds, the personal fields and the
`[REDACTED]` mark, the id sort key, the roster read and the package version have one definition, and the
CLI, the web and the synthetic stream take theirs from it. So do the enrollment exclusions (domain/people.py)."""

from __future__ import annotations

import re
import sqlite3
import subprocess

from cli.history import what_if
from cli.operations import redacted
from cli.queries import audit
from domain.group import tree
from domain.ids import KINDS, id_key
from domain.redaction import PERSONAL_FIELDS, REDACTED, hide_personal
from domain.rollup import METHODS
from projections.queries.catalog import roster
from synthetic import CALCULATION_METHODS
from tests.conftest import ROOT


def _choices(command, name: str) -> list[str]:
    return list(next(p for p in command.params if p.name == name).type.choices)


def _project_sources() -> dict[str, str]:
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    return {
        path: (ROOT / path).read_text()
        for path in tracked.stdout.split()
        if not path.startswith(("tests/", "bench/")) and (ROOT / path).exists()
    }


def test_the_cli_what_if_method_choices_are_the_domain_methods_in_their_order():
    assert _choices(what_if, "method") == list(METHODS)


def test_the_synthetic_stream_draws_from_the_domain_methods():
    assert CALCULATION_METHODS == tuple(METHODS)


def test_the_cli_audit_kind_choices_are_the_domain_kinds():
    assert _choices(audit, "kind") == list(KINDS)


def test_hide_personal_redacts_each_personal_field_that_has_a_value_and_keeps_the_rest():
    fields = {"user_login": "ann", "client_ip": None, "user_agent": "curl", "user_id": "5"}
    assert hide_personal(fields) == {"user_login": REDACTED, "client_ip": None, "user_agent": REDACTED, "user_id": "5"}
    assert fields["user_login"] == "ann"  # a copy: the caller's mapping is left as it was
    assert set(PERSONAL_FIELDS) == {"user_login", "client_ip", "user_agent"}


def test_export_redact_hides_the_same_personal_fields():
    event = {"metadata": {name: "x" for name in PERSONAL_FIELDS} | {"event_name": "e"}, "body": {}}
    assert redacted(event)["metadata"] == {name: REDACTED for name in PERSONAL_FIELDS} | {"event_name": "e"}


def test_the_group_tree_orders_ids_with_the_shared_id_key():
    ids = ["10", "9", "b", "a", "0" * 4001]
    groups = [type("G", (), {"id": i, "parent_id": None, "workflow_state": "active"})() for i in ids]
    found = tree(groups)
    assert found["roots"] == sorted(ids, key=id_key) == ["9", "10", "0" * 4001, "a", "b"]


def test_the_roster_read_gives_name_and_sis_id_by_user(tmp_path):
    conn = sqlite3.connect(tmp_path / "rm.db")
    conn.execute("CREATE TABLE roster (user_uuid TEXT PRIMARY KEY, name TEXT, sis_id TEXT)")
    conn.executemany("INSERT INTO roster VALUES (?, ?, ?)", [("u1", "Ann", "S1"), ("u2", None, "S2")])
    assert roster(conn) == {"u1": ("Ann", "S1"), "u2": (None, "S2")}
    conn.close()


def test_each_vocabulary_is_written_in_one_place_only():
    sources = _project_sources()
    said = {
        "the [REDACTED] mark": r'"\[REDACTED\]"',
        "the personal fields": r'"user_login", "client_ip", "user_agent"',
        "the entity kinds": r"\bKINDS = ",
        "the calculation methods": r'"average", "decaying_average", "weighted_average"',
        "the id sort key": r"isdigit\(\) and len\(\w+\) <= 4000",
        "the roster read": r"(?<!DELETE )FROM roster\b",  # erasing a person deletes their row
        "the enrollment exclusions": r"\bEXCLUDABLE = ",
        "the package version": r'version\("outcome-mastery"\)',
    }
    where = {
        what: sorted(path for path, text in sources.items() if re.search(pattern, text))
        for what, pattern in said.items()
    }
    assert {what: len(paths) for what, paths in where.items()} == dict.fromkeys(said, 1), where
