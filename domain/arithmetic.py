"""Canvas's arithmetic, in Python: Ruby's `Float#round` and sums and means that never raise.

Pure functions used by the rollup (domain/rollup.py): Canvas rounds with Ruby, whose half-way rule differs
from Python's `round`, and a hostile score must never make a sum or a mean raise (docs/canvas-rollups.md §5).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

__all__ = ["ruby_round", "fsum_safe", "mean_safe", "num_text", "list_text"]

# ------------------------------------------------------------------------------------------------- rounding


def _c_round(x: float) -> float:
    # C's round(): half away from zero, sign kept. (x - floor(x) is exact for a double, so no double rounding.)
    a = abs(x)
    f = math.floor(a)
    return math.copysign(float(f + 1 if a - f >= 0.5 else f), x)


def ruby_round(x: float, digits: int = 2) -> float:
    """Ruby's `Float#round(digits)` (§5), e.g. 3.175 -> 3.18 where Python's round gives 3.17.

    Mirrors Ruby's float.c `flo_round` + `round_half_up`: round x×10^d half away from zero, then step one
    up if the half-way point (f + 0.5)/10^d is still <= x (the step that rescues 1.005 -> 1.01).
    """
    if digits < 0:
        raise ValueError("ruby_round supports digits >= 0 only")
    x = float(x)
    if x == 0.0 or not math.isfinite(x):
        return x
    if digits == 0:
        return _c_round(x)
    binexp = math.frexp(x)[1]
    # float.c `float_round_overflow` / `float_round_underflow` (C integer division truncates toward 0).
    if digits >= 17 - (binexp // 4 if binexp > 0 else math.trunc(binexp / 3) - 1):
        return x
    if digits < -(binexp // 3 + 1 if binexp > 0 else math.trunc(binexp / 4)):
        return 0.0
    if digits > 14:  # Ruby switches to exact rationals here: 10**digits is no longer exact as a double
        scaled = Fraction(x) * 10**digits
        whole = math.floor(abs(scaled) + Fraction(1, 2))  # half away from zero, exactly
        return float(Fraction(whole if x > 0 else -whole, 10**digits))
    s = float(10**digits)
    f = _c_round(x * s)
    if x > 0 and (f + 0.5) / s <= x:
        f += 1
    elif x < 0 and (f - 0.5) / s >= x:
        f -= 1
    return f / s


def num_text(x: float) -> str:
    return str(int(x)) if math.isfinite(x) and x == int(x) and abs(x) < 1e15 else repr(x)


def list_text(scores: Sequence[float]) -> str:
    return ", ".join(num_text(s) for s in scores)


# Sums and means that cannot raise: values this large are scaled down by a power of two (exact) first.
_LARGE, _DOWN, _UP = 2.0**960, 2.0**-64, 2.0**64


def fsum_safe(values: Sequence[float]) -> float:
    """math.fsum that never raises: ±inf when finite values overflow, NaN when any value is not finite."""
    if not all(math.isfinite(v) for v in values):
        return math.nan
    if max(map(abs, values), default=0.0) < _LARGE:
        return math.fsum(values)
    return math.fsum(v * _DOWN for v in values) * _UP


def mean_safe(scores: Sequence[float]) -> float:
    """The mean of finite scores; it lies between their min and max, so it never overflows."""
    if max(map(abs, scores)) < _LARGE:
        return math.fsum(scores) / len(scores)
    return math.fsum(s * _DOWN for s in scores) / len(scores) * _UP
