"""What every `mastery ingest` reader shares: the item read (RawItem), the error for an input that
cannot be read at all (SourceError), the JSON decoder that notes what is not JSON, and text helpers."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

STDIN = "-"
STDIN_SOURCE = "<stdin>"
PREFIX_BYTES = 4096  # how much of an oversized item is kept
_CHUNK = 1 << 16  # bytes an array is read by; also the longest line looked at to pick the mode
_WS = " \t\r\n"
_BYTES_WS = b" \t\r\n"
_NON_WS = re.compile(r"[^ \t\r\n]")
_VALUE_START = frozenset('{["-0123456789tfnNI')  # NaN and Infinity too: they are rejected as values
# Bytes that are not UTF-8 are decoded to these lone surrogates (errors="surrogateescape"), so
# the text keeps its positions and the bytes can be given back exactly.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


class SourceError(Exception):
    """An input that cannot be read at all (missing, unreadable); the message names it."""


@dataclass(frozen=True, slots=True)
class RawItem:
    """One item read: a parsed JSON value, or a stretch of input that is not one (error set)."""

    source: str  # file path as given, or "<stdin>"
    line: int  # 1-based line where the item starts
    text: str  # the item's exact raw text (for an error item: the bad stretch)
    value: object | None  # the parsed JSON value; None when error is set
    error: str | None  # None if parsed; else why not, for a person to act on

    @property
    def ok(self) -> bool:
        return self.error is None


def _oversized_item(source: str, line: int, prefix: bytes, size: int, cap: int, what: str) -> RawItem:
    """An error item for an item over the cap: its first PREFIX_BYTES, made printable, and its size."""
    text = prefix[:PREFIX_BYTES].decode("utf-8", "backslashreplace").rstrip("\r\n")
    return RawItem(
        source,
        line,
        text,
        None,
        f"{what} of {size} bytes is over the {cap}-byte limit (only its first {len(prefix[:PREFIX_BYTES])} bytes kept)",
    )


def _skip_ws(text: str, pos: int) -> int:
    found = _NON_WS.search(text, pos)
    return found.start() if found else len(text)


def _item(source: str, line: int, text: str, value: object, error: str | None, tainted: bool) -> RawItem:
    """An item; one holding bytes that are not UTF-8 is an error item, its text made printable."""
    if tainted:
        bad = _ESCAPED_BYTE.search(text)
        if bad:
            where = line + text.count("\n", 0, bad.start())
            printable = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            return RawItem(source, line, printable, None, f"not UTF-8: invalid bytes at line {where}")
    if error:
        return RawItem(source, line, text, None, error)
    return RawItem(source, line, text, value, None)


class _Decoder:
    """The json module's C scanner (it says where a value ends), noting what is not JSON:
    NaN and Infinity, and numbers too large for a float (orjson refuses those too)."""

    def __init__(self) -> None:
        self.problem: str | None = None
        self._raw_decode = json.JSONDecoder(parse_constant=self._constant, parse_float=self._float).raw_decode

    # Noted, not raised: the value still parses, so its exact extent is known.
    def _constant(self, name: str) -> None:
        self.problem = f"{name} is not a JSON number"

    def _float(self, text: str) -> float:
        number = float(text)
        if math.isinf(number):
            self.problem = f"{text} is too large for a number"
        return number

    def decode(self, text: str, pos: int) -> tuple[object, int]:
        """The value at pos (no whitespace skipped) and where it ends; raises ValueError/RecursionError."""
        self.problem = None
        return self._raw_decode(text, pos)

    def rejection(self, line: int) -> str | None:
        """Why the value just decoded is not JSON, if it is not."""
        return self.problem and f"invalid JSON in the value at line {line}: {self.problem}"


def _without_blank_tail(text: str) -> str:
    """text up to the end of its last line that is not blank (without that line's break)."""
    end = text.find("\n", len(text.rstrip(_WS)))
    return (text if end == -1 else text[:end]).rstrip("\r")


def _continued(reason: str) -> str:
    return reason if reason.startswith("(continued) ") else f"(continued) {reason}"


def _failure(error: Exception, pos: int) -> tuple[int, str]:
    """Where a decode failed and why."""
    if isinstance(error, json.JSONDecodeError):
        return error.pos, error.msg
    if isinstance(error, RecursionError):
        return pos, "nested too deeply"
    return pos, str(error)
