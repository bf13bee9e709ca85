"""Scale and method resolution at every level, the auto mode, settings, and each recompute trigger."""

from __future__ import annotations

import json

import pytest

from projections.queries.outcome_rollups import rollups
from projections.runner import catch_up
from projections.schema import connect
from projections.settings import change_setting
from sources import RawItem
from store.application import open_store
from store.ingest import ingest
from tests import builders as b

S = "student-one"
GREEN, BLUE = "00AA00", "0000AA"


class Pipeline:
    """A real SQLite store and read model, fed event by event as Canvas would send them."""

    def __init__(self, path):
        self.store = open_store(str(path))
        self.conn = connect(str(path)).conn

    def send(self, *events):
        items = [RawItem("test", 1, json.dumps(e), e, None) for e in events]
        assert ingest(self.store, items).quarantined == 0
        catch_up(self.store, self.conn)
        return self

    def score(self, course="5", outcome="1", user=S, **cut):
        answer = rollups(self.conn, b.ROOT, course, **cut)
        found = [
            s
            for r in answer["rollups"]
            if r["links"].get("user") == user
            for s in r["scores"]
            if s["links"]["outcome"] == outcome
        ]
        return (found[0] if found else None), answer

    def row(self, course="5", outcome="1", user=S):
        cur = self.conn.execute(
            "SELECT score, rating_color, method, scale_source, mode FROM mastery WHERE course = ? "
            "AND outcome = ? AND user_uuid = ?",
            (course, outcome, user),
        )
        return cur.fetchone()


@pytest.fixture
def p(tmp_path):
    pipeline = Pipeline(tmp_path / "s.db")
    pipeline.send(
        b.outcome("1", 0, method="highest"),
        b.group("900", "5", 0, account="70"),
        b.result("1", S, 2, 1),
        b.result("1", S, 3, 2),
    )
    yield pipeline
    pipeline.store.close()


def test_without_scale_events_the_outcome_rules_apply(p):
    assert p.row() == (3.0, "0B874B", "highest", "outcome 1 rubric_criterion", "outcome")


def test_a_root_account_scale_switches_auto_mode_to_the_scale(p):
    p.send(b.scale("1", "Account", "1", 3, [4, 3, 0], 3, colors=[BLUE, GREEN, "FF0000"]))
    assert p.row() == (3.0, GREEN, "highest", "root account 1 scale 1", "scale")
    before, answer = p.score(as_of=b.T0.replace(day=3))
    assert answer["meta"]["mode"] == "outcome" and before["rating"]["color"] == "0B874B"


def test_course_account_scale_beats_root_and_course_scale_beats_account(p):
    p.send(b.scale("1", "Account", "1", 3, [4, 3, 0], 3, colors=["111111", "222222", "333333"]))
    p.send(b.scale("2", "Account", "70", 4, [3, 2, 0], 2, colors=["444444", "555555", "666666"]))
    assert p.row()[1:4] == ("444444", "highest", "account 70 scale 2")
    p.send(b.scale("3", "Course", "5", 5, [5, 3, 0], 3, colors=["777777", "888888", "999999"]))
    assert p.row()[1:4] == ("888888", "highest", "course 5 scale 3")
    p.send(b.scale("3", "Course", "5", 6, [5, 3, 0], 3, state="deleted", updated=True))
    assert p.row()[3] == "account 70 scale 2"


def test_methods_resolve_course_then_account_then_root(p):
    p.send(b.method("1", "Account", "1", 3, "latest"))
    assert p.row()[0] == 3.0 and p.row()[2] == "latest"
    p.send(b.result("1", S, 1, 4))
    assert p.row()[0] == 1.0
    p.send(b.method("2", "Account", "70", 5, "average"))
    assert p.row()[:3] == (2.0, "FAB901", "average")
    p.send(b.method("3", "Course", "5", 6, "highest"))
    assert p.row()[0] == 3.0
    p.send(b.method("3", "Course", "5", 7, "highest", state="deleted", updated=True))
    assert p.row()[2] == "average"


def test_in_scale_mode_the_default_scale_applies_when_none_is_found(p):
    p.send(b.method("1", "Course", "5", 3, "highest"))
    assert p.row()[1:4] == ("0B874B", "highest", "Canvas default scale")


def test_learning_a_courses_account_later_recomputes_the_course(tmp_path):
    p = Pipeline(tmp_path / "s.db")
    p.send(
        b.outcome("1", 0),
        b.result("1", S, 3, 1),
        b.scale("2", "Account", "70", 2, [3, 2, 0], 2, colors=["444444", "555555", "666666"]),
    )
    assert p.row()[3] == "Canvas default scale"
    p.send(b.group("900", "5", 3, account="70"))
    assert p.row()[1:4] == ("444444", "highest", "account 70 scale 2")


def test_a_regrade_recomputes_the_students_row(p):
    p.send(b.result("1", S, 5, 3, rid="555"))
    assert p.row()[0] == 5.0
    p.send(b.result("1", S, 1, 4, rid="555", updated=True))
    assert p.row()[0] == 3.0


def test_an_outcome_edit_recomputes_its_rows(p):
    p.send(b.outcome("1", 5, method="latest", updated=True))
    assert p.row()[:3] == (3.0, "0B874B", "latest")
    p.send(b.result("1", S, 0, 6))
    assert p.row()[0] == 0.0
    p.send(b.outcome("1", 7, state="deleted", updated=True))
    assert p.row() is None


def test_unlinking_removes_the_outcome_and_relinking_brings_it_back(p):
    p.send(b.link("50", "1", "5", 3))
    assert p.row() is not None
    p.send(b.link("50", "1", "5", 4, state="deleted"))
    assert p.row() is None
    p.send(b.link("51", "1", "5", 5))
    assert p.row()[0] == 3.0


def test_a_late_older_regrade_does_not_override_the_newer_one(p):
    p.send(b.result("1", S, 1, 10, rid="777", updated=True))
    p.send(b.result("1", S, 5, 9, rid="777", updated=True))
    assert p.row()[0] == 3.0


def test_forcing_a_mode_recomputes_and_reports_what_moved(p):
    p.send(b.scale("1", "Account", "1", 3, [4, 3, 0], 3, colors=[BLUE, GREEN, "FF0000"]))
    moved = change_setting(p.conn, b.ROOT, "mode", "outcome")
    assert moved["changed"] == 1 and moved["examples"][0]["after"] == "3 Meets"
    assert p.row()[4] == "outcome"
    assert change_setting(p.conn, b.ROOT, "mode", "outcome")["changed"] == 0


def test_legacy_standard_decay_setting_uses_the_weighted_formula(tmp_path):
    p = Pipeline(tmp_path / "s.db")
    p.send(
        b.outcome("1", 0, method="standard_decaying_average", int_=65),
        *[b.result("1", S, s, d) for d, s in ((1, 2), (2, 4), (3, 4))],
    )
    assert p.row()[0] == 3.76
    change_setting(p.conn, b.ROOT, "standard-decay", "legacy")
    assert p.row()[0] == 3.65


def test_known_at_answers_with_what_had_arrived(p):
    from datetime import UTC, datetime

    cutoff = datetime.now(UTC)
    p.send(b.result("1", S, 5, 3))
    assert p.score()[0]["score"] == 5.0
    assert p.score(known_at=cutoff)[0]["score"] == 3.0


def test_courses_are_listed_as_of_a_time_with_what_was_known_then(p):
    from projections.queries.catalog import courses
    from projections.views import View

    p.send(b.result("1", "later-student", 4, 30, course="6"), b.group("901", "6", 30, account="71"))
    now = {c["course"]: c for c in courses(View(p.conn, b.ROOT))}
    assert (now["5"]["students"], now["5"]["results"], now["5"]["account"]) == (1, 2, "70")
    assert (now["6"]["students"], now["6"]["account"]) == (1, "71")
    then = {c["course"]: c for c in courses(View(p.conn, b.ROOT, as_of=b.T0.replace(day=2, hour=12)))}
    assert set(then) == {"5"} and (then["5"]["results"], then["5"]["account"]) == (1, "70")
