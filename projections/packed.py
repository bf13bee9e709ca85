"""The compact state a history row keeps: its Canvas fields' values only, in the state model's order.

Canvas bodies are full snapshots, so the state after an event is that event's own fold, and its
bookkeeping is already in the row's columns: root_account = root, id = key, first and last event time =
event_time, last_event_name = event_name, last_position_hash = the fold key's last part (the content
hash), events = 1, created_seen = the fold key's rank is 0 (a *_created event). The fold key itself is
kept as 49 bytes (`fold_key`) instead of its ~100 characters, in the same order. The `state` column keeps
the rest as a JSON array of values in the state model's field order (no key names: about a quarter of
the object's bytes). `full` puts the object back, `load` reads it with the state model as before, and
`field` is the SQL reading one field (`json_extract(state, '$[i]')`), so every reader gives what it gave
when the whole object was stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from domain.entity import BOOKKEEPING
from domain.states import FOLDS

FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(name for name in model.model_fields if name not in BOOKKEEPING) for kind, (_, model) in FOLDS.items()
}
_WIDTH = {kind: len(names) + len(BOOKKEEPING) for kind, names in FIELDS.items()}
_EPOCH, _MICRO = datetime(1, 1, 1, tzinfo=UTC), timedelta(microseconds=1)
_NO_TIME = b"\xff" * 8  # no updated_at: after every time, as the text key's empty field sorted ("||" > "|2")
_HEX = frozenset("0123456789abcdef")


def fold_key(event: Any) -> bytes:
    """The fold key as the read model keeps it: 49 bytes that sort as the event's text fold key does
    (DESIGN decision 3): event_time and updated_at as 8-byte microsecond counts, the rank, the content hash.

    The event's own (text) fold key is read first, so an event whose key cannot be made fails as before."""
    event.fold_key  # noqa: B018 (the same checks and errors as the text key)
    digest = event.content_hash
    if len(digest) != 64 or not _HEX.issuperset(digest):
        raise ValueError("the content hash is not a SHA-256 hex digest")
    return b"".join((_micros(event.event_time), bytes((event.rank,)), _micros(event.updated_at), bytes.fromhex(digest)))


def _micros(moment: datetime | None) -> bytes:
    if moment is None:
        return _NO_TIME
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # as domain.values.iso reads a time without an offset
    return ((moment - _EPOCH) // _MICRO).to_bytes(8, "big")


# The columns `full` needs besides the state, in its argument order.
ROW = ("root", "key", "event_time", "event_name", "fold_key", "state")


def columns(alias: str = "") -> str:
    """The select list of what `full` / `load` take (alias: "v." for a joined versions table)."""
    return ", ".join(alias + c for c in ROW)


def pack(kind: str, state: dict[str, Any]) -> str:
    """The stored form of a whole state (its JSON-ready dict, or its values with UTC datetimes)."""
    names = FIELDS[kind]
    if len(state) != _WIDTH[kind]:
        raise ValueError(f"a {kind} state with fields other than its model's")
    return orjson.dumps([state[name] for name in names], option=orjson.OPT_UTC_Z).decode()


def pack_json(kind: str, state_json: str | bytes) -> str:
    """The stored form of a state model's JSON dump."""
    return pack(kind, orjson.loads(state_json))


def values(kind: str, packed: str | bytes) -> dict[str, Any]:
    """The Canvas fields of a stored state (no bookkeeping), by name."""
    return dict(zip(FIELDS[kind], orjson.loads(packed), strict=True))


def full(kind: str, root: str, key: str, event_time: str, event_name: str, folded: bytes, packed: str) -> dict:
    """The whole state object (as the state model dumps it, times in the columns' form) of a stored row."""
    rank, digest = folded[8], folded[17:].hex()
    return {
        "root_account": root,
        "id": key,
        "first_event_time": event_time,
        "last_event_time": event_time,
        "last_event_name": event_name,
        "last_position_hash": digest,
        "events": 1,
        "created_seen": rank == 0,
        **values(kind, packed),
    }


def load(kind: str, row: Iterable[Any]) -> Any:
    """The state model of a stored row (`row`: the values of ROW, in order)."""
    return FOLDS[kind][1].model_validate(full(kind, *row))  # the JSON values, read as from the JSON


def load_row(kind: str, row: dict[str, Any]) -> Any:
    """The state model of a history row about to be written (history.history_row's dict)."""
    return load(kind, [row[c] for c in ROW])


def field(kinds: Iterable[str], name: str, alias: str = "") -> str:
    """SQL reading one Canvas field of the stored state of rows of these kinds (NULL for another kind)."""
    where = {kind: FIELDS[kind].index(name) for kind in kinds if name in FIELDS[kind]}
    if not where:
        raise KeyError(name)
    at = set(where.values())
    if len(at) == 1 and len(where) == len(set(kinds)):
        return f"json_extract({alias}state, '$[{at.pop()}]')"
    cases = " ".join(f"WHEN '{kind}' THEN json_extract({alias}state, '$[{i}]')" for kind, i in sorted(where.items()))
    return f"(CASE {alias}kind {cases} END)"
