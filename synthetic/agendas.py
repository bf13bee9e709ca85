"""What each course and office does over the term (its agenda), run in time order with the regrades it
scheduled slotted in, and every owner merged lazily into one timeline."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from operator import itemgetter

from synthetic.actors import _event, _job
from synthetic.basics import _DAY, _HOUR, MAIN_SHARD, _at, _between
from synthetic.catalog import (
    _COURSE_SCALE,
    _COURSE_SCALE_V2,
    _ROOT_SCALE,
    _ROOT_SCALE_V2,
    _ROOT_SCALE_V3,
    _SUB_SCALE,
    _copy,
    _group_body,
    _link_body,
    _method_body,
    _scale_body,
)
from synthetic.people import registrar_agenda
from synthetic.results import _account_results, _assessment
from synthetic.steps import _course_setup, _edit_group, _edit_outcome, _relink, _set_link, _setting
from synthetic.world import _Course, _Office, _Registrar, _Root, _World

_SCALE, _METHOD = "outcome_proficiency", "outcome_calculation_method"


def _course_agenda(c: _Course) -> Iterator[tuple]:
    """Everything planned for a course, as (start, step, argument); steps run in order of start."""
    yield _at(8, 18) + c.rng.randrange(12 * _DAY), _course_setup, None
    first, span = _at(8, 25), (_at(12, 12) - _at(8, 25)) / c.assessments
    for k in range(c.assessments):
        yield int(first + span * (k + c.rng.random())), _assessment, k
    yield from _course_edits(c.idx)
    if c.root.shard == MAIN_SHARD:
        yield from _course_settings(c.idx, ("Course", c.local_id))


def _course_edits(i: int) -> Iterator[tuple]:
    """Chosen by course index, so that every kind of change occurs once there are a dozen courses."""
    yield _at(9, 10 + i % 14, 14), _edit_outcome, ("title", 0)
    yield _at(9, 20 + i % 9, 15), _edit_group, 1
    if i % 3 == 0:
        yield _at(10, 1 + i % 20, 16), _edit_outcome, ("criterion", 1)
    if i % 4 == 1:
        yield _at(10, 5 + i % 20, 17), _edit_outcome, ("method", 2)
    if i % 8 == 4:
        yield _at(10, 20 + i % 8, 13), _edit_outcome, ("deleted", 4)
    if i % 9 == 6:
        yield _at(11, 10 + i % 10, 18), _edit_outcome, ("archived", 3)
    if i % 5 == 3:
        yield _at(10, 14, 15), _set_link, "deleted"
        yield (_at(11, 4, 9), _relink, None) if i % 10 == 3 else (_at(11, 6, 9), _set_link, "active")
    if i % 10 == 7:
        yield _at(10, 8 + i % 10, 10), _account_results, None


def _course_settings(i: int, context: tuple) -> Iterator[tuple]:
    if i % 6 == 2:
        yield _at(9, 22 + i % 8, 15), _setting, (_SCALE, "created", _scale_body(100 + i, context, _COURSE_SCALE))
        op = "deleted" if i % 12 == 2 else "updated"
        yield _at(11, 5 + i % 10, 16), _setting, (_SCALE, op, _scale_body(100 + i, context, _COURSE_SCALE_V2))
    if i % 5 == 1:
        yield _at(9, 24 + i % 6, 14), _setting, (_METHOD, "created", _method_body(100 + i, context, "n_mastery", 2))
        yield _at(10, 27, 15), _setting, (_METHOD, "updated", _method_body(100 + i, context, "average", None))


def _import_bodies(o: _Office) -> Iterator[tuple[str, dict]]:
    context = ("Account", 1)
    o.groups = [
        _group_body(context, 1, None, f"{o.root.name} outcomes"),
        _group_body(context, 2, 1, "English Language Arts", "ELA"),
        _group_body(context, 3, 1, "Mathematics", "MATH"),
        _group_body(context, 4, 1, "Science", "SCI"),
    ]
    for group in o.groups:
        yield "learning_outcome_group_created", dict(group)
    for k, outcome in enumerate(o.own):
        yield "learning_outcome_created", _copy(outcome.body)
        yield "learning_outcome_link_created", _link_body(context, k + 1, o.groups[1 + k % 3], outcome)


def _account_import(w: _World, o: _Office, t: int, _: object) -> Iterator[tuple]:
    """The district's standards arrive by an outcome import."""
    job = _job(o.rng, "OutcomeImport#run")
    for name, body in _import_bodies(o):
        yield t, _event(o.root, name, t, job, body)
        t += o.rng.randint(50, 3000)


def _office_agenda(o: _Office) -> Iterator[tuple]:
    main = o.root.shard == MAIN_SHARD
    yield _at(8, 15 if main else 16, 14), _account_import, None
    yield _at(8, 20, 16), _edit_group, 1
    yield _at(9, 29, 17), _edit_outcome, ("title", 1)
    yield _at(10, 27, 18), _edit_outcome, ("criterion", 2)
    if main:
        yield _at(11, 3, 19), _edit_outcome, ("archived", 9)
        yield from _district_settings(o.root)


def _district_settings(root: _Root) -> Iterator[tuple]:
    """Scales and methods arrive after some results: the history has outcome mode, then scale mode."""
    top, sub, other = ("Account", 1), ("Account", root.sub_accounts[0]), ("Account", root.sub_accounts[1])
    yield _at(9, 8, 15), _setting, (_SCALE, "created", _scale_body(1, top, _ROOT_SCALE))
    yield _at(9, 8, 15, 12), _setting, (_METHOD, "created", _method_body(1, top, "decaying_average", 65))
    yield _at(9, 15, 16), _setting, (_SCALE, "created", _scale_body(2, sub, _SUB_SCALE))
    yield _at(9, 16, 16), _setting, (_METHOD, "created", _method_body(2, other, "highest", None))
    yield _at(10, 6, 17), _setting, (_SCALE, "updated", _scale_body(1, top, _ROOT_SCALE_V2))
    yield _at(10, 13, 17), _setting, (_METHOD, "updated", _method_body(1, top, "standard_decaying_average", 75))
    yield _at(10, 20, 18), _setting, (_SCALE, "updated", _scale_body(1, top, _ROOT_SCALE_V3))
    yield _at(11, 17, 15), _setting, (_SCALE, "deleted", _scale_body(2, sub, _SUB_SCALE))


def _run(w: _World, owner: _Course | _Office | _Registrar, agenda: Iterable[tuple]) -> Iterator[tuple]:
    """One owner's events in time order, with the regrades it scheduled slotted in."""
    for start, step, arg in sorted(agenda, key=itemgetter(0)):
        start += _between(owner.rng, 0, _HOUR - 1)  # people do not work on the hour
        for t, event in step(w, owner, max(start, owner.now), arg):
            yield from _release(owner, t)
            owner.now = t
            yield t, owner, event
    yield from _release(owner, None)


def _release(owner: _Course | _Office | _Registrar, until: int | None) -> Iterator[tuple]:
    while owner.pending and (until is None or owner.pending[0][0] <= until):
        t, _, event = heapq.heappop(owner.pending)
        owner.now = t
        yield t, owner, event


def _timeline(w: _World) -> Iterator[tuple]:
    """All kept events of the term in event-time order: every course, office and registrar merged lazily."""
    runs = [_run(w, o, _office_agenda(o)) for o in w.offices]
    runs += [_run(w, c, _course_agenda(c)) for c in w.courses]
    if w.people:
        runs += [_run(w, r, registrar_agenda(r)) for r in w.registrars]
    return heapq.merge(*runs, key=itemgetter(0))
