"""The stored-state codec's dictionaries kept in the store (`store_dictionaries`, see store/codec.py).

Mixed into both recorders: at each codec milestone the appending batch trains a new dictionary from a
sample spread over the store and the batch, under the writer lock, in the batch's own transaction (so a
dictionary exists exactly when rows compressed with it do); `dictionary_bytes` is what `codec.decode`
asks an open store for a dictionary it has not seen.
"""

from __future__ import annotations

from typing import Any

from store import codec
from store.statements import CHUNK, RecorderStatements


def latest_dictionary(c: Any) -> codec.Dictionary | None:
    """The store's newest codec dictionary (registered for decoding), or None below the first milestone."""
    c.execute("SELECT id, milestone, dictionary FROM store_dictionaries ORDER BY milestone DESC LIMIT 1")
    row = c.fetchone()
    if row is None:
        return None
    latest = codec.Dictionary(int(row["id"]), bytes(row["dictionary"]), int(row["milestone"]))
    codec.register(latest.id, latest.data)
    return latest


class StoreDictionaries(RecorderStatements):
    """Which dictionary a batch is stored with, training one at a milestone, and looking one up."""

    # The store's latest dictionary as far as this process knows; one trained in a batch is `_pending`
    # until that batch commits (the recorder's `append_batch` promotes it).
    _dictionary: codec.Dictionary | None = None
    _pending: codec.Dictionary | None = None
    _untrainable: int = 0  # a milestone whose samples zstd could not train from (not retried in-process)

    def _dictionary_for(self, c: Any, head: int, states: list[bytes]) -> codec.Dictionary | None:
        """The dictionary to store this batch with: none below the first milestone; at a milestone not
        yet trained, a new one trained from a sample of the store and this batch (under the writer lock)."""
        due = [m for m in codec.MILESTONES if m <= head + len(states)]
        if not due:
            return None
        if (self._dictionary is not None and self._dictionary.milestone >= due[-1]) or self._untrainable == due[-1]:
            return self._dictionary
        latest = latest_dictionary(c)
        if latest is not None:  # committed (maybe by another process): safe to keep
            self._dictionary = latest
            if latest.milestone >= due[-1]:
                return latest
        trained = codec.train(self._samples(c, head, states), due[-1])
        if trained is None:
            self._untrainable = due[-1]
            return self._dictionary
        codec.register(trained.id, trained.data)
        c.execute(
            f"INSERT INTO store_dictionaries (id, milestone, dictionary) VALUES ({self.ph}, {self.ph}, {self.ph})",
            (trained.id, trained.milestone, trained.data),
        )
        self._pending = trained
        return trained

    def _samples(self, c: Any, head: int, states: list[bytes]) -> list[bytes]:
        """Uncompressed states at positions spread over the store and this batch (positions 1..head+n)."""
        positions = codec.sample_positions(head + len(states))
        stored = [p for p in positions if p <= head]
        found: list[bytes] = [states[p - head - 1] for p in positions if p > head]
        for i in range(0, len(stored), CHUNK):
            part = stored[i : i + CHUNK]
            marks = ",".join([self.ph] * len(part))
            c.execute(f"SELECT state FROM {self.events_table_name} WHERE {self.position} IN ({marks})", part)
            for r in c.fetchall():
                try:
                    found.append(codec.decode(r["state"]))
                except codec.CodecError:
                    continue
        return found

    def dictionary_bytes(self, dictionary_id: int) -> bytes | None:
        """One of the store's codec dictionaries, by id (None when it has none by that id)."""
        rows = self.run(f"SELECT dictionary FROM store_dictionaries WHERE id = {self.ph}", (dictionary_id,))
        return bytes(rows[0]["dictionary"]) if rows else None
