"""The blocking reads behind `outcome_rollups` and `outcome_results` (web/rollups_api.py): resolve Canvas's
ids against the store (a 400 in Canvas's words for one not in the course, a 404 for a course no event speaks
of), run the queries inside the cut, and side-load the `include[]` collections.

Membership (is this outcome in the course, is this a group of it) is decided on everything the store knows,
not inside the cut, so that an `as_of` before an outcome's first result is an empty answer, not a 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from domain.canvas import display_time
from web.errors import Problem
from web.paging import paginate

NOT_IN_CONTEXT = "can only include id's of users in the outcome context"
OUTCOMES_NOT_IN_CONTEXT = "can only include id's of outcomes in the outcome context"
GROUP_NOT_IN_CONTEXT = "can only include an outcome group id in the outcome context"


def student(view: Any, ref: str) -> str:
    """The user_uuid a `user_ids[]` value names (Canvas user id local or global, `sis_user_id:X`,
    user_uuid; no prefixes or names over HTTP); 400 as Canvas answers when it names no one student."""
    from projections.queries.people import AmbiguousStudent, UnknownStudent, resolve_student

    try:
        return resolve_student(view, ref.strip())
    except UnknownStudent:
        raise Problem(400, f"{NOT_IN_CONTEXT}: no student {ref!r}") from None
    except AmbiguousStudent as error:
        raise Problem(400, f"{NOT_IN_CONTEXT}: {ref!r} names {len(error.matches)} students") from None


def section(r: Any, view: Any, course: str, section_id: str) -> str:
    """The local id of `section_id`; 400 ("invalid section id", as Canvas) when the course's section
    events name other sections only."""
    from projections.queries.people import sections

    local = r.local(section_id, "section_id")
    known = sections(view, course)
    if known and local not in {s.id for s in known}:
        raise Problem(400, f"invalid section id: course {course} has no section {section_id}")
    return local


def the_course(r: Any, course_id: str) -> str:
    """The local course id; 404 when no event speaks of the course."""
    from projections.queries.course_shapes import known_course

    course = r.local(course_id, "course_id")
    if not known_course(r.view(), course):
        raise Problem(404, f"course {course_id} is not in the store: no event speaks of it")
    return course


def the_outcomes(r: Any, course: str, refs: list[str] | None) -> list[str] | None:
    """The local ids of `outcome_ids[]`; 400 (Canvas's words) for one not linked to or assessed in the course."""
    from projections.queries.outcome_rollups import course_outcomes

    if not refs:
        return None
    wanted = list(dict.fromkeys(r.local(o, "outcome_ids[]") for o in refs))
    known = set(course_outcomes(r.view(), course))
    strays = [o for o in wanted if o not in known]
    if strays:
        raise Problem(400, f"{OUTCOMES_NOT_IN_CONTEXT}: course {course} has no outcome {', '.join(strays)}")
    return wanted


def read_rollups(request: Request, asked: dict[str, Any]) -> dict[str, Any]:
    from projections.queries.course_shapes import group_outcomes, number
    from projections.queries.outcome_rollups import rollups

    with request.app.state.service.reading(asked["account"]) as r:
        as_of, known_at = r.time(asked["as_of"], "as_of"), r.time(asked["known_at"], "known_at")
        course = the_course(r, asked["course_id"])
        view = r.view(as_of, known_at)
        outcomes, keep = the_outcomes(r, course, asked["outcomes"]), None
        if asked["outcome_group_id"]:
            found = group_outcomes(r.view(), course, r.local(asked["outcome_group_id"], "outcome_group_id"))
            if found is None:
                raise Problem(400, GROUP_NOT_IN_CONTEXT)
            outcomes, keep = found or None, set(found)
        answer = rollups(
            r.conn,
            r.root,
            course,
            as_of=as_of,
            known_at=known_at,
            aggregate=asked["stat"],
            user_ids=[student(view, u) for u in asked["users"]] if asked["users"] else None,
            outcome_ids=outcomes,
            exclude=asked["exclude"],
            section=section(r, view, course, asked["section_id"]) if asked["section_id"] else None,
        )
        if keep is not None and not keep:  # a group without outcomes: nothing to roll up
            answer["linked"]["outcomes"] = []
            for rollup in answer["rollups"]:
                rollup["scores"] = []
        if asked["missing_outcomes"]:
            assessed = {s["links"]["outcome"] for rollup in answer["rollups"] for s in rollup["scores"]}
            answer["linked"]["outcomes"] = [o for o in answer["linked"]["outcomes"] if o["id"] in assessed]
        if asked["rating_percents"]:
            add_rating_percents(answer)
        sort_outcome = request.query_params.get("sort_outcome_id")
        if sort_outcome:
            answer["sort_outcome"] = r.local(sort_outcome, "sort_outcome_id")
        shown = [o["id"] for o in answer["linked"]["outcomes"]]
        answer["linked"].update(side_loads(view, course, asked["includes"], shown))
        if "courses" in asked["includes"]:
            from projections.queries.catalog import course_name

            answer["linked"]["courses"] = [{"id": number(course), "name": course_name(view, course)}]
    return answer


def add_rating_percents(answer: dict[str, Any]) -> None:
    """`rating_percents=true`: each linked outcome's ratings get `percent`, the share (a whole percent,
    rounded half up) of the listed students' scores in that rating, as canvas-lms
    `Outcomes::ResultAnalytics#rating_percents`: a score falls in the first rating (highest points first)
    whose points it reaches; null scores are not counted; all zeros when no score falls in any."""
    from domain.arithmetic import ruby_round

    for outcome in answer["linked"]["outcomes"]:
        ratings = outcome["ratings"]
        counts = [0] * len(ratings)
        for rollup in answer["rollups"]:
            for score in rollup["scores"]:
                if score["links"]["outcome"] != outcome["id"] or score["score"] is None:
                    continue
                band = next((i for i, r in enumerate(ratings) if r["points"] <= score["score"]), None)
                if band is not None:
                    counts[band] += 1
        total = sum(counts)
        for rating, count in zip(ratings, counts, strict=True):
            rating["percent"] = int(ruby_round(100.0 * count / total, 0)) if total else 0


def side_loads(view: Any, course: str, includes: list[str], outcomes: list[str]) -> dict[str, Any]:
    """The `include[]` collections that do not depend on the page: groups, links, paths, alignments."""
    from projections.queries import course_shapes as shapes
    from projections.queries import outcome_results as results

    shown = set(outcomes)
    out: dict[str, Any] = {}
    if "outcome_groups" in includes:
        out["outcome_groups"] = shapes.outcome_groups(view, course)
    if "outcome_links" in includes:
        out["outcome_links"] = shapes.outcome_links(view, course, shown)
    if "outcome_paths" in includes:
        out["outcome_paths"] = shapes.outcome_paths(view, course, shown)
    if {"alignments", "outcomes.alignments", "assignments"} & set(includes):
        units = results.counted_units(view, course, outcomes) if outcomes else []
        if "alignments" in includes:
            out["alignments"] = results.alignments(units)
        if "outcomes.alignments" in includes:
            out["outcomes.alignments"] = results.alignments(units)
        if "assignments" in includes:
            out["assignments"] = results.assignments(units)
    return out


def read_results(request: Request, asked: dict[str, Any], includes: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    from projections.queries import outcome_results as results
    from projections.queries.outcome_rollups import user_json
    from projections.queries.people import people

    with request.app.state.service.reading(asked["account"]) as r:
        as_of, known_at = r.time(asked["as_of"], "as_of"), r.time(asked["known_at"], "known_at")
        course = the_course(r, asked["course_id"])
        view = r.view(as_of, known_at)
        outcomes = the_outcomes(r, course, asked["outcomes"])
        users = [student(view, u) for u in asked["users"]] if asked["users"] else None
        data = results.outcome_results(view, course, user_uuids=users, outcome_ids=outcomes)
        rows, headers, meta = paginate(request, data["outcome_results"])
        on_page = list(dict.fromkeys(row.pop("_uuid") for row in rows))
        answer: dict[str, Any] = {"outcome_results": rows}
        if includes:
            units = data["units"]
            linked: dict[str, Any] = {}
            if "outcomes" in includes:
                linked["outcomes"] = results.linked_outcomes(units)
            if "users" in includes:
                named = people(view, set(on_page))
                linked["users"] = [user_json(u, named.get(u)) for u in on_page]
            if "alignments" in includes:
                linked["alignments"] = results.alignments(units, {str(row["id"]) for row in rows})
            rest = [i for i in includes if i != "alignments"]
            linked.update(side_loads(view, course, rest, [u.outcome_id for u in units]))
            answer["linked"] = linked
        answer["meta"] = {"as_of": display_time(as_of), "known_at": display_time(known_at), **meta}
    return answer, headers
