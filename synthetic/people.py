"""People and places, as Canvas sends them (docs/canvas-people-events.md; body fields verbatim): users,
courses, two sections a course and their enrollments, set up by a nightly SIS import before the term, then
changed during it: students dropped (deleted), concluded (completed) or made inactive, a section change, a
married name, renamed courses and sections, Student View's test students. Global ids where the doc says
global (users, courses, accounts, enrollments), local ids for sections and enrollment states.

`roster` decides at plan time who leaves and when (the results stop there, with or without these events);
`registrar_agenda` is the registrar's term, run and merged like a course's. A course planned `late` was set
up before the district subscribed: none of its course, section or enrollment events is seen, only a
`course_updated` mid-term."""

from __future__ import annotations

import random
from collections.abc import Iterator

from synthetic.actors import _course_context, _course_sis_id, _event, _job, _login, _request
from synthetic.basics import _DAY, _at, _between, _body_time, _uuid40
from synthetic.catalog import _copy
from synthetic.names import course_name, married_name, person, short_name, sis_id
from synthetic.world import _Course, _Registrar, _World

SIS_TAG = "SisBatch#process_without_send_later"
TERM_ID = "3"  # the Fall 2025 enrollment term (local id)
_LEAVES = {  # workflow_state -> (earliest, latest) time of leaving
    "deleted": (_at(9, 8), _at(11, 14)),
    "completed": (_at(10, 20), _at(11, 30)),
    "inactive": (_at(9, 20), _at(11, 10)),
}
_TEACHER_SLOTS, _STUDENT_SLOT, _MOVED_SLOT, _TEST_SLOT = (0, 1), 10, 500, 999


def roster(seed: int, c: _Course, late: bool) -> None:
    """Sections, leavers, a section change and a test student for course `c`, chosen by its own seed."""
    rng = random.Random(f"{seed}:{c.root.shard}:roster:{c.idx}")
    n = len(c.students)
    sections = [0] * n
    for k, s in enumerate(rng.sample(range(n), n)):
        sections[s] = k % 2
    c.sections, c.late = tuple(sections), late
    if late:
        return
    movers = rng.sample(range(n), 4)
    plan = ["deleted", None, "deleted" if c.idx % 4 == 3 else None]
    plan[1] = ("deleted", "completed", "inactive")[c.idx % 3] if c.idx % 3 else None
    c.leaves = {s: (_between(rng, *_LEAVES[state]), state) for s, state in zip(movers, plan, strict=False) if state}
    if c.idx % 5 == 0:
        c.switch = (movers[3], _between(rng, _at(9, 25), _at(10, 10)))
    if c.idx % 4 == 0:
        c.test_at = _at(9, 3 + c.idx % 10, 16) + _between(rng, 0, 3_600_000)
        c.uuids += (_uuid40(seed, c.root.shard, "test student", c.idx),)
        c.abilities += (0.6,)


def student_user(s: int) -> int:
    """The local Canvas user id of pool student `s` (as the ignored events' metadata has it)."""
    return 10_000 + s


def _test_user(c: _Course) -> int:
    return 1_000_000 + c.idx


def _section_id(c: _Course, k: int) -> int:
    return 7000 + 2 * c.idx + k


def _enrollment_id(c: _Course, slot: int) -> int:
    return (c.idx + 1) * 1000 + slot


def _batch(t: int) -> str:
    """The SIS batch (local id) of a nightly import."""
    return str(800 + (t - _at(8, 1)) // _DAY)


def _user_body(r: _Registrar, user: int, uuid: str, first: str, last: str, t: int, n: int) -> dict:
    stamp = _body_time(t)
    return {
        "user_id": r.root.gid(user),
        "uuid": uuid,
        "name": f"{first} {last}",
        "short_name": short_name(first, last, n),
        "workflow_state": "pre_registered" if n % 9 == 5 else "registered",
        "created_at": stamp,
        "updated_at": stamp,
        "user_login": _login(r.root, user),
        "user_sis_id": sis_id(user),
    }


def _course_body(r: _Registrar, c: _Course, created: int, t: int) -> dict:
    return {
        "course_id": r.root.gid(c.local_id),
        "uuid": c.uuid,
        "account_id": r.root.gid(c.account),
        "name": course_name(c.subject, c.idx),
        "created_at": _body_time(created),
        "updated_at": _body_time(t),
        "workflow_state": "available",
    }


def _section_body(c: _Course, k: int, t: int) -> dict:
    return {
        "course_section_id": str(_section_id(c, k)),
        "sis_source_id": f"{_course_sis_id(c)}.S{k + 1}",
        "sis_batch_id": _batch(t),
        "course_id": str(c.local_id),
        "root_account_id": "1",
        "enrollment_term_id": TERM_ID,
        "name": f"Section {k + 1}",
        "default_section": False,
        "accepting_enrollments": None,
        "can_manually_enroll": True,
        "start_at": None,
        "end_at": None,
        "workflow_state": "active",
        "restrict_enrollments_to_section_dates": False,
        "nonxlist_course_id": None,
        "stuck_sis_fields": [],
        "integration_id": None,
    }


def _enrollment_body(r: _Registrar, c: _Course, slot: int, user: int, kind: str, k: int, t: int) -> dict:
    root, stamp = r.root, _body_time(t)
    return {
        "enrollment_id": root.gid(_enrollment_id(c, slot)),
        "course_id": root.gid(c.local_id),
        "user_id": root.gid(user),
        "user_name": r.bodies[("user", user)]["name"],
        "type": kind,
        "created_at": stamp,
        "updated_at": stamp,
        "limit_privileges_to_course_section": False,
        "course_section_id": root.gid(_section_id(c, k)),
        "workflow_state": "active",
    }


def _state_body(c: _Course, slot: int, state: str, t: int) -> dict:
    return {
        "enrollment_id": str(_enrollment_id(c, slot)),
        "state": state,
        "state_started_at": _body_time(t),
        "state_is_current": True,
        "state_valid_until": None,
        "restricted_access": False,
        "access_is_current": True,
    }


def _send(r: _Registrar, key: tuple, name: str, t: int, who: dict, body: dict) -> tuple:
    """Remember the body as the entity's latest, and send a copy (the consumer may change it)."""
    if key:
        r.bodies[key] = body
    return t, _event(r.root, name, t, dict(who), _copy(body))


def _enroll(r: _Registrar, c: _Course, slot: int, user: int, kind: str, k: int, t: int, who: dict) -> Iterator:
    key = ("enrollment", c.idx, slot)
    yield _send(r, key, "enrollment_created", t, who, _enrollment_body(r, c, slot, user, kind, k, t))
    yield _send(r, (), "enrollment_state_created", t + _between(r.rng, 1, 40), who, _state_body(c, slot, "active", t))


def _people(r: _Registrar) -> list[tuple[int, str, str, str, int]]:
    """(user id, uuid, first, last, n) of the root account's teachers, then its students, in id order."""
    seed, shard = r.seed, r.root.shard
    teachers = sorted({c.teacher for c in r.courses})
    students = sorted({(p, u) for c in r.courses for p, u in zip(c.students, c.uuids, strict=False)})
    rows = [(t, _uuid40(seed, shard, "teacher", t), *person(seed, shard, "teacher", t), t) for t in teachers]
    return rows + [(student_user(p), u, *person(seed, shard, "student", p), p) for p, u in students]


def _sis_import(w: _World, r: _Registrar, t: int, _: object) -> Iterator[tuple]:
    """The nightly SIS import before the term: every user, course, section and enrollment, in that order."""
    rng, who = r.rng, _job(r.rng, SIS_TAG)
    for user, uuid, first, last, n in _people(r):
        yield _send(r, ("user", user), "user_created", t, who, _user_body(r, user, uuid, first, last, t, n))
        t += _between(rng, 5, 150)
    for c in (c for c in r.courses if not c.late):
        yield _send(r, ("course", c.idx), "course_created", t, who, _course_body(r, c, t, t))
        for k in (0, 1):
            t += _between(rng, 5, 150)
            yield _send(r, ("section", c.idx, k), "course_section_created", t, who, _section_body(c, k, t))
        t += _between(rng, 5, 150)
    for c in (c for c in r.courses if not c.late):
        for k in _TEACHER_SLOTS:  # one enrollment a section, as the SIS sends them
            yield from _enroll(r, c, k, c.teacher, "TeacherEnrollment", k, t, who)
            t += _between(rng, 50, 300)
        for s, p in enumerate(c.students):
            yield from _enroll(r, c, _STUDENT_SLOT + s, student_user(p), "StudentEnrollment", c.sections[s], t, who)
            t += _between(rng, 50, 300)


def _end(r: _Registrar, c: _Course, slot: int, state: str, t: int, who: dict) -> Iterator[tuple]:
    """An enrollment leaves `active`: enrollment_updated, then its enrollment_state_updated."""
    key = ("enrollment", c.idx, slot)
    old = r.bodies[key]
    name = r.bodies[("user", int(old["user_id"]) % 10**13)]["name"]
    body = dict(old, user_name=name, workflow_state=state, updated_at=_body_time(t))
    yield _send(r, key, "enrollment_updated", t, who, body)
    yield _send(r, (), "enrollment_state_updated", t + _between(r.rng, 1, 40), who, _state_body(c, slot, state, t))


def _by(r: _Registrar, c: _Course, user: int, method: str, path: str, role: str = "TeacherEnrollment") -> dict:
    """A web request in the course by a teacher or an administrator."""
    root = r.root
    context = _course_context(c, role)
    return _request(r.rng, root, user, (method, path), context, referrer=f"https://{root.host}/courses/{c.local_id}")


def _leave(w: _World, r: _Registrar, t: int, what: tuple) -> Iterator[tuple]:
    """Dropped by the SIS, concluded by an administrator, or made inactive by the teacher."""
    c, s, state = what
    slot, path = _STUDENT_SLOT + s, f"/api/v1/courses/{c.local_id}/enrollments/{_enrollment_id(c, _STUDENT_SLOT + s)}"
    if state == "deleted":
        who = _job(r.rng, SIS_TAG)
    elif state == "completed":
        who = _by(r, c, r.root.admins[1], "DELETE", path + "?task=conclude", "AccountAdmin")
    else:
        who = _by(r, c, c.teacher, "DELETE", path + "?task=deactivate")
    yield from _end(r, c, slot, state, t, who)


def _switch(w: _World, r: _Registrar, t: int, what: tuple) -> Iterator[tuple]:
    """The SIS moves a student to the other section: a new enrollment there, the old one deleted."""
    c, s = what
    who = _job(r.rng, SIS_TAG)
    yield from _enroll(
        r, c, _MOVED_SLOT + s, student_user(c.students[s]), "StudentEnrollment", 1 - c.sections[s], t, who
    )
    yield from _end(r, c, _STUDENT_SLOT + s, "deleted", t + _between(r.rng, 50, 300), who)


def _rename_user(w: _World, r: _Registrar, t: int, what: tuple) -> Iterator[tuple]:
    """A married name, sent by the SIS: user_updated with the whole user again."""
    user, n = what
    old = r.bodies[("user", user)]
    first, last = person(r.seed, r.root.shard, "student", n)
    new = married_name(r.seed, r.root.shard, n, last)
    body = dict(old, name=f"{first} {new}", short_name=short_name(first, new, n), updated_at=_body_time(t))
    yield _send(r, ("user", user), "user_updated", t, _job(r.rng, SIS_TAG), body)


def _update_course(w: _World, r: _Registrar, t: int, c: _Course) -> Iterator[tuple]:
    """The teacher renames the course (an honors course); a late course's first event, with its old created_at."""
    path = f"/api/v1/courses/{c.local_id}"
    who = _by(r, c, c.teacher, "PUT", path)
    if c.late:
        body = _course_body(r, c, _at(6, 2, 15) + _between(r.rng, 0, 30 * _DAY), t)
    else:
        body = dict(r.bodies[("course", c.idx)], updated_at=_body_time(t))
        body["name"] = body["name"].replace(" (Fall 2025)", " Honors (Fall 2025)")
    yield _send(r, ("course", c.idx), "course_updated", t, who, body)


def _update_section(w: _World, r: _Registrar, t: int, c: _Course) -> Iterator[tuple]:
    """An administrator renames section 2 by hand, which makes its name stick against the SIS."""
    who = _by(r, c, r.root.admins[1], "PUT", f"/api/v1/sections/{_section_id(c, 1)}", "AccountAdmin")
    old = r.bodies[("section", c.idx, 1)]
    body = dict(old, name="Section 2 (Period 4)", stuck_sis_fields=["name"])
    yield _send(r, ("section", c.idx, 1), "course_section_updated", t, who, body)


def _test_student(w: _World, r: _Registrar, t: int, c: _Course) -> Iterator[tuple]:
    """The teacher opens Student View: Canvas makes the course's test student and its enrollment."""
    who = _by(r, c, c.teacher, "POST", f"/courses/{c.local_id}/student_view")
    user, stamp = _test_user(c), _body_time(t)
    body = {
        "user_id": r.root.gid(user),
        "uuid": c.uuids[len(c.students)],
        "name": "Test Student",
        "short_name": "Test Student",
        "workflow_state": "registered",
        "created_at": stamp,
        "updated_at": stamp,
        "user_login": None,
        "user_sis_id": None,
    }
    yield _send(r, ("user", user), "user_created", t, who, body)
    yield from _enroll(r, c, _TEST_SLOT, user, "StudentViewEnrollment", 0, t + _between(r.rng, 20, 200), who)


def registrar_agenda(r: _Registrar) -> Iterator[tuple]:
    """The registrar's term, as (start, step, argument): the import, then the changes, each on its day."""
    yield _at(8, 11, 8), _sis_import, None
    for c in r.courses:
        if c.late:
            yield _at(9, 2 + c.idx % 20, 15), _update_course, c
            continue
        for s, (t, state) in sorted(c.leaves.items()):
            yield t, _leave, (c, s, state)
        if c.switch:
            yield c.switch[1], _switch, (c, c.switch[0])
        if c.test_at:
            yield c.test_at, _test_student, c
        if c.idx % 5 == 2:
            yield _at(9, 5 + c.idx % 12, 14), _update_course, c
        if c.idx % 6 == 1:
            yield _at(9, 1 + c.idx % 20, 13), _update_section, c
    for user, _, _, _, n in _people(r):
        if user >= 10_000 and n % 40 == 13:
            yield _at(10, 1 + n % 25, 8), _rename_user, (user, n)
