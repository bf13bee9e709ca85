"""The mastery grid of a course, shaped for the page and the static report: students × outcomes, the
outcomes grouped under the outcome group tree, each cell its score and rating colour, then the course
mean and median, and per outcome the students per rating (the course page's charts). The numbers are the rollups' (`projections.queries.outcome_rollups.rollups`, as `mastery rollups` prints),
and so are the students: those the enrollments list (optionally without inactive / concluded ones, or one
section only), named by `linked.users` (events, else `roster import`), in Canvas's sortable-name order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.colours import hex_or_none, ink
from projections.queries.catalog import outcome_tree
from projections.queries.outcome_rollups import linked_users, rollups
from projections.queries.series import rating_distribution
from projections.views import View

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
    zone = view.setting("tz", "UTC")  # `config set tz`: local time beside UTC
    made = utc_text(datetime.now(UTC), zone)
    from projections.queries.summary import course_students, summary, summary_text

    counted = {
        s["outcome"]: s
        for s in summary(answer, course_students(view, course, answer, exclude=exclude, section=section))
    }
    return {
        "made_at": made,
        "as_of_text": f"as of {utc_text(as_of, zone)}" if as_of else f"as of {made} (now)",
        "cut": utc_text(as_of) if as_of else None,
        "known_cut": utc_text(known_at) if known_at else None,
        "charts": distribution_charts(rating_distribution(answer), columns),
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
        "listed": len(rows),
        "sort": "name",
        "order": "asc",
        "only": None,
        "only_outcome": None,
        "aggregates": stats,
        "legend": legend(answer["linked"]["outcomes"]),
        # Per outcome, in column order: "mastered 26/34 · 5 below · 3 no evidence" (as `rollups` prints it).
        "summary": [summary_text(counted[c["id"]]) for c in columns if c["id"] in counted],
    }


def distribution_charts(spread: list[dict[str, Any]], columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per outcome, in the grid's column order, its ratings chart (an SVG, safe to place in a page as it is)."""
    from markupsafe import Markup

    from web.charts import chart_key, rating_bars

    by_outcome = {item["outcome"]: item for item in spread}
    out = []
    for col in columns:
        item, label = by_outcome[col["id"]], col["label"]
        title = f"{label}: students per rating"
        svg = rating_bars(item, key=chart_key("ratings", item["outcome"]), title=title)
        out.append({"outcome": item["outcome"], "label": label, "students": item["students"], "svg": Markup(svg)})
    return out


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
    color = hex_or_none(rating.get("color"))
    value = score["score"]
    return {
        "text": "–" if value is None else f"{value:g}",
        "score": value,
        "count": score["count"],
        "rating": rating.get("description"),
        "color": color,
        "ink": ink(color),
        "mastery": score["mastery"],
    }


def legend(outcomes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct ratings of the scales in use, highest points first."""
    seen: dict[tuple, dict[str, Any]] = {}
    for outcome in outcomes:
        for r in outcome["ratings"]:
            color = hex_or_none(r["color"])
            seen.setdefault(
                (r["description"], color),
                {"description": r["description"], "points": r["points"], "color": color, "ink": ink(color)},
            )
    return sorted(seen.values(), key=lambda r: -(r["points"] or 0))


def utc_text(moment: datetime, zone: str | None = None) -> str:
    """A cut or a making time as people read it: `2026-12-03 14:05:07 UTC`, and the local time beside it
    when the root account has a zone (`config set tz`): `… UTC (2026-12-03 08:05:07 America/Chicago)`."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if not zone or zone == "UTC":
        return text
    try:
        local = moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):  # a zone this machine does not know: UTC alone
        return text
    return f"{text} ({local:%Y-%m-%d %H:%M:%S} {zone})"


class GridParameter(ValueError):
    """A sort or filter parameter the grid cannot use; the message names it (the page answers 400)."""


ORDERS = ("asc", "desc")
ONLY = ("not-mastered",)


def arranged(
    grid: dict[str, Any],
    sort: str | None = None,
    order: str | None = None,
    only: str | None = None,
    outcome: str | None = None,
) -> dict[str, Any]:
    """The grid's rows sorted and filtered as the page's links ask (the mean and median rows stay those of
    every listed student).

    - `sort=name` (the default): Canvas's order, by sortable name; `order=desc` reverses it.
    - `sort=OUTCOME_ID`: by that outcome's score, lowest first (`order=asc`, the default) or highest first
      (`desc`); students without a score for it come last either way; equal scores keep name order.
    - `only=not-mastered`: the students with at least one outcome not mastered, or with `outcome=O` those
      not mastered in O. Not mastered: the rollup does not say mastered, i.e. the score is below the outcome's
      mastery points, or there is no counted result (no evidence), or no mastery points are known.
    """
    ids = [c["id"] for c in grid["columns"]]
    key = sort or "name"
    if key != "name" and key not in ids:
        raise GridParameter(f"sort: {key!r} is neither `name` nor an outcome of the grid ({', '.join(ids)})")
    if order is not None and order not in ORDERS:
        raise GridParameter(f"order: {order!r} is not asc or desc")
    if only is not None and only not in ONLY:
        raise GridParameter(f"only: {only!r} is not one of {', '.join(ONLY)}")
    if outcome is not None and outcome not in ids:
        raise GridParameter(f"outcome: {outcome!r} is not an outcome of the grid ({', '.join(ids)})")
    if outcome is not None and only is None:
        raise GridParameter("outcome: filters with only=not-mastered; give both")
    rows = list(grid["rows"])
    if only == "not-mastered":
        wanted = [ids.index(outcome)] if outcome is not None else range(len(ids))
        rows = [r for r in rows if any(not mastered(r["cells"][i]) for i in wanted)]
    descending = order == "desc"
    if key == "name":
        rows = rows[::-1] if descending else rows
    else:
        at = ids.index(key)
        scored = [r for r in rows if r["cells"][at] and r["cells"][at]["score"] is not None]
        scored.sort(key=lambda r: r["cells"][at]["score"], reverse=descending)
        held = {id(r) for r in scored}
        rows = scored + [r for r in rows if id(r) not in held]
    return grid | {
        "rows": rows,
        "listed": len(grid["rows"]),
        "sort": key,
        "order": "desc" if descending else "asc",
        "only": only,
        "only_outcome": outcome,
    }


def mastered(cell: dict[str, Any] | None) -> bool:
    return bool(cell and cell["mastery"] is True)
