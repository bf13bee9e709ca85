"""The world sized to the stream asked for: how many courses, students and assessments give about
`events` events."""

from __future__ import annotations

import random

from synthetic.basics import (
    MAIN_SHARD,
    OTHER_SHARD,
    PEOPLE_PER_COURSE,
    QUESTIONS_PER_OUTCOME,
    RESULTS_PER_OUTCOME,
    Shape,
    _digest,
    _uuid40,
)
from synthetic.catalog import _account_outcome
from synthetic.people import roster
from synthetic.results import _aligned, _is_quiz
from synthetic.world import _Course, _Office, _Registrar, _Root, _World

_MAIN_NAMES = ("oxana", "lakeview", "riverbend", "cedarvale", "northfield", "pinecrest")
_OTHER_NAMES = ("summit-charter", "harbor-prep", "mesa-academy")
_SUBJECTS = (
    "Algebra I",
    "Biology",
    "English 9",
    "World History",
    "Chemistry",
    "Geometry",
    "Spanish I",
    "Physics",
    "Civics",
    "Art Foundations",
    "Earth Science",
    "English 10",
)


# (method, int mode, has a rubric_criterion): every method, valid / missing / invalid ints, no criterion.
_ACCOUNT_SPECS = (
    ("highest", "invalid", True),
    ("latest", "none", True),
    ("average", "none", True),
    ("decaying_average", "valid", True),
    ("weighted_average", "valid", True),
    ("standard_decaying_average", "valid", True),
    ("n_mastery", "valid", True),
    ("highest", "none", False),
    ("decaying_average", "invalid", True),
    ("decaying_average", "none", True),
    ("standard_decaying_average", "none", False),
    ("n_mastery", "none", True),
    (None, "none", True),
    ("weighted_average", "invalid", True),
)
_OTHER_SPECS = (("highest", "invalid", True), ("decaying_average", "valid", True), ("n_mastery", "valid", False))


def _plan(
    events: int, seed: int, kept_share: float, legacy_fraction: float, people_share: float, shape: Shape
) -> _World:
    """Size the world so that the term holds a little more than `events` events, of which the people and
    places (not followed by ignored events) take `people_share` of theirs, with or without `people`;
    each course as wide as `shape` says."""
    rng = random.Random(seed)
    n = max(3, round(events / shape.events_per_course))
    n_other = max(1, n // 12)
    main = _make_root(rng, seed, MAIN_SHARD, _MAIN_NAMES, ("America/Denver", -7), max(2, (n - n_other) // 15))
    other = _make_root(rng, seed, OTHER_SHARD, _OTHER_NAMES, ("America/Chicago", -6), 1)
    offices = [_make_office(seed, main, _ACCOUNT_SPECS), _make_office(seed, other, _OTHER_SPECS)]
    spare = 1.02 + 0.2 / n**0.5  # aim a little past `events`; few courses vary more
    per_course = events * spare * kept_share / n - shape.setup_events
    # A stream too short for full classes (a few hundred events) gets small ones: each student brings
    # about 20 events in a full term (its user, enrollment and state, results and the noise around them),
    # more in a wide course.
    most = max(5, int(per_course / shape.events_per_student))
    share = min(30, most) / 30  # of a full class (about 30 students)
    results = (per_course - PEOPLE_PER_COURSE * share * people_share - 60 / n) / share
    size = (most, _assessments_for(results, shape), shape)
    courses = [_make_course(seed, offices[0], i, n - n_other, size) for i in range(n - n_other)]
    courses += [_make_course(seed, offices[1], i, n_other, size) for i in range(n_other)]
    for c in courses:  # one course of the main district was set up before it subscribed (enough courses)
        roster(seed, c, late=c.root is main and c.idx == 3 and n - n_other >= 6)
    registrars = [
        _Registrar(
            o.root, random.Random(f"{seed}:{o.root.shard}:registrar"), seed, [c for c in courses if c.root is o.root]
        )
        for o in offices
    ]
    return _World(legacy_fraction, offices, courses, registrars)


def _assessments_for(results: float, shape: Shape) -> float:
    """How many assessments give about `results` results (see `_assessment`); courses round it at random."""
    k, total = 0, 0.0
    while k < 40:
        step = RESULTS_PER_OUTCOME * _aligned(k, shape) * (QUESTIONS_PER_OUTCOME if _is_quiz(k) else 1)
        if total + step >= results:
            return max(2.0, k + (results - total) / step)
        total, k = total + step, k + 1
    return 40.0


def _make_root(rng: random.Random, seed: int, shard: int, names: tuple, zone: tuple, subs: int) -> _Root:
    return _Root(_uuid40(seed, "root", shard), shard, rng.choice(names), zone[0], zone[1], tuple(range(70, 70 + subs)))


def _make_office(seed: int, root: _Root, specs: tuple) -> _Office:
    rng = random.Random(f"{seed}:{root.shard}:office")
    own = [_account_outcome(rng, root, k, spec) for k, spec in enumerate(specs)]
    return _Office(root, rng, own)


def _make_course(seed: int, office: _Office, idx: int, courses: int, size: tuple) -> _Course:
    root = office.root
    rng = random.Random(f"{seed}:{root.shard}:course:{idx}")
    pool = max(60, courses * 10)  # each student takes about three courses
    most, assessments, shape = size
    seats = tuple(rng.sample(range(pool), min(pool, most, rng.randint(26, 34))))
    uuids = tuple(_uuid40(seed, root.shard, "user", s) for s in seats)
    abilities = tuple(0.3 + 0.6 * (_digest(u) % 1000) / 1000 for u in uuids)
    shared = rng.sample(office.own, 3)
    count = int(assessments) + (rng.random() < assessments % 1)
    account = rng.choice(root.sub_accounts)
    low, high = shape.own_outcomes
    own = rng.randint(low, high) if low < high else low  # drawn only when it varies: the default stays as it was
    return _Course(
        idx,
        root,
        account,
        100 + idx // 2,
        seats,
        uuids,
        abilities,
        _SUBJECTS[idx % len(_SUBJECTS)],
        count,
        shared,
        rng,
        shape=shape,
        own_outcomes=own,
    )
