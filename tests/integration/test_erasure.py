"""The key table on a real SQLite file: per-person AES-GCM keys, master-key wrapping, erasure that wins,
and events sealed with it (no personal value in the clear) and opened again ("erased person" once erased)."""

from __future__ import annotations

import orjson
import pytest

from domain.personal import PLACEHOLDER, PersonRef
from store.keys import ERASED, TOKEN_PREFIX, KeyTable, KeyTableError, keys_path, seal, unseal
from tests.builders import ROOT, course, result, user

ADA = PersonRef(ROOT, "user_id", "44")
VALUES = {"body.name": "Ada Lovelace", "body.user_login": "ada@example.edu"}


def test_a_persons_values_come_back_from_a_randomised_token_until_their_key_is_destroyed(tmp_path):
    with KeyTable(keys_path(tmp_path / "s.db")) as keys:
        ref = keys.ref(ADA)
        first, second = keys.encrypt(ref, VALUES), keys.encrypt(ref, VALUES)
        assert first and second and first != second and first.startswith(TOKEN_PREFIX)
        assert keys.decrypt(ref, first) == VALUES == keys.decrypt(ref, second)
        assert keys.erase(ref, "request 2026-118") == "erased"
        assert keys.decrypt(ref, first) is None and keys.hash_key(ref) is None


def test_erasing_twice_is_a_no_op_and_an_unknown_person_is_said_to_be_unknown(tmp_path):
    with KeyTable(tmp_path / "s.db.keys") as keys:
        ref = keys.ref(ADA)
        keys.encrypt(ref, VALUES)
        assert keys.erase(ref) == "erased"
        assert keys.erase(ref) == "already erased"
        assert keys.erase(keys.ref(PersonRef(ROOT, "user_id", "45"))) == "unknown"
        assert not keys.known(keys.ref(PersonRef(ROOT, "user_id", "45")))


def test_the_erasure_wins_over_a_later_value_of_the_same_person(tmp_path):
    with KeyTable(tmp_path / "s.db.keys") as keys:
        ref = keys.ref(ADA)
        keys.encrypt(ref, VALUES)
        keys.erase(ref)
        assert keys.encrypt(ref, VALUES) is None and keys.data_key(ref, create=True) is None
    with KeyTable(tmp_path / "s.db.keys") as reopened:  # and it stays so in the file
        assert reopened.erased(ref) and reopened.encrypt(ref, VALUES) is None


def test_pseudonyms_and_keys_outlive_the_process_that_made_them(tmp_path):
    with KeyTable(tmp_path / "s.db.keys") as keys:
        ref = keys.ref(ADA)
        token = keys.encrypt(ref, VALUES)
        hash_key = keys.hash_key(ref)
    with KeyTable(tmp_path / "s.db.keys") as reopened:
        assert reopened.ref(ADA) == ref and reopened.hash_key(ref) == hash_key
        assert token and reopened.decrypt(ref, token) == VALUES
    with KeyTable(tmp_path / "other.keys") as other:  # another store's table names people otherwise
        assert other.ref(ADA) != ref


def test_a_wrapped_table_refuses_a_missing_or_wrong_master_key_without_showing_it(tmp_path):
    path = tmp_path / "s.db.keys"
    with KeyTable(path, b"master one") as keys:
        ref = keys.ref(ADA)
        token = keys.encrypt(ref, VALUES)
    for master in (None, b"master two"):
        with pytest.raises(KeyTableError) as refused:
            KeyTable(path, master)
        assert "MASTERY_MASTER_KEY" in str(refused.value)
        assert "master one" not in str(refused.value) and "master two" not in str(refused.value)
    with KeyTable(path, b"master one") as again:
        assert token and again.decrypt(ref, token) == VALUES


def test_a_master_key_cannot_be_added_to_a_table_that_holds_unwrapped_keys(tmp_path):
    path = tmp_path / "s.db.keys"
    KeyTable(path).close()
    with pytest.raises(KeyTableError, match="not wrapped"):
        KeyTable(path, b"late master")


def test_the_master_key_is_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MASTERY_MASTER_KEY", "from the environment")
    KeyTable.from_env(tmp_path / "s.db.keys").close()
    monkeypatch.delenv("MASTERY_MASTER_KEY")
    with pytest.raises(KeyTableError, match="is wrapped"):
        KeyTable.from_env(tmp_path / "s.db.keys")


# -- sealing events --------------------------------------------------------------------------------------
NAME, LOGIN, SIS, UUID = "Ada Lovelace", "ada@example.edu", "SIS-4471", "uuid-ada-0001"


def _ada() -> dict:
    return user("44", UUID, NAME, sis=SIS, login=LOGIN)


def test_a_sealed_event_holds_no_personal_value_and_opens_to_what_arrived(tmp_path):
    with KeyTable(tmp_path / "s.db.keys") as keys:
        sealed = seal(keys, "user", _ada(), ROOT)
        stored = orjson.dumps(sealed.event)
        for value in (NAME, LOGIN, SIS, UUID, "teacher@example.com"):
            assert value.encode() not in stored, value
        assert unseal(keys, orjson.loads(stored)) == _ada() and sealed.refused == ()


def test_a_repeat_seals_to_new_bytes_with_the_same_content_hash(tmp_path):
    with KeyTable(tmp_path / "s.db.keys") as keys:
        first, again = seal(keys, "user", _ada(), ROOT), seal(keys, "user", _ada(), ROOT)
        renamed = seal(keys, "user", user("44", UUID, "Ada King", sis=SIS, login=LOGIN), ROOT)
        assert first.event != again.event and first.content_hash == again.content_hash
        assert renamed.content_hash != first.content_hash
        plain = seal(keys, "course", course("3"), ROOT)  # no one in it but the actor
        assert plain.content_hash == seal(keys, "course", course("3"), ROOT).content_hash


def test_after_an_erasure_the_person_reads_as_erased_and_their_results_still_meet_them(tmp_path):
    with KeyTable(tmp_path / "s.db.keys") as keys:
        stored_user = seal(keys, "user", _ada(), ROOT).event
        stored_result = seal(keys, "result", result("7", UUID, 3.0, 1), ROOT).event
        for ref in (keys.ref(PersonRef(ROOT, "user_id", "44")), keys.ref(PersonRef(ROOT, "uuid", UUID))):
            assert keys.erase(ref, "request 118") == "erased"
        opened, opened_result = unseal(keys, stored_user), unseal(keys, stored_result)
        assert opened["body"]["name"] == ERASED and opened["body"]["user_sis_id"] == ERASED
        assert opened["metadata"]["user_login"] == "teacher@example.com"  # the actor is someone else
        assert opened["body"]["uuid"] == opened_result["body"]["user_uuid"] != UUID
        assert opened_result["body"]["score"] == 3.0
        assert UUID.encode() not in orjson.dumps([opened, opened_result])


def test_an_erased_persons_values_arriving_again_are_refused_and_said_so(tmp_path):
    with KeyTable(tmp_path / "s.db.keys") as keys:
        seal(keys, "user", _ada(), ROOT)
        ref = keys.ref(PersonRef(ROOT, "user_id", "44"))
        keys.erase(ref)
        again = seal(keys, "user", _ada(), ROOT)
        assert again.refused == (ref,) and NAME.encode() not in orjson.dumps(again.event)
        assert unseal(keys, again.event)["body"]["name"] == ERASED
        assert again.content_hash == seal(keys, "user", _ada(), ROOT).content_hash


def test_a_non_personal_field_that_reads_like_the_placeholder_is_left_alone(tmp_path):
    event = course("3", name=PLACEHOLDER)
    with KeyTable(tmp_path / "s.db.keys") as keys:
        assert unseal(keys, seal(keys, "course", event, ROOT).event) == event


def test_an_erasure_by_another_process_wins_from_the_next_refresh_on(tmp_path):
    with KeyTable(tmp_path / "s.db.keys") as writer, KeyTable(tmp_path / "s.db.keys") as eraser:
        ref = writer.ref(ADA)
        token = writer.encrypt(ref, VALUES)
        assert eraser.erase(ref) == "erased"
        writer.refresh()
        assert token and writer.decrypt(ref, token) is None and writer.encrypt(ref, VALUES) is None


def test_new_peoples_keys_sealed_in_one_batch_are_kept_together_or_not_at_all(tmp_path):
    path, bob = tmp_path / "s.db.keys", PersonRef(ROOT, "user_id", "45")
    with KeyTable(path) as keys:
        with pytest.raises(RuntimeError), keys.batch():
            keys.encrypt(keys.ref(ADA), VALUES)
            raise RuntimeError("the batch failed")
        assert not keys.known(keys.ref(ADA))
        with keys.batch():
            tokens = [keys.encrypt(keys.ref(p), VALUES) for p in (ADA, bob)]
    with KeyTable(path) as reopened:
        assert [reopened.decrypt(reopened.ref(p), t or "") for p, t in zip((ADA, bob), tokens, strict=True)] == [
            VALUES,
            VALUES,
        ]
