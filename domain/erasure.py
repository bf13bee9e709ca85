"""The erasure of a person as a stored record: who asked, when, why, and the pseudonyms whose keys went.

`mastery erase` appends one `PersonErased` to the hash chain (never a personal value: the person is
named by the pseudonyms of `domain.personal`), so the history itself says that, and when, personal
values became unreadable. It is not a Canvas event (not in `domain.events.REGISTRY`: it can never be
ingested); the projections skip it and `audit` shows it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from domain.events import StoredRecord

ERASURE_KIND = "erasure"


class PersonErased(StoredRecord):
    """One erasure, read back from the store (the same envelope as a Canvas event's)."""

    canvas_name: ClassVar[str] = "person_erased"
    kind: ClassVar[str] = ERASURE_KIND

    attributable: bool = False

    @property
    def info(self) -> dict[str, Any]:
        return dict(self.event.get("erasure") or {})

    @property
    def requested_by(self) -> str:
        return str(self.info.get("requested_by") or "")

    @property
    def pseudonyms(self) -> list[str]:
        return [str(p) for p in self.info.get("pseudonyms") or []]


ERASURE_TOPIC = f"{PersonErased.__module__}:{PersonErased.__qualname__}"
