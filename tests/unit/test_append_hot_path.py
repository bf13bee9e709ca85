"""The append's hot-path shortcuts give exactly what the plain ways give: the stream id is uuid5."""

from __future__ import annotations

import pickle
import uuid

from hypothesis import given
from hypothesis import strategies as st

from domain.ids import STREAM_NAMESPACE, stream_id

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)  # no lone surrogates: UTF-8 text


@given(TEXT, st.sampled_from(["result", "user", "outcome", "enrollment_state"]), TEXT)
def test_the_stream_id_is_the_uuid5_of_the_natural_key(root, kind, key):
    want = uuid.uuid5(STREAM_NAMESPACE, f"{root}\x1f{kind}\x1f{key}")
    got = stream_id(root, kind, key)
    assert got == want
    assert (str(got), hash(got), got.bytes, got.version, got.variant) == (
        str(want),
        hash(want),
        want.bytes,
        5,
        uuid.RFC_4122,
    )
    assert got.is_safe == want.is_safe
    assert pickle.loads(pickle.dumps(got)) == want
