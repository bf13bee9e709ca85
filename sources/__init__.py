"""Readers that turn `mastery ingest` input into a stream of raw items, losing nothing.

Input is files, folders (every non-hidden file below whose name is an event file's, in path order:
.json, .jsonl, .ndjson, .jsonlines or no extension, each maybe .gz; others are skipped and listed),
gzip data (recognised by its magic bytes, whatever the name) and stdin (`-`). Each input is read
incrementally, with a bounded buffer, so a multi-GB dump never sits in memory:

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

One module per job: files.py (paths, opening, gzip, the caps; which reader reads an input),
sequence.py (sequences of JSON values), array.py (JSON arrays), items.py (what they share).
The package imports nothing else from the project: it knows JSON and files, not Canvas.
"""

from sources.files import (
    EVENT_EXTENSIONS,
    MAX_FILE_BYTES,
    MAX_ITEM_CHARS,
    Inputs,
    iter_items,
    iter_paths,
    named_like_events,
    read_sources,
)
from sources.items import PREFIX_BYTES, STDIN, STDIN_SOURCE, RawItem, SourceError

__all__ = [
    "EVENT_EXTENSIONS",
    "Inputs",
    "named_like_events",
    "RawItem",
    "SourceError",
    "STDIN",
    "STDIN_SOURCE",
    "MAX_ITEM_CHARS",
    "MAX_FILE_BYTES",
    "PREFIX_BYTES",
    "iter_paths",
    "iter_items",
    "read_sources",
]
