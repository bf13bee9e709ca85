"""The order hash breaks a fold-order tie alike in every store, so what it hashes is part of what is stored:
SHA-256 of the placeholder event with each pseudonymised value (a result's `user_uuid`, a user's `uuid`)
masked too, nothing else changed. Written out here from that definition, and checked against the fast
form `domain.personal.order_hash` takes on the ingest's hot path."""

from __future__ import annotations

import hashlib

import orjson

from domain.personal import PLACEHOLDER, PersonRef, order_hash, split
from tests.builders import ROOT, enrollment, result, user

SECRET = b"s" * 32


def by_definition(kind: str, event: dict) -> str:
    masked_fields = {("result", "user_uuid"), ("user", "uuid")}
    body = event.get("body")
    if isinstance(body, dict):
        body = {k: PLACEHOLDER if (kind, k) in masked_fields and v is not None else v for k, v in body.items()}
        event = {**event, "body": body}
    return hashlib.sha256(orjson.dumps(event, option=orjson.OPT_SORT_KEYS)).hexdigest()


def test_the_order_hash_is_the_hash_of_the_placeholder_form_with_pseudonyms_masked():
    with_none = result("8", "uuid-bob", 2.0, 1)
    with_none["body"]["user_uuid"] = None  # present but empty: hashed as it is, not masked
    cases = [
        ("result", result("7", "uuid-ada", 3.0, 1)),
        ("result", with_none),
        ("user", user("44", "uuid-ada", "Ada Lovelace", sis="SIS-1", login="ada@example.edu")),
        ("enrollment", enrollment("5", "3", "44", user_name="Ada Lovelace")),
        ("result", {"metadata": {"event_name": "x"}, "body": "not an object"}),
    ]
    for kind, event in cases:
        placeholder = split(kind, event, ROOT, SECRET).event
        assert order_hash(kind, placeholder) == by_definition(kind, placeholder), kind
    # Two stores (two pseudonym secrets) give the same order hash; a different score does not.
    a = split("result", cases[0][1], ROOT, SECRET).event
    b = split("result", cases[0][1], ROOT, b"t" * 32).event
    assert a != b and order_hash("result", a) == order_hash("result", b)
    other = split("result", result("7", "uuid-ada", 2.0, 1), ROOT, SECRET).event
    assert order_hash("result", other) != order_hash("result", a)


def test_a_person_is_named_ordered_and_hashed_by_their_three_fields():
    ada, bob = PersonRef(ROOT, "user_id", "44"), PersonRef(ROOT, "user_id", "45")
    assert ada == PersonRef(ROOT, "user_id", "44") and hash(ada) == hash(PersonRef(ROOT, "user_id", "44"))
    assert sorted([bob, ada]) == [ada, bob] and ada.text() == f"{ROOT}|user_id|44"
    assert PersonRef(ROOT, "uuid", "44") != ada and len({ada, bob, PersonRef(ROOT, "user_id", "44")}) == 2
