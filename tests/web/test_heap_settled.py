"""A started server settles its heap (web/app.py `settle_heap`): what its reads import is imported at
start-up and frozen with everything else alive, so a full collection inside a request scans only what
requests made; it answers as before, and a stopped server gives the frozen objects back to the collector."""

from __future__ import annotations

import gc
import sys

from tests.conftest import seed_events
from tests.web.conftest import TOKEN, httpx_json, in_process, stop


def test_a_started_server_freezes_its_start_up_heap_answers_reads_and_unfreezes_when_it_stops(tmp_path):
    gc.unfreeze()  # whatever an earlier test left: this test counts only its own server's freeze
    server = in_process(str(tmp_path / "store.db"), {"MASTERY_INGEST_TOKEN": TOKEN})
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the process's modules, classes and schemas
        # The routes' lazy imports were done before the freeze, not left to the first request.
        assert {"projections.queries.outcome_rollups", "projections.views", "web.grid", "store.ingest"} <= set(
            sys.modules
        )
        for event in seed_events("current"):
            assert server.post(httpx_json(event)).status_code == 200
        answer = server.get("/api/v1/courses/1/outcome_rollups")
        assert answer.status_code == 200 and answer.json()["rollups"], answer.text
        gc.collect()  # a full collection walks what requests made; the start-up stays frozen (less what
        assert gc.get_freeze_count() > frozen * 0.9  # reference counting freed since, as it always may)
    finally:
        stop(server)
    assert gc.get_freeze_count() == 0
