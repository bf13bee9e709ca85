"""Rendering of `mastery audit` (entity or actor trail, and positions it could not read), and its --redact."""

from __future__ import annotations

from typing import Any

import click

from cli.context import Context, DomainError
from cli.render import console
from domain.audit import describe_actor
from domain.redaction import hide_personal


def by_entity(app: Context, kind: str, entity_id: str) -> dict[str, Any]:
    from projections.queries.audit import by_entity as query

    conn = app.caught_up()
    root = app.root(conn)
    key = app.local(entity_id, conn, root)
    answer = query(app.store, conn, root, kind, key)
    if not answer["entries"]:
        unread = ", ".join(str(u["position"]) for u in answer["unreadable"])
        why = f" that can be read (unreadable: position {unread}; `mastery problems`)" if unread else ""
        raise DomainError(f"no events for {kind} {entity_id} in root account {root}{why}")
    return answer


def by_actor(app: Context, who: str, since: str | None, until: str | None) -> dict[str, Any]:
    from projections.queries.audit import by_actor as query

    conn = app.caught_up()
    return query(
        app.store, conn, app.root(conn), who, app.parse_time(since, "--since"), app.parse_time(until, "--until")
    )


def redact_entries(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        for part in ("actor", "request"):
            entry[part] = hide_personal(entry[part])


def render(answer: dict[str, Any]) -> None:
    from rich.markup import escape

    out = console()
    title = f"{answer['kind']} {answer['id']}" if "kind" in answer else f"actor {answer['actor']}"
    out.print(f"[bold]audit of {escape(title)}[/bold] — {len(answer['entries'])} event(s), fold order")
    for e in answer["entries"]:
        what = f"{e['kind']} {e['id']} " if "kind" in e and "kind" not in answer else ""
        out.print(
            f"\n[bold]{e['event_time']}[/bold] {what}{e['event_name']} by {escape(describe_actor(e['actor']))}"
            f" (recorded {e['recorded_at']}, position {e['position']})"
        )
        req = e["request"]
        if req.get("request_id") or req.get("url"):
            out.print(
                f"  request {req.get('request_id') or '–'} {req.get('http_method') or ''} "
                f"{escape(req.get('url') or '')} from {req.get('client_ip') or '–'}"
            )
        for c in e["changes"]:
            out.print(f"  {escape(c['field'])}: {escape(_short(c['before']))} → {escape(_short(c['after']))}")
        for note in e["notes"]:
            out.print(f"  [yellow]note: {escape(note)}[/yellow]")
    for u in answer.get("unreadable", []):
        out.print(
            f"\n[red]position {u['position']} ({escape(str(u['type']))}) could not be read: {escape(u['reason'])}[/red]"
        )
    click.echo()


def _short(value: Any) -> str:
    text = "null" if value is None else str(value)
    return text if len(text) <= 80 else text[:77] + "…"
