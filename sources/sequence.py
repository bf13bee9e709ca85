"""A sequence of JSON values read as raw items: JSON Lines (the fast path, one `orjson.loads` a line),
pretty-printed multi-line values and values concatenated on a line (the slow path), broken stretches
kept as error items, and lines longer than the item cap streamed past."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from functools import partial
from itertools import chain
from typing import BinaryIO

import orjson

from sources.items import (
    _BYTES_WS,
    _CHUNK,
    _VALUE_START,
    PREFIX_BYTES,
    RawItem,
    _Decoder,
    _failure,
    _item,
    _oversized_item,
    _skip_ws,
    _without_blank_tail,
)


class _Oversized:
    """A line longer than the item cap, streamed past: its first bytes and its size. Not bytes,
    so orjson refuses it and the fast path needs no test of its own."""

    __slots__ = ("prefix", "size")

    def __init__(self, prefix: bytes, size: int) -> None:
        self.prefix, self.size = prefix, size


Line = bytes | _Oversized  # one line of input as the readers give it


def _lines(head: bytes, data: BinaryIO, cap: int) -> Iterator[Line]:
    """The lines of head (input read but not used) followed by those of data; a line longer
    than cap bytes is read past in bounded pieces and given as an _Oversized."""
    parts = head.split(b"\n")
    lines: list[Line] = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:  # the rest of a line cut by an earlier read
        cut = parts[-1]
        rest = data.readline(max(cap + 1 - len(cut), 1))
        lines.append(_bounded(cut + rest, data, cap))
    return chain(lines, _bounded_lines(data, cap))


def _bounded_lines(data: BinaryIO, cap: int) -> Iterator[bytes | _Oversized]:
    for raw in iter(partial(data.readline, cap + 1), b""):
        yield raw if len(raw) <= cap or raw[-1:] == b"\n" else _bounded(raw, data, cap)


def _bounded(raw: bytes, data: BinaryIO, cap: int) -> bytes | _Oversized:
    """raw, or if it is a line longer than cap not read to its end, the rest of it read past."""
    if len(raw) <= cap or raw[-1:] == b"\n":
        return raw
    prefix, size = raw[:PREFIX_BYTES], len(raw)
    while raw and raw[-1:] != b"\n":
        raw = data.readline(_CHUNK)
        size += len(raw)
    return _Oversized(prefix, size)


def _iter_sequence(source: str, base: Iterator[Line], line: int, cap: int) -> Generator[RawItem, None, int]:
    """Items of a sequence of JSON values, lines numbered from `line`; returns the last line number."""
    lines = base
    loads, not_json = orjson.loads, orjson.JSONDecodeError
    slow = _Spread(source, cap)
    n = line - 1
    pending: Iterator[Line] = iter(())  # lines read ahead but not used, to be read again before the rest
    while True:
        for raw in lines:  # the hot path: one JSON value per line
            n += 1
            try:
                value = loads(raw)  # type: ignore[arg-type]  # an _Oversized is refused here on purpose
            except not_json:
                leftover, n = yield from slow.read(raw, n, lines)
                if leftover:
                    break
                continue
            yield RawItem(source, n, raw.strip().decode(), value, None)  # type: ignore[union-attr]  # parsed: bytes
        else:
            return n
        pending = iter(leftover + list(pending))  # flat: chains of chains would slow every line
        lines = chain(pending, base)


class _Lines:
    """A few consecutive lines, decoded together only when a value is tried; bad UTF-8 kept escaped."""

    def __init__(self, first: int, raw: bytes) -> None:
        self.first = first  # number of the first line held
        self.raws = [raw]
        self.size = len(raw)
        self.pos = self.tried = 0  # reading position in text; size when a value was last tried
        self.tainted = False
        self._text: str | None = None
        self._mark = (0, 0)  # a position in text and the index of its line: index() counts from it

    def add(self, raw: bytes) -> bool:
        """Hold one more line; say whether to try decoding again now: the line could close a
        pretty-printed value (it starts in column 0), or the text doubled. Decoding after every
        line would cost time quadratic in the value's lines; the final try at the next value
        (or the end) makes skipping tries safe."""
        self.raws.append(raw)
        self.size += len(raw)
        self._text = None
        grown = self.size - self.tried
        doubled = grown >= self.tried and grown >= 4096
        return doubled or (raw[:1] not in _BYTES_WS and 4 * grown >= self.tried)

    @property
    def text(self) -> str:
        if self._text is None:
            joined = b"".join(self.raws)
            try:
                self._text = joined.decode()
            except UnicodeDecodeError:
                self._text, self.tainted = joined.decode("utf-8", "surrogateescape"), True
        return self._text

    def index(self, pos: int) -> int:
        """Index of the line holding text[pos] (every line held but the last ends with a newline).
        Counted from the position asked last, so that many values on one long line cost linear,
        not quadratic, time."""
        at, k = self._mark
        k += self.text.count("\n", at, pos) if pos >= at else -self.text.count("\n", pos, at)
        self._mark = (pos, k)
        return k

    def where(self, pos: int) -> tuple[int, int]:
        """Line number and 1-based column of text[pos]."""
        return self.first + self.index(pos), pos - self.text.rfind("\n", 0, pos)

    def keep_from(self, pos: int) -> None:
        """Forget the lines before the one holding text[pos]; pos becomes the reading position."""
        k, cut = self.index(pos), self.text.rfind("\n", 0, pos) + 1
        self.size -= sum(map(len, self.raws[:k]))
        self.first, self.raws, self.pos, self.tried = self.first + k, self.raws[k:], pos - cut, self.size
        self._text = self._text[cut:] if self._text is not None else None
        self._mark = (0, 0)


class _Spread:
    """The slow path of a sequence: values spread over lines, several on a line, or broken."""

    def __init__(self, source: str, cap: int) -> None:
        self.source, self.cap = source, cap
        self.decoder = _Decoder()

    def read(self, raw: Line, n: int, lines: Iterator[Line]) -> Generator[RawItem, None, tuple[list[Line], int]]:
        """Items from line n (`raw`, refused by orjson) on, reading more lines while a value is open.
        Returns the lines read but not used, and the number of the line before them."""
        if isinstance(raw, _Oversized):
            yield _oversized_item(self.source, n, raw.prefix, raw.size, self.cap, "line")
            return [], n
        if not raw.strip(_BYTES_WS):
            return [], n  # a blank line
        held = _Lines(n, raw)
        done = yield from self._drain(held, None)
        while done is None:
            more = next(lines, None)
            if more is None:
                done = yield from self._drain(held, "the input ended before it was closed")
            elif isinstance(more, _Oversized) or more[:1] in (b"{", b"["):
                # a new top-level value (or a line too long to be part of one): the open one was cut short
                line = held.first + len(held.raws)
                why = "is over the size limit" if isinstance(more, _Oversized) else "starts a new value"
                cut = yield from self._drain(held, f"line {line} {why} before it was closed")
                assert cut is not None  # a final reason always ends the value
                return [*held.raws[cut:], more], held.first + cut - 1
            else:
                again = held.add(more)
                if held.size > self.cap:
                    done = yield from self._drain(held, f"still not closed after {self.cap} bytes")
                elif again:
                    done = yield from self._drain(held, None)
        return list(held.raws[done:]), held.first + done - 1

    def _drain(self, held: _Lines, final: str | None) -> Generator[RawItem, None, int | None]:
        """Items of the text held, from held.pos. Returns the index of the first line not used, or
        None if a value is still open (only when final is None; else final says why it stopped)."""
        text, pos = held.text, held.pos
        held.tried = held.size
        while True:
            pos = _skip_ws(text, pos)
            if pos == len(text):
                return len(held.raws)
            try:
                value, end = self.decoder.decode(text, pos)
            except (ValueError, RecursionError) as error:
                at, why = _failure(error, pos)
                if final is None and isinstance(error, json.JSONDecodeError) and text.find("\n", at) == -1:
                    held.keep_from(pos)  # the value may go on in the next lines
                    return None
                return (yield from self._broken(held, pos, at, why, final))
            after = _skip_ws(text, end)
            if after < len(text) and text[after] not in _VALUE_START and text.find("\n", end, after) == -1:
                # e.g. the `"c"` of a line `"c": 3` left over from a broken pretty-printed object
                why = f"unexpected {text[after]!r} after a value"
                return (yield from self._broken(held, pos, after, why, None))
            line = held.first + held.index(pos)
            yield _item(self.source, line, text[pos:end], value, self.decoder.rejection(line), held.tainted)
            pos = after
            if pos < len(text) and held.index(pos) > held.index(end - 1):
                return held.index(pos)  # the next value starts a line: back to the fast path

    def _broken(self, held: _Lines, pos: int, at: int, why: str, final: str | None) -> Generator[RawItem, None, int]:
        """Yield the bad stretch text[pos:...] as an error item; return the index of the next line."""
        text = held.text
        line = held.first + held.index(pos)
        if final is not None and _skip_ws(text, at) == len(text):  # ran out of input mid-value
            stretch, after = _without_blank_tail(text[pos:]), len(held.raws)
            reason = f"incomplete JSON value starting at line {line}: {final}"
        else:
            after, stop = held.index(at) + 1, text.find("\n", at)
            stretch = text[pos : stop if stop != -1 else len(text)]
            err_line, err_col = held.where(at)
            reason = f"invalid JSON at line {err_line}, column {err_col}: {why}"
        yield _item(self.source, line, stretch.rstrip("\r\n"), None, reason, held.tainted)
        return after
