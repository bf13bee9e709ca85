"""The inputs of `mastery ingest` read as raw items: paths (folders expanded, stdin), opening with
gzip recognised by its magic bytes, the per-item and per-input caps, and the choice of reader for
each input (a JSON array, or a sequence of JSON values)."""

from __future__ import annotations

import gzip
import io
import os
import stat
import sys
import zlib
from collections.abc import Generator, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import IO, BinaryIO

from sources.array import _Array
from sources.items import _BYTES_WS, _CHUNK, STDIN, STDIN_SOURCE, RawItem, SourceError
from sources.sequence import _iter_sequence, _lines

# The longest item held (in characters; in bytes for a line or a value spread over lines), the
# default of `--max-item-bytes`: so that one corrupt, never-closing value or endless line cannot
# make the reader hold a whole multi-GB input (Canvas events are KB). A longer line is streamed
# past and kept as an error item of its first PREFIX_BYTES with its size; a longer bad stretch
# in an array becomes several error items of this size; a longer open value, an error item.
MAX_ITEM_CHARS = 4 << 20
# The most (decompressed) bytes read from one input, the default of `--max-file-bytes`: a gzip
# bomb or /dev/zero stops there, with an error item saying so, and the next input is read.
MAX_FILE_BYTES = 2 << 30

_BUFFER = 1 << 16  # read buffer of each input (larger measured no faster)
_BOM = b"\xef\xbb\xbf"
_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


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

    found: list[str] = []
    for root, dirs, files in os.walk(folder, onerror=fail):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(os.path.join(root, name) for name in files if not name.startswith("."))
    return sorted(found, key=lambda path: os.path.relpath(path, folder).split(os.sep))


def read_sources(
    paths: Sequence[str],
    stdin: BinaryIO | None = None,
    *,
    max_item_bytes: int | None = None,
    max_file_bytes: int | None = None,
) -> Iterator[RawItem]:
    """Items of every input in order; "-" reads stdin (or the stream given). A file found in a
    folder that is not a regular file (a FIFO, a device, a socket) is not read, which could block
    forever: it becomes an error item saying so. One named explicitly is read as a stream."""
    files = list(iter_paths(paths))  # a missing path fails before anything is read
    named = set(paths)
    for path in files:
        if path == STDIN:
            yield from iter_items(
                path,
                stdin if stdin is not None else sys.stdin.buffer,
                max_item_bytes=max_item_bytes,
                max_file_bytes=max_file_bytes,
            )
        elif path not in named and (kind := _irregular(path)):
            yield RawItem(path, 0, "", None, f"not a regular file ({kind}) in a folder: skipped, not read")
        else:
            yield from iter_items(path, max_item_bytes=max_item_bytes, max_file_bytes=max_file_bytes)


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

    def __init__(self, stream: IO[bytes] | gzip.GzipFile, catch: tuple = (), limit: int | None = None) -> None:
        super().__init__()
        self.stream, self.catch, self.limit = stream, catch, limit
        self._read = getattr(stream, "read1", stream.read)
        self.error: str | None = None
        self.total = 0  # bytes delivered

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
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
        buffer[: len(data)] = data
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


def iter_items(
    path: str, stream: BinaryIO | None = None, *, max_item_bytes: int | None = None, max_file_bytes: int | None = None
) -> Iterator[RawItem]:
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
        yield RawItem(
            source,
            last_line,
            "",
            None,
            f"compressed data broken after line {last_line} (the rest is lost): {guard.error}",
        )


def _read_stream(source: str, data: BinaryIO, cap: int) -> Generator[RawItem, None, int]:
    """Items of one decompressed input; returns the number of the last line read."""
    line, head = 1, data.readline(_CHUNK)
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
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
