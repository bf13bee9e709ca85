"""Secrets and privacy: access tokens are never stored (events, quarantine, read model); --redact hides people."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import mastery, mastery_json, seed_events

TOKEN = "7~S3cr3tT0k3nValue"


def test_access_tokens_never_reach_any_byte_of_the_store(tmp_path):
    seeds = seed_events("current")
    seeds[7]["metadata"]["url"] = f"https://oxana.instructure.com/api/v1/outcomes/12345?access_token={TOKEN}"
    seeds[7]["metadata"]["referrer"] = f"https://oxana.instructure.com/x?a=1&access_token={TOKEN}#frag"
    lines = [json.dumps(e) for e in seeds]
    lines.append('{"metadata": {"url": "https://h/?access_token=' + TOKEN + '"}, "body": ')           # bad JSON
    lines.append(json.dumps({"metadata": {"event_name": "learning_outcome_created",
                                          "url": f"https://h/?access_token={TOKEN}"}, "body": {}}))  # invalid
    lines.append(json.dumps({"access_token": TOKEN, "not": "an event"}))
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    store = ("--store", str(tmp_path / "s.db"))
    counts = mastery_json(*store, "ingest", str(source))
    assert counts["appended"] == 10 and counts["quarantined"] == 3
    mastery(*store, "audit", "outcome", "12345", check=True)
    for path in tmp_path.glob("s.db*"):
        assert TOKEN.encode() not in Path(path).read_bytes(), f"token found in {path.name}"
    exported = mastery(*store, "export", check=True).stdout
    assert TOKEN.encode() not in exported and b"access_token=[REDACTED]" in exported


def test_export_and_audit_redact_personal_request_fields(tmp_path):
    store = ("--store", str(tmp_path / "s.db"))
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in seed_events("current")))
    mastery(*store, "ingest", str(source), check=True)
    plain = mastery(*store, "export", check=True).stdout
    redacted = mastery(*store, "export", "--redact", check=True).stdout
    for secret in (b"oxana@example.com", b"93.184.216.34", b"Mozilla/5.0"):
        assert secret in plain and secret not in redacted
    trail = mastery_json(*store, "audit", "outcome", "12345", "--redact")["entries"]
    assert trail[0]["actor"]["user_login"] == "[REDACTED]" and trail[0]["request"]["client_ip"] == "[REDACTED]"


def test_an_export_ingested_again_gives_the_same_state(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in seed_events("current") + seed_events("legacy")))
    first, second = ("--store", str(tmp_path / "a.db")), ("--store", str(tmp_path / "b.db"))
    mastery(*first, "ingest", str(source), check=True)
    (tmp_path / "export.jsonl").write_bytes(mastery(*first, "export", check=True).stdout)
    assert mastery_json(*second, "ingest", str(tmp_path / "export.jsonl"))["appended"] == 14
    for query in (("rollups", "--course", "1"), ("outcome", "12345"), ("tree",)):
        assert mastery_json(*first, *query) == mastery_json(*second, *query)
