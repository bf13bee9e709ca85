"""Well-formed Canvas events of kinds this tool does not keep: submissions, grade changes, rubric
assessments, page views and log-ins, about the same course as their neighbours."""

from __future__ import annotations

import random

from synthetic.actors import _course_context, _event, _request
from synthetic.basics import _HOUR, IGNORED_EVENT_NAMES, _body_time
from synthetic.names import sis_id
from synthetic.results import _assignment_id
from synthetic.world import _Course, _Office, _Root

_NOISE_WEIGHTS = (25, 20, 15, 10, 20, 10)
_NOISE_ROUTES = {  # (made by the student?, HTTP method, path)
    "submission_created": (True, "POST", "/api/v1/courses/{c}/assignments/{a}/submissions"),
    "submission_updated": (False, "PUT", "/api/v1/courses/{c}/assignments/{a}/submissions/{u}"),
    "grade_change": (False, "PUT", "/api/v1/courses/{c}/assignments/{a}/submissions/{u}"),
    "rubric_assessed": (False, "POST", "/api/v1/courses/{c}/rubric_associations/{a}/rubric_assessments"),
    "asset_accessed": (True, "GET", "/courses/{c}/outcomes"),
    "logged_in": (True, "POST", "/login/canvas"),
}


def _submission_body(rng: random.Random, c: _Course, user: int, a: int, t: int, graded: bool = False) -> dict:
    stamp = _body_time(t)
    body = {
        "submission_id": str(a * 100_000 + user),
        "assignment_id": str(a),
        "user_id": str(user),
        "submitted_at": _body_time(t - graded * rng.randint(1, 72) * _HOUR),
        "updated_at": stamp,
        "submission_type": "online_text_entry",
        "attempt": 1,
        "late": rng.random() < 0.1,
        "missing": False,
        "workflow_state": "graded" if graded else "submitted",
    }
    if graded:
        score = float(rng.randint(4, 10))
        body.update(score=score, grade=str(score), graded_at=stamp, posted_at=stamp)
    return body


def _grade_change_body(rng: random.Random, c: _Course, user: int, a: int, t: int) -> dict:
    score = float(rng.randint(4, 10))
    return {
        "submission_id": str(a * 100_000 + user),
        "assignment_id": str(a),
        "assignment_name": f"{c.subject} task {a % 50 + 1}",
        "grade": str(score),
        "old_grade": None,
        "score": score,
        "old_score": None,
        "points_possible": 10.0,
        "old_points_possible": 10.0,
        "grader_id": str(c.teacher),
        "student_id": str(user),
        "student_sis_id": sis_id(user),
        "user_id": str(user),
        "grading_complete": True,
        "muted": False,
    }


def _rubric_assessed_body(rng: random.Random, c: _Course, user: int, a: int, t: int) -> dict:
    stamp = _body_time(t)
    return {
        "submission_id": str(a * 100_000 + user),
        "aligned_to_outcomes": True,
        "artifact_id": str(a * 100_000 + user),
        "artifact_type": "Submission",
        "assessment_type": "grading",
        "associated_asset_id": str(a),
        "associated_asset_type": "Assignment",
        "attempt": 1,
        "created_at": stamp,
        "updated_at": stamp,
    }


def _asset_body(rng: random.Random, c: _Course, user: int, a: int, t: int) -> dict:
    page = rng.choice(("outcomes", "grades", "assignments", "modules"))
    return {
        "asset_id": str(c.local_id),
        "asset_name": c.subject,
        "asset_type": "course",
        "asset_subtype": page,
        "category": page,
        "role": "StudentEnrollment",
        "level": "participate",
        "enrollment_id": str(c.local_id * 100_000 + user),
        "section_id": str(c.local_id),
    }


_NOISE_BODIES = {
    "submission_created": _submission_body,
    "submission_updated": lambda rng, c, user, a, t: _submission_body(rng, c, user, a, t, graded=True),
    "grade_change": _grade_change_body,
    "rubric_assessed": _rubric_assessed_body,
    "asset_accessed": _asset_body,
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
    who = _request(
        rng,
        owner.root,
        user if by_student else owner.teacher,
        (method, path.format(c=owner.local_id, a=a, u=user)),
        context,
        referrer=f"https://{owner.root.host}/courses/{owner.local_id}",
    )
    return _event(owner.root, name, t, who, _NOISE_BODIES[name](rng, owner, user, a, t))


def _admin_noise(rng: random.Random, root: _Root, t: int) -> dict:
    admin = rng.choice(root.admins)
    if rng.random() < 0.5:
        who = _request(rng, root, admin, ("POST", "/login/canvas"), {})
        return _event(root, "logged_in", t, who, {"redirect_url": f"https://{root.host}/accounts/1"})
    context = {"context_type": "Account", "context_id": root.gid(1), "context_account_id": root.gid(1)}
    who = _request(rng, root, admin, ("GET", "/accounts/1/outcomes"), context)
    body = {
        "asset_id": "1",
        "asset_name": root.name,
        "asset_type": "account",
        "asset_subtype": "outcomes",
        "category": "outcomes",
        "role": "AccountAdmin",
        "level": "participate",
    }
    return _event(root, "asset_accessed", t, who, body)
