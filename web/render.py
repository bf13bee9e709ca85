"""HTML rendering: Jinja2 templates with autoescape on, so Canvas text (titles and descriptions carry
HTML) is always shown as text and never run. Pages also forbid every script by Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from domain.audit import describe_actor

HERE = Path(__file__).parent
CSS = HERE / "static" / "mastery.css"
# No script may run; inline style attributes paint the cells.
CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["who"] = who
    env.filters["short"] = short
    env.filters["qs"] = query
    env.filters["num"] = num
    return env


def html(template: str, **values: Any) -> str:
    """A template rendered to text."""
    return environment().get_template(template).render(**values)


def page(template: str, status: int = 200, headers: dict | None = None, **values: Any) -> Any:
    """A page served by the app, scripts forbidden."""
    from fastapi.responses import HTMLResponse

    answer = HTMLResponse(html(template, **values), status_code=status, headers=headers)
    answer.headers["Content-Security-Policy"] = CSP
    answer.headers["X-Content-Type-Options"] = "nosniff"
    return answer


def query(params: Mapping[str, Any] | None, **changes: Any) -> str:
    """`?a=1&b=2`: the page's parameters with `changes` (None removes one); empty values are left out, a
    list is repeated (`exclude=inactive&exclude=concluded`); "" when nothing is left."""
    merged = {**(params or {}), **changes}
    kept = [(k, v) for k, v in merged.items() if v not in (None, "", [], ())]
    return "?" + urlencode(kept, doseq=True) if kept else ""


def num(value: Any) -> str:
    """A score as the grid writes it (`2.5`, `3`), or – for none."""
    return "–" if value is None else f"{value:g}"


def report(grid: dict[str, Any]) -> str:
    """The grid as one self-contained file (the stylesheet inlined, no links to a server)."""
    return html("course.html", grid=grid, course=grid["course"], static=True, qs="", inline_css=Markup(CSS.read_text()))


who = describe_actor  # an audit entry's actor as one line


def short(value: Any, limit: int = 120) -> str:
    text = "null" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
