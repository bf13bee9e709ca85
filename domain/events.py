"""Our stored event types, one class per Canvas `event_name`, the registry built from them, and `parse`.

A stored event keeps the Canvas event verbatim (after token redaction) plus who/when bookkeeping: the
root account, the entity key, event_time, arrival time and source, the content hash. Everything derived
from the payload (local ids, contexts, the actor) is computed from it when read, so a logic change is
picked up by a rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from domain import accept, canvas
from domain.ids import local_id, shard_of, stream_id


class InvalidEvent(ValueError):
    """Input that cannot be used; the message says why, for the quarantine."""


class StoredRecord(BaseModel):
    """The envelope every stored record reads back with: a Canvas event, or our own erasure record."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    canvas_name: ClassVar[str] = ""
    kind: ClassVar[str] = ""

    originator_id: UUID
    originator_version: int
    root_account: str
    key: str
    event_time: datetime
    recorded_at: datetime
    content_hash: str
    attributable: bool = True
    source: str | None = None
    event: dict[str, Any]


class CanvasEvent(StoredRecord):
    """Base of every stored Canvas event (never stored itself)."""

    rank: ClassVar[int] = 0  # created (0) before updated (1) at equal event_time

    @property
    def metadata(self) -> dict[str, Any]:
        return self.event.get("metadata", {})

    @property
    def raw_body(self) -> dict[str, Any]:
        return self.event.get("body", {})

    @cached_property
    def body(self) -> Any:
        return canvas.BODIES[self.kind].model_validate(self.raw_body)

    @cached_property
    def root_shard(self) -> int | None:
        return shard_of(self.metadata.get("root_account_id"))

    def local(self, value: Any) -> str | None:
        """A Canvas id from this event reduced for use as a key (DESIGN decision 1)."""
        return local_id(value, self.root_shard)

    @cached_property
    def updated_at(self) -> datetime | None:
        return getattr(self.body, "updated_at", None)

    @cached_property
    def fold_key(self) -> str:
        """DESIGN decision 3 as one sortable string: event_time, created<updated, updated_at, hash."""
        return "|".join((canvas.iso(self.event_time), str(self.rank), canvas.iso(self.updated_at), self.content_hash))

    @property
    def actor(self) -> dict[str, Any]:
        m = self.metadata
        keys = ("user_id", "user_login", "user_sis_id", "real_user_id", "developer_key_id", "job_id", "job_tag")
        return {k: m.get(k) for k in keys}

    @property
    def request(self) -> dict[str, Any]:
        m = self.metadata
        keys = ("request_id", "client_ip", "hostname", "http_method", "url", "user_agent", "session_id")
        return {k: m.get(k) for k in keys}

    @cached_property
    def course_account(self) -> tuple[str, str] | None:
        """(course id, account id) of a course event's own account, or when the editor stood in a course:
        how we learn a course's account."""
        if self.kind == "course" and self.body.account_id:
            own = self.local(self.body.account_id)
            return (self.key, own) if self.key and own else None
        m = self.metadata
        if m.get("context_type") != "Course" or not m.get("context_id") or not m.get("context_account_id"):
            return None
        course, account = self.local(m["context_id"]), self.local(m["context_account_id"])
        return (course, account) if course and account else None


def _class_name(canvas_name: str) -> str:
    return "".join(part.capitalize() for part in canvas_name.split("_"))


def _define(canvas_name: str, kind: str) -> type[CanvasEvent]:
    rank = 0 if canvas_name.endswith("_created") else 1
    name = _class_name(canvas_name)
    cls = type(
        name,
        (CanvasEvent,),
        {"__module__": __name__, "__qualname__": name, "canvas_name": canvas_name, "kind": kind, "rank": rank},
    )
    return cls


LearningOutcomeCreated = _define("learning_outcome_created", "outcome")
LearningOutcomeUpdated = _define("learning_outcome_updated", "outcome")
LearningOutcomeGroupCreated = _define("learning_outcome_group_created", "group")
LearningOutcomeGroupUpdated = _define("learning_outcome_group_updated", "group")
LearningOutcomeLinkCreated = _define("learning_outcome_link_created", "link")
LearningOutcomeLinkUpdated = _define("learning_outcome_link_updated", "link")
LearningOutcomeResultCreated = _define("learning_outcome_result_created", "result")
LearningOutcomeResultUpdated = _define("learning_outcome_result_updated", "result")
OutcomeProficiencyCreated = _define("outcome_proficiency_created", "scale")
OutcomeProficiencyUpdated = _define("outcome_proficiency_updated", "scale")
OutcomeCalculationMethodCreated = _define("outcome_calculation_method_created", "method")
OutcomeCalculationMethodUpdated = _define("outcome_calculation_method_updated", "method")
UserCreated = _define("user_created", "user")
UserUpdated = _define("user_updated", "user")
CourseCreated = _define("course_created", "course")
CourseUpdated = _define("course_updated", "course")
CourseSectionCreated = _define("course_section_created", "section")
CourseSectionUpdated = _define("course_section_updated", "section")
EnrollmentCreated = _define("enrollment_created", "enrollment")
EnrollmentUpdated = _define("enrollment_updated", "enrollment")
EnrollmentStateCreated = _define("enrollment_state_created", "enrollment_state")
EnrollmentStateUpdated = _define("enrollment_state_updated", "enrollment_state")

# The ingest lookup is built from the classes themselves, never kept as a second list.
REGISTRY: dict[str, type[CanvasEvent]] = {cls.canvas_name: cls for cls in CanvasEvent.__subclasses__()}
TOPICS: dict[type[CanvasEvent], str] = {cls: f"{__name__}:{cls.__qualname__}" for cls in REGISTRY.values()}
KIND_OF_TOPIC: dict[str, str] = {topic: cls.kind for cls, topic in TOPICS.items()}

_ID_FIELD = {
    "outcome": "learning_outcome_id",
    "group": "learning_outcome_group_id",
    "link": "learning_outcome_link_id",
    "scale": "outcome_proficiency_id",
    "method": "outcome_calculation_method_id",
    "result": "id",
    "user": "user_id",
    "course": "course_id",
    "section": "course_section_id",  # local in the section's own events
    "enrollment": "enrollment_id",  # global
    "enrollment_state": "enrollment_id",
}


@dataclass(frozen=True)
class Parsed:
    """A usable Canvas event, keyed, hashed and ready to be stored."""

    cls: type[CanvasEvent]
    root_account: str
    key: str
    stream_id: UUID
    event_time: datetime
    content_hash: str
    attributable: bool
    event: dict[str, Any]

    @property
    def topic(self) -> str:
        return TOPICS[self.cls]

    def state(self, recorded_at: datetime, source: str | None) -> dict[str, Any]:
        """The stored state (the library's mapper adds originator id and version)."""
        return {
            "root_account": self.root_account,
            "key": self.key,
            "event_time": self.event_time,
            "recorded_at": recorded_at,
            "content_hash": self.content_hash,
            "attributable": self.attributable,
            "source": source,
            "event": self.event,
        }


@dataclass(frozen=True)
class Ignored:
    """A well-formed Canvas event of a type we do not keep (counted by name, not stored)."""

    event_name: str


def parse(value: Any) -> Parsed | Ignored:
    """Check one parsed JSON value as a Canvas Live Event; raise InvalidEvent saying what is wrong."""
    if not isinstance(value, dict):
        raise InvalidEvent(f"not a JSON object (got {type(value).__name__})")
    metadata = value.get("metadata")
    if not isinstance(metadata, dict):
        raise InvalidEvent("no `metadata` object: not a Canvas Live Event")
    name = metadata.get("event_name")
    if not isinstance(name, str) or not name:
        raise InvalidEvent("metadata.event_name is missing or not a string")
    cls = REGISTRY.get(name)
    if cls is None:
        return Ignored(name)
    shape = canvas.check_shape(value)
    if shape is not None:
        raise InvalidEvent(f"cannot be stored as it is: {shape}")
    event, content_hash = canvas.redact_and_hash(value)  # tokens removed before hashing and storing
    meta = _validate(canvas.Metadata, event["metadata"], "metadata", accept.METADATA)
    if not meta.root_account_uuid.strip():
        raise InvalidEvent("metadata.root_account_uuid is empty: the event has no root account")
    if not isinstance(event.get("body"), dict):
        raise InvalidEvent("no `body` object")
    body = _validate(canvas.BODIES[cls.kind], event["body"], "body", accept.BODIES.get(cls.kind))
    key, attributable = _entity_key(cls.kind, body, shard_of(meta.root_account_id))
    return Parsed(
        cls,
        meta.root_account_uuid,
        key,
        stream_id(meta.root_account_uuid, cls.kind, key),
        meta.event_time,
        content_hash,
        attributable,
        event,
    )


def _validate(model: type[BaseModel], data: dict, where: str, twin: type[BaseModel] | None = None) -> Any:
    """The validated values; the native twin first (domain/accept.py: what it accepts, the model accepts
    with the same values), the model itself when the twin refuses: its acceptance and message decide."""
    if twin is not None:
        try:
            return twin.model_validate(data, context=canvas.STRICT)
        except ValidationError:
            pass
    try:
        return model.model_validate(data, context=canvas.STRICT)
    except ValidationError as error:
        raise InvalidEvent(canvas.describe_error(error, where)) from None


def _entity_key(kind: str, body: Any, root_shard: int | None) -> tuple[str, bool]:
    if kind != "result":
        return local_id(getattr(body, _ID_FIELD[kind]), root_shard) or "", True
    if body.id is not None and body.user_uuid:
        return local_id(body.id, root_shard) or "", True
    # The older documented shape (no id / user_uuid): a legacy key, never counted for a student.
    if not body.title and body.created_at is None:
        raise InvalidEvent("result has no id/user_uuid and no title/created_at to key it by")
    outcome = local_id(body.learning_outcome_id, root_shard)
    return f"legacy|{outcome}|{body.title or ''}|{canvas.iso(body.created_at)}", False
