"""`mastery erase`: crypto-shred one person (a student with --user, a staff member with --staff).

Destroys the person's data keys (store/keys.py), so their personal values in the stored events can no
longer be opened; records the erasure in the hash chain (pseudonyms only); scrubs their values from the
quarantine; rebuilds the read model (identity gone, scores kept under the pseudonym unless
--with-results); rewrites the SQLite files so no freed page or WAL frame keeps a value. Idempotent:
erasing twice says "already erased" (exit 0); no such person is exit 1. `--dry-run` changes nothing.
"""

from __future__ import annotations

import getpass
import shlex
from datetime import UTC, datetime
from typing import Any

import click

from cli.context import Context, DomainError
from cli.render import emit_json, table, warn


def _refs(keys: Any, root: str, uuids: set[str], user_ids: set[str]) -> list[str]:
    """The pseudonyms (key-table refs) of the person: one per uuid, one per Canvas user id."""
    from domain.personal import PersonRef

    found = {u if u.startswith("p:") else keys.ref(PersonRef(root, "uuid", u)) for u in uuids}
    found |= {keys.ref(PersonRef(root, "user_id", i)) for i in user_ids}
    return sorted(found)


def _target(app: Context, conn: Any, root: str, user: str | None, staff: str | None) -> Any:
    from projections.erasure import Target, find_staff, find_student
    from projections.queries.people import AmbiguousStudent
    from projections.views import View

    view = View(conn, root)
    try:
        target = find_student(view, user) if user is not None else find_staff(view, staff or "")
    except AmbiguousStudent as error:
        raise DomainError(f"{error}; name one by Canvas user id or user_uuid") from None
    if target is None and staff is not None:
        target = _actor(app, root, staff)
    if target is None:  # perhaps erased already: the forms the key table can still recognise
        text = (user or staff or "").strip()
        target = Target(
            {text} if not text.isdigit() else set(), {app.local(text, conn, root)} if text.isdigit() else set()
        )
        keys = app.store.keys.reader()
        if _erased_alias(app, keys, root, text):
            target.aliases.add(text)  # erased already, by this login or SIS id
        elif not any(keys.erased(r) for r in _refs(keys, root, target.uuids, target.user_ids)):
            who = "student" if user is not None else "staff member"
            if user is not None and _named(view, text):
                raise DomainError(
                    f"{text!r} is a name, and a name does not identify a person to erase: give their Canvas "
                    f"user id, uuid, sis_user_id:X or login (`mastery student {shlex.quote(text)}` shows them)"
                )
            raise DomainError(
                f"no {who} {text!r} in root account {root}: give a Canvas user id, uuid, sis_user_id:X, SIS id "
                "or login (`mastery roster list` and `mastery audit --actor` show who the store knows)"
            )
    return target


def _named(view: Any, text: str) -> bool:
    """Whether `text` is a student's exact name (what other commands accept, but erase does not)."""
    from projections.queries.people import named_exactly, people

    return bool(named_exactly(people(view).values(), text))


def _alias(keys: Any, root: str, value: str) -> str:
    """A login or SIS id as the erasure record keeps it: keyed like a pseudonym, never the value."""
    from domain.personal import PersonRef

    return str(keys.ref(PersonRef(root, "alias", value)))


def _erased_alias(app: Context, keys: Any, root: str, text: str) -> bool:
    """Whether an erasure already recorded `text` as the login or SIS id of the person it erased."""
    from store.erasure import erasure_records

    wanted = _alias(keys, root, text.removeprefix("sis_user_id:"))
    return any(wanted in record.info.get("aliases", []) for _, record in erasure_records(app.store, root))


def _actor(app: Context, root: str, login: str) -> Any:
    """A staff member the user events never named: the Canvas user id of the events they acted in."""
    from domain.events import CanvasEvent
    from projections.erasure import Target

    ids: set[str] = set()
    for _position, event in app.store.iter_all():
        if isinstance(event, CanvasEvent) and event.root_account == root:
            actor = event.actor
            if actor.get("user_login") == login and actor.get("user_id"):
                ids.add(event.local(actor["user_id"]) or str(actor["user_id"]))
    return Target(set(), ids, {login}, {login}) if ids else None


@click.command()
@click.option("--user", "user", default=None, help="The student: Canvas user id, uuid, sis_user_id:X, SIS id or login.")
@click.option("--staff", "staff", default=None, help="A staff member (an actor of events), by login or user id.")
@click.option("--reason", default=None, help="Why (kept in the erasure record: write no personal data here).")
@click.option("--by", "by", default=None, help="Who asks (default: the OS user).")
@click.option("--with-results", is_flag=True, help="Also drop the person's results from every cut.")
@click.option("--dry-run", is_flag=True, help="Say what would be erased; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def erase(
    app: Context,
    user: str | None,
    staff: str | None,
    reason: str | None,
    by: str | None,
    with_results: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Erase a person: destroy their keys, so their name, login, SIS id and uuid read "erased person".

    The history keeps its events (the chain still verifies); their scores stay in the course aggregates
    under a pseudonym unless --with-results. Erasing twice is a no-op."""
    from projections.erasure import forget, held_rows
    from store import erasure

    if (user is None) == (staff is None):
        raise click.UsageError("give --user ID or --staff LOGIN (one of them)")
    conn = app.caught_up()
    root = app.root(conn)
    target = _target(app, conn, root, user, staff)
    store = app.store
    keys = store.keys.writer() if not dry_run else store.keys.reader()
    refs = _refs(keys, root, target.uuids, target.user_ids)
    before = {
        ref: ("already erased" if keys.erased(ref) else "has a key" if keys.known(ref) else "no key") for ref in refs
    }
    report: dict[str, Any] = {
        "root_account": root,
        "user_ids": sorted(target.user_ids),
        "pseudonyms": refs,
        "read_model": held_rows(conn, root, target),
    }
    by_alias = not target.values and bool(target.aliases)  # found only in an erasure record
    if by_alias or (
        all(state == "already erased" for state in before.values() if state != "no key")
        and any(state == "already erased" for state in before.values())
    ):
        _emit({**report, "status": "already erased", "keys": before}, as_json)
        return
    if not any(state == "has a key" for state in before.values()):
        raise DomainError(
            f"{user or staff!r} has no data key: their events were stored before personal fields were encrypted; "
            "run `mastery migrate encrypt` first, then erase"
        )
    values = erasure.person_values(store, keys, [r for r in refs if before[r] == "has a key"]) | target.values
    if dry_run:
        _emit({**report, "status": "would erase", "keys": before, "with_results": with_results}, as_json)
        return
    asked_by = by or getpass.getuser()
    done = erasure.destroy_keys(keys, refs, reason)
    info = {
        "requested_by": asked_by,
        "reason": reason,
        "pseudonyms": refs,
        "user_ids": sorted(target.user_ids),
        "aliases": sorted(_alias(keys, root, a) for a in target.aliases),  # keyed: `erase` again finds them
        "person": "staff" if staff is not None else "student",
        "with_results": with_results,
        "erased_at": datetime.now(UTC).isoformat(),
    }
    position = erasure.record(store, root, info)
    scrubbed = erasure.scrub_quarantine(store, values)
    rebuilt = forget(store, conn, root, target, with_results=with_results, erasure=position)
    not_compacted = [why for why in _compact(app, conn) if why]
    for why in not_compacted:
        warn(f"could not rewrite {why}; freed pages may still hold the person's values until it is rewritten")
    _emit(
        {
            **report,
            "status": "erased",
            "keys": done,
            "erasure_position": position,
            "requested_by": asked_by,
            "quarantine_scrubbed": scrubbed,
            "with_results": with_results,
            "results_dropped": rebuilt["results_dropped"],
            "rebuild": {k: rebuilt[k] for k in ("changed", "added", "removed")},
            "not_compacted": not_compacted,
        },
        as_json,
    )


def _compact(app: Context, conn: Any) -> list[str | None]:
    """VACUUM the read model's file and the store's (once when they are one file)."""
    from store.erasure import compact_sqlite, store_file, vacuum

    conn.commit()
    try:
        vacuum(conn)
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        results: list[str | None] = [f"{app.read_path}: its WAL is in use" if busy and busy[0] else None]
    except Exception as error:
        results = [f"{app.read_path}: {error}"]
    path = store_file(app.store)
    if path is not None and path != app.read_path:
        results.append(compact_sqlite(path))
    return results


def _emit(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(report)
        return
    status = report["status"]
    if status == "already erased":
        click.echo(f"already erased: {', '.join(report['pseudonyms'])} (nothing to do)")
        return
    rows = [("pseudonym", p) for p in report["pseudonyms"]] + [("Canvas user id", i) for i in report["user_ids"]]
    rows += [(f"read model: {k.replace('_', ' ')}", v) for k, v in report["read_model"].items()]
    if status == "erased":
        rows += [
            ("keys destroyed", sum(1 for s in report["keys"].values() if s == "erased")),
            ("erasure recorded at position", report["erasure_position"]),
            ("quarantine rows scrubbed", report["quarantine_scrubbed"]),
            ("results dropped", report["results_dropped"] if report["with_results"] else "kept (scores only)"),
            ("rebuild: mastery rows changed/added/removed", "{changed}/{added}/{removed}".format(**report["rebuild"])),
        ]
    table("would erase (dry run: nothing changed)" if status == "would erase" else "erased", ["what", "value"], rows)
