"""Readers that turn `mastery ingest` input into a stream of raw items, losing nothing.

Input is files, folders (every non-hidden file below, in path order), gzip data (recognised by its
magic bytes, whatever the name) and stdin (`-`). Each input is read incrementally, with a bounded
buffer, so a multi-GB dump never sits in memory:

* An input whose first non-blank character (after an optional UTF-8 BOM) is `[` is a JSON array:
  each element is an item. Once the array closes, whatever follows is read by the same rule again.
* Anything else is a sequence of JSON values: JSON Lines, pretty-printed multi-line values, or
  values concatenated on a line. One value per line is the fast path (`orjson.loads` on the line).

Every character read ends up in exactly one item (except the whitespace, brackets and commas
between values, and a BOM). Input that is not JSON becomes an error item holding the raw text and
a reason a person can act on, and reading resumes at the next line:

* a broken value in a sequence: its start up to the end of the line where it went wrong (also
  when a value is followed on its line by something that cannot start one, e.g. `"c": 3`);
* a broken array element: the same, then the next line is tried as the next element;
* an array cut short: its unparsed tail, "array not closed" (text "" if the cut fell between elements);
* a value that is still open when a line starting with `{` or `[` arrives (a JSON Lines line cut
  short): that value's lines, so that one truncated line cannot swallow the lines after it;
* bytes that are not UTF-8: the item holding them, its text made printable with backslash escapes;
* `NaN`, `Infinity`, `-Infinity` and numbers beyond a float (`1e400`), which are not JSON: the
  value holding them;
* broken gzip data: the lines before the break are items, then an error item with text "".

Leniencies, as nothing is ambiguous: a comma before `]`, and a line break instead of the comma
between array elements. On the JSON Lines fast path an integer beyond 64 bits parses as a float,
as orjson does (the item's text keeps every digit); elsewhere as an int.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import math
import os
import re
import stat
import sys
import zlib
from collections.abc import Generator, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import BinaryIO

import orjson

__all__ = ["RawItem", "SourceError", "STDIN", "STDIN_SOURCE", "MAX_ITEM_CHARS", "MAX_FILE_BYTES",
           "iter_paths", "iter_items", "read_sources"]

STDIN = "-"
STDIN_SOURCE = "<stdin>"
# The longest item held (in characters; in bytes for a line or a value spread over lines), the
# default of `--max-item-bytes`: so that one corrupt, never-closing value or endless line cannot
# make the reader hold a whole multi-GB input (Canvas events are KB). A longer line is streamed
# past and kept as an error item of its first PREFIX_BYTES with its size; a longer bad stretch
# in an array becomes several error items of this size; a longer open value, an error item.
MAX_ITEM_CHARS = 4 << 20
# The most (decompressed) bytes read from one input, the default of `--max-file-bytes`: a gzip
# bomb or /dev/zero stops there, with an error item saying so, and the next input is read.
MAX_FILE_BYTES = 2 << 30
PREFIX_BYTES = 4096      # how much of an oversized item is kept

_BUFFER = 1 << 16        # read buffer of each input (larger measured no faster)
_CHUNK = 1 << 16         # bytes an array is read by; also the longest line looked at to pick the mode
_BOM = b"\xef\xbb\xbf"
_WS = " \t\r\n"
_BYTES_WS = b" \t\r\n"
_NON_WS = re.compile(r"[^ \t\r\n]")
_VALUE_START = frozenset('{["-0123456789tfnNI')  # NaN and Infinity too: they are rejected as values
# Bytes that are not UTF-8 are decoded to these lone surrogates (errors="surrogateescape"), so
# the text keeps its positions and the bytes can be given back exactly.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


class SourceError(Exception):
    """An input that cannot be read at all (missing, unreadable); the message names it."""


@dataclass(frozen=True, slots=True)
class RawItem:
    """One item read: a parsed JSON value, or a stretch of input that is not one (error set)."""

    source: str           # file path as given, or "<stdin>"
    line: int             # 1-based line where the item starts
    text: str             # the item's exact raw text (for an error item: the bad stretch)
    value: object | None  # the parsed JSON value; None when error is set
    error: str | None     # None if parsed; else why not, for a person to act on

    @property
    def ok(self) -> bool:
        return self.error is None


# --- paths ------------------------------------------------------------------------------------

def iter_paths(paths: Sequence[str]) -> Iterator[str]:
    """The files to read: each path as given, folders expanded; "-" (stdin) passed through."""
    for path in paths:
        if path == STDIN:
            yield path
        elif os.path.isdir(path):
            yield from _files_under(path)
        elif os.path.exists(path):
            yield path
        else:
            raise SourceError(f"{path}: no such file or directory")


def _files_under(folder: str) -> list[str]:
    """Every non-hidden file below folder, sorted by path (component by component)."""
    def fail(error: OSError) -> None:  # os.walk would otherwise skip an unreadable folder silently
        raise SourceError(f"{error.filename}: cannot list folder: {error.strerror}") from error

    found = []
    for root, dirs, files in os.walk(folder, onerror=fail):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(os.path.join(root, name) for name in files if not name.startswith("."))
    return sorted(found, key=lambda path: os.path.relpath(path, folder).split(os.sep))


def read_sources(paths: Sequence[str], stdin: BinaryIO | None = None, *, max_item_bytes: int | None = None,
                 max_file_bytes: int | None = None) -> Iterator[RawItem]:
    """Items of every input in order; "-" reads stdin (or the stream given). A file found in a
    folder that is not a regular file (a FIFO, a device, a socket) is not read, which could block
    forever: it becomes an error item saying so. One named explicitly is read as a stream."""
    files = list(iter_paths(paths))  # a missing path fails before anything is read
    named = set(paths)
    caps = {"max_item_bytes": max_item_bytes, "max_file_bytes": max_file_bytes}
    for path in files:
        if path == STDIN:
            yield from iter_items(path, stdin if stdin is not None else sys.stdin.buffer, **caps)
        elif path not in named and (kind := _irregular(path)):
            yield RawItem(path, 0, "", None, f"not a regular file ({kind}) in a folder: skipped, not read")
        else:
            yield from iter_items(path, **caps)


def _irregular(path: str) -> str | None:
    """What kind of non-regular file path is (FIFO, device, socket), or None for a regular file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # reading it reports the problem
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


# --- opening ----------------------------------------------------------------------------------

class _Reader(io.RawIOBase):
    """Raw-I/O face for any binary stream, so io.BufferedReader can give it fast lines and peek.
    For compressed data it turns a broken stream into the end of the input, keeping the error
    to be reported as an item."""

    def __init__(self, stream: BinaryIO, catch: tuple = (), limit: int | None = None) -> None:
        super().__init__()
        self.stream, self.catch, self.limit = stream, catch, limit
        self._read = getattr(stream, "read1", stream.read)
        self.error: str | None = None
        self.total = 0  # bytes delivered

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        want = len(buffer)
        if self.limit is not None:
            if self.total >= self.limit:
                if self.error is None and self._read(1):  # more than the limit: stop the input here
                    self.error = f"the input is over the {self.limit}-byte limit: read stopped after {self.total} bytes"
                return 0
            want = min(want, self.limit - self.total)
        try:  # read1: data decompressed before a break in gzip data is still delivered
            data = self._read(want)
        except self.catch as error:
            self.error = f"{type(error).__name__}: {error}"
            return 0
        buffer[:len(data)] = data
        self.total += len(data)
        return len(data)


@contextmanager
def _opened(path: str, stream: BinaryIO | None, limit: int) -> Iterator[tuple[BinaryIO, _Reader]]:
    """The input as a buffered binary stream, decompressed if gzip, of at most limit bytes
    (decompressed); and its guard, which notes a broken gzip stream or the limit reached."""
    with ExitStack() as stack:
        if stream is None:
            try:
                stream = stack.enter_context(open(path, "rb", buffering=0))
            except OSError as error:
                raise SourceError(f"{path}: cannot read: {error.strerror or error}") from error
        raw = io.BufferedReader(_Reader(stream), _BUFFER)
        # A pipe may deliver a single byte first; "\x1f" cannot start JSON, so it means gzip.
        if raw.peek(2)[:2] in (b"\x1f\x8b", b"\x1f"):
            unzipped = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
            guard = _Reader(unzipped, catch=_GZIP_ERRORS, limit=limit)
        else:
            guard = _Reader(raw, limit=limit)
        yield io.BufferedReader(guard, _BUFFER), guard


def iter_items(path: str, stream: BinaryIO | None = None, *, max_item_bytes: int | None = None,
               max_file_bytes: int | None = None) -> Iterator[RawItem]:
    """Items of one input (a file path, or "-" / any name with the stream given for stdin).
    Linear in the input's size; an item over max_item_bytes and input past max_file_bytes
    (decompressed) become error items (defaults: MAX_ITEM_CHARS, MAX_FILE_BYTES)."""
    source = STDIN_SOURCE if path == STDIN else path
    cap = MAX_ITEM_CHARS if max_item_bytes is None else max_item_bytes
    limit = MAX_FILE_BYTES if max_file_bytes is None else max_file_bytes
    try:
        with _opened(path, stream, limit) as (data, guard):
            last_line = yield from _read_stream(source, data, cap)
    except OSError as error:
        raise SourceError(f"{source}: read failed: {error.strerror or error}") from error
    if guard.error and guard.limit is not None and guard.total >= guard.limit:
        yield RawItem(source, last_line, "", None, f"{guard.error} (line {last_line}); the rest is not read")
    elif guard.error:
        yield RawItem(source, last_line, "", None,
                      f"compressed data broken after line {last_line} (the rest is lost): {guard.error}")


def _read_stream(source: str, data: BinaryIO, cap: int) -> Generator[RawItem, None, int]:
    """Items of one decompressed input; returns the number of the last line read."""
    line, head = 1, data.readline(_CHUNK)
    if head.startswith(_BOM):
        head = head[len(_BOM):]
    while True:
        head, line = _skip_blank(data, head, line)
        if not head.startswith(b"["):
            return (yield from _iter_sequence(source, _lines(head, data, cap), line, cap)) if head else line
        head, line = yield from _Array(source, data, head, line, cap).run()  # head: what came after it


def _skip_blank(data: BinaryIO, head: bytes, line: int) -> tuple[bytes, int]:
    """The input read but not used (head) and what follows, from its first non-blank byte on;
    and that byte's line number. b"" at the end of the input."""
    while True:
        rest = head.lstrip(_BYTES_WS)
        line += head.count(b"\n", 0, len(head) - len(rest))
        if rest:
            return rest, line
        head = data.readline(_CHUNK)
        if not head:
            return b"", line


class _Oversized:
    """A line longer than the item cap, streamed past: its first bytes and its size. Not bytes,
    so orjson refuses it and the fast path needs no test of its own."""

    __slots__ = ("prefix", "size")

    def __init__(self, prefix: bytes, size: int) -> None:
        self.prefix, self.size = prefix, size


def _lines(head: bytes, data: BinaryIO, cap: int) -> Iterator[bytes | _Oversized]:
    """The lines of head (input read but not used) followed by those of data; a line longer
    than cap bytes is read past in bounded pieces and given as an _Oversized."""
    parts = head.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
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


def _oversized_item(source: str, line: int, prefix: bytes, size: int, cap: int, what: str) -> RawItem:
    """An error item for an item over the cap: its first PREFIX_BYTES, made printable, and its size."""
    text = prefix[:PREFIX_BYTES].decode("utf-8", "backslashreplace").rstrip("\r\n")
    return RawItem(source, line, text, None,
                   f"{what} of {size} bytes is over the {cap}-byte limit (only its first {len(prefix[:PREFIX_BYTES])} bytes kept)")


# --- shared by both readers -------------------------------------------------------------------

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


# --- sequences of JSON values -----------------------------------------------------------------

def _iter_sequence(source: str, base: Iterator[bytes], line: int, cap: int) -> Generator[RawItem, None, int]:
    """Items of a sequence of JSON values, lines numbered from `line`; returns the last line number."""
    lines = base
    loads, not_json = orjson.loads, orjson.JSONDecodeError
    slow = _Spread(source, cap)
    n = line - 1
    pending = iter(())  # lines read ahead but not used, to be read again before the rest
    while True:
        for raw in lines:  # the hot path: one JSON value per line
            n += 1
            try:
                value = loads(raw)
            except not_json:
                leftover, n = yield from slow.read(raw, n, lines)
                if leftover:
                    break
                continue
            yield RawItem(source, n, raw.strip().decode(), value, None)
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

    def read(self, raw: bytes, n: int,
             lines: Iterator[bytes]) -> Generator[RawItem, None, tuple[list[bytes], int]]:
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
                done = yield from self._drain(held, f"line {line} {why} before it was closed")
                return held.raws[done:] + [more], held.first + done - 1
            else:
                again = held.add(more)
                if held.size > self.cap:
                    done = yield from self._drain(held, f"still not closed after {self.cap} bytes")
                elif again:
                    done = yield from self._drain(held, None)
        return held.raws[done:], held.first + done - 1

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

    def _broken(self, held: _Lines, pos: int, at: int, why: str, final: str | None) -> Iterator[RawItem]:
        """Yield the bad stretch text[pos:...] as an error item; return the index of the next line."""
        text = held.text
        line = held.first + held.index(pos)
        if final is not None and _skip_ws(text, at) == len(text):  # ran out of input mid-value
            stretch, after = _without_blank_tail(text[pos:]), len(held.raws)
            reason = f"incomplete JSON value starting at line {line}: {final}"
        else:
            after, stop = held.index(at) + 1, text.find("\n", at)
            stretch = text[pos:stop if stop != -1 else len(text)]
            err_line, err_col = held.where(at)
            reason = f"invalid JSON at line {err_line}, column {err_col}: {why}"
        yield _item(self.source, line, stretch.rstrip("\r\n"), None, reason, held.tainted)
        return after


# --- JSON arrays ------------------------------------------------------------------------------

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
        text = self.buf[self.pos:end]
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
                text = self.buf[self.pos:stop]
                text = _without_blank_tail(text) if end == -1 else text.rstrip("\r")
                yield self._error(stop, line, reason, text)
                return
            offset = len(self.buf) - self.pos  # the line goes on: look for its end in what comes next
            self._fill()
            at = self.pos + offset

    def _error(self, end: int, line: int, reason: str, text: str | None = None) -> RawItem:
        text = self.buf[self.pos:end] if text is None else text
        self.pos = end
        return _item(self.source, line, text, None, reason, self.tainted)

    def _unclosed(self) -> RawItem:
        line = self._where(self.pos)[0]
        return RawItem(self.source, line, self.buf[self.pos:].strip(_WS), None,
                       "array not closed: the input ended before its ']'")

    def _rest(self) -> tuple[bytes, int]:
        """The input read after the array (given back exactly, bad bytes too) and its line number."""
        line = self._where(self.pos)[0]
        pending = self.utf8.getstate()[0]  # bytes of a character cut by the chunk boundary
        return self.buf[self.pos:].encode("utf-8", "surrogateescape") + pending, line

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
