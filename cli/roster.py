"""The `roster` commands: `roster import FILE.csv` (names and SIS ids the events never gave, a side table)
and `roster list` (what was imported, and whether the events name the same people).

An import reads `,`, `;` (a European spreadsheet's CSV) or tab delimited files (the header line says which),
refuses a bad file whole in one line naming the file, line and field, warns about a user_uuid given twice
(the last row wins) and says how many of its uuids match a student the store knows.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cli.context import Context, DomainError, InputOutputError, validation_message
from cli.render import emit_json, say, warn

DELIMITERS = ",;\t"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
SHOWN_DUPLICATES = 5


@click.group()
def roster() -> None:
    """Student names from outside Canvas's events (a side table, not events); events win where both speak."""


@roster.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_obj
def roster_import(app: Context, file: str) -> None:
    """Import a CSV with columns user_uuid, name, sis_id (comma, semicolon or tab delimited).

    For names the Live Events never gave (a district that subscribed after its users were created).
    Events win where both speak: when a user_created/user_updated event names the same user_uuid, what
    the events say is shown. Roster names appear in tables, CSV and pages, and are accepted as STUDENT.
    A user_uuid given twice is imported once, from its last row (a warning names it).
    """
    rows, duplicates = roster_rows(file)
    for uuid, lines in list(duplicates.items())[:SHOWN_DUPLICATES]:
        warn(f"{file}: user_uuid {uuid} is on lines {', '.join(map(str, lines))}; the last one (line {lines[-1]}) wins")
    if len(duplicates) > SHOWN_DUPLICATES:
        warn(f"{file}: and {len(duplicates) - SHOWN_DUPLICATES} more user_uuid(s) given twice (the last row wins)")
    app.db["roster"].upsert_all(rows, pk="user_uuid")
    say(f"roster: {len(rows)} student(s) imported from {Path(file).name}")
    known = known_uuids(app.caught_up())
    matched = sum(1 for r in rows if r["user_uuid"] in known)
    say(
        f"{matched} of {len(rows)} uuid(s) match a student in the store"
        + ("" if matched == len(rows) else " (the others get a name once events name them; `mastery roster list`)")
    )


@roster.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def roster_list(app: Context, as_json: bool) -> None:
    """The imported roster: uuid, name, SIS id, whether the events name that uuid too (their name is then
    the one shown) and whether the store has results for them; in Canvas's order (sortable name)."""
    from domain.people import sortable_name
    from projections.queries.people import roster as imported

    conn = app.caught_up()
    named, with_results = event_people(conn)
    entries: list[dict[str, Any]] = []
    for uuid, (name, sis) in imported(conn).items():
        events = named.get(uuid)
        entries.append(
            {
                "user_uuid": uuid,
                "name": name,
                "sis_id": sis,
                "events_name": events[0] if events else None,
                "events_sis_id": events[1] if events else None,
                "named_by_events": events is not None,
                "has_results": uuid in with_results,
            }
        )
    entries.sort(key=lambda e: ((e["name"] is None), (sortable_name(e["name"]) or "").casefold(), e["user_uuid"]))
    if as_json:
        emit_json({"roster": entries, "total": len(entries)})
        return
    if not entries:
        click.echo("the roster is empty: `mastery roster import FILE.csv` imports one")
        return
    # One line each, not a table: a 40-character uuid must never be folded, it is what STUDENT takes.
    click.echo(f"roster: {len(entries)} student(s); where the events name one too, their name is the one shown")
    for e in entries:
        spoken = f"events name them: {e['events_name'] or '(no name)'}" if e["named_by_events"] else "events: no"
        click.echo(
            f"  {e['user_uuid']}  {e['name'] or '(no name)'}  sis {e['sis_id'] or '–'}  {spoken}"
            f"  results: {'yes' if e['has_results'] else 'no'}"
        )


def event_people(conn: Any) -> tuple[dict[str, tuple[str | None, str | None]], set[str]]:
    """Across every root account: the (name, SIS id) user events give each uuid, and the uuids results name."""
    from projections.queries.people import accounts, people, result_users
    from projections.views import View

    named: dict[str, tuple[str | None, str | None]] = {}
    with_results: set[str] = set()
    for account in accounts(conn):
        view = View(conn, account.root)
        for uuid, person in people(view).items():
            if person.source == "events":
                named[uuid] = (person.name, person.sis_user_id)
        with_results |= result_users(view)
    return named, with_results


def known_uuids(conn: Any) -> set[str]:
    """The uuids of students the store knows: named by user events or by a result."""
    named, with_results = event_people(conn)
    return set(named) | with_results


class RosterRow(BaseModel):
    """One student of a roster file: a user_uuid is required; empty name and sis_id mean unknown."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    user_uuid: str = Field(min_length=1)
    name: str | None = None
    sis_id: str | None = None

    @field_validator("name", "sis_id")
    @classmethod
    def _empty_is_unknown(cls, value: str | None) -> str | None:
        return value or None


def delimiter(header_line: str) -> str:
    """The delimiter of a roster file, from its header line: csv.Sniffer's guess among `,` `;` tab when
    that splits off a user_uuid column, else the first of them that does, else a comma."""
    candidates = list(DELIMITERS)
    try:
        sniffed = csv.Sniffer().sniff(header_line, delimiters=DELIMITERS).delimiter
        candidates.insert(0, sniffed)
    except csv.Error:
        pass
    for d in candidates:
        if "user_uuid" in (field.strip() for field in next(csv.reader([header_line], delimiter=d), [])):
            return d
    return ","


def roster_rows(file: str) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """The rows of a roster CSV (one per user_uuid, the last row winning) and the lines of each uuid given
    more than once; or a DomainError naming the file, line and field that is wrong (nothing is imported)."""
    try:
        data = Path(file).read_bytes()
    except OSError as error:
        raise InputOutputError(f"cannot read {file!r}: {error.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DomainError(
            f"{file} line {line}: not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8 CSV"
        ) from None
    sep = delimiter(text.splitlines()[0] if text else "")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=sep)
    rows: dict[str, dict[str, Any]] = {}
    lines: dict[str, list[int]] = {}
    try:
        header = reader.fieldnames
        if not header or "user_uuid" not in header:
            found = ", ".join(header or []) or "nothing"
            raise DomainError(
                f"{file} line 1: the header must name user_uuid (and name, sis_id), delimited by comma, "
                f"semicolon or tab; found {found}"
            )
        for row in reader:
            where = f"{file} line {reader.line_num}"
            if None in row:
                raise DomainError(
                    f"{where}: {len(header) + len(row[None])} fields but the header has "
                    f"{len(header)} (a name with a {DELIMITER_NAMES[sep]} must be in double quotes)"
                )
            if not any((v or "").strip() for v in row.values()):
                continue  # a row of empty fields
            try:
                valid = RosterRow.model_validate(row).model_dump()
            except ValidationError as error:
                raise DomainError(validation_message(error, where)) from None
            rows.pop(valid["user_uuid"], None)  # the last row wins, in its own place
            rows[valid["user_uuid"]] = valid
            lines.setdefault(valid["user_uuid"], []).append(reader.line_num)
    except csv.Error as error:
        raise DomainError(f"{file} line {reader.line_num + 1}: not readable CSV ({error})") from None
    return list(rows.values()), {uuid: at for uuid, at in lines.items() if len(at) > 1}
