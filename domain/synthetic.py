"""A realistic synthetic Canvas Live Events stream, for tests, benchmarks, `mastery generate` and the demo.

`generate(events, seed)` yields exactly `events` Canvas Live Event dicts (`{"metadata", "body"}`) in the
order a consumer would receive them; `to_jsonl` turns them into JSON Lines. The stream is one district term
(2025-08-15 .. 2025-12-20): a root account on shard 2107 with sub-accounts and courses, plus a small second
root account on shard 2108 that reuses the same local ids (tenancy is by root account). It exercises every
rule of docs/canvas-rollups.md: all calculation methods with valid, missing and invalid ints; criteria and
the default criterion; unlinks, relinks, deleted and archived outcomes; root, sub-account and course mastery
scales and calculation methods (outcome mode until the first scale, scale mode after); regrades, deleted
and null-score results, quiz question groups, Account-context results and old-shape (unattributable)
results. Around them: events the tool ignores, exact re-deliveries and late arrivals.

Pure and streaming: no I/O, no clock, one `random.Random` per concern, all seeded from `seed`. Each course
is a generator of its own events in time order; the courses are merged by event time, so memory stays
bounded whatever `events` is. Same (events, seed) -> identical output. The size of the world (courses,
students) follows `events`, so a shorter stream is not a prefix of a longer one.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import heapq
import itertools
import random
import time
import uuid
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Iterable, Iterator, NamedTuple

import orjson

from domain.events import REGISTRY

__all__ = ["generate", "to_jsonl", "KEPT_EVENT_NAMES", "IGNORED_EVENT_NAMES", "CALCULATION_METHODS"]

# The kept names come from the stored event classes, never from a second list.
KEPT_EVENT_NAMES = tuple(REGISTRY)
IGNORED_EVENT_NAMES = (
    "submission_created", "submission_updated", "grade_change", "rubric_assessed", "asset_accessed", "logged_in",
)
CALCULATION_METHODS = (
    "highest", "latest", "average", "decaying_average", "weighted_average", "standard_decaying_average", "n_mastery",
)
MAIN_SHARD, OTHER_SHARD = 2107, 2108
EVENTS_PER_COURSE = 1500      # whole stream (kept, ignored, duplicates) per course
SETUP_EVENTS = 22             # groups, outcomes, links and edits of one course
RESULTS_PER_OUTCOME = 30.2    # per aligned outcome of an assessment: ~28 students, 7% regraded or deleted
QUESTIONS_PER_OUTCOME = 2.5   # quiz questions aligned to one outcome
OWN_OUTCOMES = 5              # course-level outcomes per course, next to 3 account-level ones
MAX_DELAY = 3000              # positions a late event may slip


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


# ---------------------------------------------------------------------------------------------- the world

@dataclass(frozen=True)
class _Root:
    uuid: str
    shard: int
    name: str
    tz: str
    utc_offset: int                 # standard time; daylight saving time adds an hour until 2025-11-02
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
    body: dict                      # the latest full snapshot, as Canvas sends it
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
    students: tuple[int, ...]       # indexes in the root account's student pool
    uuids: tuple[str, ...]
    abilities: tuple[float, ...]
    subject: str
    assessments: int
    shared: list                    # account-level outcomes used here
    rng: random.Random
    own: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    links: dict = field(default_factory=dict)
    unlinked: set = field(default_factory=set)
    now: int = TERM_START
    pending: list = field(default_factory=list)
    seq: Iterator[int] = field(default_factory=itertools.count)

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


@dataclass
class _World:
    legacy_fraction: float
    offices: list
    courses: list


_MAIN_NAMES = ("oxana", "lakeview", "riverbend", "cedarvale", "northfield", "pinecrest")
_OTHER_NAMES = ("summit-charter", "harbor-prep", "mesa-academy")
_SUBJECTS = ("Algebra I", "Biology", "English 9", "World History", "Chemistry", "Geometry", "Spanish I",
             "Physics", "Civics", "Art Foundations", "Earth Science", "English 10")
_SKILLS = ("Analyze evidence", "Model with mathematics", "Construct explanations", "Cite textual evidence",
           "Communicate precisely", "Evaluate claims", "Plan investigations", "Interpret data",
           "Argue from evidence", "Use academic vocabulary", "Reason abstractly", "Revise writing")
_STANDARDS = ("Key Ideas and Details", "Craft and Structure", "Integration of Knowledge", "Text Types and Purposes",
              "Production of Writing", "Research to Build Knowledge", "Number and Quantity", "Algebraic Reasoning",
              "Functions", "Statistics and Probability", "Scientific Inquiry", "Engineering Design",
              "Matter and Interactions", "Earth's Systems")
# (method, int mode, has a rubric_criterion): every method, valid / missing / invalid ints, no criterion.
_ACCOUNT_SPECS = (
    ("highest", "invalid", True), ("latest", "none", True), ("average", "none", True),
    ("decaying_average", "valid", True), ("weighted_average", "valid", True),
    ("standard_decaying_average", "valid", True), ("n_mastery", "valid", True), ("highest", "none", False),
    ("decaying_average", "invalid", True), ("decaying_average", "none", True),
    ("standard_decaying_average", "none", False), ("n_mastery", "none", True), (None, "none", True),
    ("weighted_average", "invalid", True),
)
_OTHER_SPECS = (("highest", "invalid", True), ("decaying_average", "valid", True), ("n_mastery", "valid", False))


def _plan(events: int, seed: int, kept_share: float, legacy_fraction: float) -> _World:
    """Size the world so that the term holds a little more than `events` events."""
    rng = random.Random(seed)
    n = max(3, round(events / EVENTS_PER_COURSE))
    n_other = max(1, n // 12)
    main = _make_root(rng, seed, MAIN_SHARD, _MAIN_NAMES, ("America/Denver", -7), max(2, (n - n_other) // 15))
    other = _make_root(rng, seed, OTHER_SHARD, _OTHER_NAMES, ("America/Chicago", -6), 1)
    offices = [_make_office(seed, main, _ACCOUNT_SPECS), _make_office(seed, other, _OTHER_SPECS)]
    spare = 1.02 + 0.2 / n**0.5       # aim a little past `events`; few courses vary more
    assessments = _assessments_for(events * spare * kept_share / n - SETUP_EVENTS - 60 / n)
    courses = [_make_course(seed, offices[0], i, n - n_other, assessments) for i in range(n - n_other)]
    courses += [_make_course(seed, offices[1], i, n_other, assessments) for i in range(n_other)]
    return _World(legacy_fraction, offices, courses)


def _assessments_for(results: float) -> float:
    """How many assessments give about `results` results (see `_assessment`); courses round it at random."""
    k, total = 0, 0.0
    while k < 40:
        step = RESULTS_PER_OUTCOME * _aligned(k) * (QUESTIONS_PER_OUTCOME if _is_quiz(k) else 1)
        if total + step >= results:
            return max(2.0, k + (results - total) / step)
        total, k = total + step, k + 1
    return 40.0


def _make_root(rng: random.Random, seed: int, shard: int, names: tuple, zone: tuple, subs: int) -> _Root:
    return _Root(_uuid40(seed, "root", shard), shard, rng.choice(names), zone[0], zone[1],
                 tuple(range(70, 70 + subs)))


def _make_office(seed: int, root: _Root, specs: tuple) -> _Office:
    rng = random.Random(f"{seed}:{root.shard}:office")
    own = [_account_outcome(rng, root, k, spec) for k, spec in enumerate(specs)]
    return _Office(root, rng, own)


def _make_course(seed: int, office: _Office, idx: int, courses: int, assessments: float) -> _Course:
    root = office.root
    rng = random.Random(f"{seed}:{root.shard}:course:{idx}")
    pool = max(60, courses * 10)                      # each student takes about three courses
    seats = tuple(rng.sample(range(pool), min(pool, rng.randint(26, 34))))
    uuids = tuple(_uuid40(seed, root.shard, "user", s) for s in seats)
    abilities = tuple(0.3 + 0.6 * (_digest(u) % 1000) / 1000 for u in uuids)
    shared = rng.sample(office.own, 3)
    count = int(assessments) + (rng.random() < assessments % 1)
    return _Course(idx, root, rng.choice(root.sub_accounts), 100 + idx // 2, seats, uuids, abilities,
                   _SUBJECTS[idx % len(_SUBJECTS)], count, shared, rng)


# ------------------------------------------------------------------------------------ outcomes and scales

_INT_VALID = {"decaying_average": (65, 65, 75, 50, 80), "weighted_average": (65, 70, 80),
              "standard_decaying_average": (65, 70, 85, 50), "n_mastery": (2, 3, 3, 4, 5)}
_INT_INVALID = {"decaying_average": (0, 150), "weighted_average": (0, 100), "standard_decaying_average": (40, 100),
                "n_mastery": (0, 12)}
_RATING_WORDS = ("Exceeds Expectations", "Proficient", "Meets Expectations", "Nearing Expectations",
                 "Developing", "Does Not Meet Expectations")


def _method_fields(rng: random.Random, method: str | None, mode: str) -> dict:
    """calculation_method / calculation_int; 'invalid' gives ints Canvas would ignore (65 with highest)."""
    if method is None:
        return {}
    if mode == "invalid":
        return {"calculation_int": rng.choice(_INT_INVALID.get(method, (65,))), "calculation_method": method}
    if mode == "valid" and method in _INT_VALID:
        return {"calculation_int": rng.choice(_INT_VALID[method]), "calculation_method": method}
    return {"calculation_method": method}


def _criterion(rng: random.Random, title: str) -> dict:
    """3-6 ratings from the top points down to 0; a few criteria leave out points_possible/mastery_points."""
    n = rng.randint(3, 6)
    top = rng.choice([t for t in (3, 4, 5, 6, 10) if t >= n - 1])
    points = [top, *sorted(rng.sample(range(1, top), n - 2), reverse=True), 0]
    words = [_RATING_WORDS[0], *sorted(rng.sample(_RATING_WORDS[1:-1], n - 2), key=_RATING_WORDS.index),
             _RATING_WORDS[-1]]
    criterion = {"description": title, "mastery_points": points[rng.randint(1, n - 2)], "points_possible": top,
                 "ratings": [{"description": w, "points": p} for w, p in zip(words, points)]}
    if rng.random() < 0.08:
        del criterion["mastery_points"], criterion["points_possible"]
    return criterion


def _outcome_body(rng: random.Random, oid: int, context: tuple, title: str, vendor: str | None,
                  spec: tuple) -> dict:
    method, mode, with_criterion = spec
    body = _method_fields(rng, method, mode)
    body.update(context_id=str(context[1]), context_type=context[0], description=f"<p>{title}.</p>",
                display_name=title.split(":")[-1].strip(), learning_outcome_id=str(oid),
                short_description=title, title=title)
    if vendor:
        body["vendor_guid"] = vendor
    body["workflow_state"] = "active"
    if with_criterion:
        body["rubric_criterion"] = _criterion(rng, title)
    return body


def _account_outcome(rng: random.Random, root: _Root, k: int, spec: tuple) -> _Outcome:
    title, vendor = _STANDARDS[k], f"STD.{root.shard}.{k + 1}"
    return _Outcome(_outcome_body(rng, k + 1, ("Account", 1), title, vendor, spec), root.uuid)


def _course_outcome(c: _Course, k: int) -> _Outcome:
    rng = c.rng
    method = rng.choice(CALCULATION_METHODS) if rng.random() > 0.04 else None
    mode = rng.choices(("valid", "none", "invalid"), (80, 15, 5))[0]
    title = f"{c.subject}: {rng.choice(_SKILLS)}"
    spec = (method, mode, rng.random() > 0.1)
    return _Outcome(_outcome_body(rng, 2000 + 8 * c.idx + k, ("Course", c.local_id), title, None, spec), c.uuid)


def _scoring(body: dict) -> tuple[tuple, float, float]:
    """(rating points, points possible, mastery ratio) of an outcome; Canvas's default criterion without one."""
    criterion = body.get("rubric_criterion")
    if not criterion:
        return (5, 3, 0), 5, 0.6
    points = tuple(r["points"] for r in criterion["ratings"])
    possible = criterion.get("points_possible", points[0])
    return points, possible, criterion.get("mastery_points", points[len(points) // 2]) / possible


def _group_body(context: tuple, gid: int, parent: int | None, title: str, vendor: str | None = None) -> dict:
    body = {"context_id": str(context[1]), "context_type": context[0], "description": f"<p>{title}</p>",
            "learning_outcome_group_id": str(gid)}
    if parent is not None:
        body["parent_outcome_group_id"] = str(parent)
    body.update(title=title, workflow_state="active")
    if vendor:
        body["vendor_guid"] = vendor
    return body


def _link_body(context: tuple, link_id: int, group: dict, outcome: _Outcome) -> dict:
    return {"context_id": str(context[1]), "context_type": context[0],
            "learning_outcome_group_id": group["learning_outcome_group_id"],
            "learning_outcome_id": outcome.body["learning_outcome_id"],
            "learning_outcome_link_id": str(link_id), "workflow_state": "active"}


_ROOT_SCALE = (("Exceeds Mastery", 4.0, False, "02672D", "active"), ("Mastery", 3.0, True, "03893D", "active"),
               ("Near Mastery", 2.0, False, "FAB901", "active"), ("Below Mastery", 1.0, False, "FD5D10", "active"),
               ("Well Below Mastery", 0.0, False, "E62429", "active"))
_ROOT_SCALE_V2 = (("Exceeds Mastery", 5.0, False, "02672D", "active"), ("Mastery", 3.0, True, "0B874B", "active"),
                  *_ROOT_SCALE[2:])
_ROOT_SCALE_V3 = (*_ROOT_SCALE_V2[:3], ("Below Mastery", 1.0, False, "FD5D10", "deleted"), _ROOT_SCALE_V2[4])
_SUB_SCALE = (("Advanced", 3.0, False, "0374B5", "active"), ("Proficient", 2.0, True, "0B874B", "active"),
              ("Developing", 1.0, False, "FAB901", "active"), ("Beginning", 0.0, False, "E0061F", "active"))
_COURSE_SCALE = (("Exemplary", 4.0, False, "0374B5", "active"), ("Proficient", 3.0, True, "0B874B", "active"),
                 ("Developing", 2.0, False, "FAB901", "active"), ("Beginning", 1.0, False, "E0061F", "active"))
_COURSE_SCALE_V2 = (*_COURSE_SCALE[:1], ("Proficient", 3.0, True, "03893D", "active"), _COURSE_SCALE[2],
                    ("Beginning", 0.0, False, "E0061F", "active"))


def _scale_body(sid: int, context: tuple, ratings: tuple) -> dict:
    return {"outcome_proficiency_id": str(sid), "context_type": context[0], "context_id": str(context[1]),
            "workflow_state": "active",
            "outcome_proficiency_ratings": [
                {"outcome_proficiency_rating_id": str(sid * 10 + k + 1), "description": d, "points": p,
                 "mastery": m, "color": c, "workflow_state": s} for k, (d, p, m, c, s) in enumerate(ratings)]}


def _method_body(mid: int, context: tuple, method: str, value: int | None) -> dict:
    body = {"outcome_calculation_method_id": str(mid), "context_type": context[0], "context_id": str(context[1]),
            "workflow_state": "active", "calculation_method": method}
    if value is not None:
        body["calculation_int"] = value
    return body


def _copy(body: dict) -> dict:
    """A deep copy, so that what a consumer receives never shares state with the generator."""
    return orjson.loads(orjson.dumps(body))


# ----------------------------------------------------------------------------------------------- metadata

_BROWSERS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:142.0) Gecko/20100101 Firefox/142.0",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0 Safari/537.36",
)
_API_AGENTS = ("python-requests/2.32.3", "Faraday v2.9.0", "OutcomeSync/3.1 (+https://example.org)")
_ROUTES = {
    "learning_outcome_group_created": ("POST", "/api/v1/{ctx}/outcome_groups/{parent}/subgroups"),
    "learning_outcome_group_updated": ("PUT", "/api/v1/{ctx}/outcome_groups/{group}"),
    "learning_outcome_created": ("POST", "/api/v1/{ctx}/outcome_groups/{parent}/outcomes"),
    "learning_outcome_updated": ("PUT", "/api/v1/outcomes/{outcome}"),
    "learning_outcome_link_created": ("PUT", "/api/v1/{ctx}/outcome_groups/{group}/outcomes/{outcome}"),
    "learning_outcome_link_updated": ("DELETE", "/api/v1/{ctx}/outcome_groups/{group}/outcomes/{outcome}"),
    "learning_outcome_result_created": ("POST", "/api/v1/{ctx}/live_assessments/results"),
    "outcome_proficiency_created": ("POST", "/api/v1/{ctx}/outcome_proficiency"),
    "outcome_proficiency_updated": ("POST", "/api/v1/{ctx}/outcome_proficiency"),
    "outcome_calculation_method_created": ("POST", "/api/v1/{ctx}/outcome_calculation_method"),
    "outcome_calculation_method_updated": ("POST", "/api/v1/{ctx}/outcome_calculation_method"),
}
_COURSE_COPY = "Canvas::Migration::Worker::CourseCopyWorker#perform"
_RUBRIC_TAG = "RubricAssessment#update_outcomes_for_assessment"
_QUIZ_TAG = "Quizzes::SubmissionGrader#update_outcomes"


def _event(root: _Root, name: str, t: int, who: dict, body: dict) -> dict:
    metadata = {"root_account_uuid": root.uuid, "root_account_id": root.gid(1),
                "root_account_lti_guid": root.lti_guid, **who, "producer": "canvas",
                "event_name": name, "event_time": _event_time(t)}
    return {"metadata": metadata, "body": body}


def _job(rng: random.Random, tag: str) -> dict:
    return {"job_id": str(_between(rng, 10**15, 10**16 - 1)), "job_tag": tag}


def _login(root: _Root, user: int) -> str:
    kind = "admin" if user < 100 else "teacher" if user < 10_000 else "student"
    return f"{kind}{user}@{root.name}.example.org"


def _request(rng: random.Random, root: _Root, user: int, route: tuple, context: dict, *,
             referrer: str | None = None, real_user: int | None = None, api: bool = False) -> dict:
    """Metadata of a web or API request: the user, the request and where it was made."""
    who = {"user_id": root.gid(user), "user_login": _login(root, user), "user_sis_id": f"U{user:06d}",
           "user_account_id": root.gid(1), "time_zone": root.tz, **context,
           "request_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "hostname": root.host,
           "http_method": route[0], "url": f"https://{root.host}{route[1]}", "referrer": referrer,
           "client_ip": f"10.{_between(rng, 0, 255)}.{_between(rng, 0, 255)}.{_between(rng, 1, 254)}",
           "user_agent": rng.choice(_API_AGENTS if api else _BROWSERS)}
    if api:
        who["developer_key_id"] = str(17 * 10**13 + rng.choice((16, 42, 107)))
    else:
        who["session_id"] = f"{rng.getrandbits(128):032x}"
    if real_user is not None:
        who["real_user_id"] = root.gid(real_user)
    return who


def _acting(rng: random.Random, root: _Root, user: int, route: tuple, context: dict, page: str) -> dict:
    """A user in the browser, an admin masquerading as them, or an API script (a few leak access_token)."""
    r = rng.random()
    referrer = f"https://{root.host}{page}"
    if r < 0.08:
        return _request(rng, root, user, route, context, referrer=referrer, real_user=root.admins[0])
    if r < 0.20:
        secret = f"?access_token=7~{_token(rng, 64)}" if r < 0.11 else ""
        return _request(rng, root, user, (route[0], route[1] + secret), context, api=True)
    if r < 0.205:
        referrer += f"?access_token=7~{_token(rng, 64)}"
    return _request(rng, root, user, route, context, referrer=referrer)


def _route(name: str, body: dict, ctx: str) -> tuple:
    method, template = _ROUTES[name]
    return method, template.format(ctx=ctx, parent=body.get("parent_outcome_group_id", "root"),
                                   group=body.get("learning_outcome_group_id"),
                                   outcome=body.get("learning_outcome_id"))


def _course_context(c: _Course, role: str = "TeacherEnrollment") -> dict:
    root = c.root
    return {"context_type": "Course", "context_id": root.gid(c.local_id), "context_account_id": root.gid(c.account),
            "context_role": role, "context_sis_source_id": f"2025FA.{c.subject.replace(' ', '')}.{c.local_id}"}


def _who(owner: _Course | _Office, name: str, body: dict) -> dict:
    """Who made a change: a teacher in the course, or an administrator of the account in the body."""
    root, rng = owner.root, owner.rng
    if isinstance(owner, _Course):
        ctx = f"courses/{owner.local_id}"
        return _acting(rng, root, owner.teacher, _route(name, body, ctx), _course_context(owner), f"/{ctx}/outcomes")
    account = int(body["context_id"]) if body.get("context_type") == "Account" else 1
    context = {"context_type": "Account", "context_id": root.gid(account), "context_account_id": root.gid(account)}
    ctx = f"accounts/{account}"
    return _acting(rng, root, rng.choice(root.admins[1:]), _route(name, body, ctx), context, f"/{ctx}/outcomes")


# ------------------------------------------------------------------------------------------------ results

class _Assessment(NamedTuple):
    asset_type: str
    asset_id: int
    artifact_type: str
    tag: str | None                 # the background job that writes its results; None: a web request
    quiz: bool
    progress: float                 # 0 at the start of the term, 1 at its end
    context: tuple                  # result_context type, local id, uuid


def _grade(score: float | None, possible: float, ratio: float, rng: random.Random) -> dict:
    if score is None:
        fields = {"mastery": None, "possible": possible, "score": None}
    else:
        fields = {"mastery": score >= ratio * possible, "possible": possible, "score": score}
        if possible and rng.random() > 0.04:
            fields["percent"] = round(score / possible, 4)
    return fields


def _result_body(c: _Course, t: int, s: int, o: _Outcome, a: _Assessment, artifact: str, grade: dict) -> dict:
    rng = c.rng
    stamp = _body_time(t, c.root.offset(t) if rng.random() < 0.03 else 0)
    body = {"id": str(next(c.result_ids)), "assessed_at": stamp, "attempt": 1 + (rng.random() < 0.1),
            "created_at": stamp, "learning_outcome_id": o.body["learning_outcome_id"],
            "learning_outcome_context_uuid": o.context_uuid, "result_context_id": str(a.context[1]),
            "result_context_type": a.context[0], "result_context_uuid": a.context[2],
            "original_mastery": grade["mastery"], "original_possible": grade["possible"],
            "original_score": grade["score"], **grade, "user_uuid": c.uuids[s], "artifact_id": artifact,
            "artifact_type": a.artifact_type, "artifact_updated_at": _body_time(t - 60_000),
            "artifact_created_at": _body_time(t - _between(rng, 2, 90) * 60_000),
            "associated_asset_id": str(a.asset_id), "associated_asset_type": a.asset_type}
    if rng.random() < 0.002:
        del body["assessed_at"]     # Canvas allows a result without a time: it sorts first
    return body


def _legacy_body(c: _Course, t: int, s: int, o: _Outcome, grade: dict) -> dict:
    """The older documented shape: no id, no user_uuid, no result context, but a title."""
    stamp = _body_time(t)
    return {"assessed_at": stamp, "attempt": 1, "created_at": stamp,
            "learning_outcome_id": o.body["learning_outcome_id"], "mastery": grade["mastery"],
            "original_mastery": grade["mastery"], "original_possible": grade["possible"],
            "original_score": grade["score"], **{k: v for k, v in grade.items() if k != "mastery"},
            "title": f"{c.root.name} Student {c.students[s]}, {o.body['title']}"}


def _pick(c: _Course, s: int, choices: tuple, progress: float) -> float:
    """A score near the student's ability, which grows over the term."""
    target = max(choices) * min(1.0, max(0.0, c.abilities[s] + 0.2 * progress + c.rng.gauss(0, 0.2)))
    best = choices[0]
    for points in choices:
        if abs(points - target) < abs(best - target):
            best = points
    return best


def _questions(rng: random.Random) -> list:
    return [(1, 1, 2, 2, 3, 5)[_between(rng, 0, 5)] for _ in range(2 + (rng.random() < 0.5))]


def _student_results(w: _World, c: _Course, t: int, s: int, aligned: list, a: _Assessment) -> Iterator[tuple]:
    """One student's results for one assessment: a rubric row, or one result per quiz question."""
    rng, artifact = c.rng, str(next(c.artifact_ids))
    who = _job(rng, a.tag) if a.tag else None
    for o in aligned:
        points, possible, ratio = _scoring(o.body)
        for question in _questions(rng) if a.quiz else (None,):
            choices = (0, question / 2, question) if question else points
            score = None if rng.random() < 0.005 else _pick(c, s, choices, a.progress)
            grade = _grade(score, question or possible, ratio, rng)
            legacy = rng.random() < w.legacy_fraction
            body = _legacy_body(c, t, s, o, grade) if legacy else _result_body(c, t, s, o, a, artifact, grade)
            if not legacy:             # before the yield: the consumer may change what it receives
                _follow_up(c, t, body, a, choices, ratio)
            name = "learning_outcome_result_created"
            yield t, _event(c.root, name, t, who or _who(c, name, body), body)
            t += _between(rng, 1, 400)


def _follow_up(c: _Course, t: int, body: dict, a: _Assessment, choices: tuple, ratio: float) -> None:
    """Now and then a result is regraded or deleted later: scheduled on the course's own clock."""
    rng = c.rng
    r = rng.random()
    if r >= 0.07:
        return
    later = min(t + _between(rng, _HOUR, 14 * _DAY), TERM_END)
    if later <= t:
        return
    new = dict(body, updated_at=_body_time(later), artifact_updated_at=_body_time(later))
    if r < 0.01:
        new["workflow_state"] = "deleted"
    else:
        score = rng.choice([p for p in choices if p != body["score"]] or list(choices))
        new.pop("percent", None)
        new.update(_grade(score, body["possible"], ratio, rng), assessed_at=_body_time(later))
    who = _job(rng, a.tag or _RUBRIC_TAG)
    event = _event(c.root, "learning_outcome_result_updated", later, who, new)
    heapq.heappush(c.pending, (later, next(c.seq), event))


def _assessment(w: _World, c: _Course, t: int, k: int) -> Iterator[tuple]:
    """An assignment (rubric) or a quiz aligned to 1-3 of the course's outcomes, graded student by student."""
    rng = c.rng
    live = [o for o in c.outcomes if _usable(c, o)]
    aligned = rng.sample(live, min(len(live), _aligned(k)))
    quiz = _is_quiz(k)
    progress = (t - TERM_START) / (TERM_END - TERM_START)
    context = ("Course", c.local_id, c.uuid)
    a = (_Assessment("Quizzes::Quiz", 300 + 50 * c.idx + k, "Quizzes::QuizSubmission", _QUIZ_TAG, True, progress,
                     context) if quiz else
         _Assessment("Assignment", _assignment_id(c, k), "RubricAssessment", _RUBRIC_TAG, False, progress, context))
    t += rng.randint(0, _HOUR) if quiz else rng.randint(_HOUR // 6, 4 * _DAY)
    for s in rng.sample(range(len(c.students)), len(c.students)):
        if rng.random() < 0.06:
            continue                # did not submit
        yield from _student_results(w, c, t, s, aligned, a)
        t = c.now + _between(rng, 20_000, 20 * 60_000)


def _account_results(w: _World, c: _Course, t: int, _: object) -> Iterator[tuple]:
    """A live assessment whose results belong to the sub-account, not to any course."""
    root = c.root
    a = _Assessment("LiveAssessments::Assessment", 9000 + c.idx, "LiveAssessments::Submission", None, False,
                    (t - TERM_START) / (TERM_END - TERM_START), ("Account", c.account, root.account_uuid(c.account)))
    for s in c.rng.sample(range(len(c.students)), 5):
        yield from _student_results(w, c, t, s, c.shared[1:2], a)
        t = c.now + c.rng.randint(30_000, 300_000)


def _aligned(k: int) -> int:
    return (1, 2, 3, 2)[k % 4]


def _is_quiz(k: int) -> bool:
    return k % 4 == 1


def _usable(c: _Course, o: _Outcome) -> bool:
    return o.body["workflow_state"] != "deleted" and o.body["learning_outcome_id"] not in c.unlinked


def _assignment_id(c: _Course, k: int) -> int:
    return 4000 + 50 * c.idx + k


# ------------------------------------------------------------------------------------------- course steps

def _course_groups(c: _Course) -> list:
    base, context = 1000 + 8 * c.idx, ("Course", c.local_id)
    specs = [(base, None, c.subject), (base + 1, base, "Unit 1: Foundations"),
             (base + 2, base, "Unit 2: Investigations"), (base + 3, base, "Unit 3: Synthesis"),
             (base + 4, base + 1, "Lab and practice skills")]
    if c.idx % 7 == 0:
        specs.append((base + 5, base + 7, "Imported from blueprint"))     # its parent is never emitted
    return [_group_body(context, *spec) for spec in specs]


def _link(c: _Course, o: _Outcome, slot: int) -> dict:
    link = _link_body(("Course", c.local_id), 3000 + 16 * c.idx + slot, c.groups[1 + slot % 3], o)
    c.links[o.body["learning_outcome_id"]] = link
    return dict(link)


def _setup_bodies(c: _Course) -> Iterator[tuple[str, dict]]:
    c.groups = _course_groups(c)
    for group in c.groups:
        yield "learning_outcome_group_created", dict(group)
    for k in range(OWN_OUTCOMES):
        o = _course_outcome(c, k)
        c.own.append(o)
        yield "learning_outcome_created", _copy(o.body)
        yield "learning_outcome_link_created", _link(c, o, k)
    for k, o in enumerate(c.shared):
        if k < 2 or c.idx % 6 != 5:     # else assessed but never linked: as if we joined the stream late
            yield "learning_outcome_link_created", _link(c, o, OWN_OUTCOMES + k)


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


_CHANGES = {"title": _retitle, "criterion": _recriterion, "method": _remethod,
            "deleted": lambda rng, body: body.update(workflow_state="deleted"),
            "archived": lambda rng, body: body.update(workflow_state="archived")}


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


# ---------------------------------------------------------------------------------------------- agendas

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
    o.groups = [_group_body(context, 1, None, f"{o.root.name} outcomes"),
                _group_body(context, 2, 1, "English Language Arts", "ELA"),
                _group_body(context, 3, 1, "Mathematics", "MATH"), _group_body(context, 4, 1, "Science", "SCI")]
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


def _run(w: _World, owner: _Course | _Office, agenda: Iterable[tuple]) -> Iterator[tuple]:
    """One owner's events in time order, with the regrades it scheduled slotted in."""
    for start, step, arg in sorted(agenda, key=itemgetter(0)):
        start += _between(owner.rng, 0, _HOUR - 1)          # people do not work on the hour
        for t, event in step(w, owner, max(start, owner.now), arg):
            yield from _release(owner, t)
            owner.now = t
            yield t, owner, event
    yield from _release(owner, None)


def _release(owner: _Course | _Office, until: int | None) -> Iterator[tuple]:
    while owner.pending and (until is None or owner.pending[0][0] <= until):
        t, _, event = heapq.heappop(owner.pending)
        owner.now = t
        yield t, owner, event


def _timeline(w: _World) -> Iterator[tuple]:
    """All kept events of the term in event-time order: every course and office merged lazily."""
    runs = [_run(w, o, _office_agenda(o)) for o in w.offices]
    runs += [_run(w, c, _course_agenda(c)) for c in w.courses]
    return heapq.merge(*runs, key=itemgetter(0))


# ------------------------------------------------------------------------ events this tool does not keep

_NOISE_WEIGHTS = (25, 20, 15, 10, 20, 10)
_NOISE_ROUTES = {   # (made by the student?, HTTP method, path)
    "submission_created": (True, "POST", "/api/v1/courses/{c}/assignments/{a}/submissions"),
    "submission_updated": (False, "PUT", "/api/v1/courses/{c}/assignments/{a}/submissions/{u}"),
    "grade_change": (False, "PUT", "/api/v1/courses/{c}/assignments/{a}/submissions/{u}"),
    "rubric_assessed": (False, "POST", "/api/v1/courses/{c}/rubric_associations/{a}/rubric_assessments"),
    "asset_accessed": (True, "GET", "/courses/{c}/outcomes"),
    "logged_in": (True, "POST", "/login/canvas"),
}


def _submission_body(rng: random.Random, c: _Course, user: int, a: int, t: int, graded: bool = False) -> dict:
    stamp = _body_time(t)
    body = {"submission_id": str(a * 100_000 + user), "assignment_id": str(a), "user_id": str(user),
            "submitted_at": _body_time(t - graded * rng.randint(1, 72) * _HOUR), "updated_at": stamp,
            "submission_type": "online_text_entry", "attempt": 1, "late": rng.random() < 0.1, "missing": False,
            "workflow_state": "graded" if graded else "submitted"}
    if graded:
        score = float(rng.randint(4, 10))
        body.update(score=score, grade=str(score), graded_at=stamp, posted_at=stamp)
    return body


def _grade_change_body(rng: random.Random, c: _Course, user: int, a: int, t: int) -> dict:
    score = float(rng.randint(4, 10))
    return {"submission_id": str(a * 100_000 + user), "assignment_id": str(a),
            "assignment_name": f"{c.subject} task {a % 50 + 1}", "grade": str(score), "old_grade": None,
            "score": score, "old_score": None, "points_possible": 10.0, "old_points_possible": 10.0,
            "grader_id": str(c.teacher), "student_id": str(user), "student_sis_id": f"U{user:06d}",
            "user_id": str(user), "grading_complete": True, "muted": False}


def _rubric_assessed_body(rng: random.Random, c: _Course, user: int, a: int, t: int) -> dict:
    stamp = _body_time(t)
    return {"submission_id": str(a * 100_000 + user), "aligned_to_outcomes": True,
            "artifact_id": str(a * 100_000 + user), "artifact_type": "Submission", "assessment_type": "grading",
            "associated_asset_id": str(a), "associated_asset_type": "Assignment", "attempt": 1,
            "created_at": stamp, "updated_at": stamp}


def _asset_body(rng: random.Random, c: _Course, user: int, a: int, t: int) -> dict:
    page = rng.choice(("outcomes", "grades", "assignments", "modules"))
    return {"asset_id": str(c.local_id), "asset_name": c.subject, "asset_type": "course", "asset_subtype": page,
            "category": page, "role": "StudentEnrollment", "level": "participate",
            "enrollment_id": str(c.local_id * 100_000 + user), "section_id": str(c.local_id)}


_NOISE_BODIES = {
    "submission_created": _submission_body,
    "submission_updated": lambda rng, c, user, a, t: _submission_body(rng, c, user, a, t, graded=True),
    "grade_change": _grade_change_body, "rubric_assessed": _rubric_assessed_body, "asset_accessed": _asset_body,
    "logged_in": lambda rng, c, user, a, t: {"redirect_url": f"https://{c.root.host}/courses/{c.local_id}"},
}


def _noise(rng: random.Random, owner: _Course | _Office, t: int) -> dict:
    """A well-formed Canvas event of a kind the tool ignores, about the same course as its neighbour."""
    if isinstance(owner, _Office):
        return _admin_noise(rng, owner.root, t)
    name = rng.choices(IGNORED_EVENT_NAMES, _NOISE_WEIGHTS)[0]
    user, a = 10_000 + rng.choice(owner.students), _assignment_id(owner, rng.randrange(owner.assessments))
    by_student, method, path = _NOISE_ROUTES[name]
    role = "StudentEnrollment" if by_student else "TeacherEnrollment"
    context = {} if name == "logged_in" else _course_context(owner, role)
    who = _request(rng, owner.root, user if by_student else owner.teacher,
                   (method, path.format(c=owner.local_id, a=a, u=user)), context,
                   referrer=f"https://{owner.root.host}/courses/{owner.local_id}")
    return _event(owner.root, name, t, who, _NOISE_BODIES[name](rng, owner, user, a, t))


def _admin_noise(rng: random.Random, root: _Root, t: int) -> dict:
    admin = rng.choice(root.admins)
    if rng.random() < 0.5:
        who = _request(rng, root, admin, ("POST", "/login/canvas"), {})
        return _event(root, "logged_in", t, who, {"redirect_url": f"https://{root.host}/accounts/1"})
    context = {"context_type": "Account", "context_id": root.gid(1), "context_account_id": root.gid(1)}
    who = _request(rng, root, admin, ("GET", "/accounts/1/outcomes"), context)
    body = {"asset_id": "1", "asset_name": root.name, "asset_type": "account", "asset_subtype": "outcomes",
            "category": "outcomes", "role": "AccountAdmin", "level": "participate"}
    return _event(root, "asset_accessed", t, who, body)


# -------------------------------------------------------------------------------------------- delivery

def _with_noise(timeline: Iterator[tuple], fraction: float, rng: random.Random) -> Iterator[tuple]:
    """Interleave events the tool ignores so that they make up `fraction` of the stream."""
    ratio, credit, last = fraction / (1 - fraction), 0.0, TERM_START
    for t, owner, event in timeline:
        credit += 2 * ratio * rng.random()
        while credit >= 1:
            credit -= 1
            last = max(last, t - _between(rng, 0, 120_000))
            yield last, owner, _noise(rng, owner, last)
        last = t
        yield t, owner, event


def _padded(stream: Iterator[tuple], w: _World, rng: random.Random) -> Iterator[dict]:
    """The events, then (should the term run short) administrators logging in after it, without end."""
    t = TERM_END
    for t, _, event in stream:
        yield event
    while True:
        t += rng.randint(1000, 60_000)
        yield _admin_noise(rng, w.offices[0].root, t)


def _with_duplicates(events: Iterator[dict], fraction: float, rng: random.Random) -> Iterator[dict]:
    """Re-deliver `fraction` of the stream: exact copies, 1..500 positions after the original (at least once)."""
    ratio, credit, again, position = fraction / (1 - fraction), 0.0, [], 0
    for seq, event in enumerate(events):
        credit += 2 * ratio * rng.random()
        while credit >= 1:      # copied now: the consumer may change what it receives
            credit -= 1
            heapq.heappush(again, (position + _between(rng, 1, 500), seq, orjson.dumps(event)))
        yield event
        position += 1
        while again and again[0][0] <= position:
            yield orjson.loads(heapq.heappop(again)[2])
            position += 1


def _with_late(events: Iterator[dict], fraction: float, rng: random.Random) -> Iterator[dict]:
    """Hold back `fraction` of the events; each arrives 1..MAX_DELAY events later (log-uniform)."""
    held: list = []
    for seq, event in enumerate(events):
        if rng.random() < fraction:
            heapq.heappush(held, (seq + int(MAX_DELAY ** rng.random()), seq, event))
        else:
            yield event
        while held and held[0][0] <= seq:
            yield heapq.heappop(held)[2]
    while held:
        yield heapq.heappop(held)[2]


def _check(events: int, fractions: dict) -> None:
    if isinstance(events, bool) or not isinstance(events, int) or events < 0:
        raise ValueError(f"events must be a non-negative integer, not {events!r}")
    limits = {"ignored_fraction": 0.95, "duplicate_fraction": 0.5, "late_fraction": 1.0, "legacy_fraction": 1.0}
    for name, value in fractions.items():
        if not 0 <= value <= limits[name]:
            raise ValueError(f"{name} must be between 0 and {limits[name]}, not {value!r}")


def generate(events: int = 10_000, seed: int = 0, *, ignored_fraction: float = 0.15,
             duplicate_fraction: float = 0.02, late_fraction: float = 0.05,
             legacy_fraction: float = 0.01) -> Iterator[dict]:
    """Exactly `events` Canvas Live Event dicts of one synthetic district term, in arrival order."""
    _check(events, {"ignored_fraction": ignored_fraction, "duplicate_fraction": duplicate_fraction,
                    "late_fraction": late_fraction, "legacy_fraction": legacy_fraction})
    world = _plan(events, seed, (1 - ignored_fraction) * (1 - duplicate_fraction), legacy_fraction)
    noise = random.Random(f"{seed}:noise")
    stream = _padded(_with_noise(_timeline(world), ignored_fraction, noise), world, noise)
    stream = _with_duplicates(stream, duplicate_fraction, random.Random(f"{seed}:duplicates"))
    return _with_late(itertools.islice(stream, events), late_fraction, random.Random(f"{seed}:late"))


def to_jsonl(events: Iterable[dict]) -> Iterator[bytes]:
    """Each event as one line of JSON (orjson), newline-terminated."""
    for event in events:
        yield orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE)
