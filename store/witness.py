"""The head witness: the position and hash of the store's last chain link, kept outside its database.

A history cut at the tail (or wiped) still verifies link by link; the witness is what says it once
reached further. It lives beside a SQLite store (`<db>.head`) or, for PostgreSQL, in the user's state
folder by store id (`$XDG_STATE_HOME/outcome-mastery/<store_id>.head`). It is replaced atomically
(temp file + os.replace), so a reader sees the old witness or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import orjson


class WitnessError(Exception):
    """The witness file exists but cannot be read as a witness."""


@dataclass(frozen=True)
class Head:
    """A chain position and its link: what the history must still reach."""

    position: int
    hash: str
    store_id: str | None = None

    def __str__(self) -> str:
        return f"{self.position}:{self.hash}"


def parse_head(text: str) -> Head:
    """POSITION:HASH, as `ingest --json` prints it."""
    position, _, digest = text.strip().partition(":")
    if not position.isdigit() or int(position) < 1 or len(digest) != 64 or not _is_hex(digest):
        raise ValueError(f"{text!r} is not POSITION:HASH (e.g. 42:{'ab' * 32})")
    return Head(int(position), digest.lower())


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdefABCDEF" for ch in text)


def witness_path(url: str, store_id: str, is_postgres: bool, state_home: str | None) -> Path:
    """Where the store's witness lives (state_home: $XDG_STATE_HOME, read by the caller)."""
    if not is_postgres:
        return Path(url.removeprefix("sqlite:///").removeprefix("sqlite://") + ".head")
    base = Path(state_home) if state_home else Path.home() / ".local" / "state"
    return base / "outcome-mastery" / f"{store_id}.head"


def read_witness(path: Path) -> Head | None:
    """The witness kept at path, or None when there is none."""
    try:
        data = orjson.loads(path.read_bytes())
        return Head(int(data["position"]), str(data["hash"]), str(data["store_id"]))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise WitnessError(f"head witness {str(path)!r} is unreadable ({error})") from None


def write_witness(path: Path, head: Head) -> None:
    """Replace the witness atomically (raises OSError when the folder cannot be written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)  # unique per writer
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(orjson.dumps({"store_id": head.store_id, "position": head.position, "hash": head.hash}))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
