"""Canvas's Outcome, OutcomeGroup, OutcomeLink, Proficiency and OutcomeCalculationMethod JSON, built from the
folded states inside a View (now or as of a cut). Plain dicts out; web/canvas_outcomes.py serves them.

The shapes follow canvas-lms lib/api/v1/outcome.rb (`outcome_json`, `outcome_group_json`,
`outcome_link_json`), app/models/outcome_proficiency.rb (`as_json`, `ratings_hash`) and
app/models/outcome_calculation_method.rb (`as_json`). Ids are numbers where Canvas's are (a non-numeric id
stays text); urls are Canvas's paths. What the events cannot know is false or null: `can_edit` and
`can_unlink` false (this service is read-only), `has_updateable_rubrics` false, `friendly_description` null.
`assessed` is whether an active result for the outcome is inside the cut (in the link's course for a course
link). Scale mode stands for Canvas's account_level_mastery_scales flag: the outcome's points, ratings and
method are then its context's resolved scale and method (course, the course's account, the root account,
else Canvas's default scale and `highest`), as Canvas serialises an outcome given a context.
Groups the events name (a seen group's parent, a link's group) but never describe are answered with their
id and null fields; a context's root group is its one parentless seen group (the lowest id if several),
else the one unseen parent its groups share.
"""

from __future__ import annotations

from typing import Any

from domain.group import GroupState
from domain.ids import id_key
from domain.link import LinkState
from domain.outcome import OutcomeState
from domain.policy import effective_mode
from domain.rollup import DEFAULT_SCALE, criterion_scale, proficiency_scale
from domain.scales import _DEFAULT_CRITERION
from projections import packed
from projections.views import View

Context = tuple[str | None, str | None]  # ("Course", "565"), ("Account", "1"); (None, None) is global
GLOBAL: Context = (None, None)
# learning_outcome.rb: the methods whose calculation_int Canvas shows for an outcome's own method.
OWNED = ("outcome", "group", "link", "scale", "method")  # the kinds owned by a context (context_type/_id)
WITH_INT = ("decaying_average", "n_mastery", "standard_decaying_average", "weighted_average")


def canvas_id(value: Any) -> int | str | None:
    """An id as Canvas's JSON has it: a number when it is one."""
    if value is None:
        return None
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 30 else text


def number(value: Any) -> Any:
    """A whole float as an integer (Canvas's integer columns), anything else as it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def context_path(ctx: Context) -> str:
    kind, cid = ctx
    if kind == "Course":
        return f"/api/v1/courses/{cid}"
    if kind == "Account":
        return f"/api/v1/accounts/{cid}"
    return "/api/v1/global"


def assessed(view: View, course: str | None = None, outcome: str | None = None) -> set[str]:
    """Outcomes with an active (not deleted) result inside the cut, in one course or anywhere."""
    match = [(column, value) for column, value in (("course", course), ("outcome", outcome)) if value is not None]
    params = [view.root, *(value for _, value in match)]
    active = f"{packed.field(['result'], 'workflow_state', 'v.')} IS NOT 'deleted'"
    s = view.suffix
    if not view.is_cut:
        where = "".join(f" AND c.{column} = ?" for column, _ in match)
        sql = (
            f"SELECT DISTINCT c.outcome FROM entity_current{s} c JOIN entity_versions{s} v ON v.position = c.position "
            f"WHERE c.root = ? AND c.kind = 'result'{where} AND {active}"
        )
        return {r[0] for r in view.conn.execute(sql, params).fetchall() if r[0]}
    where = "".join(f" AND {column} = ?" for column, _ in match)
    cut, cut_params = view.cut_sql()
    # Each result's latest version inside the cut (SQLite returns the row holding the MAX).
    sql = (
        f"SELECT outcome FROM (SELECT outcome, state, MAX(fold_key) FROM entity_versions{s} "
        f"WHERE root = ? AND kind = 'result'{where}{cut} GROUP BY key) v WHERE {active}"
    )
    return {r[0] for r in view.conn.execute(sql, (*params, *cut_params)).fetchall() if r[0]}


class Shapes:
    """The serializers for one view: the mode in force, and the scale and method each context resolves to."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.mode = effective_mode(view.setting("mode", "auto"), view.any_event(("scale", "method")))
        self.root_local = view.root_local_id()
        self._rules: dict[str, list] = {}

    # ------------------------------------------------------------------------------------------ contexts

    def known(self, ctx: Context) -> bool:
        """Whether any event inside the cut names this course or account."""
        kind, cid = ctx
        cut, params = self.view.cut_sql()
        conn, s, root = self.view.conn, self.view.suffix, self.view.root
        if kind == "Course":
            sql = f"SELECT 1 FROM entity_versions{s} WHERE root = ? AND course = ?{cut} LIMIT 1"
            if conn.execute(sql, (root, cid, *params)).fetchone():
                return True
            sql = f"SELECT 1 FROM course_accounts{s} WHERE root = ? AND course = ?{cut} LIMIT 1"
            return conn.execute(sql, (root, cid, *params)).fetchone() is not None
        if kind == "Account":
            if cid == self.root_local:
                return True
            sql = f"SELECT 1 FROM course_accounts{s} WHERE root = ? AND account = ?{cut} LIMIT 1"
            if conn.execute(sql, (root, cid, *params)).fetchone():
                return True
            sql = (
                f"SELECT 1 FROM entity_versions{s} WHERE root = ? AND kind IN ('outcome', 'group', 'link', 'scale', "
                f"'method') AND {packed.field(OWNED, 'context_type')} = 'Account' "
                f"AND {packed.field(OWNED, 'context_id')} = ?{cut} LIMIT 1"
            )
            return conn.execute(sql, (root, cid, *params)).fetchone() is not None
        return True

    def levels(self, ctx: Context) -> list[Context]:
        """Where a context's scale and method come from, nearest first (Course → its account → the root)."""
        kind, cid = ctx
        found: list[Context] = []
        if kind == "Course":
            found.append(ctx)
            account = self.view.course_account(cid or "")
            if account is not None:
                found.append(("Account", account))
        elif kind == "Account":
            found.append(ctx)
        if self.root_local is not None and ("Account", self.root_local) not in found:
            found.append(("Account", self.root_local))
        return found

    def resolved(self, kind: str, ctx: Context) -> Any:
        """The active scale or method (`kind`) in force for a context, None when no level has one."""
        if kind not in self._rules:
            self._rules[kind] = [s for s in self.view.states(kind) if not s.deleted]
        for level in self.levels(ctx):
            here = [s for s in self._rules[kind] if (s.context_type, s.context_id) == level]
            if here:
                return max(here, key=lambda s: (s.last_event_time, s.last_position_hash))
        return None

    def proficiency(self, ctx: Context) -> dict[str, Any] | None:
        """GET …/outcome_proficiency: the resolved scale's ratings (Canvas's `as_json`), with the context it
        belongs to; Canvas's default scale at the root account in scale mode; None when there is none."""
        state = self.resolved("scale", ctx)
        if state is None and self.mode != "scale":
            return None
        scale = DEFAULT_SCALE if state is None else proficiency_scale(state.ratings, "")
        owner = ("Account", self.root_local) if state is None else (state.context_type, state.context_id)
        return {
            "ratings": [
                {"description": r.description, "points": r.points, "mastery": r.mastery, "color": r.color}
                for r in scale.ratings
            ],
            "context_type": owner[0],
            "context_id": canvas_id(owner[1]),
        }

    def calculation_method(self, ctx: Context) -> dict[str, Any] | None:
        """GET …/outcome_calculation_method: the resolved method (Canvas's `as_json`); Canvas's default
        (`highest`, at the root account) in scale mode; None when there is none."""
        state = self.resolved("method", ctx)
        if state is None and self.mode != "scale":
            return None
        if state is None:
            return {
                "id": None,
                "calculation_method": "highest",
                "calculation_int": None,
                "context_type": "Account",
                "context_id": canvas_id(self.root_local),
            }
        return {
            "id": canvas_id(state.id),
            "calculation_method": state.calculation_method,
            "calculation_int": number(state.calculation_int),
            "context_type": state.context_type,
            "context_id": canvas_id(state.context_id),
        }

    def scale_fields(self, ctx: Context) -> dict[str, Any]:
        """outcome.rb `mastery_scale_opts`: the context's method and scale, as an outcome shows them."""
        method, state = self.resolved("method", ctx), self.resolved("scale", ctx)
        scale = DEFAULT_SCALE if state is None else proficiency_scale(state.ratings, "")
        return {
            "calculation_method": "highest" if method is None else method.calculation_method,
            "calculation_int": None if method is None else number(method.calculation_int),
            "points_possible": scale.points_possible,
            "mastery_points": scale.mastery_points,
            "ratings": [
                {"points": r.points, "mastery": r.mastery, "description": r.description, "color": r.color}
                for r in scale.ratings
            ],
        }

    # ------------------------------------------------------------------------------------------- outcome

    def outcome(
        self,
        oid: str,
        state: OutcomeState | None,
        *,
        full: bool,
        ctx: Context | None = None,
        is_assessed: bool = False,
        add_defaults: bool = False,
    ) -> dict[str, Any]:
        """Canvas's Outcome (abbreviated, or full with `ctx` the context it is shown in)."""
        s = state
        out: dict[str, Any] = {
            "id": canvas_id(oid),
            "context_type": s and s.context_type,
            "context_id": canvas_id(s and s.context_id),
            "vendor_guid": s and s.vendor_guid,
            "display_name": s and s.display_name,
            "title": s and s.title,
            "url": f"/api/v1/outcomes/{oid}",
            "can_edit": False,
            "has_updateable_rubrics": False,
        }
        if not full:
            return out
        out["description"] = s and s.description
        out["friendly_description"] = None
        if self.mode == "scale":
            owner = ctx if ctx is not None else (s.context_type, s.context_id) if s else GLOBAL
            out |= self.scale_fields(owner)
        else:
            out |= self.criterion_fields(s, add_defaults)
        out["assessed"] = is_assessed
        return out

    @staticmethod
    def criterion_fields(state: OutcomeState | None, add_defaults: bool) -> dict[str, Any]:
        """The outcome's own rubric criterion and method (Canvas's default criterion when it has none)."""
        criterion = (state.rubric_criterion if state else None) or _DEFAULT_CRITERION
        given = [dict(r) for r in criterion.get("ratings") or [] if isinstance(r, dict)]
        given.sort(key=lambda r: -float(r["points"]) if isinstance(r.get("points"), int | float) else 0.0)
        if add_defaults:  # outcome.rb `find_or_set_rating_defaults`: each rating's mastery flag and colour
            scale = criterion_scale(criterion, "")
            by_points = {r.points: r for r in scale.ratings}
            for rating in given:
                known = (
                    by_points.get(float(rating["points"])) if isinstance(rating.get("points"), int | float) else None
                )
                if known is not None:
                    rating.setdefault("mastery", known.mastery)
                    rating.setdefault("color", known.color)
        method = (state.calculation_method if state else None) or "highest"
        out = {
            "points_possible": criterion.get("points_possible"),
            "mastery_points": criterion.get("mastery_points"),
            "ratings": given,
            "calculation_method": method,
        }
        if method in WITH_INT:
            out["calculation_int"] = number(state.calculation_int if state else None)
        return out

    # ------------------------------------------------------------------------------------ groups, links

    def group(self, gid: str, catalog: Catalog, *, full: bool) -> dict[str, Any]:
        """Canvas's OutcomeGroup (abbreviated or full) of a group of the catalog's context."""
        g = catalog.seen.get(gid)
        base = f"{context_path(catalog.ctx)}/outcome_groups/{gid}"
        out: dict[str, Any] = {
            "id": canvas_id(gid),
            "title": g and g.title,
            "vendor_guid": g and g.vendor_guid,
            "url": base,
            "subgroups_url": f"{base}/subgroups",
            "outcomes_url": f"{base}/outcomes",
            "can_edit": False,
        }
        if not full:
            return out
        out["import_url"] = f"{base}/import"
        if g is not None and g.parent_id is not None:
            out["parent_outcome_group"] = self.group(g.parent_id, catalog, full=False)
        out["context_id"] = canvas_id(catalog.ctx[1])
        out["context_type"] = catalog.ctx[0]
        out["description"] = g and g.description
        return out

    def link(self, link: LinkState, catalog: Catalog, *, outcome_full: bool, group_full: bool) -> dict[str, Any]:
        """Canvas's OutcomeLink: the link's context, its group and its outcome (abbreviated unless asked)."""
        gid, oid = link.group_id or "", link.outcome_id
        done = oid in catalog.assessed()
        return {
            "context_type": link.context_type,
            "context_id": canvas_id(link.context_id),
            "url": f"{context_path(catalog.ctx)}/outcome_groups/{gid}/outcomes/{oid}",
            "outcome_group": self.group(gid, catalog, full=group_full),
            "outcome": self.outcome(
                oid, catalog.outcomes.get(oid), full=outcome_full, ctx=catalog.ctx, is_assessed=done
            ),
            "can_unlink": False,
            "assessed": done,
        }


class Catalog:
    """The groups and links of one context inside a view, and the outcomes they link."""

    def __init__(self, view: View, ctx: Context) -> None:
        self.view, self.ctx = view, ctx
        kind, cid = ctx
        match = {"course": cid} if kind == "Course" else {}
        groups: list[GroupState] = [g for g in view.states("group", **match) if (g.context_type, g.context_id) == ctx]
        links: list[LinkState] = [
            li for li in view.states("link", **match) if (li.context_type, li.context_id) == ctx and not li.deleted
        ]
        self.seen = {g.id: g for g in groups if not g.deleted}
        gone = {g.id for g in groups if g.deleted}
        named = {g.parent_id for g in self.seen.values()} | {li.group_id for li in links}
        self.unseen = {n for n in named if n and n not in self.seen and n not in gone}
        # A deleted group's links and subgroups went with it (learning_outcome_group.rb `destroy`).
        self.links = sorted((li for li in links if li.group_id not in gone), key=lambda li: id_key(li.id))
        found = view.states_among("outcome", "key", {li.outcome_id for li in self.links})
        self.outcomes: dict[str, OutcomeState] = {o.id: o for o in found}
        self._assessed: set[str] | None = None

    def ids(self) -> list[str]:
        """Every group of the context: seen, and named but never seen; by numeric id."""
        return sorted(set(self.seen) | self.unseen, key=id_key)

    def has(self, gid: str) -> bool:
        return gid in self.seen or gid in self.unseen

    def root(self) -> str | None:
        """The context's root group, as far as the events tell (None when they do not)."""
        top = [g.id for g in self.seen.values() if g.parent_id is None]
        if top:
            return min(top, key=id_key)
        parents = {g.parent_id for g in self.seen.values() if g.parent_id in self.unseen}
        return parents.pop() if len(parents) == 1 else None

    def subgroups(self, gid: str) -> list[str]:
        """The group's active child groups, by title (Canvas's `order_by_title`), then id."""
        kids = [g for g in self.seen.values() if g.parent_id == gid]
        return [g.id for g in sorted(kids, key=lambda g: ((g.title or "").lower(), id_key(g.id)))]

    def links_of(self, gid: str) -> list[LinkState]:
        """The group's active links, by their outcome's title (`order_by_outcome_title`), then id."""

        def title(li: LinkState) -> str:
            found = self.outcomes.get(li.outcome_id)
            return (found.title or "").lower() if found else ""

        return sorted((li for li in self.links if li.group_id == gid), key=lambda li: (title(li), id_key(li.id)))

    def assessed(self) -> set[str]:
        """The linked outcomes with an active result: in the course, or anywhere for other contexts."""
        if self._assessed is None:
            if self.ctx[0] == "Course":
                self._assessed = assessed(self.view, course=self.ctx[1])
            else:
                linked = {li.outcome_id for li in self.links}
                if self.view.is_cut:  # one pass: the versions have no index by outcome alone
                    self._assessed = assessed(self.view) & linked
                else:  # current rows are indexed by outcome
                    self._assessed = set().union(*(assessed(self.view, outcome=o) for o in linked))
        return self._assessed
