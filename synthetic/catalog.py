"""Bodies of the outcome catalog as Canvas sends them: outcomes with their calculation method and
rubric criterion, groups, links, mastery scales and calculation methods."""

from __future__ import annotations

import random

import orjson

from synthetic.basics import CALCULATION_METHODS
from synthetic.world import _Course, _Outcome, _Root

_SKILLS = (
    "Analyze evidence",
    "Model with mathematics",
    "Construct explanations",
    "Cite textual evidence",
    "Communicate precisely",
    "Evaluate claims",
    "Plan investigations",
    "Interpret data",
    "Argue from evidence",
    "Use academic vocabulary",
    "Reason abstractly",
    "Revise writing",
)
_STANDARDS = (
    "Key Ideas and Details",
    "Craft and Structure",
    "Integration of Knowledge",
    "Text Types and Purposes",
    "Production of Writing",
    "Research to Build Knowledge",
    "Number and Quantity",
    "Algebraic Reasoning",
    "Functions",
    "Statistics and Probability",
    "Scientific Inquiry",
    "Engineering Design",
    "Matter and Interactions",
    "Earth's Systems",
)


_INT_VALID = {
    "decaying_average": (65, 65, 75, 50, 80),
    "weighted_average": (65, 70, 80),
    "standard_decaying_average": (65, 70, 85, 50),
    "n_mastery": (2, 3, 3, 4, 5),
}
_INT_INVALID = {
    "decaying_average": (0, 150),
    "weighted_average": (0, 100),
    "standard_decaying_average": (40, 100),
    "n_mastery": (0, 12),
}
_RATING_WORDS = (
    "Exceeds Expectations",
    "Proficient",
    "Meets Expectations",
    "Nearing Expectations",
    "Developing",
    "Does Not Meet Expectations",
)


def _method_fields(rng: random.Random, method: str | None, mode: str) -> dict:
    """calculation_method / calculation_int; 'invalid' gives ints Canvas would ignore (65 with highest)."""
    if method is None:
        return {}
    if mode == "invalid":
        return {"calculation_int": rng.choice(_INT_INVALID.get(method, (65,))), "calculation_method": method}
    if mode == "valid" and method in _INT_VALID:
        return {"calculation_int": rng.choice(_INT_VALID[method]), "calculation_method": method}
    return {"calculation_method": method}


def _criterion(rng: random.Random, title: str) -> dict:
    """3-6 ratings from the top points down to 0; a few criteria leave out points_possible/mastery_points."""
    n = rng.randint(3, 6)
    top = rng.choice([t for t in (3, 4, 5, 6, 10) if t >= n - 1])
    points = [top, *sorted(rng.sample(range(1, top), n - 2), reverse=True), 0]
    words = [
        _RATING_WORDS[0],
        *sorted(rng.sample(_RATING_WORDS[1:-1], n - 2), key=_RATING_WORDS.index),
        _RATING_WORDS[-1],
    ]
    criterion = {
        "description": title,
        "mastery_points": points[rng.randint(1, n - 2)],
        "points_possible": top,
        "ratings": [{"description": w, "points": p} for w, p in zip(words, points, strict=True)],
    }
    if rng.random() < 0.08:
        del criterion["mastery_points"], criterion["points_possible"]
    return criterion


def _outcome_body(rng: random.Random, oid: int, context: tuple, title: str, vendor: str | None, spec: tuple) -> dict:
    method, mode, with_criterion = spec
    body = _method_fields(rng, method, mode)
    body.update(
        context_id=str(context[1]),
        context_type=context[0],
        description=f"<p>{title}.</p>",
        display_name=title.split(":")[-1].strip(),
        learning_outcome_id=str(oid),
        short_description=title,
        title=title,
    )
    if vendor:
        body["vendor_guid"] = vendor
    body["workflow_state"] = "active"
    if with_criterion:
        body["rubric_criterion"] = _criterion(rng, title)
    return body


def _account_outcome(rng: random.Random, root: _Root, k: int, spec: tuple) -> _Outcome:
    title, vendor = _STANDARDS[k], f"STD.{root.shard}.{k + 1}"
    return _Outcome(_outcome_body(rng, k + 1, ("Account", 1), title, vendor, spec), root.uuid)


def _course_outcome(c: _Course, k: int) -> _Outcome:
    rng = c.rng
    method = rng.choice(CALCULATION_METHODS) if rng.random() > 0.04 else None
    mode = rng.choices(("valid", "none", "invalid"), (80, 15, 5))[0]
    title = f"{c.subject}: {rng.choice(_SKILLS)}"
    spec = (method, mode, rng.random() > 0.1)
    base, stride = c.shape.outcome_ids
    return _Outcome(_outcome_body(rng, base + stride * c.idx + k, ("Course", c.local_id), title, None, spec), c.uuid)


def _scoring(body: dict) -> tuple[tuple, float, float]:
    """(rating points, points possible, mastery ratio) of an outcome; Canvas's default criterion without one."""
    criterion = body.get("rubric_criterion")
    if not criterion:
        return (5, 3, 0), 5, 0.6
    points = tuple(r["points"] for r in criterion["ratings"])
    possible = criterion.get("points_possible", points[0])
    return points, possible, criterion.get("mastery_points", points[len(points) // 2]) / possible


def _group_body(context: tuple, gid: int, parent: int | None, title: str, vendor: str | None = None) -> dict:
    body = {
        "context_id": str(context[1]),
        "context_type": context[0],
        "description": f"<p>{title}</p>",
        "learning_outcome_group_id": str(gid),
    }
    if parent is not None:
        body["parent_outcome_group_id"] = str(parent)
    body.update(title=title, workflow_state="active")
    if vendor:
        body["vendor_guid"] = vendor
    return body


def _link_body(context: tuple, link_id: int, group: dict, outcome: _Outcome) -> dict:
    return {
        "context_id": str(context[1]),
        "context_type": context[0],
        "learning_outcome_group_id": group["learning_outcome_group_id"],
        "learning_outcome_id": outcome.body["learning_outcome_id"],
        "learning_outcome_link_id": str(link_id),
        "workflow_state": "active",
    }


_ROOT_SCALE = (
    ("Exceeds Mastery", 4.0, False, "02672D", "active"),
    ("Mastery", 3.0, True, "03893D", "active"),
    ("Near Mastery", 2.0, False, "FAB901", "active"),
    ("Below Mastery", 1.0, False, "FD5D10", "active"),
    ("Well Below Mastery", 0.0, False, "E62429", "active"),
)
_ROOT_SCALE_V2 = (
    ("Exceeds Mastery", 5.0, False, "02672D", "active"),
    ("Mastery", 3.0, True, "0B874B", "active"),
    *_ROOT_SCALE[2:],
)
_ROOT_SCALE_V3 = (*_ROOT_SCALE_V2[:3], ("Below Mastery", 1.0, False, "FD5D10", "deleted"), _ROOT_SCALE_V2[4])
_SUB_SCALE = (
    ("Advanced", 3.0, False, "0374B5", "active"),
    ("Proficient", 2.0, True, "0B874B", "active"),
    ("Developing", 1.0, False, "FAB901", "active"),
    ("Beginning", 0.0, False, "E0061F", "active"),
)
_COURSE_SCALE = (
    ("Exemplary", 4.0, False, "0374B5", "active"),
    ("Proficient", 3.0, True, "0B874B", "active"),
    ("Developing", 2.0, False, "FAB901", "active"),
    ("Beginning", 1.0, False, "E0061F", "active"),
)
_COURSE_SCALE_V2 = (
    *_COURSE_SCALE[:1],
    ("Proficient", 3.0, True, "03893D", "active"),
    _COURSE_SCALE[2],
    ("Beginning", 0.0, False, "E0061F", "active"),
)


def _scale_body(sid: int, context: tuple, ratings: tuple) -> dict:
    return {
        "outcome_proficiency_id": str(sid),
        "context_type": context[0],
        "context_id": str(context[1]),
        "workflow_state": "active",
        "outcome_proficiency_ratings": [
            {
                "outcome_proficiency_rating_id": str(sid * 10 + k + 1),
                "description": d,
                "points": p,
                "mastery": m,
                "color": c,
                "workflow_state": s,
            }
            for k, (d, p, m, c, s) in enumerate(ratings)
        ],
    }


def _method_body(mid: int, context: tuple, method: str, value: int | None) -> dict:
    body = {
        "outcome_calculation_method_id": str(mid),
        "context_type": context[0],
        "context_id": str(context[1]),
        "workflow_state": "active",
        "calculation_method": method,
    }
    if value is not None:
        body["calculation_int"] = value
    return body


def _copy(body: dict) -> dict:
    """A deep copy, so that what a consumer receives never shares state with the generator."""
    return orjson.loads(orjson.dumps(body))
