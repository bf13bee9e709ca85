"""Small builders for Canvas Live Events in the documented shapes, for tests that need exact histories."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

ROOT = "RootAcct0000000000000000000000000000000A"
SHARD = 2107
_ids = itertools.count(100_000)
T0 = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)


def g(local: int | str) -> str:
    """A Canvas global id on the root account's shard."""
    return str(SHARD * 10**13 + int(local))


def at(day: float) -> str:
    return (T0 + timedelta(days=day)).isoformat().replace("+00:00", "Z")


def meta(name: str, day: float, course: str | None = None, account: str | None = None, **extra: Any) -> dict:
    m = {
        "event_name": name,
        "event_time": at(day),
        "root_account_uuid": ROOT,
        "root_account_id": g(1),
        "producer": "canvas",
        "user_id": g(9),
        "user_login": "teacher@example.com",
    }
    if course is not None:
        m |= {"context_type": "Course", "context_id": g(course), "context_account_id": g(account or 70)}
    return m | extra


def outcome(
    oid: str,
    day: float = 0,
    *,
    method: str | None = "highest",
    int_: Any = None,
    mastery: float = 3,
    possible: float = 5,
    ratings: list | None = None,
    criterion: bool = True,
    state: str = "active",
    updated: bool = False,
    title: str = "Outcome",
) -> dict:
    body: dict[str, Any] = {
        "learning_outcome_id": oid,
        "title": f"{title} {oid}",
        "context_type": "Account",
        "context_id": "1",
        "workflow_state": state,
    }
    if method is not None:
        body["calculation_method"] = method
    if int_ is not None:
        body["calculation_int"] = int_
    if criterion:
        body["rubric_criterion"] = {
            "mastery_points": mastery,
            "points_possible": possible,
            "ratings": ratings
            or [
                {"description": "Top", "points": possible},
                {"description": "Meets", "points": mastery},
                {"description": "Below", "points": 0},
            ],
        }
    name = "learning_outcome_updated" if updated else "learning_outcome_created"
    if updated:
        body["updated_at"] = at(day)
    return {"metadata": meta(name, day), "body": body}


def result(
    outcome_id: str,
    user: str,
    score: float | None,
    day: float,
    *,
    course: str = "5",
    rid: str | None = None,
    percent: float | None = None,
    possible: float | None = None,
    state: str | None = None,
    artifact: str = "RubricAssessment",
    asset: tuple[str, str] = ("Assignment", "56"),
    updated: bool = False,
    context_type: str = "Course",
    assessed: float | str | None = None,
) -> dict:
    rid = rid or str(next(_ids))
    body: dict[str, Any] = {
        "id": rid,
        "user_uuid": user,
        "learning_outcome_id": outcome_id,
        "result_context_type": context_type,
        "result_context_id": course,
        "created_at": at(day),
        "artifact_type": artifact,
        "associated_asset_type": asset[0],
        "associated_asset_id": asset[1],
    }
    if assessed != "missing":
        body["assessed_at"] = at(day if assessed is None else assessed)
    for key, value in (("score", score), ("percent", percent), ("possible", possible), ("workflow_state", state)):
        if value is not None:
            body[key] = value
    name = "learning_outcome_result_updated" if updated else "learning_outcome_result_created"
    if updated:
        body["updated_at"] = at(day)
    return {"metadata": meta(name, day), "body": body}


def link(lid: str, outcome_id: str, course: str, day: float, *, state: str = "active", group: str = "900") -> dict:
    body = {
        "learning_outcome_link_id": lid,
        "learning_outcome_id": outcome_id,
        "learning_outcome_group_id": group,
        "context_type": "Course",
        "context_id": course,
        "workflow_state": state,
    }
    name = "learning_outcome_link_created" if state == "active" else "learning_outcome_link_updated"
    return {"metadata": meta(name, day, course=course), "body": body}


def scale(
    sid: str,
    context_type: str,
    context_id: str,
    day: float,
    points: list[float],
    mastery_at: float,
    *,
    state: str = "active",
    colors: list[str] | None = None,
    updated: bool = False,
) -> dict:
    ratings = [
        {
            "outcome_proficiency_rating_id": f"{sid}{i}",
            "description": f"Level {p:g}",
            "points": p,
            "mastery": p == mastery_at,
            "color": (colors or ["AAAAAA"] * len(points))[i],
            "workflow_state": "active",
        }
        for i, p in enumerate(points)
    ]
    name = "outcome_proficiency_updated" if updated else "outcome_proficiency_created"
    return {
        "metadata": meta(name, day),
        "body": {
            "outcome_proficiency_id": sid,
            "context_type": context_type,
            "context_id": context_id,
            "workflow_state": state,
            "outcome_proficiency_ratings": ratings,
        },
    }


def method(
    mid: str,
    context_type: str,
    context_id: str,
    day: float,
    name: str,
    int_: int | None = None,
    *,
    state: str = "active",
    updated: bool = False,
) -> dict:
    body = {
        "outcome_calculation_method_id": mid,
        "context_type": context_type,
        "context_id": context_id,
        "workflow_state": state,
        "calculation_method": name,
    }
    if int_ is not None:
        body["calculation_int"] = int_
    event = "outcome_calculation_method_updated" if updated else "outcome_calculation_method_created"
    return {"metadata": meta(event, day), "body": body}


def group(
    gid: str, course: str, day: float, *, parent: str | None = None, account: str = "70", title: str = "Group"
) -> dict:
    """A course's outcome group, created by someone standing in the course (so its account is learned)."""
    body = {
        "learning_outcome_group_id": gid,
        "context_type": "Course",
        "context_id": course,
        "title": f"{title} {gid}",
        "workflow_state": "active",
    }
    if parent:
        body["parent_outcome_group_id"] = parent
    return {"metadata": meta("learning_outcome_group_created", day, course=course, account=account), "body": body}


def nested(levels: int) -> dict:
    """{"x": {"x": …}} `levels` deep: a value deeper than the shape check (64) or orjson (255) accepts."""
    outer = value = {}
    for _ in range(levels):
        value["x"] = {}
        value = value["x"]
    return outer


def user(
    uid: str,
    uuid: str,
    name: str | None,
    day: float = -30,
    *,
    sis: str | None = None,
    login: str | None = None,
    short_name: str | None = None,
    state: str = "registered",
    updated: bool = False,
) -> dict:
    """A user event as Canvas's producer builds it: `user_id` global, `uuid` the results' user_uuid."""
    body = {
        "user_id": g(uid),
        "uuid": uuid,
        "name": name,
        "short_name": short_name or (name.split()[0] if name else None),
        "workflow_state": state,
        "created_at": at(day),
        "updated_at": at(day),
        "user_login": login,
        "user_sis_id": sis,
    }
    return {"metadata": meta("user_updated" if updated else "user_created", day), "body": body}


def course(
    cid: str,
    day: float = -30,
    *,
    name: str = "Course",
    account: str = "70",
    state: str = "available",
    uuid: str | None = None,
    updated: bool = False,
) -> dict:
    """A course event: `course_id` and `account_id` global (the course's own account)."""
    body = {
        "course_id": g(cid),
        "uuid": uuid or f"course-uuid-{cid}",
        "account_id": g(account),
        "name": name,
        "created_at": at(day),
        "updated_at": at(day),
        "workflow_state": state,
    }
    return {"metadata": meta("course_updated" if updated else "course_created", day), "body": body}


def section(
    sid: str,
    course_id: str,
    day: float = -30,
    *,
    name: str | None = None,
    sis: str | None = None,
    state: str = "active",
    updated: bool = False,
) -> dict:
    """A section event: its ids are local (unlike the enrollment's)."""
    body = {
        "course_section_id": sid,
        "sis_source_id": sis,
        "sis_batch_id": None,
        "course_id": course_id,
        "root_account_id": "1",
        "enrollment_term_id": "1",
        "name": name or f"Section {sid}",
        "default_section": False,
        "accepting_enrollments": True,
        "can_manually_enroll": True,
        "start_at": None,
        "end_at": None,
        "workflow_state": state,
        "restrict_enrollments_to_section_dates": False,
        "nonxlist_course_id": None,
        "stuck_sis_fields": [],
        "integration_id": None,
    }
    name_ = "course_section_updated" if updated else "course_section_created"
    return {"metadata": meta(name_, day), "body": body}


def enrollment(
    eid: str,
    course_id: str,
    uid: str,
    day: float = -20,
    *,
    state: str = "active",
    type_: str = "StudentEnrollment",
    section_id: str | None = None,
    user_name: str | None = None,
    updated: bool = False,
) -> dict:
    """An enrollment event: every id global (`course_section_id` too)."""
    body = {
        "enrollment_id": g(eid),
        "course_id": g(course_id),
        "user_id": g(uid),
        "user_name": user_name,
        "type": type_,
        "created_at": at(day),
        "updated_at": at(day),
        "limit_privileges_to_course_section": False,
        "course_section_id": g(section_id) if section_id else None,
        "workflow_state": state,
    }
    return {"metadata": meta("enrollment_updated" if updated else "enrollment_created", day), "body": body}


def enrollment_state(eid: str, day: float, state: str = "active", *, updated: bool = False) -> dict:
    body = {
        "enrollment_id": g(eid),
        "state": state,
        "state_started_at": at(day),
        "state_is_current": True,
        "state_valid_until": None,
        "restricted_access": False,
        "access_is_current": True,
    }
    name = "enrollment_state_updated" if updated else "enrollment_state_created"
    return {"metadata": meta(name, day), "body": body}
