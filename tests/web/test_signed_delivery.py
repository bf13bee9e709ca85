"""Canvas's signed payloads: RS256 JWTs checked against a JWKS (file or URL) made here, matched by kid."""

from __future__ import annotations

import http.server
import json
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import mastery_json, mastery_process, seed_events
from tests.web.conftest import TOKEN, quarantine_reason


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(*keys: tuple[str, rsa.RSAPrivateKey]) -> str:
    entries = []
    for kid, key in keys:
        entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        entries.append(entry | {"kid": kid, "use": "sig", "alg": "RS256"})
    return json.dumps({"keys": entries})


def signed(event: dict, key: rsa.RSAPrivateKey, kid: str, **claims) -> bytes:
    now = int(time.time())
    payload = {k: v for k, v in ({"iat": now, "exp": now + 300} | claims | event).items() if v is not None}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid}).encode()


def signed_text(claims: str, key: rsa.RSAPrivateKey, kid: str) -> bytes:
    """A token over claims given as JSON text (for claims too deep for the stdlib to write)."""
    return jwt.PyJWS().encode(claims.encode(), key, algorithm="RS256", headers={"kid": kid}).encode()


@pytest.fixture(scope="module")
def keys() -> dict[str, rsa.RSAPrivateKey]:
    return {"current": rsa_key(), "next": rsa_key(), "stranger": rsa_key()}


@pytest.fixture
def signed_server(serve, tmp_path, keys):
    path = tmp_path / "jwks.json"
    path.write_text(jwks(("k-current", keys["current"]), ("k-next", keys["next"])))
    return serve({"MASTERY_JWKS": str(path)})


def test_a_signed_event_is_kept_without_any_token(signed_server, keys):
    event = seed_events("current")[0]
    answer = signed_server.post(
        signed(event, keys["current"], "k-current"), token=None, headers={"Content-Type": "application/jwt"}
    )
    assert answer.status_code == 200 and answer.json()["appended"] == 1
    again = signed_server.post(signed(event, keys["next"], "k-next", iat=int(time.time()) - 5, jti="other"), token=None)
    assert again.json()["duplicates"] == 1, "a re-signed delivery of the same event is a duplicate"


def test_expired_forged_or_unknown_signatures_are_refused_and_nothing_kept(signed_server, keys):
    event = seed_events("current")[1]
    past = int(time.time()) - 3600
    refused = {
        "expired": signed(event, keys["current"], "k-current", iat=past - 60, exp=past),
        "signed by a key not in the set": signed(event, keys["stranger"], "k-current"),
        "unknown kid": signed(event, keys["stranger"], "k-stranger"),
        "not RS256": jwt.encode(
            event, "a-shared-secret-of-32-bytes-or-more", algorithm="HS256", headers={"kid": "k-current"}
        ).encode(),
        "tampered": signed(event, keys["current"], "k-current")[:-6] + b"AAAAAA",
    }
    for why, token in refused.items():
        answer = signed_server.post(token, token=None)
        assert answer.status_code == 401, why
        assert list(answer.json()) == ["error"], why
    assert signed_server.post(json.dumps(event), token=None).status_code == 401, "no ingest token is set"
    assert signed_server.post(json.dumps(event), token=TOKEN).status_code == 401, "no ingest token is set"
    assert mastery_json("--store", signed_server.store, "verify")["checked"] == 0, "nothing was kept"


def test_keys_can_come_from_a_jwks_url(serve, keys):
    document = jwks(("k-current", keys["current"])).encode()

    class JWKS(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args) -> None:
            pass

    keyserver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), JWKS)
    threading.Thread(target=keyserver.serve_forever, daemon=True).start()
    try:
        server = serve({"MASTERY_JWKS": f"http://127.0.0.1:{keyserver.server_port}/jwks"})
        event = seed_events("current")[2]
        assert server.post(signed(event, keys["current"], "k-current"), token=None).json()["appended"] == 1
    finally:
        keyserver.shutdown()


def test_serve_refuses_to_start_when_the_jwks_cannot_be_read(tmp_path):
    refused = mastery_process(
        "--store", str(tmp_path / "s.db"), "serve", "--port", "1", env={"MASTERY_JWKS": str(tmp_path / "missing.json")}
    )
    assert refused.returncode == 1 and b"MASTERY_JWKS" in refused.stderr and b"Traceback" not in refused.stderr


def test_signed_claims_the_store_cannot_hold_are_quarantined_and_answered_2xx(signed_server, keys):
    from tests.web.test_hostile_delivery import nested, with_extra

    events = seed_events("current")
    hostile = {
        "300 deep": with_extra(events[0], "body", nested(300)),
        "an int beyond 64 bits": with_extra(events[1], "body", 2**64),
        "a lone surrogate": with_extra(events[2], "metadata", "\ud800"),
    }
    tokens = {why: signed(event, keys["current"], "k-current") for why, event in hostile.items()}
    deep = json.dumps(events[3] | {"exp": int(time.time()) + 300})[:-1] + ', "x": ' + "[" * 3000 + "]" * 3000 + "}"
    tokens["3000 deep"] = signed_text(deep, keys["current"], "k-current")
    for why, token in tokens.items():
        answer = signed_server.post(token, token=None)
        assert answer.status_code == 200, (why, answer.text)
        counts = answer.json()
        assert counts["quarantined"] == 1 and len(counts["quarantine_ids"]) == 1, why
        assert quarantine_reason(signed_server.store, counts["quarantine_ids"][0]), why
    assert signed_server.post(signed(events[4], keys["current"], "k-current"), token=None).json()["appended"] == 1


def test_signed_deliveries_need_exp_and_an_accepted_issuer_and_audience(serve, tmp_path, keys):
    path = tmp_path / "jwks.json"
    path.write_text(jwks(("k-current", keys["current"])))
    server = serve(
        {"MASTERY_JWKS": str(path), "MASTERY_JWT_AUDIENCE": "https://mastery.example"},
        None,
        "--jwt-issuer",
        "https://canvas.example",
        "--jwt-issuer",
        "https://other.example",
    )
    events = seed_events("current")
    right = {"iss": "https://canvas.example", "aud": "https://mastery.example"}
    refused = {
        "no exp": right | {"exp": None},
        "no iss": right | {"iss": None},
        "no aud": right | {"aud": None},
        "another issuer": right | {"iss": "https://evil.example"},
        "another audience": right | {"aud": "https://elsewhere.example"},
    }
    for why, claims in refused.items():
        answer = server.post(signed(events[0], keys["current"], "k-current", **claims), token=None)
        assert answer.status_code == 401 and list(answer.json()) == ["error"], why
    assert mastery_json("--store", server.store, "verify")["checked"] == 0, "nothing was kept"
    kept = server.post(
        signed(events[0], keys["current"], "k-current", **right | {"iss": "https://other.example"}), token=None
    )
    assert kept.status_code == 200 and kept.json()["appended"] == 1
    unconfigured = serve({"MASTERY_JWKS": str(path)})
    no_exp = unconfigured.post(signed(events[1], keys["current"], "k-current", exp=None), token=None)
    assert no_exp.status_code == 401 and "exp" in no_exp.json()["error"]


class FlakyJWKS(http.server.BaseHTTPRequestHandler):
    """Serves the JWKS once (at start-up), then as the server's `mode` says: drip it for ever, cut it short."""

    def do_GET(self) -> None:  # noqa: N802
        server = self.server
        server.hits += 1
        if server.hits == 1:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(server.document)
            return
        server.fetching.set()
        self.send_response(200)
        self.send_header("Content-Length", str(len(server.document) + 1000))
        self.end_headers()
        if server.mode == "cut":
            self.wfile.write(server.document[:10])
            return
        while not server.done.wait(0.2):  # one byte now and then: no single read ever times out
            self.wfile.write(b" ")
            self.wfile.flush()

    def log_message(self, *args) -> None:
        pass


def flaky_keyserver(document: bytes, mode: str) -> http.server.ThreadingHTTPServer:
    keyserver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FlakyJWKS)
    keyserver.document, keyserver.mode, keyserver.hits = document, mode, 0
    keyserver.fetching, keyserver.done = threading.Event(), threading.Event()
    keyserver.daemon_threads = True
    threading.Thread(target=keyserver.serve_forever, daemon=True).start()
    return keyserver


def test_a_stalled_jwks_host_never_blocks_the_server_and_an_unknown_kid_gets_503(serve, keys):
    import httpx

    keyserver = flaky_keyserver(jwks(("k-current", keys["current"])).encode(), "drip")
    try:
        server = serve({"MASTERY_JWKS": f"http://127.0.0.1:{keyserver.server_port}/jwks"})
        events = seed_events("current")
        answers: list[httpx.Response] = []
        unknown = threading.Thread(
            target=lambda: answers.append(server.post(signed(events[0], keys["next"], "k-next"), token=None))
        )
        unknown.start()
        assert keyserver.fetching.wait(30), "the unknown kid makes the server fetch the JWKS again"
        assert server.get("/openapi.json").status_code == 200, "other requests are answered meanwhile"
        known = server.post(signed(events[1], keys["current"], "k-current"), token=None)
        assert known.status_code == 200 and known.json()["appended"] == 1, "known keys keep working"
        unknown.join(60)
        assert answers and answers[0].status_code == 503, "the fetch is given up: try again later"
        assert list(answers[0].json()) == ["error"] and "MASTERY_JWKS" in answers[0].json()["error"]
        again = server.post(signed(events[2], keys["next"], "k-next"), token=None)
        assert again.status_code == 503 and keyserver.hits == 2, "at most one fetch a minute"
        assert mastery_json("--store", server.store, "verify")["checked"] == 1
    finally:
        keyserver.done.set()
        keyserver.shutdown()


def test_a_jwks_answer_cut_short_is_a_503_not_a_500(serve, keys):
    keyserver = flaky_keyserver(jwks(("k-current", keys["current"])).encode(), "cut")
    try:
        server = serve({"MASTERY_JWKS": f"http://127.0.0.1:{keyserver.server_port}/jwks"})
        answer = server.post(signed(seed_events("current")[0], keys["next"], "k-next"), token=None)
        assert answer.status_code == 503 and list(answer.json()) == ["error"], answer.text
        assert keyserver.hits == 2
    finally:
        keyserver.done.set()
        keyserver.shutdown()


def test_a_jwks_url_is_fetched_again_once_stale_and_keys_survive_a_failing_host(keys):
    from web.signing import KeySet, KeysUnavailable

    keyserver = flaky_keyserver(jwks(("k-current", keys["current"])).encode(), "cut")
    try:
        url = f"http://127.0.0.1:{keyserver.server_port}/jwks"
        fresh = KeySet(url).load()
        assert fresh.key("k-current") and keyserver.hits == 1, "a fresh set is used without fetching"
        keyserver.hits = 0  # serve the set once more, then fail
        stale = KeySet(url, ttl=0, every=0).load()
        assert stale.key("k-current"), "the stale set's keys are kept while the host fails"
        assert keyserver.hits == 2, "a stale set is fetched again"
        try:
            stale.key("k-unknown")
            raise AssertionError("an unknown kid while the host fails must not pass")
        except KeysUnavailable as error:
            assert "try again" in str(error)
    finally:
        keyserver.done.set()
        keyserver.shutdown()
