"""What every part of the synthetic stream shares: the event names, the sizes that shape the world,
the term's clock (UTC milliseconds and the two Canvas time formats), fast seeded draws and Canvas-style ids."""

from __future__ import annotations

import calendar
import functools
import hashlib
import random
import time
from typing import NamedTuple

from domain.events import REGISTRY
from domain.rollup import METHODS

# The kept names come from the stored event classes, never from a second list.
KEPT_EVENT_NAMES = tuple(REGISTRY)
IGNORED_EVENT_NAMES = (
    "submission_created",
    "submission_updated",
    "grade_change",
    "rubric_assessed",
    "asset_accessed",
    "logged_in",
)
# The people and places (synthetic/people.py): kept once domain has their event classes.
PEOPLE_EVENT_NAMES = tuple(
    f"{kind}_{change}"
    for kind in ("user", "course", "course_section", "enrollment", "enrollment_state")
    for change in ("created", "updated")
)
CALCULATION_METHODS = tuple(METHODS)
MAIN_SHARD, OTHER_SHARD = 2107, 2108
EVENTS_PER_COURSE = 1500  # whole stream (kept, ignored, duplicates) per course
SETUP_EVENTS = 22  # groups, outcomes, links and edits of one course
PEOPLE_PER_COURSE = 82  # its course, sections, ~33 enrollments and their states, leavers, ~10 users
RESULTS_PER_OUTCOME = 30.2  # per aligned outcome of an assessment: ~28 students, 7% regraded or deleted
QUESTIONS_PER_OUTCOME = 2.5  # quiz questions aligned to one outcome
OWN_OUTCOMES = 5  # course-level outcomes per course, next to 3 account-level ones
MAX_DELAY = 3000  # positions a late event may slip


class Shape(NamedTuple):
    """How wide each course is: its size in events, its outcomes, how many outcomes an assessment aligns
    to, and where its outcome and link ids start (base + stride * course index + slot: no two courses meet)."""

    name: str
    events_per_course: int  # whole stream (kept, ignored, duplicates) per course
    events_per_student: int  # kept events a student brings in a full term (sizes classes of short streams)
    setup_events: int  # groups, outcomes, links and edits of one course
    own_outcomes: tuple[int, int]  # course-level outcomes per course (low, high), next to 3 account-level ones
    aligned: tuple[int, int, int, int]  # outcomes aligned to assessment k, by k % 4 (k % 4 == 1: a quiz)
    outcome_ids: tuple[int, int]  # (base, stride) of course-level outcome ids
    link_ids: tuple[int, int]  # (base, stride) of course link ids


# `default`: 8 outcomes a course, ~37 results per student and course (~4.7 per student and outcome).
# `wide`: 40-80 outcomes a course, assessments aligned to 3-8 of them, ~90 results per student and
# course spread thin (~2.2 per student and outcome): about twice the mastery units per event.
SHAPES = {
    "default": Shape("default", EVENTS_PER_COURSE, 20, SETUP_EVENTS, (5, 5), (1, 2, 3, 2), (2000, 8), (3000, 16)),
    "wide": Shape("wide", 3200, 100, 125, (37, 77), (4, 3, 8, 6), (100_000, 100), (200_000, 100)),
}


def _at(month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """Milliseconds since the epoch of a UTC moment in 2025."""
    return calendar.timegm((2025, month, day, hour, minute, 0)) * 1000


TERM_START, TERM_END = _at(8, 15), _at(12, 20, 23, 59)
_DST_END = _at(11, 2, 8)
_HOUR, _DAY = 3_600_000, 86_400_000


@functools.lru_cache(maxsize=1024)
def _date(days: int) -> str:
    return time.strftime("%Y-%m-%dT", time.gmtime(days * 86_400))


def _clock(seconds: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS` of seconds since the epoch (the hot path: dates are cached)."""
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    return f"{_date(days)}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _event_time(ms: int) -> str:
    return f"{_clock(ms // 1000)}.{ms % 1000:03d}Z"


def _body_time(ms: int, offset_hours: int = 0) -> str:
    """Canvas body times: whole seconds, with 'Z' or a local offset such as -06:00."""
    stamp = _clock(ms // 1000 + offset_hours * 3600)
    return stamp + (f"{offset_hours:+03d}:00" if offset_hours else "Z")


def _between(rng: random.Random, low: int, high: int) -> int:
    """rng.randint(low, high), several times faster (for the per-event hot paths)."""
    return low + int(rng.random() * (high - low + 1))


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _digest(*parts: object) -> int:
    text = ":".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=32).digest(), "big")


def _uuid40(*parts: object) -> str:
    """A Canvas-style 40-character uuid, derived from its parts."""
    n, chars = _digest(*parts), []
    for _ in range(40):
        n, r = divmod(n, 62)
        chars.append(_B62[r])
    return "".join(chars)


def _token(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(_B62, k=length))
