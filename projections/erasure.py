"""Erasing a person on the read-model side: who a reference names, what the read model holds of them,
and the rebuild that leaves only "erased person" and their pseudonym.

The read model holds opened (decrypted) values: names in user states, the uuid in results' and the
mastery table's `user_uuid`. Once the person's keys are destroyed the history opens to placeholders and
pseudonyms, so a rebuild from it (`projections.rebuild`) replaces every such row: scores are kept under
the pseudonym (course aggregates as of any time are unchanged), identity is gone. With `with_results`
the person's result events are excluded first (`rm_exclusions`, the operator's own exclusions), so the
rebuild drops them from every cut and says what moved. The roster side table (names imported from
outside the events) loses the person's row.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from projections import packed, problems
from projections.queries.people import AmbiguousStudent, UnknownStudent, on_roster, people, resolve_student
from projections.rebuild import rebuild
from projections.runner import write_transaction
from projections.views import View


@dataclass
class Target:
    """A person to erase: their uuid (or pseudonym) and Canvas user ids (local), as the read model knows."""

    uuids: set[str] = field(default_factory=set)
    user_ids: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)  # their personal values the read model shows
    aliases: set[str] = field(default_factory=set)  # login and SIS id: what an operator may type again


def _add(target: Target, person: Any) -> None:
    target.uuids.add(person.uuid)
    if person.id:
        target.user_ids.add(str(person.id))
    target.aliases.update(str(v) for v in (person.login, person.sis_user_id) if v)
    target.values.update(
        str(v)
        for v in (person.uuid, person.name, person.short_name, person.sortable_name, person.login, person.sis_user_id)
        if v
    )


def find_student(view: View, ref: str) -> Target | None:
    """The person `ref` names: a Canvas user id (local or global), uuid, `sis_user_id:X`, a bare SIS id
    or a login; None when no one; AmbiguousStudent when several."""
    target = Target()
    try:
        uuid = resolve_student(view, ref)
    except UnknownStudent:
        wanted = ref.strip()
        found = [p for p in people(view).values() if wanted and wanted in (p.login, p.sis_user_id)]
        if len({p.uuid for p in found}) > 1:
            raise AmbiguousStudent(ref, found) from None
        if not found:
            return None
        uuid = found[0].uuid
    person = people(view, {uuid}).get(uuid)
    if person is None:  # named by results only
        target.uuids.add(uuid)
        target.values.add(uuid)
    else:
        _add(target, person)
    return target


def find_staff(view: View, login: str) -> Target | None:
    """The staff member whose login (or Canvas user id) is `login`, as user events name them; None else."""
    wanted = login.strip()
    target = Target()
    for person in people(view).values():
        if wanted and wanted in (person.login, person.id, person.global_id):
            _add(target, person)
    return target if target.uuids else None


def held_rows(conn: sqlite3.Connection, root: str, target: Target) -> dict[str, int]:
    """How many read-model rows hold the person: versions of their user, enrollments and results, their
    mastery rows and roster row."""
    uuids, ids = sorted(target.uuids), sorted(target.user_ids)
    u_marks, i_marks = ",".join("?" * len(uuids)) or "NULL", ",".join("?" * len(ids)) or "NULL"
    count = lambda sql, *params: conn.execute(sql, params).fetchone()[0]  # noqa: E731
    return {
        "user_versions": count(
            f"SELECT COUNT(*) FROM entity_versions WHERE root = ? AND kind = 'user' AND key IN ({i_marks})", root, *ids
        ),
        "enrollment_versions": count(
            "SELECT COUNT(*) FROM entity_versions WHERE root = ? AND kind = 'enrollment' "
            f"AND {packed.field(['enrollment'], 'user_id')} IN ({i_marks})",
            root,
            *ids,
        ),
        "result_versions": count(
            f"SELECT COUNT(*) FROM entity_versions WHERE root = ? AND kind = 'result' AND user_uuid IN ({u_marks})",
            root,
            *uuids,
        ),
        "mastery_rows": count(
            f"SELECT COUNT(*) FROM mastery WHERE root = ? AND user_uuid IN ({u_marks})", root, *uuids
        ),
        "roster_rows": on_roster(conn, uuids),
    }


def result_positions(conn: sqlite3.Connection, root: str, target: Target) -> list[int]:
    uuids = sorted(target.uuids)
    marks = ",".join("?" * len(uuids)) or "NULL"
    rows = conn.execute(
        f"SELECT position FROM entity_versions WHERE root = ? AND kind = 'result' AND user_uuid IN ({marks}) "
        "ORDER BY position",
        (root, *uuids),
    )
    return [int(r[0]) for r in rows]


def forget(
    store: Any, conn: sqlite3.Connection, root: str, target: Target, *, with_results: bool, erasure: int | None
) -> dict[str, Any]:
    """Remove the person from the read model (after their keys are destroyed): their roster row, with
    `with_results` their results (as exclusions), then rebuild; the rebuild's report."""
    positions = result_positions(conn, root, target) if with_results else []
    problems.ensure(conn)
    uuids = sorted(target.uuids)
    with write_transaction(conn):
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute(f"DELETE FROM roster WHERE user_uuid IN ({','.join('?' * len(uuids)) or 'NULL'})", uuids)
        conn.executemany(
            "INSERT OR REPLACE INTO rm_exclusions (position, reason, excluded_at) VALUES (?, ?, ?)",
            [(p, f"erased with its results (erasure at position {erasure})", problems.now()) for p in positions],
        )
    report = rebuild(store, conn)
    report["results_dropped"] = len(positions)
    return report
