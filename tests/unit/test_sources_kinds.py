"""Which files a folder's ingest reads (by name), the bytes read for a progress bar, what input that is not
Live Events looks like, and an ingest stopped by Ctrl-C keeping exactly its committed batches."""

from __future__ import annotations

import gzip
import json
import os
import signal

import pytest

from sources import Inputs, RawItem, named_like_events, read_sources
from store import lookalike
from store.application import open_store
from store.ingest import Stopped, ingest
from synthetic import generate, to_jsonl
from tests.conftest import seed_events


@pytest.mark.parametrize(
    "name",
    [
        "a.json",
        "a.jsonl",
        "a.NDJSON",
        "a.jsonlines",
        "a.json.gz",
        "a.jsonl.gz",
        "b.gz",
        "firehose-1-2025-10-01-00-00-00-abcd",
        "events.2025-10-01",
        "c.gzip",
    ],
)
def test_files_named_like_events_are_read_in_folders(name):
    assert named_like_events(os.path.join("dump", name))


@pytest.mark.parametrize(
    "name", ["readme.txt", "notes.md", "roster.csv", "chart.png", "old.csv.gz", "t.parquet", "x.log", "r.xlsx"]
)
def test_files_not_named_like_events_are_skipped_in_folders(name):
    assert not named_like_events(os.path.join("dump", name))


def test_inputs_list_skipped_files_and_count_bytes_read_up_to_the_total_gzip_by_compressed_bytes(tmp_path):
    folder = tmp_path / "dump"
    folder.mkdir()
    plain = b"".join(to_jsonl(generate(300, seed=3)))
    (folder / "a.jsonl").write_bytes(plain)
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(plain))
    (folder / "c.txt").write_bytes(b"hello\n")
    inputs = Inputs([str(folder)])
    total = len(plain) + (folder / "b.jsonl.gz").stat().st_size
    assert inputs.skipped == [str(folder / "c.txt")] and inputs.total == total
    seen, items = [], 0
    for _item in read_sources([str(folder)], inputs=inputs):
        items += 1
        seen.append(inputs.done)
    assert items == 600 and seen == sorted(seen)  # never backwards
    assert seen[0] > 0 and max(seen) <= total
    assert inputs.done == total  # every byte of both files, the gzip one as stored


def test_inputs_of_a_pipe_on_stdin_have_no_total(tmp_path):
    read, write = os.pipe()
    with os.fdopen(read, "rb") as stdin, os.fdopen(write, "wb"):
        assert Inputs(["-"], stdin).total is None
    with open(tmp_path / "in.jsonl", "wb") as f:
        f.write(b'{"a": 1}\n')
    with open(tmp_path / "in.jsonl", "rb") as stdin:  # `ingest - < file`: the size is known
        assert Inputs(["-"], stdin).total == 9


def item(text: str, value: object = None, error: str | None = None) -> RawItem:
    return RawItem("in", 1, text, value, error)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (item("user_uuid,name,sis_id", error="invalid JSON"), lookalike.CSV),
        (item("a\tb\tc", error="invalid JSON"), lookalike.TSV),
        (item("key.id,value.name,meta.ts", error="invalid JSON"), lookalike.CD2_TABLE),
        (item("PAR1\\x15\\x04", error="not UTF-8"), lookalike.PARQUET),
        (item("<!DOCTYPE html>", error="invalid JSON"), lookalike.MARKUP),
        (item("{", value={"key": {"id": 1}, "meta": {"ts": "2025-01-01T00:00:00Z", "action": "D"}}), lookalike.CD2),
        (item("{", value={"id": 1, "title": "x"}), lookalike.OTHER_JSON),
        (item("42", value=42), lookalike.NOT_OBJECTS),
        (item("{", value=seed_events("current")[0]), None),
        (item('{"metadata": {"event_name": "x"}, "body": broken', error="invalid JSON"), None),
    ],
)
def test_what_an_item_looks_like(raw, kind):
    assert lookalike.looks_like(raw) == kind


def test_an_input_is_named_only_when_its_first_item_says_so_and_half_of_it_could_not_be_used():
    csv = lookalike.Tally(read=10, unusable=10, first=lookalike.CSV)
    assert csv.kind == lookalike.CSV
    assert lookalike.warning("in.csv", csv) == (
        "in.csv looks like CSV, not Canvas Live Events (JSON lines): 10 lines quarantined"
    )
    assert lookalike.Tally(read=10, unusable=4, first=lookalike.CSV).kind is None  # mostly Live Events
    assert lookalike.Tally(read=10, unusable=10, first=None).kind is None


def events_then_ctrl_c(lines: list[bytes], at: int):
    """The raw items of lines, then a KeyboardInterrupt (what Ctrl-C raises) after `at` of them."""
    for n, item in enumerate(read_sources_of(lines)):
        if n == at:
            raise KeyboardInterrupt
        yield item


def read_sources_of(lines: list[bytes]):
    for n, line in enumerate(lines, 1):
        yield RawItem("in", n, line.decode(), json.loads(line), None)


def test_ctrl_c_while_reading_keeps_the_committed_batches_and_says_how_many_events_they_held(tmp_path):
    lines = [json.dumps(e).encode() for e in seed_events("current")]  # distinct events
    store = open_store(str(tmp_path / "s.db"))
    try:
        with pytest.raises(Stopped) as stopped:
            ingest(store, events_then_ctrl_c(lines, at=5), batch_size=2)
        counts = stopped.value.counts
        assert counts.read == 5 and counts.appended == 4  # two whole batches; the fifth item was not stored
        assert len(store.read(limit=100)[0]) == 4
    finally:
        store.close()


class SignalledStore:
    """A real store whose append is interrupted by a real SIGINT sent to this process while it runs."""

    def __init__(self, store):
        self.store, self.signalled = store, 0

    def append(self, *args, **kw):
        if not self.signalled:
            self.signalled += 1
            os.kill(os.getpid(), signal.SIGINT)  # held by the ingest until the batch is committed
        return self.store.append(*args, **kw)


@pytest.fixture
def python_sigint_handler():
    """Python's own SIGINT handler, as in a terminal: a test run started in the background (`cmd &` in a
    script, as a CI runner may) inherits SIGINT ignored, and Python then leaves it ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_during_a_batch_is_held_until_the_batch_is_committed_and_counted(tmp_path, python_sigint_handler):
    lines = [json.dumps(e).encode() for e in seed_events("current")]
    store = open_store(str(tmp_path / "s.db"))
    try:
        with pytest.raises(Stopped) as stopped:
            ingest(SignalledStore(store), read_sources_of(lines), batch_size=3)  # type: ignore[arg-type]
        assert stopped.value.counts.appended == 3 == len(store.read(limit=100)[0])
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's own handler is back
    finally:
        store.close()
