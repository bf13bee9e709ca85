"""POST /events through a real `mastery serve`: the token, the accounting, the quarantine, the size limit."""

from __future__ import annotations

import json

from tests.conftest import STUDENT, mastery, mastery_process, seed_events
from tests.web.conftest import TOKEN


def body(value: object) -> bytes:
    return json.dumps(value).encode()


def student_score(server, course: str = "1") -> float:
    answer = server.get(f"/api/v1/courses/{course}/outcome_rollups").json()
    return next(
        s["score"]
        for r in answer["rollups"]
        if r["links"]["user"] == STUDENT
        for s in r["scores"]
        if s["links"]["outcome"] == "1"
    )


def test_seed_payloads_posted_one_by_one_give_the_canvas_rollup(seeded):
    assert student_score(seeded) == 4.0
    answer = seeded.get("/api/v1/courses/1/outcome_rollups").json()
    assert answer["rollups"][0]["scores"][0]["rating"]["color"] == "02672D"


def test_a_delivery_without_the_token_is_refused_and_nothing_is_kept(seeded):
    result = seed_events("current")[5]
    assert result["metadata"]["event_name"] == "learning_outcome_result_created"
    later = {
        **result,
        "metadata": {**result["metadata"], "event_time": "2030-01-01T00:00:00Z"},
        "body": {**result["body"], "id": "9999", "score": 0, "percent": 0, "assessed_at": "2030-01-01T00:00:00Z"},
    }
    for token in (None, "wrong-token"):
        answer = seeded.post(body(later), token=token)
        assert answer.status_code == 401 and set(answer.json()) == {"error"}
        assert answer.headers["www-authenticate"] == "Bearer"
    assert student_score(seeded) == 4.0
    assert (
        seeded.post(body(seed_events("current")[0]), token=None, headers={"Authorization": "Basic eDp4"}).status_code
        == 401
    )


def test_the_same_event_twice_is_answered_as_a_duplicate(seeded):
    answer = seeded.post(body(seed_events("current")[0]))
    assert answer.status_code == 200
    assert answer.json() == {
        "read": 1,
        "appended": 0,
        "duplicates": 1,
        "quarantined": 0,
        "ignored": 0,
        "quarantine_ids": [],
    }


def test_an_unusable_body_is_quarantined_and_answered_2xx_with_its_id(seeded):
    for text in ('{"metadata": {"event_name": "learning_outcome_created"}, "body": {}}', "{not json at all", "NaN"):
        answer = seeded.post(text)
        assert answer.status_code == 200, answer.text
        counts = answer.json()
        assert (counts["read"], counts["quarantined"], len(counts["quarantine_ids"])) == (1, 1, 1), counts
    shown = mastery("--store", seeded.store, "quarantine", "show", str(counts["quarantine_ids"][0]), "--json")
    assert json.loads(shown.stdout)["source"] == "http"


def test_a_json_array_is_kept_in_one_request_with_every_item_accounted_for(seeded):
    legacy = seed_events("legacy")
    items = [*legacy[:3], {"metadata": {"event_name": "submission_created"}, "body": {}}, 42, legacy[0]]
    counts = seeded.post(body(items)).json()
    assert counts["read"] == 6
    assert counts["read"] == counts["appended"] + counts["duplicates"] + counts["quarantined"] + counts["ignored"]
    assert counts["ignored"] == 1 and counts["quarantined"] == 1 and counts["duplicates"] >= 1


def test_json_lines_in_one_body_are_read_like_a_file(seeded):
    lines = "\n".join(json.dumps(e) for e in seed_events("current")[:2]) + "\n{broken\n"
    counts = seeded.post(lines).json()
    assert (counts["read"], counts["duplicates"], counts["quarantined"]) == (3, 2, 1)


def test_a_body_over_the_size_limit_is_refused_with_413(serve):
    server = serve({"MASTERY_INGEST_TOKEN": TOKEN, "MASTERY_MAX_BODY": "2048"})
    big = body({"metadata": {"event_name": "learning_outcome_created"}, "body": {"title": "x" * 4096}})
    answer = server.post(big)
    assert answer.status_code == 413 and "limit" in answer.json()["error"]
    chunked = server.post(iter([big[:1500], big[1500:]]))  # no Content-Length: counted while read
    assert chunked.status_code == 413
    assert server.post(body(seed_events("current")[1])).status_code == 200


def test_an_empty_body_is_a_client_error(seeded):
    answer = seeded.post(b"  ")
    assert answer.status_code == 400 and "empty" in answer.json()["error"]


def test_serve_refuses_to_start_without_a_way_to_deliver(tmp_path):
    refused = mastery_process("--store", str(tmp_path / "s.db"), "serve", "--port", "1")
    assert refused.returncode == 2 and b"MASTERY_INGEST_TOKEN" in refused.stderr
    assert b"Traceback" not in refused.stderr


def test_serve_beyond_loopback_refuses_to_start_without_a_read_token(tmp_path):
    # Checked before anything listens: no socket is ever opened on a non-loopback address.
    refused = mastery_process(
        "--store",
        str(tmp_path / "s.db"),
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "1",
        env={"MASTERY_INGEST_TOKEN": TOKEN},
    )
    assert refused.returncode == 2 and b"MASTERY_READ_TOKEN" in refused.stderr


def test_a_compressed_body_is_refused_rather_than_expanded(seeded):
    import gzip

    answer = seeded.post(gzip.compress(body(seed_events("current")[0])))
    assert answer.status_code == 415 and "compressed" in answer.json()["error"]


def test_the_read_model_catches_up_by_itself_when_deliveries_pause(serve):
    import sqlite3
    import time

    server = serve()
    for event in seed_events("current"):
        assert server.post(body(event)).status_code == 200
    deadline, position = time.monotonic() + 15, 0
    while time.monotonic() < deadline and position < 10:
        time.sleep(0.2)
        with sqlite3.connect(server.store, timeout=5) as conn:
            found = conn.execute("SELECT position FROM rm_tracking WHERE projection = 'history'").fetchone()
        position = found[0] if found else 0
    assert position == 10, "no read was made, yet every stored event is in the read model"


def test_serve_can_speak_https_itself(tmp_path):
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from tests.web.conftest import start, stop

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    trust = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    server = start(
        str(tmp_path / "s.db"),
        {"MASTERY_INGEST_TOKEN": TOKEN},
        tmp_path / "serve.log",
        "--ssl-certfile",
        str(tmp_path / "cert.pem"),
        "--ssl-keyfile",
        str(tmp_path / "key.pem"),
        scheme="https",
        verify=trust,
    )
    try:
        assert server.post(body(seed_events("current")[0])).json()["appended"] == 1
    finally:
        stop(server)
