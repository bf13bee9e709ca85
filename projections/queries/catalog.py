"""Catalog queries over the history read model: courses, the outcome group tree, a course's rules.

Plain dicts out; the CLI and web render them. Every query takes a View, so it answers now or as of.
"""

from __future__ import annotations

from typing import Any

from domain.canvas import display_time
from domain.group import path
from domain.group import tree as group_tree
from domain.ids import id_key
from projections.mastery import course_context, unit_rules
from projections.queries.outcome_rollups import course_outcomes, rating_json
from projections.queries.people import courses as places
from projections.queries.people import roster

__all__ = ["roster", "courses", "outcome_tree", "course_rules"]  # roster: the people module's, kept importable here
from projections.views import View


def courses(view: View) -> list[dict[str, Any]]:
    """Every course seen (results, links, groups, outcomes, or an editor standing in it), now or as of a cut."""
    cut, params = view.cut_sql()
    # Inside a cut, each entity's latest version in it (SQLite returns the row holding the MAX).
    entities = (
        f"entity_current{view.suffix}"
        if not view.is_cut
        else f"(SELECT root, kind, key, course, outcome, user_uuid, MAX(fold_key) FROM entity_versions{view.suffix}"
        f" WHERE root = ?{cut} GROUP BY kind, key)"
    )
    rows = view.conn.execute(
        f"SELECT course, COUNT(DISTINCT CASE WHEN kind = 'result' THEN user_uuid END), "
        f"COUNT(DISTINCT CASE WHEN kind IN ('result', 'link') THEN outcome END), "
        f"SUM(kind = 'result') FROM {entities} WHERE root = ? AND course IS NOT NULL GROUP BY course",
        ((view.root, *params) if view.is_cut else ()) + (view.root,),
    ).fetchall()
    seen = {r[0]: {"course": r[0], "students": r[1], "outcomes": r[2], "results": r[3] or 0} for r in rows}
    for (course,) in view.conn.execute(
        f"SELECT DISTINCT course FROM course_accounts{view.suffix} WHERE root = ?{cut}", (view.root, *params)
    ).fetchall():
        seen.setdefault(course, {"course": course, "students": 0, "outcomes": 0, "results": 0})
    for item in seen.values():
        item["account"] = view.course_account(item["course"])
    return [seen[c] for c in sorted(seen, key=id_key)]


def outcome_tree(view: View, course: str | None = None) -> dict[str, Any]:
    """Groups (with their outcomes through links) as a tree; orphans and cycles reported."""
    match = {"course": course} if course else {}
    groups = {g.id: g for g in view.states("group", **match)}
    links = [link for link in view.states("link", **match) if link.workflow_state != "deleted"]
    outcomes = {o.id: o for o in view.states("outcome")}
    shape = group_tree(groups.values())
    by_group: dict[str | None, list[dict]] = {}
    for link in sorted(links, key=lambda li: id_key(li.outcome_id)):
        title = outcomes[link.outcome_id].title if link.outcome_id in outcomes else None
        by_group.setdefault(link.group_id, []).append({"id": link.outcome_id, "title": title, "link": link.id})

    def node(gid: str, trail: frozenset) -> dict[str, Any]:
        g = groups[gid]
        kids = [] if gid in trail else [node(c, trail | {gid}) for c in shape["children"].get(gid, [])]
        return {
            "id": gid,
            "title": g.title,
            "workflow_state": g.workflow_state,
            "path": path(gid, groups),
            "outcomes": by_group.get(gid, []),
            "children": kids,
        }

    return {
        "course": course,
        "roots": [node(r, frozenset()) for r in shape["roots"]],
        "orphans": [node(o, frozenset()) for o in shape["orphans"]],
        "cycles": shape["cycles"],
        "ungrouped": [o for gid, items in by_group.items() if gid not in groups for o in items],
    }


def course_rules(view: View, course: str) -> dict[str, Any]:
    """The mode, scale and methods in force in a course, and where they come from."""
    ctx = course_context(view, course)
    outcomes = []
    for outcome_id in course_outcomes(view, course):
        unit = unit_rules(view, course, outcome_id, ctx)
        s, m = unit.rules.scale, unit.rules.method
        outcomes.append(
            {
                "outcome": outcome_id,
                "title": unit.outcome.title if unit.outcome else None,
                "method": m.name,
                "int": m.int,
                "method_source": m.source,
                "method_note": m.note,
                "scale_source": s.source,
                "points_possible": s.points_possible,
                "mastery_points": s.mastery_points,
                "ratings": [rating_json(r) for r in s.ratings],
            }
        )
    return {
        "course": course,
        "mode": ctx.mode,
        "account": ctx.account,
        "root_account_local_id": ctx.root_local,
        "as_of": display_time(view.as_of),
        "known_at": display_time(view.known_at),
        "outcomes": outcomes,
    }


def named_courses(view: Any) -> list[dict[str, Any]]:
    """The catalog's courses with `name` and `workflow_state` from their course events (None when none
    arrived), and courses known only from course events, with zero counts; by numeric id."""
    found, named = courses(view), places(view)
    seen = {c["course"] for c in found}
    found += [
        {"course": cid, "students": 0, "outcomes": 0, "results": 0, "account": view.course_account(cid)}
        for cid in named
        if cid not in seen
    ]
    out = []
    for c in found:
        place = named.get(c["course"])
        out.append({**c, "name": place and place.name, "workflow_state": place and place.workflow_state})
    return sorted(out, key=lambda c: id_key(c["course"]))


def course_name(view: Any, course: str) -> str | None:
    """The course's name from its course events (None when none arrived inside the cut)."""
    place = places(view).get(course)
    return place.name if place else None
