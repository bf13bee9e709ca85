"""A root account's own id (its `root_account_id`, which decides which account-level scale and method are
the root's) is the one most of its events give: a stray or hostile value never takes it over, whatever
the order of arrival (found by the fuzz test: one early event with `root_account_id: 0` made the root's
scale look like a sub-account's)."""

from __future__ import annotations

import copy
import sqlite3

import pytest

from tests import builders as b
from tests.reliability import test_fuzz as fuzz


def stray(value) -> dict:
    event = copy.deepcopy(b.outcome("2", day=3))
    event["metadata"]["root_account_id"] = value
    return event


@pytest.mark.parametrize("value", [0, "21070000000000555", "not-an-id"])
@pytest.mark.parametrize("where", ["first", "last"])
def test_a_stray_root_account_id_changes_no_answer_wherever_it_arrives(tmp_path, value, where):
    (tmp_path / "clean").mkdir()
    _, clean = fuzz._answers_for(tmp_path / "clean", fuzz.GOOD)
    events = [stray(value), *fuzz.GOOD] if where == "first" else [*fuzz.GOOD, stray(value)]
    folder = tmp_path / "stray"
    folder.mkdir()
    _, answers = fuzz._answers_for(folder, events)
    assert answers == clean
    with sqlite3.connect(folder / "read.db") as conn:
        assert conn.execute("SELECT local_id, shard FROM roots").fetchall() == [("1", 2107)]


def test_when_most_events_move_to_another_id_the_root_follows_and_its_courses_are_recomputed(tmp_path):
    """Order-independent either way: the same events in reverse give the same root id and answers."""
    many = [stray("21070000000000777") for _ in range(len(fuzz.GOOD) + 1)]
    for n, event in enumerate(many):
        event["body"]["learning_outcome_id"] = str(900 + n)  # distinct events (not duplicates)
    forward, backward = tmp_path / "f", tmp_path / "b"
    forward.mkdir(), backward.mkdir()
    _, one = fuzz._answers_for(forward, [*fuzz.GOOD, *many])
    _, two = fuzz._answers_for(backward, [*reversed(many), *reversed(fuzz.GOOD)])
    assert one == two
    for folder in (forward, backward):
        with sqlite3.connect(folder / "read.db") as conn:
            assert conn.execute("SELECT local_id FROM roots").fetchall() == [("777",)]
