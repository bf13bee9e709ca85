"""Server-rendered SVG charts, pure: plain data in (projections.queries.series answers), an SVG string out,
every text escaped. No script, no `style` attribute: colours are presentation attributes, which the pages'
Content-Security-Policy (`default-src 'none'`) leaves alone, so the same SVG works inline in a page, in the
static report and as a file.

- `mastery_over_time`: one outcome's rollup score after each of a student's results, as a step line, with
  the mastery threshold dashed, both axes labelled, a <title> and a <desc> listing every point.
- `rating_bars`: one outcome's students per rating as a stacked bar in the scale's colours, each count as text.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from markupsafe import escape

from domain.colours import NEUTRAL, hex_or_none, ink
from domain.values import parse_time

TEXT = "#1F2428"  # 15.9:1 on white
AXIS = "#5C6670"  # 5.9:1 on white
LINE = "#2D3B45"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
SERIES_SIZE = (560, 230)  # width, height of a mastery-over-time chart


def chart_key(*parts: str) -> str:
    """An id for a chart's <title>/<desc>, unique on a page: the parts with anything but [A-Za-z0-9_-] as `_`."""
    return "-".join(re.sub(r"[^A-Za-z0-9_-]", "_", p) for p in parts)


def _e(value: Any) -> str:
    return str(escape(value))


def _num(value: float) -> str:
    return f"{value:g}"


def _xy(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _open(key: str, width: int, height: int, css: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{_e(key)}-t {_e(key)}-d" data-chart="{_e(key)}">',
        f'<title id="{_e(key)}-t">{_e(title)}</title>',
        f'<desc id="{_e(key)}-d">{_e(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
    ]


def mastery_over_time(item: dict[str, Any], *, key: str, title: str, until: str | None = None) -> str:
    """A step line: the score after each point (`item["points"]`, oldest first) held until the next one, the
    last held until `until` (the page's cut) when it is later; `item["outcome"]` gives the threshold."""
    (width, height), (left, right, top, bottom) = SERIES_SIZE, (52, 20, 30, 48)
    outcome, points = item["outcome"], item["points"]
    moments = [parse_time(p["at"]) for p in points]
    start = moments[0] if moments else None
    end = max([*moments, *([parse_time(until)] if until else [])]) if moments else None
    span = (end - start).total_seconds() if start and end else 0.0
    scores = [p["score"] for p in points if p["score"] is not None]
    mastery = outcome.get("mastery_points")
    top_value = max([v for v in (outcome.get("points_possible"), mastery, *scores) if v is not None] or [1.0]) or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(moment: datetime) -> float:
        return left + (plot_w * ((moment - start).total_seconds() / span) if start and span else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h * (1 - value / top_value)

    shown = "; ".join(
        ("at the cut, with the rules then in force, " if p.get("kind") == "cut" else "")
        + f"{p['at']}: {'no score' if p['score'] is None else _num(p['score'])}"
        + (f" ({p['rating']['description']})" if p["rating"] else "")
        for p in points
    )
    desc = f"Rollup score after each result. Mastery at {_num(mastery) if mastery is not None else 'unknown'}. {shown}"
    out = _open(key, width, height, "mastery-over-time", title, desc)
    base = top + plot_h
    out.append(f'<g stroke="{AXIS}" stroke-width="1">')
    out.append(f'<line class="axis x" x1="{left}" y1="{_xy(base)}" x2="{left + plot_w}" y2="{_xy(base)}"/>')
    out.append(f'<line class="axis y" x1="{left}" y1="{top}" x2="{left}" y2="{_xy(base)}"/></g>')
    ticks = sorted({0.0, float(top_value), *([float(mastery)] if mastery is not None else [])})
    out.append(f'<g fill="{TEXT}" {FONT}>')
    for value in ticks:
        out.append(
            f'<text class="tick y" x="{left - 6}" y="{_xy(y(value) + 4)}" text-anchor="end">{_e(_num(value))}</text>'
        )
    if start and end:
        out.append(f'<text class="tick x" x="{left}" y="{_xy(base + 16)}">{_e(start.date().isoformat())}</text>')
        if span:
            out.append(
                f'<text class="tick x" x="{left + plot_w}" y="{_xy(base + 16)}" text-anchor="end">'
                f"{_e(end.date().isoformat())}</text>"
            )
    out.append(
        f'<text class="label x" x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle">result time (UTC)</text>'
    )
    out.append(
        f'<text class="label y" x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">score</text>'
    )
    if mastery is not None:
        out.append(
            f'<text class="label threshold" x="{left + plot_w}" y="{_xy(y(mastery) - 5)}" text-anchor="end">'
            f"mastery {_e(_num(mastery))}</text>"
        )
    out.append("</g>")
    if mastery is not None:
        out.append(
            f'<line class="threshold" data-value="{_e(_num(mastery))}" x1="{left}" y1="{_xy(y(mastery))}" '
            f'x2="{left + plot_w}" y2="{_xy(y(mastery))}" stroke="{AXIS}" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
    path: list[str] = []
    broken = True  # no score yet (or a null one): the next score starts a new line
    for i, (p, moment) in enumerate(zip(points, moments, strict=True)):
        if p["score"] is None:
            broken = True
            continue
        held = moments[i + 1] if i + 1 < len(moments) else end
        level = _xy(y(p["score"]))
        path.append(f"M {_xy(x(moment))} {level}" if broken else f"V {level}")
        path.append(f"H {_xy(x(held or moment))}")
        broken = False
    if path:
        out.append(f'<path class="step" d="{" ".join(path)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for p, moment in zip(points, moments, strict=True):
        if p["score"] is None:
            continue
        rating = p["rating"] or {}
        fill = hex_or_none(rating.get("color")) or LINE.removeprefix("#")
        cut = p.get("kind") == "cut"
        label = ("at the cut: " if cut else "") + f"{p['at']}: {_num(p['score'])}"
        label += f" ({rating['description']})" if rating.get("description") else ""
        out.append(
            f'<circle class="point{" cut" if cut else ""}" data-at="{_e(p["at"])}" data-score="{_e(_num(p["score"]))}" '
            f'cx="{_xy(x(moment))}" cy="{_xy(y(p["score"]))}" r="{3.5 if cut else 4.5}" '
            f'fill="{"#FFFFFF" if cut else "#" + fill}" stroke="{LINE}" stroke-width="{2 if cut else 1}">'
            f"<title>{_e(label)}</title></circle>"
        )
    out.append("</svg>")
    return "\n".join(out)


def rating_bars(item: dict[str, Any], *, key: str, title: str) -> str:
    """One stacked bar: a segment per rating (highest points first) as wide as its share of the students,
    in the rating's colour, the count written in it where it fits; under it a row per rating, count first."""
    width, left, bar_w, bar_h, row_h = 420, 8, 404, 26, 20
    ratings = sorted(item["ratings"], key=lambda r: -(r["points"] or 0))
    parts = [(r["description"], r["points"], hex_or_none(r["color"]) or NEUTRAL, r["count"]) for r in ratings]
    if item["unrated"]:
        parts.append(("no rating", None, "FFFFFF", item["unrated"]))
    total = item["students"]
    height = 12 + bar_h + 10 + row_h * len(parts) + 4
    shown = "; ".join(f"{d}: {n}" for d, _, _, n in parts)
    out = _open(key, width, height, "rating-bars", title, f"Students per rating, {total} in all. {shown}")
    out.append(f"<g {FONT}>")
    at = float(left)
    for description, _points, color, count in parts:
        if not count:
            continue
        w = bar_w * count / total
        label = f"{description}: {count} student{'' if count == 1 else 's'}"
        out.append(
            f'<rect class="segment" data-rating="{_e(description)}" data-count="{count}" x="{_xy(at)}" y="12" '
            f'width="{_xy(w)}" height="{bar_h}" fill="#{color}" stroke="#FFFFFF" stroke-width="1">'
            f"<title>{_e(label)}</title></rect>"
        )
        if w >= 8 * len(str(count)) + 6:
            out.append(
                f'<text class="count" x="{_xy(at + w / 2)}" y="{12 + bar_h / 2 + 4:.0f}" text-anchor="middle" '
                f'font-weight="600" fill="#{ink(color)}">{count}</text>'
            )
        at += w
    if not total:
        out.append(
            f'<rect x="{left}" y="12" width="{bar_w}" height="{bar_h}" fill="#FFFFFF" stroke="{AXIS}"/>'
            f'<text x="{left + 8}" y="{12 + bar_h / 2 + 4:.0f}" fill="{TEXT}">no student has a score</text>'
        )
    for i, (description, points, color, count) in enumerate(parts):
        row_y = 12 + bar_h + 10 + row_h * i
        named = description + (f" ({_num(points)})" if points is not None else "")
        out.append(
            f'<rect x="{left}" y="{row_y + 2}" width="14" height="14" fill="#{color}" stroke="{AXIS}"/>'
            f'<text class="row" data-rating="{_e(description)}" x="{left + 22}" y="{row_y + 14}" fill="{TEXT}">'
            f'<tspan font-weight="600">{count}</tspan> {_e(named)}</text>'
        )
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def stacked(title: str, charts: list[tuple[str, str, int, int]]) -> str:
    """Several charts as one SVG file with its own <title>, one under another, each under a heading:
    (heading, svg, width, height) each; the inner SVGs keep their own <title>."""
    gap, head = 16, 22
    width = max([w for _, _, w, _ in charts] or [320])
    height = sum(head + h + gap for _, _, _, h in charts) or gap
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f"<title>{_e(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
    ]
    y = 0
    for heading, svg, _, h in charts:
        out.append(f'<text x="8" y="{y + 16}" fill="{TEXT}" {FONT} font-weight="600">{_e(heading)}</text>')
        out.append(f'<g transform="translate(0 {y + head})">\n{svg}\n</g>')
        y += head + h + gap
    out.append("</svg>")
    return "\n".join(out) + "\n"
