"""The synthetic world's shape: root accounts, their administrators (offices) and registrars (the SIS and
the people who enroll), courses with their rosters, and outcomes. Mutable on purpose: each course, office
and registrar keeps its own clock, random source and pending events."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from synthetic.basics import _DST_END, OWN_OUTCOMES, SHAPES, TERM_START, Shape, _uuid40


@dataclass(frozen=True)
class _Root:
    uuid: str
    shard: int
    name: str
    tz: str
    utc_offset: int  # standard time; daylight saving time adds an hour until 2025-11-02
    sub_accounts: tuple[int, ...]
    admins: tuple[int, ...] = (1, 2, 3)

    @property
    def host(self) -> str:
        return f"{self.name}.instructure.com"

    @property
    def lti_guid(self) -> str:
        return f"{self.uuid}.{self.host}"

    def gid(self, local: int | str) -> str:
        """The Canvas global id of a local id on this root account's shard."""
        return str(self.shard * 10**13 + int(local))

    def offset(self, ms: int) -> int:
        return self.utc_offset + (ms < _DST_END)

    def account_uuid(self, account: int) -> str:
        return self.uuid if account == 1 else _uuid40(self.uuid, "account", account)


@dataclass(eq=False)
class _Outcome:
    body: dict  # the latest full snapshot, as Canvas sends it
    context_uuid: str


@dataclass(eq=False)
class _Office:
    """A root account's administrators: account outcomes, groups, scales and methods."""

    root: _Root
    rng: random.Random
    own: list
    groups: list = field(default_factory=list)
    now: int = TERM_START
    pending: list = field(default_factory=list)


@dataclass(eq=False)
class _Course:
    idx: int
    root: _Root
    account: int
    teacher: int
    students: tuple[int, ...]  # indexes in the root account's student pool
    uuids: tuple[str, ...]  # the students', then the test student's (index len(students)) if it has one
    abilities: tuple[float, ...]  # likewise
    subject: str
    assessments: int
    shared: list  # account-level outcomes used here
    rng: random.Random
    own: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    links: dict = field(default_factory=dict)
    unlinked: set = field(default_factory=set)
    now: int = TERM_START
    pending: list = field(default_factory=list)
    seq: Iterator[int] = field(default_factory=itertools.count)
    shape: Shape = SHAPES["default"]
    own_outcomes: int = OWN_OUTCOMES

    # The roster (synthetic/people.py): each student's section (0 or 1), who leaves mid-term and how
    # ({student: (time, workflow_state)}), who moves to the other section ((student, time)), a test student,
    # and `late`: the course was set up before the district subscribed, so no enrollment event is seen.
    sections: tuple[int, ...] = ()
    leaves: dict = field(default_factory=dict)
    switch: tuple | None = None
    test_at: int = 0  # when the teacher first opens Student View (0: never), making the test student
    tested: bool = False  # whether the test student has taken a quiz
    late: bool = False

    def __post_init__(self) -> None:
        self.result_ids = itertools.count(100_000 * (self.idx + 1) + 1)
        self.artifact_ids = itertools.count(100_000 * (self.idx + 1) + 1)

    @property
    def local_id(self) -> int:
        return 500 + self.idx

    @property
    def uuid(self) -> str:
        return _uuid40(self.root.uuid, "course", self.local_id)

    @property
    def outcomes(self) -> list:
        return self.own + self.shared

    def gone(self, s: int, t: int) -> bool:
        """Whether student `s` has left the course (dropped, concluded or made inactive) by time `t`."""
        leave = self.leaves.get(s)
        return leave is not None and leave[0] <= t


@dataclass(eq=False)
class _Registrar:
    """A root account's SIS and the people who enroll: users, courses, sections and enrollments."""

    root: _Root
    rng: random.Random
    seed: int
    courses: list
    bodies: dict = field(default_factory=dict)  # (kind, key) -> the latest body sent
    now: int = 0  # its import runs before the term
    pending: list = field(default_factory=list)


@dataclass
class _World:
    legacy_fraction: float
    offices: list
    courses: list
    registrars: list = field(default_factory=list)
    people: bool = True  # emit the users, courses, sections and enrollments
