"""The key table on a real SQLite file: per-person AES-GCM keys, master-key wrapping, erasure that wins."""

from __future__ import annotations

import pytest

from domain.personal import PersonRef
from store.keys import TOKEN_PREFIX, KeyTable, KeyTableError, keys_path
from tests.builders import ROOT

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
