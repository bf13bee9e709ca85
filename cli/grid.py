"""The terminal mastery grid: students × outcomes in blocks of outcome columns that fit the terminal's width
(the student columns repeated in each block, no cell ever wrapped into pieces), cells painted in their
rating's colour with black or white text for contrast, and a one-line legend per scale in use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cli.render import Painted, cell, console

PADDING = 3  # per column: one space each side and one rule; a table adds one more rule at its edge
NARROWEST_KEY = 8  # the student column is cut short (with …) to this at least, so one outcome still fits


def text_width(value: Any) -> int:
    from rich.cells import cell_len

    return cell_len(getattr(value, "plain", None) or str(value))


def blocks(key_widths: Sequence[int], widths: Sequence[int], total: int) -> list[list[int]]:
    """The outcome columns (their indexes) split greedily into runs that fit `total` beside the key columns;
    a column too wide for any run gets a run of its own."""
    room = total - 1 - sum(w + PADDING for w in key_widths)
    runs: list[list[int]] = []
    used = 0
    for i, w in enumerate(widths):
        if runs and used + w + PADDING <= room:
            runs[-1].append(i)
            used += w + PADDING
        else:
            runs.append([i])
            used = w + PADDING
    return runs


def fitted_keys(key_widths: list[int], widths: Sequence[int], total: int) -> list[int]:
    """The key columns' widths, the first (the student) cut so that the widest outcome column fits."""
    need = 1 + sum(w + PADDING for w in key_widths) + (max(widths, default=0) + PADDING) - total
    if need > 0 and key_widths:
        key_widths = [max(NARROWEST_KEY, key_widths[0] - need), *key_widths[1:]]
    return key_widths


def grid(
    title: str,
    keys: Sequence[str],
    columns: Sequence[str],
    rows: Sequence[tuple[Sequence[Any], Sequence[Any]]],
    out: Any = None,
) -> list[list[int]]:
    """Print the grid: `keys` (e.g. student, SIS id) start every block, `columns` (the outcomes) are split
    into blocks that fit. Each row is (key values, column values). Returns the blocks (column indexes)."""
    from rich.table import Table

    out = out or console()
    system = out.color_system
    key_cells = [[cell(v, system) for v in k] for k, _ in rows]
    col_cells = [[cell(v, system) for v in c] for _, c in rows]
    key_widths = [max([text_width(h)] + [text_width(r[i]) for r in key_cells]) for i, h in enumerate(keys)]
    widths = [max([text_width(h)] + [text_width(r[i]) for r in col_cells]) for i, h in enumerate(columns)]
    key_widths = fitted_keys(key_widths, widths, out.width)
    runs = blocks(key_widths, widths, out.width) or [[]]
    print_line([title], out)
    for n, run in enumerate(runs, 1):
        t = Table(header_style="bold")
        if len(runs) > 1:
            which = columns[run[0]] if len(run) == 1 else f"{columns[run[0]]} to {columns[run[-1]]}"
            print_line([f"part {n} of {len(runs)}: outcome{'s' if len(run) > 1 else ''} {which}"], out)
        for name, w in zip(keys, key_widths, strict=True):
            t.add_column(name, width=w, no_wrap=True, overflow="ellipsis")
        for i in run:
            t.add_column(columns[i], width=widths[i], no_wrap=True, overflow="ellipsis", justify="right")
        for k, c in zip(key_cells, col_cells, strict=True):
            t.add_row(*k, *[c[i] for i in run])
        out.print(t)
    return runs


def scale_key(outcome: dict[str, Any]) -> tuple:
    return tuple((r["points"], r["description"], r["color"]) for r in outcome.get("ratings") or [])


def legend(outcomes: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """One line per scale in use: each rating's points and description on its colour, and the mastery
    points; when the outcomes use several scales, each line names its outcomes."""
    scales: dict[tuple, list[dict[str, Any]]] = {}
    for o in outcomes:
        scales.setdefault(scale_key(o), []).append(o)
    lines = []
    for ratings, using in scales.items():
        line: list[Any] = []
        if len(scales) > 1:
            line.append(f"outcome{'s' if len(using) > 1 else ''} {', '.join(o['id'] for o in using)}: ")
        else:
            line.append("ratings: ")
        for points, description, color in ratings:
            line += [Painted(f" {points:g} {description or ''} ".replace("  ", " "), color), " "]
        mastery = using[0].get("mastery_points")
        if mastery is not None:
            line.append(f"(mastery at {mastery:g})")
        lines.append(line)
    return lines


def print_line(parts: Sequence[Any], out: Any = None) -> None:
    """A line of text and painted pieces (wrapped between words only when wider than the terminal)."""
    from rich.text import Text

    out = out or console()
    text = Text()
    for part in parts:
        text.append_text(part.render(out.color_system) if isinstance(part, Painted) else Text(str(part)))
    out.print(text)
