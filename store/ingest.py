"""Ingest: raw items from the sources → parsed Canvas events → appended in batches, nothing lost.

Every item read is accounted for: `read = appended + duplicates + quarantined + ignored` (DESIGN
decision 4). An item that cannot be used goes to the quarantine in the same transaction as its batch's
events, with a reason a person can act on; it never stops the batch. Should an accepted event still fail
to be written (its state cannot be serialised), that one event is quarantined with the reason and the
rest of its batch is appended.

Ctrl-C (SIGINT) never cuts a batch in two: while a batch is written the signal waits, then the ingest stops
with `Stopped`, whose counts are exactly what was committed. Each input's tally says whether it is clearly
not Live Events (store/lookalike.py).
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from domain.canvas import redact_text
from domain.events import Ignored, InvalidEvent, Parsed, parse
from store.application import EventStore
from store.lookalike import Tally, warning
from store.persistence import BadItem

BATCH = 2000


@dataclass
class Counts:
    """The accounting of one ingest."""

    read: int = 0
    appended: int = 0
    duplicates: int = 0
    quarantined: int = 0
    ignored: int = 0
    ignored_by_name: Counter = field(default_factory=Counter)
    quarantine_ids: list[int] = field(default_factory=list)
    refused: int = 0  # events an erased person's values were refused in (stored with placeholders)
    by_source: dict[str, Tally] = field(default_factory=dict)  # each input's share, in the order read

    @property
    def unusable(self) -> int:
        """Items of this input that could not be used: quarantined now, or already in the quarantine."""
        return sum(t.unusable for t in self.by_source.values())

    def warnings(self) -> list[dict[str, Any]]:
        """The inputs that are clearly not Live Events: source, what it looks like, items read and quarantined."""
        return [
            {"source": s, "looks_like": t.kind, "read": t.read, "quarantined": t.unusable, "message": warning(s, t)}
            for s, t in self.by_source.items()
            if t.kind
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "appended": self.appended,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "ignored": self.ignored,
        }

    def balanced(self) -> bool:
        return self.read == self.appended + self.duplicates + self.quarantined + self.ignored


class Batch:
    """Items of one transaction, sorted into events to append and input to quarantine."""

    def __init__(self) -> None:
        self.events: list[Parsed] = []
        self.sources: list[str | None] = []
        self.items: list[Any] = []  # the raw item of each event, in case it cannot be written
        self.bad: list[BadItem] = []
        self.tallies: dict[str, Tally] = {}  # the ingest's tallies, for an event set aside as unwritable

    def __len__(self) -> int:
        return len(self.events) + len(self.bad)


def _bad(text: str, source: str, line: int, reason: str) -> BadItem:
    """A quarantine row; NUL characters, which PostgreSQL text cannot hold, are kept escaped as
    \\x00 (and the reason says so), so one such item never loses its batch."""
    if "\x00" in text:
        text, reason = text.replace("\x00", "\\x00"), f"{reason} (NUL characters shown as \\x00)"
    return BadItem(_storable(redact_text(text)), source, line, _storable(redact_text(reason)))


def _storable(text: str) -> str:
    """Text a database can hold: a lone surrogate (not Unicode) is kept as its \\udxxx escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def classify(item: Any, batch: Batch, counts: Counts) -> None:
    """Put one raw item in the batch (event or quarantine) or count it as ignored."""
    counts.read += 1
    tally = counts.by_source.get(item.source)
    if tally is None:
        tally = counts.by_source[item.source] = Tally()
    tally.note(item)
    where = f"{item.source}:{item.line}" if item.line else item.source
    if item.error:
        batch.bad.append(_bad(item.text, item.source, item.line, item.error))
        tally.unusable += 1
        return
    try:
        parsed = parse(item.value)
    except InvalidEvent as error:
        batch.bad.append(_bad(item.text, item.source, item.line, str(error)))
        tally.unusable += 1
        return
    except Exception as error:  # a bug must not lose input: keep it, with the reason
        batch.bad.append(_bad(item.text, item.source, item.line, f"could not be read: {error!r}"))
        tally.unusable += 1
        return
    if isinstance(parsed, Ignored):
        counts.ignored += 1
        counts.ignored_by_name[parsed.event_name] += 1
        return
    batch.events.append(parsed)
    batch.sources.append(where)
    batch.items.append(item)


# What serialising one event's state raises (orjson.JSONEncodeError is a TypeError).
_UNWRITABLE = (TypeError, ValueError, OverflowError, RecursionError)


def set_aside_unwritable(batch: Batch) -> int:
    """Move each event whose stored state cannot be serialised to the quarantine; how many moved."""
    keep_events, keep_sources, keep_items, moved = [], [], [], 0
    now = datetime.now(UTC)
    for event, source, item in zip(batch.events, batch.sources, batch.items, strict=True):
        try:
            orjson.dumps(event.state(now, source))
        except _UNWRITABLE as error:
            batch.bad.append(_bad(item.text, item.source, item.line, f"cannot be stored as it is: {error}"))
            moved += 1
            if item.source in batch.tallies:
                batch.tallies[item.source].unusable += 1
            continue
        keep_events.append(event)
        keep_sources.append(source)
        keep_items.append(item)
    batch.events, batch.sources, batch.items = keep_events, keep_sources, keep_items
    return moved


def flush(store: EventStore, batch: Batch, counts: Counts) -> None:
    """Append one batch in one transaction and count what it did."""
    if not len(batch):
        return
    batch.tallies = counts.by_source
    with _sigint_deferred():  # committed and counted, or neither
        _write(store, batch, counts)


def _write(store: EventStore, batch: Batch, counts: Counts) -> None:
    try:
        result = store.append(batch.events, batch.bad, batch.sources)
    except _UNWRITABLE:
        # The transaction was rolled back: set the unwritable events aside and append the rest.
        if not set_aside_unwritable(batch):
            raise
        result = store.append(batch.events, batch.bad, batch.sources)
    counts.appended += len(result.appended)
    counts.duplicates += result.duplicates
    counts.quarantined += len(result.quarantined)
    counts.quarantine_ids.extend(result.quarantined)
    counts.refused += result.refused


def ingest(
    store: EventStore,
    items: Iterable[Any],
    *,
    batch_size: int = BATCH,
    on_batch: Callable[[Counts], None] | None = None,
) -> Counts:
    """Read every item, append in batches, return the accounting. Ctrl-C raises Stopped (its counts: the
    batches committed before it; the items read since are not stored, and a rerun reads them again)."""
    counts, batch = Counts(), Batch()
    try:
        for item in items:
            classify(item, batch, counts)
            if len(batch) >= batch_size:
                flush(store, batch, counts)
                batch = Batch()
                if on_batch:
                    on_batch(counts)
        flush(store, batch, counts)
    except KeyboardInterrupt:
        raise Stopped(counts) from None
    if on_batch:
        on_batch(counts)
    return counts


class Stopped(KeyboardInterrupt):
    """Ctrl-C stopped an ingest between two batches; counts.appended events were stored by it."""

    def __init__(self, counts: Counts) -> None:
        super().__init__(f"stopped after {counts.appended} events were stored")
        self.counts = counts


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold a Ctrl-C that comes while the block runs until it ends (then raise KeyboardInterrupt), so a
    batch is committed and counted, or neither. Only where Python's own SIGINT handler is in place (the
    main thread of a command; elsewhere, e.g. a web server's threads, nothing changes)."""
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    held: list[int] = []
    signal.signal(signal.SIGINT, lambda number, _frame: held.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if held:
        raise KeyboardInterrupt
