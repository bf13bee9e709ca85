"""People and places as of a view's cut: who a user_uuid is, how a student is named, who is enrolled in a
course (and so listed in its rollups), the courses, their sections and the root accounts.

Names come from the user events; `mastery roster import` (the roster table) names people the events do not,
and where both speak the events win. Enrollments decide who is listed the way Canvas's `outcome_rollups`
and Learning Mastery Gradebook do (canvas-lms `OutcomeResultsController`: `users_for_outcome_context` is the
course's `all_students`, `filter_users_by_excludes` drops a user only when *every* one of their enrollments
in the course, or in the section asked for, is filtered out):

- student enrollments only (`StudentEnrollment`; the test student's `StudentViewEnrollment` never);
- deleted and rejected never; `invited`, `creation_pending` and `active` always; `inactive` and
  `completed` (concluded) unless excluded;
- a student in two sections, or with two enrollments, is listed once when any enrollment qualifies.

Every answer is read inside the view's cut (an as-of T answer equals "now" on a store that only got the
events up to T). One query per entity kind: fast for a course of hundreds of students.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from domain.ids import id_key, local_id
from domain.people import EXCLUDABLE, NEVER_LISTED, STUDENT_TYPE, sortable_name
from projections import packed
from projections.history import hosts
from projections.views import View

NO_ENROLLMENTS = "no enrollment events for this course: every student with a counted result is listed"


@dataclass(frozen=True)
class Person:
    """One person as of the view's cut (source: "events", "roster", or "results" for a user_uuid that only
    results name)."""

    uuid: str
    id: str | None  # Canvas user id, local, as text
    global_id: str | None
    name: str | None
    short_name: str | None
    sortable_name: str | None
    login: str | None
    sis_user_id: str | None
    source: str


class UnknownStudent(LookupError):
    """No student is named by the reference."""

    def __init__(self, ref: str) -> None:
        super().__init__(
            f"no student {ref!r}: give a Canvas user id, sis_user_id:X, a user_uuid"
            " (in the CLI also a unique uuid prefix or an exact name)"
        )
        self.ref = ref


class AmbiguousStudent(LookupError):
    """The reference names several students."""

    def __init__(self, ref: str, matches: list[Person]) -> None:
        shown = "; ".join(f"{p.name or '(no name)'} ({p.uuid}{f', id {p.id}' if p.id else ''})" for p in matches[:10])
        super().__init__(f"{ref!r} names {len(matches)} students: {shown}")
        self.ref = ref
        self.matches = matches


@dataclass(frozen=True)
class Enrolled:
    known: bool  # any enrollment event for this course inside the cut
    students: frozenset[str] = field(default_factory=frozenset)  # user_uuids listed (empty when not known)
    note: str | None = None


@dataclass(frozen=True)
class Course:
    id: str
    name: str | None
    uuid: str | None
    account_id: str | None
    workflow_state: str | None


@dataclass(frozen=True)
class Section:
    id: str
    course: str
    name: str | None
    sis_source_id: str | None
    workflow_state: str | None


@dataclass(frozen=True)
class Account:
    root: str
    local_id: str | None
    host: str | None  # from metadata root_account_lti_guid, else hostname


def roster(conn: sqlite3.Connection) -> dict[str, tuple[str | None, str | None]]:
    """Each student's name and SIS id imported with `mastery roster import` (a side table), by user uuid."""
    return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT user_uuid, name, sis_id FROM roster").fetchall()}


def on_roster(conn: sqlite3.Connection, uuids: list[str]) -> int:
    """How many of these students have a roster row (what `mastery erase` removes)."""
    marks = ",".join("?" * len(uuids)) or "NULL"
    return int(conn.execute(f"SELECT COUNT(*) FROM roster WHERE user_uuid IN ({marks})", uuids).fetchone()[0])


def _users(states: list[Any]) -> list[Any]:
    """User states with a uuid, one per uuid (the latest event wins; then the greater id)."""
    best: dict[str, Any] = {}
    for user in states:
        if not user.uuid:
            continue
        held = best.get(user.uuid)
        if held is None or (user.last_event_time, id_key(user.id)) > (held.last_event_time, id_key(held.id)):
            best[user.uuid] = user
    return list(best.values())


def people(view: View, uuids: set[str] | None = None) -> dict[str, Person]:
    """Everyone named by user events (inside the cut) or the roster import, by user_uuid; events win.
    `uuids`, when given, limits the answer to those people (look-ups instead of reading every user)."""
    found = {
        uuid: Person(uuid, None, None, name, None, sortable_name(name), None, sis, "roster")
        for uuid, (name, sis) in roster(view.conn).items()
        if uuids is None or uuid in uuids
    }
    states = view.states("user") if uuids is None else view.states_among("user", "user_uuid", uuids)
    for u in _users(states):
        found[u.uuid] = Person(
            u.uuid, u.id, u.global_id, u.name, u.short_name, u.sortable_name, u.login, u.sis_user_id, "events"
        )
    return found


def result_users(view: View) -> set[str]:
    """Every user_uuid a result inside the cut names."""
    table = f"entity_versions{view.suffix}" if view.is_cut else f"entity_current{view.suffix}"
    cut, params = view.cut_sql() if view.is_cut else ("", ())
    rows = view.conn.execute(
        f"SELECT DISTINCT user_uuid FROM {table} WHERE root = ? AND kind = 'result' AND user_uuid IS NOT NULL{cut}",
        (view.root, *params),
    ).fetchall()
    return {r[0] for r in rows if r[0]}


def _shard(view: View) -> int | None:
    row = view.conn.execute(f"SELECT shard FROM roots{view.suffix} WHERE root = ?", (view.root,)).fetchone()
    return row[0] if row else None


def _one(ref: str, matches: list[Person]) -> str:
    unique = {p.uuid: p for p in matches}
    if len(unique) == 1:
        return next(iter(unique))
    if unique:
        raise AmbiguousStudent(ref, sorted(unique.values(), key=lambda p: student_order(p.uuid, p)))
    raise UnknownStudent(ref)


def student_order(uuid: str, person: Person | None) -> tuple:
    """Canvas's order of students: by sortable name (case-insensitive), the unnamed after, then by uuid."""
    name = person and (person.sortable_name or person.name)
    return (0, name.casefold(), uuid) if name else (1, "", uuid)


def _nameless(uuid: str) -> Person:
    return Person(uuid, None, None, None, None, None, None, None, "results")


def _sis_candidates(view: View, sis: str) -> set[str]:
    """The uuids of users any version of whom (inside the cut) has this SIS id, and of roster rows that do:
    a superset, checked against each person's state as of the cut."""
    cut, params = view.cut_sql()
    rows = view.conn.execute(
        f"SELECT DISTINCT {packed.field(['user'], 'uuid')} FROM entity_versions{view.suffix} WHERE root = ? "
        f"AND kind = 'user' AND {packed.field(['user'], 'sis_user_id')} = ?{cut}",
        (view.root, sis, *params),
    ).fetchall()
    found = {r[0] for r in rows if isinstance(r[0], str) and r[0]}
    return found | {r[0] for r in view.conn.execute("SELECT user_uuid FROM roster WHERE sis_id = ?", (sis,))}


def _has_results(view: View, uuid: str) -> bool:
    table = f"entity_versions{view.suffix}" if view.is_cut else f"entity_current{view.suffix}"
    cut, params = view.cut_sql() if view.is_cut else ("", ())
    row = view.conn.execute(
        f"SELECT 1 FROM {table} WHERE root = ? AND kind = 'result' AND user_uuid = ?{cut} LIMIT 1",
        (view.root, uuid, *params),
    ).fetchone()
    return row is not None


def resolve_student(view: View, ref: str, *, loose: bool = False) -> str:
    """The user_uuid a reference names: a Canvas user id (local or global digits), `sis_user_id:X`, or a
    user_uuid (of a named person or of any result); with `loose` (the CLI) also a unique uuid prefix or an
    exact name (name, sortable name or short name, case-insensitive). UnknownStudent / AmbiguousStudent.

    The strict forms are look-ups (no read of every user); only the loose forms read everyone."""
    text = ref.strip()
    if not text:
        raise UnknownStudent(ref)
    if text.startswith("sis_user_id:"):
        sis = text.removeprefix("sis_user_id:")
        found = people(view, _sis_candidates(view, sis))
        return _one(ref, [p for p in found.values() if p.sis_user_id is not None and p.sis_user_id == sis])
    if text in people(view, {text}):
        return text
    if text.isascii() and text.isdigit():
        wanted = local_id(text, _shard(view))
        users = view.states_among("user", "key", {wanted or text})
        found = people(view, {u.uuid for u in users if u.uuid})
        by_id = [p for p in found.values() if p.id == wanted or p.global_id == text]
        if by_id:
            return _one(ref, by_id)
    if _has_results(view, text):
        return text
    if not loose:
        raise UnknownStudent(ref)
    everyone, results = people(view), result_users(view)
    named = named_exactly(everyone.values(), text)
    if named:
        return _one(ref, named)
    prefixed = [everyone.get(u) or _nameless(u) for u in set(everyone) | results if u.startswith(text)]
    return _one(ref, prefixed)


def named_exactly(persons: Iterable[Any], text: str) -> list[Any]:
    """The people whose name, sortable name or short name is `text` (case-insensitive)."""
    folded = text.strip().casefold()
    return [
        p for p in persons if folded in {(n or "").strip().casefold() for n in (p.name, p.sortable_name, p.short_name)}
    ]


def enrolled(view: View, course: str, *, exclude: frozenset[str] = frozenset(), section: str | None = None) -> Enrolled:
    """The students a course's rollups list, inside the view's cut (see the module docstring).

    `exclude` ⊆ {"inactive", "concluded"}; `section` keeps the students with a qualifying enrollment in that
    section. A course no enrollment event (inside the cut) speaks of is not known: everyone with a counted
    result is listed, and the note says so.
    """
    unknown = set(exclude) - set(EXCLUDABLE)
    if unknown:
        raise ValueError(f"cannot exclude {', '.join(sorted(unknown))}: only {', '.join(EXCLUDABLE)}")
    enrollments = view.states("enrollment", course=course)
    if not enrollments:
        return Enrolled(False, frozenset(), NO_ENROLLMENTS)
    filtered = NEVER_LISTED | {EXCLUDABLE[name] for name in exclude}
    wanted_section = None if section is None else local_id(section.strip(), _shard(view))
    listed: set[str] = set()
    for e in enrollments:
        if e.type != STUDENT_TYPE or e.workflow_state in filtered or not e.user_id:
            continue
        if wanted_section is not None and e.section_id != wanted_section:
            continue
        listed.add(e.user_id)
    uuids = {u.id: u.uuid for u in view.states_among("user", "key", listed) if u.uuid}
    students = frozenset(uuids[i] for i in listed if i in uuids)
    missing = len(listed) - len(students)
    note = None
    if missing:
        note = (
            f"{missing} enrolled student{'s' if missing != 1 else ''} without a user event: "
            "their results cannot be matched to them and are not listed"
        )
    return Enrolled(True, students, note)


def courses(view: View) -> dict[str, Course]:
    """Each course a course event (inside the cut) spoke of, by course id."""
    found = {c.id: Course(c.id, c.name, c.uuid, c.account_id, c.workflow_state) for c in view.states("course")}
    return {k: found[k] for k in sorted(found, key=id_key)}


def sections(view: View, course: str) -> list[Section]:
    """The course's sections (inside the cut), by numeric id."""
    found = [
        Section(s.id, s.course_id or course, s.name, s.sis_source_id, s.workflow_state)
        for s in view.states("section", course=course)
    ]
    return sorted(found, key=lambda s: id_key(s.id))


def accounts(conn: sqlite3.Connection) -> list[Account]:
    """Each root account the store holds, with its local id and its host when the events named one."""
    named = hosts(conn)
    known = {r[0]: r[1] for r in conn.execute("SELECT root, local_id FROM roots ORDER BY root").fetchall()}
    for root in named:
        known.setdefault(root, None)
    return [Account(root, known[root], named.get(root)) for root in sorted(known)]
