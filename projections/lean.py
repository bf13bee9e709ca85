"""The lean projection path: a stored record's bytes straight to its history row, without pydantic.

Today's path maps each stored record back to a pydantic event, validates its body again, builds the
state model and dumps it (`history.version_row`): about half of the projecting CPU, on data we wrote. For
the kinds in SNAPSHOTS (results, most events, and every other kind with a flat body) `read` does the same
work on plain data: one `orjson.loads`; each body field read by the very validator function its pydantic
field declares (taken from the model's annotations, so the two readers cannot drift); the state's fields
from the fold's own plain-data twin (`domain.result.snapshot_fields` and the like, with
`domain.entity.bookkeeping`); the state JSON by `orjson` in the state model's field order. The row is the
dict `version_row` returns, its `state` byte-identical (tests/unit/test_lean_projection.py proves it over
generated events, tests/integration/test_lean_equivalence.py over a whole catch-up).

Anything unusual gives None: another kind, an unexpected shape, a value a validator refuses or one the
state model would not read back (a non-string code, NaN, an offset time…). The caller then takes today's
path for that record, so every problem is found, worded and recorded exactly as before (DESIGN decision 10).
`ENABLED` is the internal switch (tests turn it off to compare both paths); there is no option.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, PlainValidator

from domain import calculation_method, group, link, people, result
from domain.canvas import BODIES
from domain.entity import BOOKKEEPING, EntityState, bookkeeping
from domain.events import TOPICS, CanvasEvent
from domain.states import FOLDS
from projections.history import history_row, refs

ENABLED = True
_MISSING = object()
# kind → the function making its state's Canvas fields (as its fold does): the kinds with a lean path.
# Not here: outcomes and scales (nested bodies: rubric criteria, ratings).
SNAPSHOTS: dict[str, Callable[[Any, Any], dict[str, Any]]] = {
    "result": result.snapshot_fields,
    "link": link.snapshot_fields,
    "group": group.snapshot_fields,
    "method": calculation_method.snapshot_fields,
    "user": people.user_fields,
    "course": people.course_fields,
    "section": people.section_fields,
    "enrollment": people.enrollment_fields,
    "enrollment_state": people.enrollment_state_fields,
}
_CLASS_OF_TOPIC = {topic: cls for cls, topic in TOPICS.items()}


class Refused(Exception):
    """The lean path does not take this record (internal: the caller falls back to today's path)."""


def _validator(annotation: Any, metadata: list) -> tuple[Callable[..., Any], bool] | None:
    """(the PlainValidator function of a field, whether None is taken before it), or None if it has none."""
    nullable = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        if len(args) != 1:
            return None
        annotation = args[0]
        metadata = [*metadata, *getattr(annotation, "__metadata__", ())]
    if annotation is bool and not metadata:
        return _exact_bool, nullable
    found = [m.func for m in metadata if isinstance(m, PlainValidator)]
    if len(found) != 1 or not callable(found[0]):
        return None
    func = found[0]
    if len(inspect.signature(func).parameters) == 1:
        return (lambda value, _info, one=func: one(value)), nullable
    return func, nullable


def _exact_bool(value: Any, _info: Any) -> bool:
    """A bool field as pydantic reads a real bool; any other value (pydantic's lax "yes", 1…) is declined."""
    if type(value) is not bool:
        raise Refused("a bool field that is not a JSON boolean")
    return value


def body_readers(model: type[BaseModel]) -> list[tuple[str, Callable[..., Any], bool, bool, Any]] | None:
    """(field, validator, None taken first, required, default) for each field of a flat body model, read
    from its annotations; None when a field is not one PlainValidator or the model has other validators."""
    decorators = model.__pydantic_decorators__
    if decorators.model_validators or decorators.field_validators or decorators.validators:
        return None
    readers = []
    for name, info in model.model_fields.items():
        if info.alias is not None or info.validation_alias is not None:
            return None
        found = _validator(info.annotation, list(info.metadata))
        if found is None:
            return None
        required = info.is_required()
        readers.append((name, found[0], found[1], required, None if required else info.get_default()))
    return readers


def state_types(model: type[BaseModel]) -> dict[str, tuple[type, ...]] | None:
    """The exact Python types each field of a state model accepts for a dump that reads back, or None."""
    plain: dict[Any, tuple[type, ...]] = {
        str: (str,),
        float: (float,),
        int: (int,),
        bool: (bool,),
        datetime: (datetime,),
    }
    found: dict[str, tuple[type, ...]] = {}
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        allowed: tuple[type, ...] = ()
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            args = typing.get_args(annotation)
            if len(args) != 2 or type(None) not in args:
                return None
            annotation, allowed = next(a for a in args if a is not type(None)), (type(None),)
        if annotation not in plain:
            return None
        found[name] = plain[annotation] + allowed
    return found


class Body:
    """A body's read values as attributes (what a fold reads from its pydantic body)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def plain_state(model: type[EntityState]) -> type[Body]:
    """A plain class standing for a state model where `history.refs` reads a state: the same name and the
    same properties (a user's `user_uuid`, a course's `course_id`), its fields as attributes."""
    properties = {}
    for klass in reversed(model.__mro__):
        if isinstance(klass, type) and issubclass(klass, EntityState):
            properties.update({k: v for k, v in vars(klass).items() if isinstance(v, property)})
    return type(model.__name__, (Body,), properties)


READERS = {kind: body_readers(BODIES[kind]) for kind in SNAPSHOTS}
TYPES = {kind: state_types(FOLDS[kind][1]) for kind in SNAPSHOTS}
PLAIN = {kind: plain_state(FOLDS[kind][1]) for kind in SNAPSHOTS}


class LeanEvent:
    """A stored event read on the lean path: what the history writer and the runner use of a CanvasEvent,
    its derived values computed by CanvasEvent's own code, and its history row (`row`)."""

    kind: str
    canvas_name: str
    rank: int
    root_account: str
    key: str
    event_time: datetime
    recorded_at: datetime
    content_hash: str
    attributable: bool
    source: str | None
    event: dict[str, Any]
    body: Body
    root_shard: int | None
    updated_at: datetime | None
    fold_key: str
    row: dict[str, Any]  # the history row (history.version_row's)
    __slots__ = tuple(__annotations__)

    local = CanvasEvent.local  # the same reduction of ids (uses root_shard)

    @property
    def metadata(self) -> dict[str, Any]:
        return self.event.get("metadata", {})

    @property
    def raw_body(self) -> dict[str, Any]:
        return self.event.get("body", {})

    @property
    def course_account(self) -> tuple[str, str] | None:
        return vars(CanvasEvent)["course_account"].func(self)


def read(position: int, topic: str, state: bytes) -> LeanEvent | None:
    """The lean event of one stored record (its `row` ready), or None: take today's path for it."""
    if not ENABLED:
        return None
    cls = _CLASS_OF_TOPIC.get(topic)
    if cls is None or cls.kind not in SNAPSHOTS:
        return None
    try:
        return _read(position, cls, state)
    except Exception:  # anything at all: today's path reads it, and says why if it cannot
        return None


def _read(position: int, cls: type[CanvasEvent], state: bytes) -> LeanEvent:
    stored = orjson.loads(state)
    event = LeanEvent()
    event.kind, event.canvas_name, event.rank = cls.kind, cls.canvas_name, cls.rank
    event.root_account, event.key = stored["root_account"], stored["key"]
    event.content_hash, event.attributable = stored["content_hash"], stored["attributable"]
    event.source, event.event = stored.get("source"), stored["event"]
    if not (
        type(event.root_account) is str
        and type(event.key) is str
        and type(event.content_hash) is str
        and type(event.attributable) is bool
        and type(event.event) is dict
        and type(event.event.get("metadata")) is dict
        and type(event.event.get("body")) is dict
    ):
        raise Refused("an unexpected stored shape")
    if "personal" in event.event:  # sealed personal values (store.keys.PERSONAL_MEMBER): the mapper opens them
        raise Refused("a sealed event")
    event.event_time = _utc(datetime.fromisoformat(stored["event_time"]))
    event.recorded_at = _utc(datetime.fromisoformat(stored["recorded_at"]))
    event.root_shard = vars(CanvasEvent)["root_shard"].func(event)
    values = _body(cls.kind, event.event["body"])
    event.body = Body(values)
    event.updated_at = values.get("updated_at")
    event.fold_key = vars(CanvasEvent)["fold_key"].func(event)
    event.row = _row(position, event)
    return event


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is not UTC:
        raise Refused("a stored time not in UTC")
    return moment


def _body(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Every field of the body read as its model reads it (extra fields are not read, as there)."""
    readers = READERS[kind]
    if readers is None:
        raise Refused("no lean readers for this kind")
    values = {}
    for name, func, nullable, required, default in readers:
        value = raw.get(name, _MISSING)
        if value is _MISSING:
            if required:
                raise Refused(f"{name} is missing")
            values[name] = default
        elif value is None and nullable:
            values[name] = None
        else:
            values[name] = func(value, None)
    return values


def _row(position: int, event: LeanEvent) -> dict[str, Any]:
    """The same row as `history.version_row` (the same state JSON, byte for byte)."""
    allowed = TYPES[event.kind]
    if allowed is None:
        raise Refused("no lean state types for this kind")
    fields = {**bookkeeping(event, None), **SNAPSHOTS[event.kind](event, event.body)}  # type: ignore[arg-type]
    for name, types_ in allowed.items():
        if name in BOOKKEEPING:
            continue  # from the stored envelope, whose types _read checked
        value = fields[name]
        kind = type(value)
        if kind not in types_:
            raise Refused(f"{name}: {kind.__name__} would not read back")
        if kind is float and not math.isfinite(value):
            raise Refused(f"{name} is not finite")
        if kind is datetime and value.tzinfo is not UTC:
            raise Refused(f"{name} is not a UTC time")
    if len(fields) != len(allowed):
        raise Refused("a field the state model does not have")
    state = {name: fields[name] for name in allowed}  # the state model's field order, as its dump has it
    return history_row(
        position, event, refs(PLAIN[event.kind](state)), orjson.dumps(state, option=orjson.OPT_UTC_Z).decode()
    )
