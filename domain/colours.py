"""Colour arithmetic of the scales' rating colours (6 hex digits, as Canvas sends them): WCAG relative
luminance, contrast ratios, and the text colour (black or white) that reads best on a rating's colour.
One source for the pages, the report, the charts and the terminal grid."""

from __future__ import annotations

import re

HEX = re.compile(r"[0-9A-Fa-f]{6}")
NEUTRAL = "C7CDD1"  # a cell or bar whose rating has no usable colour


def hex_or_none(value: object) -> str | None:
    """A 6-digit hex colour (upper case), or None for anything else."""
    return value.upper() if isinstance(value, str) and HEX.fullmatch(value) else None


def luminance(color: str) -> float:
    """WCAG 2 relative luminance of a 6-digit hex colour."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two 6-digit hex colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink(color: str | None) -> str:
    """Black or white text, whichever contrasts more with the colour; the better of the two is always at
    least 4.58:1, so every painted cell meets WCAG AA (4.5:1)."""
    if color is None:
        return "000000"
    return "000000" if contrast(color, "000000") >= contrast(color, "FFFFFF") else "FFFFFF"
