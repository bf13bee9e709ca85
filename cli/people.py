"""People and places on the command line: naming a student in any form issue 12 allows (Canvas user id,
`sis_user_id:X`, user_uuid, a unique uuid prefix, an exact name), showing one (name, SIS id as text), and
the `accounts` command. The lookups are `projections.queries.people`'s; this module turns their errors
into exit code 1 with a message that lists the matches, and their answers into labels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from cli.context import Context, DomainError
from cli.render import emit_json

REF_FORMS = "a Canvas user id, sis_user_id:X, a user_uuid (or the start of one) or the exact name"
SHOWN_MATCHES = 10


def student_uuid(view: Any, ref: str) -> str:
    """The user_uuid of the student `ref` names (loose: prefixes and exact names too); exit 1 when no
    student or several students answer to it."""
    from projections.queries.people import AmbiguousStudent, UnknownStudent, resolve_student

    try:
        return resolve_student(view, ref, loose=True)
    except AmbiguousStudent as error:
        matches = error.matches  # already in Canvas order (people._one)
        listed = "; ".join(describe(p) for p in matches[:SHOWN_MATCHES])
        more = f"; and {len(matches) - SHOWN_MATCHES} more" if len(matches) > SHOWN_MATCHES else ""
        raise DomainError(
            f"{ref!r} names {len(matches)} students: {listed}{more}; name one by Canvas user id, "
            "sis_user_id:X or user_uuid"
        ) from None
    except UnknownStudent:
        raise DomainError(f"no student {ref!r}: {hint(view, ref)}") from None


def hint(view: Any, ref: str) -> str:
    """What to type instead: `sis_user_id:X` when `ref` is someone's bare SIS id, else the forms."""
    from projections.queries.people import people

    text = ref.strip()
    owners = [p for p in people(view).values() if text and p.sis_user_id == text]
    if owners:
        return f"did you mean sis_user_id:{text} ({', '.join(p.name or p.uuid for p in owners)})?"
    return f"give {REF_FORMS}"


def describe(person: Any) -> str:
    """One person in a line: name, then the ids that tell two of the same name apart."""
    ids = [f"sis {person.sis_user_id}" if person.sis_user_id else None]
    ids += [f"user {person.id}" if person.id else None, f"uuid {person.uuid}"]
    return f"{person.name or '(no name)'} ({', '.join(i for i in ids if i)})"


def label(person: Any, uuid: str) -> str:
    """What a student is called in a table: the name, else the Canvas user id, else the uuid's start
    (12 characters, which `student`, `explain` and `--user` accept back as a prefix)."""
    if person is not None and person.name:
        return str(person.name)
    if person is not None and person.id:
        return f"user {person.id}"
    return uuid[:12]


def everyone(view: Any) -> dict[str, Any]:
    """Every person the view knows (events, then roster import), by user_uuid."""
    from projections.queries.people import people

    return people(view)


def who(persons: Mapping[str, Any], uuid: str) -> dict[str, Any]:
    """The JSON fields that name a student beside their uuid: Canvas user id, name, SIS id (text)."""
    person = persons.get(uuid)
    return {
        "user_id": person.id if person else None,
        "name": person.name if person else None,
        "sis_user_id": person.sis_user_id if person else None,
    }


def labels(persons: Mapping[str, Any]) -> dict[str, str]:
    """A label per uuid for the "what moved" lines: name and SIS id where known."""
    out = {}
    for uuid, person in persons.items():
        text = label(person, uuid)
        out[uuid] = f"{text} ({person.sis_user_id})" if person.sis_user_id else text
    return out


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def accounts(app: Context, as_json: bool) -> None:
    """Root accounts in the store: uuid, local id, host (the name to tell districts apart), courses.

    The uuid is what --account takes (MASTERY_ACCOUNT; ?account= over HTTP) when the store holds several.
    """
    from projections.queries.catalog import courses
    from projections.queries.people import accounts as query
    from projections.views import View

    conn = app.caught_up()
    found = [
        {"root": a.root, "local_id": a.local_id, "host": a.host, "courses": len(courses(View(conn, a.root)))}
        for a in query(conn)
    ]
    if as_json:
        emit_json({"accounts": found})
        return
    if not found:
        click.echo("no root account yet: run `mastery ingest FILE` first")
        return
    # One line each, not a table: a 40-character uuid must never be folded, it is what --account takes.
    click.echo("root accounts (choose one with `mastery --account UUID …` when the store holds several):")
    for a in found:
        click.echo(
            f"  {a['root']}  local id {a['local_id'] or '–'}  host {a['host'] or '(not named by the events)'}"
            f"  {a['courses']} course(s)"
        )
