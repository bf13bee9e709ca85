"""Who made each event: the metadata of a web request, an API script, a masquerading admin or a job."""

from __future__ import annotations

import random
import uuid

from synthetic.basics import _between, _event_time, _token
from synthetic.names import sis_id
from synthetic.world import _Course, _Office, _Root

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
    metadata = {
        "root_account_uuid": root.uuid,
        "root_account_id": root.gid(1),
        "root_account_lti_guid": root.lti_guid,
        **who,
        "producer": "canvas",
        "event_name": name,
        "event_time": _event_time(t),
    }
    return {"metadata": metadata, "body": body}


def _job(rng: random.Random, tag: str) -> dict:
    return {"job_id": str(_between(rng, 10**15, 10**16 - 1)), "job_tag": tag}


def _login(root: _Root, user: int) -> str:
    kind = "admin" if user < 100 else "teacher" if user < 10_000 else "student"
    return f"{kind}{user}@{root.name}.example.org"


def _request(
    rng: random.Random,
    root: _Root,
    user: int,
    route: tuple,
    context: dict,
    *,
    referrer: str | None = None,
    real_user: int | None = None,
    api: bool = False,
) -> dict:
    """Metadata of a web or API request: the user, the request and where it was made."""
    who = {
        "user_id": root.gid(user),
        "user_login": _login(root, user),
        "user_sis_id": sis_id(user),
        "user_account_id": root.gid(1),
        "time_zone": root.tz,
        **context,
        "request_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "hostname": root.host,
        "http_method": route[0],
        "url": f"https://{root.host}{route[1]}",
        "referrer": referrer,
        "client_ip": f"10.{_between(rng, 0, 255)}.{_between(rng, 0, 255)}.{_between(rng, 1, 254)}",
        "user_agent": rng.choice(_API_AGENTS if api else _BROWSERS),
    }
    if api:
        who["developer_key_id"] = str(17 * 10**13 + rng.choice((16, 42, 107)))
    else:
        who["session_id"] = f"{rng.getrandbits(128):032x}"
    if who["user_sis_id"] is None:
        del who["user_sis_id"]
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
    return method, template.format(
        ctx=ctx,
        parent=body.get("parent_outcome_group_id", "root"),
        group=body.get("learning_outcome_group_id"),
        outcome=body.get("learning_outcome_id"),
    )


def _course_context(c: _Course, role: str = "TeacherEnrollment") -> dict:
    root = c.root
    return {
        "context_type": "Course",
        "context_id": root.gid(c.local_id),
        "context_account_id": root.gid(c.account),
        "context_role": role,
        "context_sis_source_id": _course_sis_id(c),
    }


def _course_sis_id(c: _Course) -> str:
    return f"2025FA.{c.subject.replace(' ', '')}.{c.local_id}"


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
