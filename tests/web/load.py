"""A small, bounded load generator for `POST /events` (loopback only), and the in-process baseline.

    .venv/bin/python -m tests.web.load --events 10000 --clients 4

starts `mastery serve` on a free 127.0.0.1 port with a fresh temp store, POSTs a synthetic stream one
event per request from N concurrent keep-alive clients, and prints requests/s and latency percentiles;
then the same events through the ingest call the endpoint makes (`Service.ingest`, one transaction per
event) in this process, as the reference. Used by the concurrency test too.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


def synthetic(events: int, seed: int = 0) -> list[bytes]:
    """The stream `mastery generate` writes, one body per event."""
    from synthetic import generate, to_jsonl

    return [line.rstrip(b"\n") for line in to_jsonl(generate(events, seed))]


def post_all(url: str, token: str, bodies: list[bytes], clients: int = 4, limit_s: float = 600) -> dict[str, Any]:
    """POST every body once, spread over `clients` threads; the accounting and the latencies."""
    shares = [bodies[i::clients] for i in range(clients)]
    results: list[dict[str, Any]] = [{} for _ in shares]
    deadline = time.monotonic() + limit_s
    threads = [
        threading.Thread(target=_client, args=(url, token, share, out, deadline))
        for share, out in zip(shares, results, strict=True)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies = sorted(x for r in results for x in r["latencies"])
    return {
        "sent": sum(r["sent"] for r in results),
        "statuses": sum((r["statuses"] for r in results), Counter()),
        "counts": sum((r["counts"] for r in results), Counter()),
        "seconds": elapsed,
        **summary(latencies, elapsed),
    }


def _client(url: str, token: str, bodies: list[bytes], out: dict[str, Any], deadline: float) -> None:
    u = urlparse(url)
    assert u.hostname in ("127.0.0.1", "localhost", "::1"), "load goes to loopback only"
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    out.update(sent=0, statuses=Counter(), counts=Counter(), latencies=[])
    for body in bodies:
        if time.monotonic() > deadline:
            break
        began = time.perf_counter()
        conn.request("POST", "/events", body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        out["latencies"].append(time.perf_counter() - began)
        out["sent"] += 1
        out["statuses"][answer.status] += 1
        if answer.status == 200:
            out["counts"].update({k: v for k, v in json.loads(data).items() if isinstance(v, int)})
    conn.close()


def summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    if not latencies:
        return {"per_second": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "per_second": len(latencies) / elapsed,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def baseline(bodies: list[bytes], store_path: str) -> dict[str, Any]:
    """The same events through the endpoint's ingest call in this process, one transaction each."""
    from cli.context import Settings
    from web.ingest import items
    from web.service import Service

    service = Service(Settings(store_path, None, None, "UTC"))
    latencies, counts = [], Counter()
    start = time.perf_counter()
    for body in bodies:
        began = time.perf_counter()
        counts.update(service.ingest(items(body)).as_json())
        latencies.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - start
    service.close()
    return {"sent": len(bodies), "counts": counts, "seconds": elapsed, **summary(sorted(latencies), elapsed)}


def main() -> None:
    from tests.web.conftest import TOKEN, start, stop

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    bodies = synthetic(args.events)
    with tempfile.TemporaryDirectory() as folder:
        server = start(f"{folder}/http.db", {"MASTERY_INGEST_TOKEN": TOKEN}, Path(folder) / "serve.log")
        try:
            http_run = post_all(server.url, TOKEN, bodies, args.clients)
        finally:
            stop(server)
        local = baseline(bodies, f"{folder}/local.db")
    for name, run in (("POST /events over HTTP", http_run), ("in-process Service.ingest", local)):
        print(
            f"{name}: {run['sent']} events in {run['seconds']:.1f} s = {run['per_second']:.0f}/s; "
            f"p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms, max {run['max_ms']:.1f} ms; "
            f"{dict(run['counts'])} {dict(run.get('statuses', {}))}"
        )


if __name__ == "__main__":
    main()
