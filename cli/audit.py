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
    root = app.root(conn)
    answer = query(app.store, conn, root, who, app.parse_time(since, "--since"), app.parse_time(until, "--until"))
    if not answer["entries"]:
        unknown_actor(app, conn, root, who)
    return answer


def unknown_actor(app: Context, conn: Any, root: str, who: str) -> None:
    """Exit 1 when no event of the root account at all is by WHO (a typo, not a quiet actor), naming
    the closest actors the audit knows; an actor with no changes inside --since/--until is no error."""
    from projections.queries.audit import closest_actors

    known, close, often = closest_actors(app.store, conn, root, who)
    if known:
        return
    forms = "a user id, login, SIS id, masquerading admin, developer key or job tag prefix"
    hint = f"did you mean {' or '.join(close)}?" if close else f"--actor takes {forms}"
    if not close and often:
        hint += f" (the most frequent logins: {', '.join(often)})"
    raise DomainError(f"no event in root account {root} is by actor {who!r}: {hint}")


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
