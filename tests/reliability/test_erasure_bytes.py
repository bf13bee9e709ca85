"""After an erasure no byte of the person's data key is left in the key table's files."""

from __future__ import annotations

from pathlib import Path

from domain.personal import PersonRef
from store.keys import KeyTable
from tests.builders import ROOT


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob("s.db.keys*")))


def test_a_destroyed_key_leaves_no_byte_in_the_key_table_files(tmp_path):
    people = [PersonRef(ROOT, "user_id", str(n)) for n in range(200)]
    with KeyTable(tmp_path / "s.db.keys") as keys:
        refs = [keys.ref(p) for p in people]
        for ref in refs:
            keys.encrypt(ref, {"body.name": "x"})
        doomed = keys.data_key(refs[77])
        kept = keys.data_key(refs[78])
        assert doomed and kept and doomed in _all_bytes(tmp_path)  # an unwrapped table holds the raw key
        assert keys.erase(refs[77]) == "erased"
        remaining = _all_bytes(tmp_path)
        assert doomed not in remaining and kept in remaining
        assert refs[77].encode() in remaining  # the erasure itself is kept, by pseudonym only
        assert b"\n77" not in remaining and b"|user_id|77" not in remaining


def test_a_wrapped_table_never_holds_a_data_key_in_the_clear(tmp_path):
    with KeyTable(tmp_path / "s.db.keys", b"the master") as keys:
        ref = keys.ref(PersonRef(ROOT, "user_id", "44"))
        keys.encrypt(ref, {"body.name": "x"})
        key = keys.data_key(ref)
        assert key and key not in _all_bytes(tmp_path)
        assert keys.pseudonym_secret not in _all_bytes(tmp_path)
        assert b"the master" not in _all_bytes(tmp_path)
