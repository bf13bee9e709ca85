"""Which fields are personal: an event taken apart has none of them left, put back it is the same event."""

from __future__ import annotations

import orjson

from domain.personal import PLACEHOLDER, PersonRef, join, keyed_hash, pseudonym, split
from tests.builders import ROOT, enrollment, result, user

SECRET = b"s" * 32
NAME, LOGIN, SIS, UUID = "Ada Lovelace", "ada@example.edu", "SIS-4471", "uuid-ada-0001"


def _bytes(event: dict) -> bytes:
    return orjson.dumps(event)


def test_a_user_event_taken_apart_keeps_no_name_login_sis_id_or_uuid():
    event = user("44", UUID, NAME, sis=SIS, login=LOGIN)
    event["body"]["email"] = "ada@home.example"
    parts = split("user", event, ROOT, SECRET)
    for value in (NAME, "Ada", LOGIN, SIS, UUID, "ada@home.example", "teacher@example.com"):
        assert value.encode() not in _bytes(parts.event), value
    student, teacher = PersonRef(ROOT, "user_id", "44"), PersonRef(ROOT, "user_id", "9")
    assert parts.personal[student]["body.name"] == NAME and parts.personal[student]["body.uuid"] == UUID
    assert parts.personal[teacher] == {"metadata.user_login": "teacher@example.com"}
    assert parts.event["body"]["name"] == PLACEHOLDER and parts.event["body"]["user_id"] == event["body"]["user_id"]


def test_put_back_together_an_event_is_exactly_what_arrived():
    for kind, event in (
        ("user", user("44", UUID, NAME, sis=SIS, login=LOGIN)),
        ("result", result("7", UUID, 3.0, 1)),
        ("enrollment", enrollment("5", "3", "44", user_name=NAME)),
    ):
        parts = split(kind, event, ROOT, SECRET)
        values = {path: v for person in parts.personal.values() for path, v in person.items()}
        assert join(parts.event, values) == event


def test_a_users_uuid_and_their_results_user_uuid_meet_as_one_pseudonym():
    as_user = split("user", user("44", UUID, NAME), ROOT, SECRET).event["body"]["uuid"]
    as_result = split("result", result("7", UUID, 3.0, 1), ROOT, SECRET).event["body"]["user_uuid"]
    assert as_user == as_result == pseudonym(SECRET, PersonRef(ROOT, "uuid", UUID))
    assert as_user != pseudonym(b"t" * 32, PersonRef(ROOT, "uuid", UUID))  # keyed: not recomputable
    other = split("result", result("7", "uuid-other", 3.0, 1), ROOT, SECRET).event["body"]["user_uuid"]
    assert other != as_result


def test_the_keyed_content_hash_is_stable_for_repeats_and_tells_values_apart():
    event = user("44", UUID, NAME, login=LOGIN)
    keys = {PersonRef(ROOT, "user_id", "44"): b"k" * 32}
    renamed = user("44", UUID, "Ada King", login=LOGIN)
    assert keyed_hash(event, keys) == keyed_hash(orjson.loads(_bytes(event)), keys)
    assert keyed_hash(event, keys) != keyed_hash(renamed, keys)
    assert keyed_hash(event, keys) != keyed_hash(event, {PersonRef(ROOT, "user_id", "44"): b"j" * 32})
