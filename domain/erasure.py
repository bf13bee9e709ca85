"""The erasure of a person as a stored record: who asked, when, why, and the pseudonyms whose keys went.

`mastery erase` appends one `PersonErased` to the hash chain (never a personal value: the person is
named by the pseudonyms of `domain.personal`), so the history itself says that, and when, personal
values became unreadable. It is not a Canvas event (not in `domain.events.REGISTRY`: it can never be
ingested); the projections skip it and `audit` shows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

ERASURE_KIND = "erasure"


class PersonErased(BaseModel):
    """One erasure, read back from the store (the same envelope as a Canvas event's)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    canvas_name: ClassVar[str] = "person_erased"
    kind: ClassVar[str] = ERASURE_KIND

    originator_id: UUID
    originator_version: int
    root_account: str
    key: str
    event_time: datetime
    recorded_at: datetime
    content_hash: str
    attributable: bool = False
    source: str | None = None
    event: dict[str, Any]

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
