"""The stored-state codec: a stored event's state bytes as kept in `stored_events.state`, and back.

A state is JSON (~1.2–2 KB, mostly the Canvas event). Once a store holds `MILESTONES[0]` events, new
states are kept as zstd frames (level 3) with a dictionary trained from the store's own events (~1,400
→ ~250 B on the project's synthetic stream); the dictionary is retrained from a sample spread over the
store at each later milestone, so it follows what the store actually holds (a tenant's root account,
host names, user agents — the values real Canvas dumps repeat in every event). A row says what it is:
a zstd frame starts with zstd's magic number and names its dictionary (the frame header's dictionary
id); anything else, such as every state written before the codec (JSON starting with `{`), is read as it
is. So old stores read unchanged and need no migration.

The dictionaries live in the store itself (`store_dictionaries`, immutable like the history) so any
reader can decode. `decode` is one function for every reader of stored state: it knows the dictionaries
registered in this process and asks the open stores (`add_source`) for one it has not seen. The hash
chain is over the uncompressed state, so `verify` decodes first.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import zstandard

MAGIC = b"\x28\xb5\x2f\xfd"  # every zstd frame starts with it; a JSON state starts with `{`
LEVEL = 3
DICTIONARY_BYTES = 65_536
SAMPLES = 2_000  # states a dictionary is trained from
MILESTONES = (1_000, 10_000, 100_000)  # store sizes at which a (new) dictionary is trained


class CodecError(ValueError):
    """A stored state that cannot be decoded (an unknown dictionary, or bytes that are not a frame)."""


@dataclass
class Dictionary:
    """A trained dictionary: its id (the zstd dictionary id, also its row id) and bytes."""

    id: int
    data: bytes
    milestone: int = 0
    _compressor: Any = field(default=None, repr=False)

    def encode(self, state: bytes) -> bytes:
        """The state as one zstd frame with this dictionary (callers hold the store's writer lock)."""
        if self._compressor is None:
            self._compressor = zstandard.ZstdCompressor(
                level=LEVEL, dict_data=zstandard.ZstdCompressionDict(self.data), write_checksum=False
            )
        return self._compressor.compress(state)


def encode(state: bytes, dictionary: Dictionary | None) -> bytes:
    """The bytes to store for a state: compressed with the store's dictionary, as it is without one."""
    return state if dictionary is None else dictionary.encode(state)


def decode(raw: bytes | memoryview) -> bytes:
    """The state of a stored row (raw JSON stays as it is); CodecError when it cannot be decoded."""
    if raw[:4] != MAGIC:
        return raw if type(raw) is bytes else bytes(raw)
    raw = bytes(raw)
    try:
        dict_id = zstandard.get_frame_parameters(raw).dict_id
        return _decompressor(dict_id).decompress(raw)
    except zstandard.ZstdError as error:
        raise CodecError(f"the stored state cannot be decompressed ({error})") from None


def shown(raw: bytes | memoryview) -> bytes:
    """A stored state as shown for a record that cannot be read (export, audit): decoded if it can be."""
    try:
        return decode(raw)
    except CodecError:
        return bytes(raw)


def train(states: Sequence[bytes], milestone: int) -> Dictionary | None:
    """A new dictionary from sample states (None when zstd cannot train one from them, e.g. too few)."""
    dict_id = 32_768 + secrets.randbelow(2**31 - 32_768)  # zstd reserves the ids below 32,768
    try:
        # k and d given (zstd's d default, k tried once) rather than searched: ~30 instead of ~110 ms on
        # 2,000 samples, the same ratio on the generated stream (~210 B per event).
        trained = zstandard.train_dictionary(DICTIONARY_BYTES, list(states), dict_id=dict_id, level=LEVEL, k=1024, d=8)
    except zstandard.ZstdError:
        return None
    return Dictionary(dict_id, trained.as_bytes(), milestone)


def sample_positions(head: int) -> list[int]:
    """Up to SAMPLES positions spread evenly over 1..head."""
    count = SAMPLES
    if head <= count:
        return list(range(1, head + 1))
    return sorted({1 + (i * head) // count for i in range(count)})


# -- the dictionaries this process knows ------------------------------------------------------------
_lock = threading.Lock()
_known: dict[int, bytes] = {}  # dictionary id → its bytes
_sources: list[tuple[weakref.ref, Callable[[Any, int], bytes | None]]] = []  # open stores (weak references)
_local = threading.local()  # per thread: decompressors are not safe to share between threads


def register(dictionary_id: int, data: bytes) -> None:
    """Make a store's dictionary known to `decode`; refused when another store's dictionary has that id."""
    with _lock:
        held = _known.get(dictionary_id)
        if held is not None and held != data:
            raise CodecError(
                f"two stores open in this process use dictionary id {dictionary_id} with different contents "
                f"({hashlib.sha256(held).hexdigest()[:12]} vs {hashlib.sha256(data).hexdigest()[:12]}): open "
                "them in separate processes"
            )
        _known[dictionary_id] = data


def add_source(owner: Any, look_up: Callable[[Any, int], bytes | None]) -> None:
    """Let `decode` ask `owner` (an open store's recorder) for a dictionary it has not seen yet."""
    with _lock:
        _sources[:] = [(ref, f) for ref, f in _sources if ref() is not None]  # a closed, dropped store goes
        _sources.append((weakref.ref(owner), look_up))


def _decompressor(dictionary_id: int) -> Any:
    cache = getattr(_local, "decompressors", None)
    if cache is None:
        cache = _local.decompressors = {}
    found = cache.get(dictionary_id)
    if found is not None:
        return found
    if dictionary_id == 0:
        found = zstandard.ZstdDecompressor()
    else:
        data = _known.get(dictionary_id) or _look_up(dictionary_id)
        found = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(data))
    cache[dictionary_id] = found
    return found


def _look_up(dictionary_id: int) -> bytes:
    with _lock:
        sources = list(_sources)
    for ref, look_up in sources:
        owner = ref()
        if owner is None:
            continue
        try:
            data = look_up(owner, dictionary_id)
        except Exception:  # a closed or unreachable store: ask the next one
            continue
        if data is not None:
            register(dictionary_id, data)
            return data
    raise CodecError(f"the stored state needs dictionary {dictionary_id}, which no open store holds")
