"""`mastery student … --chart FILE.svg`: the student's mastery over time, one chart per outcome of each course
they have results in, stacked in one SVG file (the charts of the web student page, `web.charts`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.context import InputOutputError, ensure_parent
from cli.render import say


def chart_option(func: Any) -> Any:
    return click.option(
        "--chart",
        "chart_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="Also write the student's mastery over time (rollup score after each result) as one SVG file.",
    )(func)


def write_student_chart(view: Any, uuid: str, name: str, courses: list[str], path: str) -> None:
    """One chart per (course, outcome) with results inside the view's cut, as the student page draws them."""
    from datetime import UTC, datetime

    from domain.canvas import display_time
    from projections.queries.series import student_series
    from web.charts import SERIES_SIZE, chart_key, mastery_over_time, stacked

    until = display_time(view.as_of or datetime.now(UTC))
    charts = []
    for course in courses:
        for item in student_series(view.conn, view.root, course, uuid, as_of=view.as_of, known_at=view.known_at):
            outcome = item["outcome"]
            label = outcome["title"] or f"outcome {outcome['id']}"
            title = f"{label}: {name}'s score over time (course {course})"
            svg = mastery_over_time(item, key=chart_key("mastery", course, outcome["id"]), title=title, until=until)
            charts.append((f"course {course} · outcome {outcome['id']} · {label}", svg, *SERIES_SIZE))
    ensure_parent(path)
    try:
        Path(path).write_text(stacked(f"{name}: mastery over time", charts), encoding="utf-8")
    except OSError as error:
        raise InputOutputError(f"cannot write {path!r}: {error.strerror}") from None
    say(f"wrote {path}: {len(charts)} chart(s) of {name}'s mastery over time")
