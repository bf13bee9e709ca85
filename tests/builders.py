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
