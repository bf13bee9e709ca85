"""Ingest: raw items from the sources → parsed Canvas events → appended in batches, nothing lost.

Every item read is accounted for: `read = appended + duplicates + quarantined + ignored` (DESIGN
decision 4). An item that cannot be used goes to the quarantine in the same transaction as its batch's
events, with a reason a person can act on; it never stops the batch. Should an accepted event still fail
to be written (its state cannot be serialised), that one event is quarantined with the reason and the
rest of its batch is appended.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from domain.canvas import redact_text
from domain.events import Ignored, InvalidEvent, Parsed, parse
from store.application import EventStore
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
    where = f"{item.source}:{item.line}" if item.line else item.source
    if item.error:
        batch.bad.append(_bad(item.text, item.source, item.line, item.error))
        return
    try:
        parsed = parse(item.value)
    except InvalidEvent as error:
        batch.bad.append(_bad(item.text, item.source, item.line, str(error)))
        return
    except Exception as error:  # a bug must not lose input: keep it, with the reason
        batch.bad.append(_bad(item.text, item.source, item.line, f"could not be read: {error!r}"))
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


def ingest(
    store: EventStore,
    items: Iterable[Any],
    *,
    batch_size: int = BATCH,
    on_batch: Callable[[Counts], None] | None = None,
) -> Counts:
    """Read every item, append in batches, return the accounting."""
    counts, batch = Counts(), Batch()
    for item in items:
        classify(item, batch, counts)
        if len(batch) >= batch_size:
            flush(store, batch, counts)
            batch = Batch()
            if on_batch:
                on_batch(counts)
    flush(store, batch, counts)
    if on_batch:
        on_batch(counts)
    return counts
