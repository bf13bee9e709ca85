"""Canvas's shapes of what the events know about courses: the Course object (`GET /api/v1/courses/:id`), and
the outcome groups, outcome links and outcome paths a course's `outcome_rollups` / `outcome_results`
side-load with `include[]`. Plain dicts out, read inside a View (now or as of a cut).

Only what events carry is filled in (id, name, uuid, account_id, root_account_id, workflow_state, the
group tree and its links); every other field Canvas sends is there as null, so a client reading it finds
the key. Ids are numbers where Canvas sends numbers (a non-numeric id stays text).
"""

from __future__ import annotations

from typing import Any

from domain.canvas import display_time
from domain.ids import id_key
from projections.views import View

# Course fields Canvas sends that no Live Event tells (null here).
UNKNOWN_COURSE_FIELDS = (
    "sis_course_id",
    "integration_id",
    "sis_import_id",
    "original_name",
    "enrollment_term_id",
    "grading_standard_id",
    "start_at",
    "end_at",
    "locale",
    "time_zone",
    "default_view",
    "course_format",
    "license",
    "is_public",
)
# Canvas's API names a course's workflow_state one of these; `created` and `claimed` read as unpublished.
API_STATES = {"created": "unpublished", "claimed": "unpublished"}


def number(value: str | None) -> int | str | None:
    """A Canvas id as Canvas sends it: a number when it is digits."""
    if value is None:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 30 else value


def known_course(view: View, course: str) -> bool:
    """Whether any event (inside the view) speaks of the course: a result, link or group in it, its course
    event, or an account it was seen in."""
    conn, root, s = view.conn, view.root, view.suffix
    table = f"entity_versions{s}" if view.is_cut else f"entity_current{s}"
    cut, params = view.cut_sql() if view.is_cut else ("", ())
    row = conn.execute(
        f"SELECT 1 FROM {table} WHERE root = ? AND (course = ? OR (kind = 'course' AND key = ?)){cut} LIMIT 1",
        (root, course, course, *params),
    ).fetchone()
    if row is not None:
        return True
    cut, params = view.cut_sql()
    row = conn.execute(
        f"SELECT 1 FROM course_accounts{s} WHERE root = ? AND course = ?{cut} LIMIT 1", (root, course, *params)
    ).fetchone()
    return row is not None


def canvas_course(view: View, item: dict[str, Any]) -> dict[str, Any]:
    """One course of `catalog.named_courses` in Canvas's Course shape, with the counts as an extension."""
    course = item["course"]
    place = view.one("course", course)
    state = item.get("workflow_state")
    return {
        "id": number(course),
        "name": item.get("name"),
        "course_code": place.course_code if place is not None else None,
        "uuid": place.uuid if place is not None else None,
        "account_id": number(item.get("account")),
        "root_account_id": number(view.root_local_id()),
        "workflow_state": API_STATES.get(state, state) if state else None,
        "created_at": display_time(place.created_at) if place is not None and place.created_at else None,
        **dict.fromkeys(UNKNOWN_COURSE_FIELDS),
        "root_account_uuid": view.root,
        "mastery": {"students": item["students"], "outcomes": item["outcomes"], "results": item["results"]},
    }


def course_groups(view: View, course: str) -> dict[str, Any]:
    """The course's outcome groups (not deleted), by id."""
    return {g.id: g for g in view.states("group", course=course) if g.workflow_state != "deleted"}


def course_links(view: View, course: str) -> list[Any]:
    """The course's outcome links (not deleted), by outcome id then link id."""
    links = [li for li in view.states("link", course=course) if li.workflow_state != "deleted"]
    return sorted(links, key=lambda li: (id_key(li.outcome_id), id_key(li.id)))


def group_json(course: str, group: Any, groups: dict[str, Any]) -> dict[str, Any]:
    """An OutcomeGroup as Canvas's `outcome_group_json` writes it (abbreviated parent)."""
    url = f"/api/v1/courses/{course}/outcome_groups/{group.id}"
    parent = groups.get(group.parent_id) if group.parent_id else None
    out = {
        "id": number(group.id),
        "title": group.title,
        "vendor_guid": group.vendor_guid,
        "url": url,
        "subgroups_url": f"{url}/subgroups",
        "outcomes_url": f"{url}/outcomes",
        "can_edit": False,
        "import_url": f"{url}/import",
        "context_id": number(course),
        "context_type": "Course",
        "description": group.description,
    }
    if parent is not None:
        out["parent_outcome_group"] = {
            "id": number(parent.id),
            "title": parent.title,
            "url": f"/api/v1/courses/{course}/outcome_groups/{parent.id}",
        }
    return out


def outcome_groups(view: View, course: str) -> list[dict[str, Any]]:
    """`linked.outcome_groups`: the course's groups in Canvas's shape, by id."""
    groups = course_groups(view, course)
    return [group_json(course, groups[g], groups) for g in sorted(groups, key=id_key)]


def outcome_links(view: View, course: str, outcomes: set[str] | None = None) -> list[dict[str, Any]]:
    """`linked.outcome_links`: each link of the course (to `outcomes` only, when given) in Canvas's
    OutcomeLink shape, with its group and an abbreviated outcome."""
    groups = course_groups(view, course)
    titles = {o.id: o.title for o in view.states("outcome")}
    out = []
    for link in course_links(view, course):
        if outcomes is not None and link.outcome_id not in outcomes:
            continue
        group = groups.get(link.group_id or "")
        out.append(
            {
                "url": f"/api/v1/courses/{course}/outcome_groups/{link.group_id}/outcomes/{link.outcome_id}",
                "context_id": number(course),
                "context_type": "Course",
                "outcome_group": None
                if group is None
                else {"id": number(group.id), "title": group.title, "url": group_json(course, group, groups)["url"]},
                "outcome": {
                    "id": number(link.outcome_id),
                    "title": titles.get(link.outcome_id),
                    "url": f"/api/v1/outcomes/{link.outcome_id}",
                },
                "assessed": None,
                "can_unlink": False,
            }
        )
    return out


def outcome_paths(view: View, course: str, outcomes: set[str] | None = None) -> list[dict[str, Any]]:
    """`linked.outcome_paths`: for each link, the titles of its group's ancestors below the root group (Canvas
    leaves the root group out), then the outcome's title: `{"id", "parts": [{"name"}]}`."""
    groups = course_groups(view, course)
    titles = {o.id: o.title for o in view.states("outcome")}
    out = []
    for link in course_links(view, course):
        if outcomes is not None and link.outcome_id not in outcomes:
            continue
        prefix, seen, current = [], set(), groups.get(link.group_id or "")
        while current is not None and current.id not in seen and current.parent_id:  # the root has no parent
            seen.add(current.id)
            prefix.append({"name": current.title})
            current = groups.get(current.parent_id)
        out.append({"id": number(link.outcome_id), "parts": [*reversed(prefix), {"name": titles.get(link.outcome_id)}]})
    return out


def group_outcomes(view: View, course: str, group_id: str) -> list[str] | None:
    """The outcomes linked to one group of the course (None when the course has no such group)."""
    if group_id not in course_groups(view, course):
        return None
    return sorted({li.outcome_id for li in course_links(view, course) if li.group_id == group_id}, key=id_key)
