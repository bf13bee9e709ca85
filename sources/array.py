"""A JSON array read as raw items, in bounded chunks (the array may be huge, even one line): each
element an item, a broken element kept as an error item up to the end of its line, an array cut
short reported as not closed."""

from __future__ import annotations

import codecs
import json
from collections.abc import Generator, Iterator
from typing import BinaryIO

from sources.items import (
    _CHUNK,
    _ESCAPED_BYTE,
    _WS,
    RawItem,
    _continued,
    _Decoder,
    _failure,
    _item,
    _skip_ws,
    _without_blank_tail,
)


class _Array:
    """Elements of one JSON array, read in bounded chunks (the array may be huge, even one line)."""

    def __init__(self, source: str, data: BinaryIO, head: bytes, line: int, cap: int) -> None:
        self.source, self.data, self.cap = source, data, cap
        self.utf8 = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.decoder = _Decoder()
        self.buf, self.eof, self.tainted, self.unclosed_told = "", False, False, False
        # Line bookkeeping, moving forward only: buf[mark] is on line mark_line, which starts at
        # buf[line_start] (negative once the start has been dropped from buf).
        self.mark, self.mark_line, self.line_start = 0, line, 0
        self._add(head)
        self.pos = self.buf.index("[") + 1

    def run(self) -> Generator[RawItem, None, tuple[bytes, int]]:
        """Yield the elements of this array and of any arrays right after it; return the input
        read after the last one (b"" at the end of the input) and the line it starts on."""
        while (yield from self._elements()) and self._next_char() == "[":
            self.pos += 1  # concatenated arrays, kept in this buffer rather than read again
        return self._rest()

    def _elements(self) -> Generator[RawItem, None, bool]:
        """Yield the elements up to the closing ]; return False if the input ended first."""
        resync = False
        while True:
            char = self._next_char()
            if char == "":
                if not self.unclosed_told:
                    yield self._unclosed()
                return False
            if char == "]":
                self.pos += 1
                return True
            if resync and char == ",":  # a line after a bad stretch may start with the comma
                self.pos += 1
            else:
                closed, resync = yield from self._element()
                if closed:
                    return True

    def _next_char(self) -> str:
        """The next non-whitespace character (pos moved to it), or "" at the end of the input."""
        while True:
            self.pos = _skip_ws(self.buf, self.pos)
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def _element(self) -> Generator[RawItem, None, tuple[bool, bool]]:
        """Read the element at pos and the , or ] after it. Returns (array closed, resync)."""
        while True:
            try:
                value, end = self.decoder.decode(self.buf, self.pos)
            except (ValueError, RecursionError) as error:
                at, why = _failure(error, self.pos)
                if isinstance(error, json.JSONDecodeError) and self._more_may_help(at):
                    continue
                yield from self._bad(at, why)
                return False, True
            after = _skip_ws(self.buf, end)
            if after < len(self.buf) and self.buf[after] in ",]":
                closing = self.buf[after] == "]"
                yield self._value(end, value)
                self.pos = after + 1
                return closing, False
            if self._more_may_help(after):  # e.g. a number cut by the chunk boundary
                continue
            if after < len(self.buf) and self.buf.find("\n", end, after) == -1:
                yield from self._bad(after, "expected ',' or ']' after an array element")
                return False, True
            # A line break where the comma should be (nothing is ambiguous), or the end of the
            # input (run() then reports the array not closed).
            yield self._value(end, value)
            self.pos = after
            return False, False

    def _more_may_help(self, at: int) -> bool:
        """Read more, if a failure at buf[at] may only mean that what follows is not read yet:
        no line break follows it in buf (a JSON token never spans one)."""
        if self.eof or self.buf.find("\n", at) != -1 or len(self.buf) - self.pos > self.cap:
            return False
        return self._fill()

    def _value(self, end: int, value: object) -> RawItem:
        line = self._where(self.pos)[0]
        text = self.buf[self.pos : end]
        return _item(self.source, line, text, value, self.decoder.rejection(line), self.tainted)

    def _bad(self, at: int, why: str) -> Iterator[RawItem]:
        """Yield the element at pos, which fails at buf[at], up to the end of that line, as an error."""
        line = self._where(self.pos)[0]
        err_line, err_col = self._where(at)
        detail = f"invalid JSON at line {err_line}, column {err_col}: {why}"
        line_end = self.buf.find("\n", at)
        if self.eof and (line_end == -1 or _skip_ws(self.buf, line_end) == len(self.buf)):
            self.unclosed_told = True  # the element runs to the end of the input
            ran_out = _skip_ws(self.buf, at) == len(self.buf)
            reason = "array not closed: the input ended inside this element"
            reason += "" if ran_out else f" ({detail})"
        elif line_end == -1:
            reason = f"array element longer than {self.cap} characters"
        else:
            reason = detail
        yield from self._to_line_end(at, line, reason)

    def _to_line_end(self, at: int, line: int, reason: str) -> Iterator[RawItem]:
        """Yield buf[pos : end of the line holding buf[at]] as an error item, in pieces of
        the item cap if it is longer; pos moves to the end of that line."""
        while True:
            end = self.buf.find("\n", at)
            stop = end if end != -1 else len(self.buf)
            while stop - self.pos > self.cap:
                piece = self._error(self.pos + self.cap, line, reason)
                yield piece
                line, reason = line + piece.text.count("\n"), _continued(reason)
            if end != -1 or self.eof:
                text = self.buf[self.pos : stop]
                text = _without_blank_tail(text) if end == -1 else text.rstrip("\r")
                yield self._error(stop, line, reason, text)
                return
            offset = len(self.buf) - self.pos  # the line goes on: look for its end in what comes next
            self._fill()
            at = self.pos + offset

    def _error(self, end: int, line: int, reason: str, text: str | None = None) -> RawItem:
        text = self.buf[self.pos : end] if text is None else text
        self.pos = end
        return _item(self.source, line, text, None, reason, self.tainted)

    def _unclosed(self) -> RawItem:
        line = self._where(self.pos)[0]
        return RawItem(
            self.source, line, self.buf[self.pos :].strip(_WS), None, "array not closed: the input ended before its ']'"
        )

    def _rest(self) -> tuple[bytes, int]:
        """The input read after the array (given back exactly, bad bytes too) and its line number."""
        line = self._where(self.pos)[0]
        pending = self.utf8.getstate()[0]  # bytes of a character cut by the chunk boundary
        return self.buf[self.pos :].encode("utf-8", "surrogateescape") + pending, line

    def _fill(self) -> bool:
        """Read more input, forgetting buf before pos. False if the input was already exhausted."""
        if self.eof:
            return False
        # Read at least as much as is held: an element spanning many chunks is then re-scanned
        # a logarithmic, not linear, number of times.
        data = self.data.read(max(_CHUNK, len(self.buf) - self.pos))
        self._drop(self.pos)
        self.eof = not data
        self._add(data)
        return True

    def _add(self, data: bytes) -> None:
        piece = self.utf8.decode(data, final=not data)
        if not self.tainted and not piece.isascii() and _ESCAPED_BYTE.search(piece):
            self.tainted = True
        self.buf += piece

    def _drop(self, keep: int) -> None:
        if self.mark < keep:
            self._where(keep)
        self.buf = self.buf[keep:]
        self.mark, self.line_start, self.pos = self.mark - keep, self.line_start - keep, self.pos - keep

    def _where(self, pos: int) -> tuple[int, int]:
        """Line number and 1-based column of buf[pos]; positions must be asked in increasing order."""
        if pos > self.mark:
            newlines = self.buf.count("\n", self.mark, pos)
            if newlines:
                self.mark_line += newlines
                self.line_start = self.buf.rfind("\n", self.mark, pos) + 1
            self.mark = pos
        return self.mark_line, pos - self.line_start + 1
