"""`mastery migrate`: one-time changes to an existing store; `migrate encrypt` seals its personal fields.

`encrypt` re-keys a store made before encryption (store/migrate.py says how, and why `verify` still
proves the history): it verifies the history first (a broken one is refused, exit 4), seals every event,
re-chains it, records the migration in the store, moves the head witness, and rebuilds the read model.
A store already encrypted is left alone (exit 0, "already encrypted"); `--dry-run` only counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.context import BrokenHistory, Context, DomainError, InputOutputError
from cli.render import Progress, emit_json, kv, say, warn


@click.group()
def migrate() -> None:
    """One-time changes to an existing store (stop ingests and `serve` first)."""


@migrate.command()
@click.option("--dry-run", is_flag=True, help="Say what would be sealed; change nothing.")
@click.option(
    "--keep-old",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="First copy the store as it is to this new file (it holds personal data in the clear).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def encrypt(app: Context, dry_run: bool, keep_old: Path | None, as_json: bool) -> None:
    """Encrypt the personal fields of every stored event, keeping positions and times; verify still passes."""
    from store import migrate as m
    from store import migrate_encrypt as enc

    store = app.store
    if m.is_sealed(store):
        done = m.record(store)
        report: dict[str, Any] = {"status": "already encrypted", "dry_run": dry_run, **done}
        _show(report, as_json, f"already encrypted (since {done.get('sealed_at', 'its creation')}): nothing to do")
        return
    checked, position, why = store.verify()
    if position is not None:
        raise BrokenHistory(
            f"refused: the history is broken at position {position}: {why} ({checked} events verified "
            "before it); see `mastery verify`"
        )
    head = store.head()
    if dry_run:
        with Progress(not as_json, "reading", total=head) as bar:
            found = enc.plan(store, bar)
        report = {
            "status": "would encrypt",
            "dry_run": True,
            "events": found.events,
            "with_personal_values": found.personal,
            "kept_as_they_are": found.kept,
            "head": str(found.head) if found.head else None,
        }
        _show(
            report,
            as_json,
            f"dry run: {found.personal} of {found.events} events hold personal values and would be sealed; "
            "the history would be re-chained and the read model rebuilt; nothing was changed",
        )
        return
    if keep_old is not None:
        _keep(store, keep_old, enc)
    try:
        with Progress(not as_json, "encrypting", total=head) as bar:
            outcome = enc.encrypt(store, m.key_table(store), bar)
    except m.MigrateError as error:
        raise DomainError(str(error)) from None
    if outcome is None:  # another process encrypted it meanwhile
        _show({"status": "already encrypted", "dry_run": False, **m.record(store)}, as_json, "already encrypted")
        return
    if not outcome.scrubbed:
        warn(
            f"another process has {store.safe_url} open, so its WAL file may still hold old bytes in the "
            "clear until the last process using the store closes it (SQLite then removes the WAL): stop it"
        )
    checked, position, why = store.verify()
    if position is not None:
        raise BrokenHistory(f"encrypted, but verify fails at position {position}: {why}")
    rebuilt = _rebuild(app, as_json)
    report = {
        "status": "encrypted",
        "dry_run": False,
        "events": outcome.events,
        "sealed": outcome.changed,
        "kept_as_they_are": outcome.kept,
        "values_without_owner_dropped": outcome.dropped,
        "sealed_at": outcome.at,
        "head_before": str(outcome.before) if outcome.before else None,
        "head": str(outcome.after) if outcome.after else None,
        "verified": checked,
        "read_model_rebuilt": rebuilt,
        "kept_old": str(keep_old) if keep_old else None,
    }
    if as_json:
        emit_json(report)
        return
    kv("migrate encrypt", [(k, v) for k, v in report.items() if k not in ("status", "dry_run")])
    say(
        f"encrypted: {outcome.changed} of {outcome.events} events sealed; verify ok over {checked} events. "
        f"A head kept before today ({report['head_before']}) is matched by `verify --head` to this migration."
    )


def _show(report: dict[str, Any], as_json: bool, line: str) -> None:
    if as_json:
        emit_json(report)
    else:
        click.echo(line)


def _keep(store: Any, path: Path, m: Any) -> None:
    if not path.parent.exists():
        raise InputOutputError(f"folder {str(path.parent)!r} does not exist")
    try:
        m.keep_copy(store, path)
    except m.MigrateError as error:
        raise DomainError(str(error)) from None
    warn(
        f"{path} is a copy of the store BEFORE encryption: it holds every person's personal data in the "
        "clear, and erasing a person never reaches it. Keep it only as long as you must, then delete it."
    )


def _rebuild(app: Context, as_json: bool) -> bool:
    """Rebuild the read model from the sealed history (content hashes changed: every row is recomputed)."""
    from projections.rebuild import rebuild

    with Progress(not as_json, "rebuilding", total=app.store.head()) as bar:
        rebuild(app.store, app.conn, progress=lambda n, pos: bar(pos))
    return True
