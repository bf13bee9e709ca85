"""Canvas outcome rollups, computed: one student's mastery score for one outcome from its counted results.

Pure calculation, no I/O, clock or database. It follows docs/canvas-rollups.md §2-§8, which mirrors
Canvas (instructure/canvas-lms `app/models/rollup_score.rb`, `app/helpers/rollup_score_aggregator_helper.rb`,
`app/models/outcome_calculation_method.rb`, `app/models/learning_outcome.rb`). The caller decides which
results count (§1) and which scale and method apply (§2); this module scales each result (§3), orders them
(§4), applies the method (§5), rounds the way Ruby does (§5), rates the score (§6), and aggregates a course
(§7). Every score keeps the steps and arithmetic behind it, for `mastery explain`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.aggregate import course_aggregate
from domain.arithmetic import fsum_safe, list_text, mean_safe, num_text, ruby_round
from domain.ids import id_key
from domain.scales import DEFAULT_SCALE, Rating, Scale, criterion_scale, proficiency_scale, rating_for

__all__ = [
    "Rating",
    "Scale",
    "Method",
    "ResultInput",
    "Step",
    "RollupScore",
    "DEFAULT_SCALE",
    "METHODS",
    "ruby_round",
    "method_from",
    "criterion_scale",
    "proficiency_scale",
    "order_results",
    "rating_for",
    "rollup",
    "rollup_numbers",
    "course_aggregate",
]

QUIZ_ARTIFACT = "Quizzes::QuizSubmission"

# outcome_calculation_method.rb VALID_CALCULATION_INTS, with learning_outcome.rb `default_calculation_int`.
# Each entry: (lowest valid int, highest valid int, default int); None for methods that take no int.
METHODS: dict[str, tuple[int, int, int] | None] = {
    "highest": None,
    "latest": None,
    "average": None,
    "decaying_average": (1, 99, 65),
    "weighted_average": (1, 99, 65),
    "standard_decaying_average": (50, 99, 65),
    "n_mastery": (1, 10, 5),
}
# §3 / rollup_score_aggregator_helper.rb `scaled_score_from_result`: quiz results are grouped per asset
# for these methods only; highest and n_mastery score each question on its own.
GROUPED_METHODS = frozenset({"latest", "average", "decaying_average", "weighted_average", "standard_decaying_average"})


@dataclass(frozen=True)
class Method:
    name: str  # highest|latest|average|decaying_average|weighted_average|standard_decaying_average|n_mastery
    int: int | None  # the effective int (valid given one, else the method's default); None for methods taking none
    source: str  # human text given by the caller
    note: str | None = None  # why a given int was ignored / why an unknown method fell back, else None


@dataclass(frozen=True)
class ResultInput:
    id: str  # Canvas result id (numeric string normally)
    score: float | None
    percent: float | None
    possible: float | None
    assessed_at: datetime | None  # timezone-aware UTC
    artifact_type: str | None = None
    associated_asset_type: str | None = None
    associated_asset_id: str | None = None


@dataclass(frozen=True)
class Step:  # one counted result, in calculation order, for `mastery explain`
    result_id: str
    assessed_at: datetime | None
    raw_score: float
    scaled_score: float
    how: str  # e.g. "percent 0.4 × 3.0 (points_possible)", "raw score"


@dataclass(frozen=True)
class RollupScore:
    score: float | None  # final, Ruby-rounded to 2 decimals; None when the method yields null
    count: int  # number of counted results
    submitted_at: str | None  # "YYYY-MM-DDTHH:MM:SSZ" per §6b, or None
    rating: Rating | None
    mastery: bool | None  # score >= scale.mastery_points; None when score (or mastery_points) is None
    steps: tuple[Step, ...]
    arithmetic: str  # one human-readable line showing the method's arithmetic
    ignored: tuple[str, ...] = ()  # ids of results left out because their scaled score is not finite


# --------------------------------------------------------------------------------------------------- method


def _as_int(value: object) -> int | None:
    # An int, an integral float (65.0) or digit text ("65"); anything else is not a calculation_int.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def method_from(name: str | None, int_: object, source: str) -> Method:
    """The method and effective int to use (§2): unknown/missing name -> highest, bad int -> the default."""
    notes = []
    if name not in METHODS:
        if name not in (None, ""):
            notes.append(f"unknown calculation_method {name!r}: highest used")
        name = "highest"
    valid = METHODS[name]
    number = _as_int(int_)
    if valid is None:
        effective = None
        if int_ is not None:
            notes.append(f"calculation_int {int_!r} ignored: {name} takes none")
    else:
        low, high, default = valid
        effective = number if number is not None and low <= number <= high else default
        if int_ is not None and effective != number:
            notes.append(f"calculation_int {int_!r} ignored: {name} takes {low}-{high}; default {default} used")
    return Method(name, effective, source, "; ".join(notes) or None)


# ---------------------------------------------------------------------------------------------------- order


def _second(moment: datetime | None) -> int | None:
    # Whole UTC seconds, like Ruby's Time#to_i (fractions dropped); a naive time is read as UTC.
    if moment is None:
        return None
    return math.floor((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def _order_key(result: ResultInput) -> tuple:
    second = _second(result.assessed_at)
    # §4: no time = oldest; equal whole seconds keep ascending numeric id order.
    return (second is not None, second or 0, id_key(result.id))


def order_results(results: Sequence[ResultInput]) -> list[ResultInput]:
    """§4: oldest first by whole-second assessed_at (no time first), ties by numeric id; last = latest."""
    return sorted(results, key=_order_key)


def _submitted_at(ordered: list[ResultInput]) -> str | None:
    # §6b: the time of the first result holding the latest whole-second key (Canvas: `latest_result`).
    latest, moment = 0, None
    for r in ordered:  # the first timed result holding the greatest whole second
        if r.assessed_at is None:
            continue
        second = _second(r.assessed_at) or 0
        if moment is None or second > latest:
            latest, moment = second, r.assessed_at
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------------------------- scoring §3


def _scale_points(scale: Scale) -> tuple[float | None, str]:
    # rollup_score_aggregator_helper.rb `result_score`: points_possible when > 0, else mastery_points.
    if scale.points_possible is not None and scale.points_possible > 0:
        return scale.points_possible, "points_possible"
    return scale.mastery_points, "mastery_points"


def _own_scaled(result: ResultInput, p: float | None) -> float:
    # `result.try(:percent)`: 0.0 is truthy in Ruby, so only a null percent falls back to the raw score.
    assert result.score is not None  # the rollup counts only results with a score (§1)
    if result.percent is None or p is None:
        return float(result.score)
    return float(result.percent) * p


def _own_step(result: ResultInput, scale: Scale) -> Step:
    p, which = _scale_points(scale)
    if result.percent is None:
        how = "raw score"
    elif p is None:
        how = f"raw score (percent {float(result.percent)!r} but the scale has no points_possible or mastery_points)"
    else:
        how = f"percent {float(result.percent)!r} × {p!r} ({which})"
    return Step(result.id, result.assessed_at, float(result.score or 0), _own_scaled(result, p), how)


def _quiz_asset(result: ResultInput) -> tuple[str | None, str] | None:
    # §3: only quiz results with `possible` (and a percent to weight) on a known asset join a group. Canvas's
    # `is_match?` would also pull in a rubric result on the asset, and would group results with no asset at
    # all; the doc says only quiz results join (the doc wins), and with no asset nothing is shared.
    if (
        result.artifact_type != QUIZ_ARTIFACT
        or result.possible is None
        or result.percent is None
        or result.associated_asset_id is None
    ):
        return None
    return (result.associated_asset_type, str(result.associated_asset_id))


def _group_values(results: list[ResultInput], p: float | None) -> dict[tuple, tuple[float, float, float]]:
    """Each quiz asset's (Σ possible×percent, Σ possible, group value) (§3); groups with Σ possible 0 left out."""
    members: dict[tuple, list[ResultInput]] = {}
    for r in results:
        asset = _quiz_asset(r)
        if asset is not None:
            members.setdefault(asset, []).append(r)
    groups = {}
    for asset, rs in members.items():
        total = fsum_safe([float(r.possible or 0) for r in rs])  # quiz members all have `possible`
        # Canvas's `alignment_aggregate_score` returns nil for Σ possible 0; the doc keeps each result's own
        # score instead (the doc wins). With no P at all the raw score is used (see _own_scaled).
        weighted = fsum_safe([float(r.possible or 0) * float(r.percent or 0) for r in rs])
        if total == 0 or p is None or not math.isfinite(total) or not math.isfinite(weighted):
            continue  # a non-finite or overflowing group (bad data): each result keeps its own score
        groups[asset] = (weighted, total, (weighted / total) * p)
    return groups


def _quiz_groups(results: list[ResultInput], scale: Scale) -> dict[tuple, tuple[float, str]]:
    """Each quiz asset's group value (§3) and how it was computed."""
    p, which = _scale_points(scale)
    return {
        asset: (
            value,
            f"quiz group {asset[0]} {asset[1]}: (Σ possible×percent / Σ possible) × {p!r} ({which})"
            f" = ({weighted!r} / {total!r}) × {p!r}",
        )
        for asset, (weighted, total, value) in _group_values(results, p).items()
    }


def _group_of(result: ResultInput, groups: dict[tuple, tuple]) -> tuple | None:
    asset = _quiz_asset(result)
    return None if asset is None else groups.get(asset)


def _steps(ordered: list[ResultInput], scale: Scale, grouped: bool) -> list[Step]:
    groups = _quiz_groups(ordered, scale) if grouped else {}
    return [
        Step(r.id, r.assessed_at, float(r.score or 0), *g) if (g := _group_of(r, groups)) else _own_step(r, scale)
        for r in ordered
    ]


def _scaled_scores(ordered: list[ResultInput], scale: Scale, grouped: bool) -> list[float]:
    # `_steps`'s scaled scores alone (the numbers-only rollup): the same helpers, no Step or text.
    p = _scale_points(scale)[0]
    groups = _group_values(ordered, p) if grouped else {}
    return [g[2] if (g := _group_of(r, groups)) else _own_scaled(r, p) for r in ordered]


# ---------------------------------------------------------------------------------------------- methods §5


def _highest(scores: list[float], _n: int, _scale: Scale) -> tuple[float | None, str]:
    return max(scores), f"max({list_text(scores)})"


def _latest(scores: list[float], _n: int, _scale: Scale) -> tuple[float | None, str]:
    return scores[-1], f"latest of ({list_text(scores)})"


def _average(scores: list[float], _n: int, _scale: Scale) -> tuple[float | None, str]:
    return mean_safe(scores), f"mean({list_text(scores)})"


def _weighted(scores: list[float], w: int, _scale: Scale) -> tuple[float | None, str]:
    # rollup_score.rb `decaying_average_set`: latest × 0.01w + mean(older) × 0.01(100 − w).
    if len(scores) == 1:
        return scores[0], f"single result {num_text(scores[0])}"
    *older, latest = scores
    value = fsum_safe([latest * (0.01 * w), mean_safe(older) * (0.01 * (100 - w))])
    return value, f"{num_text(latest)}×{w / 100:g} + mean({list_text(older)})×{(100 - w) / 100:g}"


def _standard_decay(scores: list[float], d: int, _scale: Scale) -> tuple[float | None, str]:
    # rollup_score.rb `standard_decaying_average`: a = a × 0.01(100 − d) + next × 0.01d, from s1.
    if len(scores) == 1:
        return scores[0], f"single result {num_text(scores[0])}"
    keep, take = f"{(100 - d) / 100:g}", f"{d / 100:g}"
    value, text = scores[0], num_text(scores[0])
    for i, s in enumerate(scores[1:]):
        value = fsum_safe([value * (0.01 * (100 - d)), s * (0.01 * d)])
        text = f"{f'({text})' if i else text}×{keep} + {num_text(s)}×{take}"
    return value, text


def _n_mastery(scores: list[float], n: int, scale: Scale) -> tuple[float | None, str]:
    # rollup_score.rb `n_mastery_set`: null below n results; else the mean of ALL scores >= mastery_points.
    if len(scores) < n:
        return None, f"n_mastery {n}: {len(scores)} result(s), fewer than {n}"
    if scale.mastery_points is None:  # Canvas would raise comparing with nil; no threshold, nothing kept
        return None, f"n_mastery {n}: the scale has no mastery_points"
    kept, least = [s for s in scores if s >= scale.mastery_points], num_text(scale.mastery_points)
    if len(kept) < n:
        return None, f"n_mastery {n}: {len(kept)} of ({list_text(scores)}) >= {least}, fewer than {n}"
    return mean_safe(kept), f"n_mastery {n}: mean of scores >= {least}: mean({list_text(kept)})"


_CALCULATIONS: dict[str, Callable[[list[float], int, Scale], tuple[float | None, str]]] = {
    "highest": _highest,
    "latest": _latest,
    "average": _average,
    "decaying_average": _weighted,
    "weighted_average": _weighted,
    "standard_decaying_average": _standard_decay,
    "n_mastery": _n_mastery,
}


def _calculation(method: Method, legacy_decay: bool) -> tuple[str, int, str]:
    """The calculation to run, its int, and a prefix naming a legacy mapping (§5)."""
    if method.name not in METHODS:
        raise ValueError(f"unknown calculation method {method.name!r} (use method_from to choose one)")
    valid = METHODS[method.name]
    number = method.int if method.int is not None else (valid[2] if valid else 0)
    if legacy_decay and method.name == "standard_decaying_average":
        # Canvas with the new-decay flag off treats standard_decaying_average as the weighted formula
        # (rollup_score.rb `adjust_calculation_method`), keeping the stored int.
        return "weighted_average", number, "standard_decaying_average as legacy weighted_average: "
    return method.name, number, ""


def rollup(results: Sequence[ResultInput], scale: Scale, method: Method, *, legacy_decay: bool = False) -> RollupScore:
    """One student's rollup score for one outcome (§3-§6) from the counted results the caller passes."""
    name, number, prefix = _calculation(method, legacy_decay)
    # §5: count is the results with a score; a null score never counts (§1), whatever the caller passed.
    ordered = [r for r in order_results(results) if r.score is not None]
    every = _steps(ordered, scale, grouped=name in GROUPED_METHODS)
    # Bad data never stops a rollup: a scaled score that is not finite (inf, NaN) is left out and named.
    steps = [s for s in every if math.isfinite(s.scaled_score)]
    ignored = tuple(s.result_id for s in every if not math.isfinite(s.scaled_score))
    ordered = [r for r, s in zip(ordered, every, strict=True) if math.isfinite(s.scaled_score)]
    if not steps:
        return RollupScore(None, 0, None, None, None, (), "no results → null", ignored)
    value, text = _CALCULATIONS[name]([s.scaled_score for s in steps], number, scale)
    score, mastery, text = _finish(value, text, scale)
    arithmetic = f"{prefix}{text} {'→ null' if score is None else f'= {num_text(score)}'}"
    return RollupScore(
        score, len(steps), _submitted_at(ordered), rating_for(score, scale), mastery, tuple(steps), arithmetic, ignored
    )


def rollup_numbers(
    results: Sequence[ResultInput], scale: Scale, method: Method, *, legacy_decay: bool = False
) -> RollupScore:
    """`rollup` without steps and arithmetic (() and ""), for the drain: the same helpers in the same order,
    not a second calculation (tests/unit/test_rollup_numbers.py proves every other field equal)."""
    name, number, _ = _calculation(method, legacy_decay)
    ordered = [r for r in order_results(results) if r.score is not None]
    every = _scaled_scores(ordered, scale, grouped=name in GROUPED_METHODS)
    ignored: tuple[str, ...] = ()
    if all(map(math.isfinite, every)):  # the usual case: nothing to leave out
        kept, scores = ordered, every
    else:
        kept = [r for r, s in zip(ordered, every, strict=True) if math.isfinite(s)]
        scores = [s for s in every if math.isfinite(s)]
        ignored = tuple(r.id for r, s in zip(ordered, every, strict=True) if not math.isfinite(s))
    if not kept:
        return RollupScore(None, 0, None, None, None, (), "", ignored)
    value, _ = _CALCULATIONS[name](scores, number, scale)
    score, mastery, _ = _finish(value, "", scale)
    return RollupScore(score, len(kept), _submitted_at(kept), rating_for(score, scale), mastery, (), "", ignored)


def _finish(value: float | None, text: str, scale: Scale) -> tuple[float | None, bool | None, str]:
    # A value that is not finite is null; §5: rounded once, at the end; mastery against mastery_points.
    if value is not None and not math.isfinite(value):
        value, text = None, f"{text} overflows"
    score = None if value is None else ruby_round(value)
    mastery = None if score is None or scale.mastery_points is None else score >= scale.mastery_points
    return score, mastery, text
