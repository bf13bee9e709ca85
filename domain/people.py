"""People and places: the states and folds of users, courses, sections, enrollments and enrollment states.

Canvas sends these on the outcome events' subscription (docs/canvas-people-events.md). Each body is a full
snapshot, so each fold is last-writer-wins in fold order like the outcome folds. Ids are reduced to local
ids the way keys are (DESIGN decision 1): a section's events send local ids, an enrollment's global ones,
and both end up as the same local ids. SIS ids are text as sent ("007" stays "007").

`sortable_name` is Canvas's "Last, First": a body that sends one keeps it; otherwise it is derived from
`name` the way Canvas's `User.last_name_first` does for a name without one: the last word first, a
suffix (Jr., Sr., II, III, IV, V, VI, Esq.) kept at the end ("Ada Lovelace" → "Lovelace, Ada",
"Martin Luther King Jr." → "King, Martin Luther Jr."); a single word or a name that already holds a comma
stays as it is.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import singledispatch
from typing import Any

from domain.entity import EntityState, bookkeeping
from domain.events import (
    CanvasEvent,
    CourseCreated,
    CourseSectionCreated,
    CourseSectionUpdated,
    CourseUpdated,
    EnrollmentCreated,
    EnrollmentStateCreated,
    EnrollmentStateUpdated,
    EnrollmentUpdated,
    UserCreated,
    UserUpdated,
)
from domain.ids import SHARD_FACTOR

# Who a course's rollups list (projections/queries/people.py `enrolled`), said once for every entry point.
STUDENT_TYPE = "StudentEnrollment"  # the test student's StudentViewEnrollment is never listed
NEVER_LISTED = frozenset({"deleted", "rejected"})
EXCLUDABLE = {"inactive": "inactive", "concluded": "completed"}  # exclude name → enrollment workflow_state

_SUFFIX = re.compile(r"^(Sn?r\.?|Senior|Jn?r\.?|Junior|II|III|IV|V|VI|Esq\.?|Esquire)$", re.IGNORECASE)


def sortable_name(name: str | None) -> str | None:
    """Canvas's "Last, First" for a name that has no sortable name (see the module docstring)."""
    if name is None:
        return None
    words = name.split()
    if len(words) < 2 or "," in name:
        return name.strip()
    suffix = words.pop() if len(words) > 2 and _SUFFIX.match(words[-1]) else None
    last, given = words[-1], " ".join(words[:-1])
    return f"{last}, {given}" + (f" {suffix}" if suffix else "")


def global_id(value: str | None, root_shard: int | None) -> str | None:
    """The global form of a Canvas id: as sent when it is global, else shard × 10^13 + local id."""
    if value is None or not value.isdigit():
        return None
    number = int(value)
    if number >= SHARD_FACTOR:
        return str(number)
    return None if not root_shard else str(root_shard * SHARD_FACTOR + number)


class UserState(EntityState):
    uuid: str | None = None  # the user_uuid of result events
    global_id: str | None = None
    name: str | None = None
    short_name: str | None = None
    sortable_name: str | None = None
    workflow_state: str | None = None
    login: str | None = None
    sis_user_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def user_uuid(self) -> str | None:
        return self.uuid


class CourseState(EntityState):
    uuid: str | None = None
    account_id: str | None = None
    name: str | None = None
    course_code: str | None = None
    sis_source_id: str | None = None
    workflow_state: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def course_id(self) -> str:
        return self.id


class SectionState(EntityState):
    course_id: str | None = None
    name: str | None = None
    sis_source_id: str | None = None
    workflow_state: str | None = None
    default_section: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class EnrollmentState(EntityState):
    course_id: str | None = None
    user_id: str | None = None  # the Canvas user id (local): resolved to a user_uuid through the users
    user_name: str | None = None
    type: str | None = None
    section_id: str | None = None
    workflow_state: str | None = None
    associated_user_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class EnrollmentStateState(EntityState):
    """Canvas's computed access state of one enrollment (kept and audited; it does not decide who is listed:
    Canvas's rollups filter on the enrollment's own workflow_state)."""

    state: str | None = None
    state_started_at: datetime | None = None
    state_valid_until: datetime | None = None
    state_is_current: bool | None = None
    access_is_current: bool | None = None
    restricted_access: bool | None = None


@singledispatch
def evolve_user(event: CanvasEvent, state: UserState | None) -> UserState | None:
    raise TypeError(f"a user cannot fold {type(event).__name__}")


@evolve_user.register(UserCreated)
@evolve_user.register(UserUpdated)
def _user(event: CanvasEvent, state: UserState | None) -> UserState:
    return UserState.of(**bookkeeping(event, state), **user_fields(event, event.body))


def user_fields(event: Any, b: Any) -> dict[str, Any]:
    """The Canvas fields of a user's state from its event and read body: the fold's own, and the lean
    projection path's plain-data twin (projections/lean.py passes a plain object with the body's values)."""
    return {
        "uuid": b.uuid,
        "global_id": global_id(b.user_id, event.root_shard),
        "name": b.name,
        "short_name": b.short_name,
        "sortable_name": b.sortable_name if b.sortable_name else sortable_name(b.name),
        "workflow_state": b.workflow_state,
        "login": b.user_login,
        "sis_user_id": b.user_sis_id,
        "created_at": b.created_at,
        "updated_at": b.updated_at,
    }


@singledispatch
def evolve_course(event: CanvasEvent, state: CourseState | None) -> CourseState | None:
    raise TypeError(f"a course cannot fold {type(event).__name__}")


@evolve_course.register(CourseCreated)
@evolve_course.register(CourseUpdated)
def _course(event: CanvasEvent, state: CourseState | None) -> CourseState:
    return CourseState.of(**bookkeeping(event, state), **course_fields(event, event.body))


def course_fields(event: Any, b: Any) -> dict[str, Any]:
    """The Canvas fields of a course's state from its event and read body: the fold's own, and the lean
    projection path's plain-data twin (projections/lean.py passes a plain object with the body's values)."""
    return {
        "uuid": b.uuid,
        "account_id": event.local(b.account_id),
        "name": b.name,
        "course_code": b.course_code,
        "sis_source_id": b.sis_source_id,
        "workflow_state": b.workflow_state,
        "created_at": b.created_at,
        "updated_at": b.updated_at,
    }


@singledispatch
def evolve_section(event: CanvasEvent, state: SectionState | None) -> SectionState | None:
    raise TypeError(f"a section cannot fold {type(event).__name__}")


@evolve_section.register(CourseSectionCreated)
@evolve_section.register(CourseSectionUpdated)
def _section(event: CanvasEvent, state: SectionState | None) -> SectionState:
    return SectionState.of(**bookkeeping(event, state), **section_fields(event, event.body))


def section_fields(event: Any, b: Any) -> dict[str, Any]:
    """The Canvas fields of a section's state from its event and read body: the fold's own, and the lean
    projection path's plain-data twin (projections/lean.py passes a plain object with the body's values)."""
    return {
        "course_id": event.local(b.course_id),
        "name": b.name,
        "sis_source_id": b.sis_source_id,
        "workflow_state": b.workflow_state,
        "default_section": b.default_section,
        "created_at": b.created_at,
        "updated_at": b.updated_at,
    }


@singledispatch
def evolve_enrollment(event: CanvasEvent, state: EnrollmentState | None) -> EnrollmentState | None:
    raise TypeError(f"an enrollment cannot fold {type(event).__name__}")


@evolve_enrollment.register(EnrollmentCreated)
@evolve_enrollment.register(EnrollmentUpdated)
def _enrollment(event: CanvasEvent, state: EnrollmentState | None) -> EnrollmentState:
    return EnrollmentState.of(**bookkeeping(event, state), **enrollment_fields(event, event.body))


def enrollment_fields(event: Any, b: Any) -> dict[str, Any]:
    """The Canvas fields of an enrollment's state from its event and read body: the fold's own, and the lean
    projection path's plain-data twin (projections/lean.py passes a plain object with the body's values)."""
    return {
        "course_id": event.local(b.course_id),
        "user_id": event.local(b.user_id),
        "user_name": b.user_name,
        "type": b.type,
        "section_id": event.local(b.course_section_id),
        "workflow_state": b.workflow_state,
        "associated_user_id": event.local(b.associated_user_id),
        "created_at": b.created_at,
        "updated_at": b.updated_at,
    }


@singledispatch
def evolve_enrollment_state(event: CanvasEvent, state: EnrollmentStateState | None) -> EnrollmentStateState | None:
    raise TypeError(f"an enrollment state cannot fold {type(event).__name__}")


@evolve_enrollment_state.register(EnrollmentStateCreated)
@evolve_enrollment_state.register(EnrollmentStateUpdated)
def _enrollment_state(event: CanvasEvent, state: EnrollmentStateState | None) -> EnrollmentStateState:
    return EnrollmentStateState.of(**bookkeeping(event, state), **enrollment_state_fields(event, event.body))


def enrollment_state_fields(event: Any, b: Any) -> dict[str, Any]:
    """The Canvas fields of an enrollment state's state from its event and read body: the fold's own, and the lean
    projection path's plain-data twin (projections/lean.py passes a plain object with the body's values)."""
    return {
        "state": b.state,
        "state_started_at": b.state_started_at,
        "state_valid_until": b.state_valid_until,
        "state_is_current": b.state_is_current,
        "access_is_current": b.access_is_current,
        "restricted_access": b.restricted_access,
    }
