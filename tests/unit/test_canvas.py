"""Inbound Canvas events: shapes, keys, ids, times, redaction, hashes, and what is refused and why."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from domain.canvas import STRICT, OutcomeBody, ValidationError, display_time, parse_time, redact_text
from domain.events import REGISTRY, Ignored, InvalidEvent, LearningOutcomeResultCreated, parse
from domain.ids import local_id, stream_id
from tests.conftest import SEED_ROOT, seed_events


def by_name(generation: str = "current") -> dict[str, dict]:
    return {e["metadata"]["event_name"]: e for e in seed_events(generation)}


def test_every_fixture_event_name_maps_to_exactly_one_class():
    names = {e["metadata"]["event_name"] for g in ("current", "legacy") for e in seed_events(g)}
    names |= {"outcome_calculation_method_created", "outcome_calculation_method_updated"}
    people = ("user", "course", "course_section", "enrollment", "enrollment_state")
    names |= {f"{kind}_{change}" for kind in people for change in ("created", "updated")}
    assert names == set(REGISTRY)
    assert len({cls for cls in REGISTRY.values()}) == 22
    assert REGISTRY["learning_outcome_result_created"] is LearningOutcomeResultCreated


@pytest.mark.parametrize("generation", ["current", "legacy"])
def test_every_seed_payload_parses_with_its_entity_key(generation):
    keys = {name: parse(event).key for name, event in by_name(generation).items()}
    assert keys["learning_outcome_created"] == "12345"
    assert keys["learning_outcome_group_updated"] == "75033"
    assert keys["learning_outcome_link_created"] == "12345678"
    assert keys["outcome_proficiency_updated"] == "1"
    expected_result = (
        "1" if generation == "current" else "legacy|1|oxana Student 2, Test Outcome|2019-08-09T21:35:05.000000Z"
    )
    assert keys["learning_outcome_result_created"] == expected_result


def test_older_result_shape_is_kept_under_a_legacy_key_and_not_attributable():
    parsed = parse(by_name("legacy")["learning_outcome_result_created"])
    assert parsed.attributable is False
    assert parsed.stream_id == stream_id(SEED_ROOT, "result", parsed.key)
    assert parse(by_name("current")["learning_outcome_result_created"]).attributable is True


def test_global_ids_on_the_root_accounts_shard_become_local_and_others_stay_global():
    assert local_id("21070000000000565", 2107) == "565"
    assert local_id("21080000000000565", 2107) == "21080000000000565"
    assert local_id("565", 2107) == "565"
    assert local_id(565, None) == "565"
    event = by_name()["learning_outcome_link_created"]
    event["body"]["learning_outcome_link_id"] = "21070000000000042"
    assert parse(event).key == "42"
    event["body"]["learning_outcome_link_id"] = "31070000000000042"
    assert parse(event).key == "31070000000000042"


def test_integer_ids_are_kept_as_strings():
    event = by_name()["learning_outcome_created"]
    event["body"]["learning_outcome_id"] = 12345
    assert parse(event).key == "12345"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2019-11-05T10:03:37.526Z", datetime(2019, 11, 5, 10, 3, 37, 526000, tzinfo=UTC)),
        ("2019-08-09T21:35:05Z", datetime(2019, 8, 9, 21, 35, 5, tzinfo=UTC)),
        ("2020-08-18T17:24:46-06:00", datetime(2020, 8, 18, 23, 24, 46, tzinfo=UTC)),
        ("2019-08-09 21:35:05 UTC", datetime(2019, 8, 9, 21, 35, 5, tzinfo=UTC)),
    ],
)
def test_every_documented_time_form_becomes_aware_utc(text, expected):
    assert parse_time(text) == expected
    assert parse_time(text).tzinfo is not None


def test_output_times_are_utc_with_milliseconds_only_when_present():
    assert display_time(parse_time("2020-08-18T17:24:46-06:00")) == "2020-08-18T23:24:46Z"
    assert display_time(parse_time("2019-11-05T10:03:37.526Z")) == "2019-11-05T10:03:37.526Z"


def mutated(name: str, path: tuple, value) -> dict:
    event = copy.deepcopy(by_name()[name])
    target = event
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return event


@pytest.mark.parametrize(
    "event, reason",
    [
        (mutated("learning_outcome_created", ("metadata", "event_time"), "yesterday"), "unreadable time"),
        (
            mutated("learning_outcome_created", ("metadata", "root_account_uuid"), KeyError),
            "metadata.root_account_uuid",
        ),
        (mutated("learning_outcome_created", ("metadata", "root_account_uuid"), "  "), "no root account"),
        (mutated("learning_outcome_created", ("body", "learning_outcome_id"), KeyError), "body.learning_outcome_id"),
        (mutated("learning_outcome_result_created", ("body", "score"), "5"), "JSON number"),
        (mutated("learning_outcome_result_created", ("body", "score"), True), "JSON number"),
        (mutated("learning_outcome_result_created", ("body", "percent"), float("nan")), "NaN"),
        (mutated("learning_outcome_created", ("body", "learning_outcome_id"), 1.5), "string or an integer"),
        (mutated("outcome_proficiency_created", ("body",), []), "no `body` object"),
        ({"body": {}}, "no `metadata` object"),
        ([1, 2], "not a JSON object"),
        ({"metadata": {"event_time": "2019-01-01T00:00:00Z"}, "body": {}}, "event_name"),
    ],
)
def test_unusable_events_are_refused_with_a_reason_a_person_can_act_on(event, reason):
    with pytest.raises(InvalidEvent, match=reason):
        parse(event)


def test_well_formed_events_of_other_types_are_ignored_by_name():
    assert parse({"metadata": {"event_name": "submission_created"}, "body": {}}) == Ignored("submission_created")


def test_unknown_fields_are_kept_verbatim():
    event = mutated("learning_outcome_created", ("body", "brand_new_field"), {"x": 1})
    assert parse(event).event["body"]["brand_new_field"] == {"x": 1}


def test_access_tokens_are_redacted_before_hashing():
    event = mutated(
        "learning_outcome_updated",
        ("metadata", "url"),
        "https://x.instructure.com/api/v1/outcomes/12345?access_token=SECRET123&per_page=5",
    )
    other = mutated(
        "learning_outcome_updated",
        ("metadata", "url"),
        "https://x.instructure.com/api/v1/outcomes/12345?access_token=OTHER&per_page=5",
    )
    parsed = parse(event)
    assert "SECRET123" not in str(parsed.event)
    assert parsed.event["metadata"]["url"].endswith("access_token=[REDACTED]&per_page=5")
    assert parsed.content_hash == parse(other).content_hash


def test_raw_text_redaction_covers_urls_and_json_fields():
    text = '{"url": "https://h/x?access_token=abc.def&y=1", "access_token": "zzz\\"q"}'
    clean = redact_text(text)
    assert "abc.def" not in clean and "zzz" not in clean
    assert clean.count("[REDACTED]") == 2


def test_content_hash_ignores_key_order_but_not_values():
    event = by_name()["learning_outcome_created"]
    reordered = {"body": event["body"], "metadata": dict(reversed(list(event["metadata"].items())))}
    assert parse(event).content_hash == parse(reordered).content_hash
    changed = mutated("learning_outcome_created", ("body", "title"), "Other")
    assert parse(changed).content_hash != parse(event).content_hash


SECRET = "7~Zq9SecretTokenValue"


@pytest.mark.parametrize(
    "text",
    [
        f"https://h/x?a=1&access_token={SECRET}#f",
        f"https://h/x?ACCESS%5Ftoken%3D{SECRET}&b=2",
        f"https://h/x?access%255Ftoken%253D{SECRET}",
        f"https://h/x?%61ccess_token={SECRET}",
        f'{{"Access_Token": "{SECRET}"}}',
        f'{{"\\u0061ccess_token": "{SECRET}"}}',
        f'"{{\\"access_token\\":\\"{SECRET}\\"}}"',
        f'{{"a": "{{\\"access_token\\":\\"{SECRET}\\"',
        f'{{"headers": {{"Authorization": "Bearer {SECRET}"}}}}',
        f"Authorization: Basic {SECRET}",
        f"curl -H 'authorization: bearer {SECRET}'",
        f'{{"nested": [{{"x": ["access_token: {SECRET}"]}}]}}',
    ],
)
def test_raw_text_redaction_covers_every_token_form_and_is_idempotent(text):
    clean = redact_text(text)
    assert SECRET not in clean and "[REDACTED]" in clean
    assert redact_text(clean) == clean


def test_tokens_anywhere_in_an_event_are_redacted_before_hashing():
    event = mutated("learning_outcome_updated", ("metadata", "Access%5FToken"), SECRET)
    event["metadata"]["extra"] = [{"authorization": f"Bearer {SECRET}"}, f"x?ACCESS_TOKEN={SECRET}"]
    event["body"]["access_token"] = {"nested": SECRET}
    parsed = parse(event)
    assert SECRET not in json.dumps(parsed.event)
    assert parsed.event["body"]["access_token"] == "[REDACTED]"
    other = json.loads(json.dumps(event).replace(SECRET, "another-secret"))
    assert parse(other).content_hash == parsed.content_hash


def test_a_stored_body_the_new_bounds_refuse_is_reread_as_it_was_stored():
    """Strict when an event arrives; an already stored one is read without the bounds, never raising anew."""
    body = {
        "learning_outcome_id": "1",
        "display_name": 5,
        "description": ["x"],
        "calculation_int": 1e300,
        "title": "t" * 1_000_001,
        "context_id": "9" * 5000,
        "vendor_guid": {"g": 1},
    }
    with pytest.raises(ValidationError):
        OutcomeBody.model_validate(body, context=STRICT)
    again = OutcomeBody.model_validate(body)
    assert (again.display_name, again.description, again.calculation_int) == (5, ["x"], 1e300)
    assert len(again.title) == 1_000_001 and again.context_id == "9" * 5000 and again.vendor_guid == "{'g': 1}"
