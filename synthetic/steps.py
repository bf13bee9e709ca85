"""The steps of an agenda that change the catalog: a course's set-up, outcome and group edits,
unlinks and relinks, mastery scales and calculation methods created, changed or deleted."""

from __future__ import annotations

import random
from collections.abc import Iterator

from synthetic.actors import _COURSE_COPY, _event, _job, _who
from synthetic.basics import CALCULATION_METHODS, _body_time
from synthetic.catalog import _copy, _course_outcome, _criterion, _group_body, _link_body, _method_fields
from synthetic.world import _Course, _Office, _Outcome, _World


def _course_groups(c: _Course) -> list:
    base, context = 1000 + 8 * c.idx, ("Course", c.local_id)
    specs = [
        (base, None, c.subject),
        (base + 1, base, "Unit 1: Foundations"),
        (base + 2, base, "Unit 2: Investigations"),
        (base + 3, base, "Unit 3: Synthesis"),
        (base + 4, base + 1, "Lab and practice skills"),
    ]
    if c.idx % 7 == 0:
        specs.append((base + 5, base + 7, "Imported from blueprint"))  # its parent is never emitted
    return [_group_body(context, *spec) for spec in specs]


def _link(c: _Course, o: _Outcome, slot: int) -> dict:
    base, stride = c.shape.link_ids
    link = _link_body(("Course", c.local_id), base + stride * c.idx + slot, c.groups[1 + slot % 3], o)
    c.links[o.body["learning_outcome_id"]] = link
    return dict(link)


def _setup_bodies(c: _Course) -> Iterator[tuple[str, dict]]:
    c.groups = _course_groups(c)
    for group in c.groups:
        yield "learning_outcome_group_created", dict(group)
    for k in range(c.own_outcomes):
        o = _course_outcome(c, k)
        c.own.append(o)
        yield "learning_outcome_created", _copy(o.body)
        yield "learning_outcome_link_created", _link(c, o, k)
    for k, o in enumerate(c.shared):
        if k < 2 or c.idx % 6 != 5:  # else assessed but never linked: as if we joined the stream late
            yield "learning_outcome_link_created", _link(c, o, c.own_outcomes + k)


def _course_setup(w: _World, c: _Course, t: int, _: object) -> Iterator[tuple]:
    """The course's groups, outcomes and links: by a course copy, an outcome import or the teacher."""
    r = c.rng.random()
    job = _job(c.rng, _COURSE_COPY if r < 0.3 else "OutcomeImport#run") if r < 0.4 else None
    for name, body in _setup_bodies(c):
        yield t, _event(c.root, name, t, job or _who(c, name, body), body)
        t += c.rng.randint(500, 120_000)


def _retitle(rng: random.Random, body: dict) -> None:
    body["title"] = body["short_description"] = body["title"] + " (revised)"


def _recriterion(rng: random.Random, body: dict) -> None:
    body["rubric_criterion"] = _criterion(rng, body["title"])


def _remethod(rng: random.Random, body: dict) -> None:
    body.pop("calculation_int", None)
    body.update(_method_fields(rng, rng.choice(CALCULATION_METHODS), "valid"))


_CHANGES = {
    "title": _retitle,
    "criterion": _recriterion,
    "method": _remethod,
    "deleted": lambda rng, body: body.update(workflow_state="deleted"),
    "archived": lambda rng, body: body.update(workflow_state="archived"),
}


def _edit_outcome(w: _World, owner: _Course | _Office, t: int, what: tuple) -> Iterator[tuple]:
    """learning_outcome_updated: the full snapshot again, with one change."""
    change, k = what
    o = owner.own[k]
    body = dict(o.body)
    _CHANGES[change](owner.rng, body)
    body["updated_at"] = _body_time(t, owner.root.offset(t) if owner.rng.random() < 0.1 else 0)
    o.body = body
    name = "learning_outcome_updated"
    yield t, _event(owner.root, name, t, _who(owner, name, body), _copy(body))


def _edit_group(w: _World, owner: _Course | _Office, t: int, k: int) -> Iterator[tuple]:
    group = dict(owner.groups[k], title=owner.groups[k]["title"] + " (revised)", updated_at=_body_time(t))
    owner.groups[k] = group
    name = "learning_outcome_group_updated"
    yield t, _event(owner.root, name, t, _who(owner, name, group), dict(group))


def _set_link(w: _World, c: _Course, t: int, state: str) -> Iterator[tuple]:
    """Unlink an account outcome from the course (workflow_state deleted), or restore the link."""
    oid = c.shared[0].body["learning_outcome_id"]
    link = dict(c.links[oid], workflow_state=state, updated_at=_body_time(t))
    c.links[oid] = link
    if state == "deleted":
        c.unlinked.add(oid)
    else:
        c.unlinked.discard(oid)
    name = "learning_outcome_link_updated"
    yield t, _event(c.root, name, t, _who(c, name, link), dict(link))


def _relink(w: _World, c: _Course, t: int, _: object) -> Iterator[tuple]:
    """Align the unlinked outcome again: Canvas makes a new link."""
    o = c.shared[0]
    c.unlinked.discard(o.body["learning_outcome_id"])
    body, name = _link(c, o, 12), "learning_outcome_link_created"
    yield t, _event(c.root, name, t, _who(c, name, body), body)


def _setting(w: _World, owner: _Course | _Office, t: int, spec: tuple) -> Iterator[tuple]:
    """A mastery scale or calculation method created, changed or deleted; updated_at has an offset."""
    kind, op, body = spec
    name = f"{kind}_{'created' if op == 'created' else 'updated'}"
    body = dict(body, workflow_state="deleted" if op == "deleted" else "active")
    if op != "created":
        body["updated_at"] = _body_time(t - owner.rng.randint(0, 5000), owner.root.offset(t))
    yield t, _event(owner.root, name, t, _who(owner, name, body), body)
