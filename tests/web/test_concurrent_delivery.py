"""4,000 synthetic events POSTed one per request by 4 concurrent clients: nothing lost, nothing doubled."""

from __future__ import annotations

import json

import pytest

from tests.conftest import mastery_json
from tests.web.conftest import TOKEN
from tests.web.load import post_all, synthetic

EVENTS = 4_000  # a thousand requests per client: every client's appends interleave with the others'


@pytest.mark.slow
def test_thousands_of_events_from_four_concurrent_clients_are_all_kept_once(serve_process, tmp_path):
    bodies = synthetic(EVENTS)
    server = serve_process()
    run = post_all(server.url, TOKEN, bodies, clients=4, limit_s=240)
    assert run["sent"] == EVENTS and run["statuses"] == {200: EVENTS}
    counts = run["counts"]
    assert counts["read"] == EVENTS
    assert counts["appended"] + counts["duplicates"] + counts["ignored"] + counts["quarantined"] == EVENTS

    # Stored = sent − duplicates (− the event types not kept), and the chain over them is whole.
    stored = mastery_json("--store", server.store, "verify")
    assert stored["ok"] and stored["checked"] == EVENTS - counts["duplicates"] - counts["ignored"]
    # The same stream through `mastery ingest` in one go is the reference for what must be stored.
    reference = str(tmp_path / "reference.db")
    (tmp_path / "stream.jsonl").write_bytes(b"\n".join(bodies) + b"\n")
    expected = mastery_json("--store", reference, "ingest", str(tmp_path / "stream.jsonl"))
    assert (counts["appended"], counts["duplicates"], counts["ignored"]) == (
        expected["appended"],
        expected["duplicates"],
        expected["ignored"],
    )

    root = json.loads(bodies[0])["metadata"]["root_account_uuid"]
    courses = server.get("/api/v1/courses", params={"account": root, "per_page": 100}).json()
    course = next(str(c["id"]) for c in courses if c["mastery"]["students"])
    over_http = server.get(
        f"/api/v1/courses/{course}/outcome_rollups", params={"account": root, "include[]": "users", "per_page": 100}
    ).json()
    assert over_http["rollups"]
    over_http["meta"].pop("pagination")  # Canvas's paging meta: the CLI prints every student at once
    assert over_http == mastery_json("--store", reference, "--account", root, "rollups", "--course", course)
