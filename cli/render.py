"""Rendering for people (rich tables, coloured ratings) and for scripts (JSON, CSV). Nothing else."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import click
import orjson

from domain.colours import ink

# The CSV cells are written by projections.queries.csv_out (the page's CSV link writes the same text).
from projections.queries.csv_out import FORMULA_STARTS, csv_cell, csv_text  # noqa: F401


def emit_json(value: Any) -> None:
    """JSON on stdout, UTF-8, two-space indent, keys in the order given."""
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    sys.stdout.flush()


def emit_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """CSV on stdout; text cells that a spreadsheet would run as a formula are neutralised."""
    sys.stdout.write(csv_text(header, rows))


def console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


# ---------------------------------------------------------------------------------------- colour and contrast


def text_on(background: str) -> str:
    """Black or white text, whichever contrasts more with the background (never under 4.5:1, WCAG AA)."""
    return ink(background)


def shown(color: str, color_system: str | None) -> str:
    """The colour a terminal really paints for `color`: rich reduces it to the terminal's palette (a 256- or
    16-colour terminal paints 0B874B as 005F00), and the text colour must contrast with what is painted."""
    from rich.color import Color, ColorSystem

    systems = {"256": ColorSystem.EIGHT_BIT, "standard": ColorSystem.STANDARD, "windows": ColorSystem.WINDOWS}
    parsed = Color.parse(f"#{color}")
    if color_system in systems:
        parsed = parsed.downgrade(systems[color_system])
    return parsed.get_truecolor().hex.lstrip("#").upper()


class Painted:
    """Text on a rating colour: painted when drawn, with black or white text for the colour the terminal
    shows (so the choice is made knowing the terminal's palette)."""

    def __init__(self, text: str, color: str | None) -> None:
        self.text = text
        self.color = color.upper() if color and len(color) == 6 else None

    def __str__(self) -> str:
        return self.text

    def render(self, color_system: str | None) -> Any:
        from rich.text import Text

        if self.color is None or color_system is None:
            return Text(self.text)
        ground = shown(self.color, color_system)
        return Text(self.text, style=f"#{text_on(ground).lower()} on #{ground.lower()}")


def table(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    caption: str | None = None,
    out: Any = None,
) -> None:
    """A readable table (plain text when stdout is not a terminal)."""
    from rich.table import Table

    out = out or console()
    t = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    for column in columns:
        t.add_column(column, overflow="fold")
    for row in rows:
        t.add_row(*[cell(v, out.color_system) for v in row])
    out.print(t)


def cell(value: Any, color_system: str | None = None) -> Any:
    from rich.text import Text

    if value is None:
        return Text("–", style="dim")
    if isinstance(value, Painted):
        return value.render(color_system)
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
    return Painted(label, color)


def swatch(color: str | None) -> Any:
    """A colour shown as its hex code on its own background."""
    from rich.text import Text

    if not color or len(color) != 6:
        return Text("none", style="dim")
    return Painted(color, color)


def moves(summary: str, report: dict[str, Any], names: Mapping[str, str] | None = None, limit: int = 10) -> None:
    """A "what moved" report (settings change, rebuild): the counts, then a few students' before → after,
    each student by name (and SIS id) where `names` knows them, else by user_uuid."""
    click.echo(f"{summary}: {report['changed']} row(s) changed, {report['added']} added, {report['removed']} removed")
    for ex in report["examples"][:limit]:
        student = (names or {}).get(ex["user_uuid"]) or ex["user_uuid"]
        click.echo(f"  course {ex['course']} student {student} outcome {ex['outcome']}: {ex['before']} → {ex['after']}")


def say(message: str) -> None:
    click.echo(message, err=True)


def kv(title: str, pairs: Iterable[tuple[str, Any]]) -> None:
    table(title, ["field", "value"], [(k, v) for k, v in pairs])


class Progress:
    """A progress bar on stderr when it is a terminal (events/s; time left when the total is known)."""

    def __init__(self, enabled: bool, label: str, total: int | None = None) -> None:
        self.enabled, self.label, self.total = enabled and sys.stderr.isatty(), label, total
        self._bar: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return lambda n: None
        from rich import progress as p
        from rich.console import Console

        columns = [
            p.SpinnerColumn(),
            p.TextColumn(f"{self.label} {{task.completed:,}} events"),
            p.TextColumn("{task.fields[rate]}"),
            p.TimeElapsedColumn(),
        ]
        if self.total:
            columns[2:2] = [p.BarColumn(), p.TextColumn(f"of {self.total:,}")]
            columns.append(p.TimeRemainingColumn())
        self._bar = p.Progress(*columns, console=Console(stderr=True), transient=True)
        self._bar.start()
        task = self._bar.add_task(self.label, total=self.total, rate="")

        def update(n: int) -> None:
            speed = self._bar.tasks[0].speed
            self._bar.update(task, completed=n, rate=f"{speed:,.0f} ev/s" if speed else "")

        return update

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()


class IngestProgress:
    """Ingest progress on stderr when it is a terminal: the bytes read of the total, percent and time left
    when the size is known (gzip: compressed bytes read); else the items read and their rate. Entered, it
    is a function of (bytes read, items read)."""

    def __init__(self, enabled: bool, label: str, total_bytes: int | None) -> None:
        self.enabled, self.label, self.total = enabled and sys.stderr.isatty(), label, total_bytes
        self._bar: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return lambda done, items: None
        from rich import progress as p
        from rich.console import Console

        sized = bool(self.total)
        columns: list[Any] = [p.SpinnerColumn(), p.TextColumn(self.label)]
        if sized:
            columns += [p.BarColumn(), p.TaskProgressColumn(), p.DownloadColumn()]
        columns += [p.TextColumn("{task.fields[items]:,} events {task.fields[rate]}"), p.TimeElapsedColumn()]
        if sized:
            columns += [p.TextColumn("left"), p.TimeRemainingColumn()]
        self._bar = p.Progress(*columns, console=Console(stderr=True), transient=True)
        self._bar.start()
        task = self._bar.add_task(self.label, total=self.total or None, items=0, rate="")

        def update(done: int, items: int) -> None:
            elapsed = self._bar.tasks[0].elapsed or 0.0
            rate = f"{items / elapsed:,.0f} ev/s" if elapsed > 0.5 else ""
            self._bar.update(task, completed=done if sized else items, items=items, rate=rate)

        return update

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()


def warn(message: str) -> None:
    """A warning a person must not miss: on stderr, bold yellow on a terminal (plain text otherwise)."""
    click.echo(click.style(f"WARNING: {message}", fg="yellow", bold=True), err=True)
