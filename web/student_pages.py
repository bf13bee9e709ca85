"""The reads behind the student pages (web.pages routes them): a student's outcomes in a course with each
outcome's mastery over time (`projections.queries.series`), and how one score came out
(`projections.queries.explain`, as `mastery explain` prints it). Each returns the template's values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from markupsafe import Markup

from domain.canvas import display_time
from domain.colours import hex_or_none, ink
from web.charts import chart_key, mastery_over_time
from web.errors import Problem
from web.grid import utc_text
from web.service import checked_id


def _cut_text(as_of: datetime | None, known_at: datetime | None) -> dict[str, Any]:
    made = utc_text(datetime.now(UTC))
    return {
        "made_at": made,
        "as_of_text": f"as of {utc_text(as_of)}" if as_of else f"as of {made} (now)",
        "known_cut": utc_text(known_at) if known_at else None,
    }


def _student(view: Any, ref: str) -> str:
    """The user_uuid the path names (Canvas user id, sis_user_id:X or user_uuid): 404 when it names no one,
    400 when it names several."""
    from projections.queries.people import AmbiguousStudent, UnknownStudent, resolve_student

    try:
        return resolve_student(view, checked_id(ref, "student").strip())
    except UnknownStudent as error:
        raise Problem(404, str(error)) from None
    except AmbiguousStudent as error:
        raise Problem(400, f"student: {error}") from None


def _person(view: Any, uuid: str) -> dict[str, Any]:
    from projections.queries.people import people

    found = people(view, {uuid}).get(uuid)
    if found is None:
        return {"name": None, "id": None, "sis_user_id": None}
    return {"name": found.name, "id": found.id, "sis_user_id": found.sis_user_id}


def student_page(
    request: Request, ref: str, course: str, as_of: str | None, known_at: str | None, account: str | None
) -> dict[str, Any]:
    from projections.queries.catalog import course_name
    from projections.queries.outcome_rollups import rollups
    from projections.queries.series import student_series

    with request.app.state.service.reading(account) as r:
        local = r.local(course, "course")
        as_of_time, known_at_time = r.time(as_of, "as_of"), r.time(known_at, "known_at")
        view = r.view(as_of_time, known_at_time)
        uuid = _student(view, ref)
        answer = rollups(r.conn, r.root, local, as_of=as_of_time, known_at=known_at_time, user_ids=[uuid])
        series = student_series(r.conn, r.root, local, uuid, as_of=as_of_time, known_at=known_at_time)
        person = _person(view, uuid)
        name = course_name(view, local)
    if not series and not answer["rollups"] and not (as_of or known_at):
        raise Problem(404, f"student {ref} has no results in course {course}")
    titles = {o["id"]: o["title"] for o in answer["linked"]["outcomes"]}
    scores = []
    for rollup in answer["rollups"]:
        for s in rollup["scores"]:
            rating = s["rating"] or {}
            color = hex_or_none(rating.get("color"))
            scores.append(
                {
                    "outcome": s["links"]["outcome"],
                    "title": titles.get(s["links"]["outcome"]),
                    "score": s["score"],
                    "count": s["count"],
                    "mastery": s["mastery"],
                    "submitted_at": s["submitted_at"],
                    "rating": rating.get("description"),
                    "color": color,
                    "ink": ink(color),
                }
            )
    note = None
    if not answer["rollups"] and (answer["meta"].get("enrollments") or {}).get("known") and series:
        note = f"not listed in course {local}'s rollups (its enrollments, as of then); the charts show the results"
    until = display_time(as_of_time or datetime.now(UTC))
    who = person["name"] or uuid
    charts = []
    for item in series:
        label = item["outcome"]["title"] or f"outcome {item['outcome']['id']}"
        svg = mastery_over_time(
            item,
            key=chart_key("mastery", item["outcome"]["id"]),
            title=f"{label}: {who}'s score over time",
            until=until,
        )
        charts.append({"outcome": item["outcome"]["id"], "label": label, "svg": Markup(svg)})
    return {
        "student": uuid,
        "person": person,
        "course": local,
        "course_name": name,
        "scores": scores,
        "charts": charts,
        "note": note,
        **_cut_text(as_of_time, known_at_time),
    }


def explain_page(
    request: Request, course: str, ref: str, outcome: str, as_of: str | None, known_at: str | None, account: str | None
) -> dict[str, Any]:
    from projections.queries.explain import explain

    with request.app.state.service.reading(account) as r:
        local = r.local(course, "course_id")
        outcome_id = r.local(outcome, "outcome_id")
        as_of_time, known_at_time = r.time(as_of, "as_of"), r.time(known_at, "known_at")
        view = r.view(as_of_time, known_at_time)
        uuid = _student(view, ref)
        try:
            answer = explain(view, local, outcome_id, uuid)
        except Exception as error:  # rules that cannot be computed: `mastery problems` has the unit
            raise Problem(404, f"outcome {outcome} in course {course} cannot be computed: {error}") from None
        person = _person(view, uuid)
    if not answer["counted"] and not answer["excluded"]:
        raise Problem(
            404,
            f"student {ref} has no results for outcome {outcome} in course {course}"
            + (" by that time" if as_of or known_at else ""),
        )
    color = hex_or_none((answer["rating"] or {}).get("color"))
    ratings = [
        {**r, "color": hex_or_none(r["color"]), "ink": ink(hex_or_none(r["color"]))} for r in answer["scale"]["ratings"]
    ]
    return {
        "answer": answer,
        "person": person,
        "color": color,
        "ink": ink(color),
        "ratings": ratings,
        **_cut_text(as_of_time, known_at_time),
    }
