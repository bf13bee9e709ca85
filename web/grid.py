"""The mastery grid of a course, shaped for the page and the static report: students × outcomes, the
outcomes grouped under the outcome group tree, each cell its score and rating colour, then the course
mean and median. The numbers are the rollups' (`projections.queries.outcome_rollups.rollups`, as `mastery rollups` prints),
and so are the students: those the enrollments list (optionally without inactive / concluded ones, or one
section only), named by `linked.users` (events, else `roster import`), in Canvas's sortable-name order.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from projections.queries.catalog import outcome_tree
from projections.queries.outcome_rollups import linked_users, rollups
from projections.views import View

_HEX = re.compile(r"[0-9A-Fa-f]{6}")
UNGROUPED = "Not in a group"


def course_grid(
    conn: Any,
    root: str,
    course: str,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    *,
    exclude: frozenset[str] = frozenset(),
    section: str | None = None,
) -> dict[str, Any] | None:
    """The grid, or None when the course has no outcomes or results (inside the cut)."""
    from projections.queries.people import courses, sections

    chosen: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "exclude": exclude, "section": section}
    answer = rollups(conn, root, course, **chosen)
    if not answer["linked"]["outcomes"]:
        return None
    view = View(conn, root, as_of, known_at)
    outcomes = {o["id"]: column(o) for o in answer["linked"]["outcomes"]}
    groups = grouped(outcome_tree(view, course), outcomes)
    columns = [o for g in groups for o in g["outcomes"]]
    rows = [student_row(r, linked_users(answer), columns) for r in answer["rollups"]]
    stats = [
        {"stat": stat, "cells": cells(rollups(conn, root, course, aggregate=stat, **chosen)["rollups"][0], columns)}
        for stat in ("mean", "median")
    ]
    place = courses(view).get(course)
    return {
        "course": course,
        "name": place.name if place else None,
        "sections": [{"id": s.id, "name": s.name or f"section {s.id}"} for s in sections(view, course)],
        "section": section,
        "exclude": sorted(exclude),
        "note": (answer["meta"].get("enrollments") or {}).get("note"),
        "meta": answer["meta"],
        "groups": groups,
        "columns": columns,
        "rows": rows,
        "aggregates": stats,
        "legend": legend(answer["linked"]["outcomes"]),
    }


def student_row(rollup: dict[str, Any], users: dict[str, dict[str, Any]], columns: list[dict]) -> dict[str, Any]:
    """One student's row: `user` the user_uuid (stable whatever ids are known), the name, SIS id, cells."""
    link = rollup["links"]["user"]
    user = users.get(link) or {}
    return {
        "user": user.get("uuid") or link,
        "id": user.get("id"),
        "name": user.get("name"),
        "sis_id": user.get("sis_user_id"),
        "cells": cells(rollup, columns),
    }


def column(outcome: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": outcome["id"],
        "label": outcome["title"] or f"outcome {outcome['id']}",
        "method": outcome["calculation_method"],
        "mastery_points": outcome["mastery_points"],
    }


def grouped(tree: dict[str, Any], outcomes: dict[str, dict]) -> list[dict[str, Any]]:
    """Column groups in tree order (depth first); an outcome linked twice stands in its first group."""
    placed: set[str] = set()
    groups: list[dict[str, Any]] = []

    def visit(node: dict[str, Any]) -> None:
        mine = [outcomes[o["id"]] for o in node["outcomes"] if o["id"] in outcomes and o["id"] not in placed]
        placed.update(o["id"] for o in mine)
        if mine:
            groups.append({"id": node["id"], "label": " › ".join(node["path"]), "outcomes": mine})
        for child in node["children"]:
            visit(child)

    for node in tree["roots"] + tree["orphans"]:
        visit(node)
    rest = [o for oid, o in outcomes.items() if oid not in placed]
    if rest:
        groups.append({"id": None, "label": UNGROUPED, "outcomes": rest})
    return groups


def cells(rollup: dict[str, Any], columns: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    by_outcome = {s["links"]["outcome"]: s for s in rollup["scores"]}
    return [cell(by_outcome.get(c["id"])) for c in columns]


def cell(score: dict[str, Any] | None) -> dict[str, Any] | None:
    """One painted cell: the score as text, its rating's colour (only a 6-digit hex) and a legible ink."""
    if score is None:
        return None
    rating = score["rating"] or {}
    color = rating.get("color") if isinstance(rating.get("color"), str) and _HEX.fullmatch(rating["color"]) else None
    value = score["score"]
    return {
        "text": "–" if value is None else f"{value:g}",
        "score": value,
        "count": score["count"],
        "rating": rating.get("description"),
        "color": color and color.upper(),
        "ink": ink(color),
        "mastery": score["mastery"],
    }


def ink(color: str | None) -> str:
    """Black or white text, whichever reads better on the colour (WCAG relative luminance)."""
    if color is None:
        return "000000"
    channels = [int(color[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "000000" if luminance > 0.179 else "FFFFFF"


def legend(outcomes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct ratings of the scales in use, highest points first."""
    seen: dict[tuple, dict[str, Any]] = {}
    for outcome in outcomes:
        for r in outcome["ratings"]:
            color = r["color"] if isinstance(r["color"], str) and _HEX.fullmatch(r["color"]) else None
            seen.setdefault(
                (r["description"], color),
                {"description": r["description"], "points": r["points"], "color": color, "ink": ink(color)},
            )
    return sorted(seen.values(), key=lambda r: -(r["points"] or 0))
