"""Secrets and privacy: access tokens are never stored (events, quarantine, read model); --redact hides people."""

from __future__ import annotations

import json
from pathlib import Path

from projections.runner import catch_up
from projections.schema import connect
from sources import read_sources
from store.application import open_store
from store.ingest import ingest
from tests.conftest import mastery, mastery_json, seed_events

TOKEN = "7~S3cr3tT0k3nValue"


def test_access_tokens_never_reach_any_byte_of_the_store(tmp_path):
    seeds = seed_events("current")
    seeds[7]["metadata"]["url"] = f"https://oxana.instructure.com/api/v1/outcomes/12345?access_token={TOKEN}"
    seeds[7]["metadata"]["referrer"] = f"https://oxana.instructure.com/x?a=1&access_token={TOKEN}#frag"
    lines = [json.dumps(e) for e in seeds]
    lines.append('{"metadata": {"url": "https://h/?access_token=' + TOKEN + '"}, "body": ')  # bad JSON
    lines.append(
        json.dumps(
            {
                "metadata": {"event_name": "learning_outcome_created", "url": f"https://h/?access_token={TOKEN}"},
                "body": {},
            }
        )
    )  # invalid
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


def _with(event: dict, part: str, **fields) -> dict:
    event = json.loads(json.dumps(event))
    event[part].update(fields)
    return event


def test_every_form_of_an_access_token_is_redacted_from_events_quarantine_and_read_model(tmp_path):
    seeds = seed_events("current")
    good = [
        _with(seeds[0], "metadata", access_token=TOKEN),  # a metadata key
        _with(seeds[1], "metadata", Access_Token=TOKEN, extra={"deep": [{"ACCESS_TOKEN": TOKEN}]}),  # any case, nested
        _with(seeds[2], "body", access_token=TOKEN),  # a body field
        _with(
            seeds[3],
            "metadata",
            url=f"https://h/api?access%5Ftoken={TOKEN}&x=1",  # %5F-encoded name
            referrer=f"https://h/x?ACCESS_TOKEN%3D{TOKEN}",
            **{"access%5Ftoken": TOKEN},
        ),
        _with(seeds[4], "metadata", headers={"Authorization": f"Bearer {TOKEN}"}),  # header-like fields
        _with(seeds[5], "body", note=f"Authorization: Bearer {TOKEN}", raw=f'{{"access_token": "{TOKEN}"}}'),
        _with(seeds[6], "metadata", list=["x", f"access_token={TOKEN}", {"a": f"bearer {TOKEN}"}]),
    ]
    lines = [json.dumps(e) for e in good]
    invalid = {"metadata": {"event_name": "learning_outcome_created"}, "body": {}}
    lines += [
        json.dumps(invalid | {"x": {"access_token": TOKEN}}),  # quarantined: nested
        json.dumps(invalid).replace('"body"', f'"\\u0061ccess_token": "{TOKEN}", "body"'),  # \u-escaped key
        json.dumps(invalid | {"s": json.dumps({"access_token": TOKEN})}),  # JSON inside a string
        '{"metadata": {"Authorization": "Bearer ' + TOKEN + '"}, "body": ',  # bad JSON, header
        '{"a": "{\\"access_token\\":\\"' + TOKEN + '\\"}", ',  # bad JSON, escaped
        json.dumps(_with(seeds[7], "metadata", event_time=f"x?access_token={TOKEN}")),  # token in the reason
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    assert source.read_text().count(TOKEN) >= 18
    store = open_store(str(tmp_path / "s.db"))
    try:
        counts = ingest(store, read_sources([str(source)]))
        assert (counts.appended, counts.quarantined) == (len(good), 6)
        catch_up(store, connect(str(tmp_path / "read.db")).conn)
        stored = [e.event for _, e in store.iter_all()]
        assert stored[0]["metadata"]["access_token"] == "[REDACTED]"
        assert stored[4]["metadata"]["headers"] == {"Authorization": "[REDACTED]"}
        reasons = " ".join(r["reason"] + r["raw_text"] for r in store.query("SELECT reason, raw_text FROM quarantine"))
        assert "[REDACTED]" in reasons and TOKEN not in reasons
    finally:
        store.close()
    files = [p for p in tmp_path.glob("*.db*")]
    assert len(files) >= 2
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), f"token found in {path.name}"


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
