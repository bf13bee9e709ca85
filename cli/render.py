"""Rendering for people (rich tables, coloured ratings) and for scripts (JSON, CSV). Nothing else."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click
import orjson


def emit_json(value: Any) -> None:
    """JSON on stdout, UTF-8, two-space indent, keys in the order given."""
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    sys.stdout.flush()


def emit_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)


def console() -> Any:
    from rich.console import Console
    return Console(highlight=False, soft_wrap=False)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], caption: str | None = None) -> None:
    """A readable table (plain text when stdout is not a terminal)."""
    from rich.table import Table
    t = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    for column in columns:
        t.add_column(column, overflow="fold")
    for row in rows:
        t.add_row(*[cell(v) for v in row])
    console().print(t)


def cell(value: Any) -> Any:
    from rich.text import Text
    if value is None:
        return Text("–", style="dim")
    if isinstance(value, Text):
        return value
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def rating_cell(score: float | None, description: str | None, color: str | None) -> Any:
    """A score painted in its rating's colour (as a mastery grid does)."""
    from rich.text import Text
    if score is None:
        return Text("null", style="dim")
    label = f"{score:g}"
    if description:
        label += f" {description}"
    if color and len(color) == 6:
        return Text(label, style=f"black on #{color.lower()}")
    return Text(label)


def swatch(color: str | None) -> Any:
    """A colour shown as its hex code on its own background."""
    from rich.text import Text
    if not color or len(color) != 6:
        return Text("none", style="dim")
    return Text(color, style=f"black on #{color.lower()}")


def say(message: str) -> None:
    click.echo(message, err=True)


def kv(title: str, pairs: Iterable[tuple[str, Any]]) -> None:
    table(title, ["field", "value"], [(k, v) for k, v in pairs])
