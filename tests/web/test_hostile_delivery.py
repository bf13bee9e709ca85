"""Deliveries meant to break the server: values the store cannot hold, events of other tenants. Each bad
item is quarantined with its reason, the rest of the request is stored, and the answer is 2xx."""

from __future__ import annotations

import copy
import json

from tests.conftest import mastery_json, seed_events
from tests.web.conftest import TOKEN, quarantine_reason

OTHER = "AnotherTenantUuid0000000000000000000000"


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def with_extra(event: dict, where: str, value: object) -> dict:
    event = copy.deepcopy(event)
    event[where]["extra"] = value
    return event


def test_array_elements_the_store_cannot_hold_are_quarantined_and_the_rest_stored(serve):
    server = serve()
    good = seed_events("current")
    hostile = [with_extra(good[2], "body", nested(300)), with_extra(good[3], "metadata", {"x": nested(256)})]
    answer = server.post(json.dumps([good[0], hostile[0], good[1], hostile[1]]))
    assert answer.status_code == 200, answer.text
    counts = answer.json()
    assert (counts["read"], counts["appended"], counts["quarantined"]) == (4, 2, 2), counts
    for quarantine_id in counts["quarantine_ids"]:
        assert "255 levels" in quarantine_reason(server.store, quarantine_id)
    one = server.post(json.dumps(with_extra(good[4], "body", nested(400))))
    assert one.status_code == 200 and one.json()["quarantined"] == 1, one.text
    assert mastery_json("--store", server.store, "verify")["checked"] == 2


def test_events_of_a_root_account_not_accepted_are_quarantined_with_the_reason(serve):
    good = seed_events("current")
    server = serve({"MASTERY_INGEST_TOKEN": TOKEN}, None, "--accept-account", good[0]["metadata"]["root_account_uuid"])
    stray = copy.deepcopy(good[1])
    stray["metadata"]["root_account_uuid"] = OTHER
    counts = server.post(json.dumps([good[0], stray, good[2]])).json()
    assert (counts["appended"], counts["quarantined"]) == (2, 1), counts
    reason = quarantine_reason(server.store, counts["quarantine_ids"][0])
    assert OTHER in reason and "--accept-account" in reason
    assert server.get("/api/v1/courses").status_code == 200


def test_accepted_accounts_can_come_from_the_environment(serve):
    good = seed_events("current")
    mine = good[0]["metadata"]["root_account_uuid"]
    server = serve({"MASTERY_INGEST_TOKEN": TOKEN, "MASTERY_ACCEPT_ACCOUNT": f"{OTHER}, {mine}"})
    stray = copy.deepcopy(good[1])
    stray["metadata"]["root_account_uuid"] = "YetAnotherTenant"
    counts = server.post(json.dumps([good[0], stray])).json()
    assert (counts["appended"], counts["quarantined"]) == (1, 1), counts


def test_with_one_accepted_account_reads_are_of_it_even_when_a_stray_tenant_is_stored(serve, tmp_path):
    good = seed_events("current")
    mine = good[0]["metadata"]["root_account_uuid"]
    store = str(tmp_path / "shared.db")
    before = serve(None, store)  # a server that accepted every tenant stored a stray one
    stray = copy.deepcopy(good[1])
    stray["metadata"]["root_account_uuid"] = OTHER
    assert before.post(json.dumps([*good, stray])).json()["appended"] == len(good) + 1
    assert before.get("/api/v1/courses/1/outcome_rollups").status_code == 400  # several root accounts: choose one
    from tests.web.conftest import stop

    stop(before)
    server = serve({"MASTERY_INGEST_TOKEN": TOKEN}, store, "--accept-account", mine)
    assert server.get("/api/v1/courses/1/outcome_rollups").status_code == 200
    assert server.get("/").status_code == 200
    assert server.get("/api/v1/courses", params={"account": OTHER}).status_code == 200, "another can be asked for"
