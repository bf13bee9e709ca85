"""A course's aggregate of its students' rollup scores (docs/canvas-rollups.md §7), for `--aggregate`.

Pure, like domain/rollup.py, which re-exports it (kept apart so that module stays within its size).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from domain.arithmetic import mean_safe, ruby_round


def course_aggregate(scores: Sequence[float | None], stat: str) -> tuple[float | None, int]:
    """§7: the course mean (Ruby-rounded) or median (not rounded) of students' scores; count includes nulls."""
    present = sorted(float(s) for s in scores if s is not None and math.isfinite(s))
    if stat not in ("mean", "median"):
        raise ValueError(f"unknown aggregate stat {stat!r} (mean or median)")
    if not present:
        return None, len(scores)
    if stat == "mean":
        return ruby_round(mean_safe(present)), len(scores)
    # rollup_score_aggregator_helper.rb `median_aggregate_score`: (lower middle + upper middle) / 2.0.
    k = len(present)
    return mean_safe([present[(k - 1) // 2], present[k // 2]]), len(scores)
