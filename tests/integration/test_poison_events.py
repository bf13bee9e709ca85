"""Poison events already in the store never stop a projection (issue 10 item 1b, DESIGN decision 10).

Each test appends events straight to a real SQLite store, bypassing `parse` (as events stored before
validation, or let in by a future bug, would be): outcomes with non-string texts, results whose scores
overflow a sum or scale to ±inf, ids of 5,000 digits. Beside them sit a good course's events. Every
query of the good course must still give the right numbers, rebuild must work, `mastery problems` must
list each poison event with its reason, and exclude / include must round-trip through rebuilds.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from domain.events import REGISTRY, parse
from domain.rollup import DEFAULT_SCALE, ResultInput, course_aggregate, method_from, rollup
from projections import packed, problems
from projections import rebuild as exclusions
from projections.queries.explain import explain
from projections.queries.outcome_rollups import rollups
from projections.rebuild import rebuild
from projections.runner import catch_up
from projections.schema import connect
from projections.views import View
from store.application import open_store
from tests import builders as b
from tests.conftest import mastery
from tests.integration.poison_world import GOOD_COURSE, OVERFLOW_COURSE, good_events, poison_events, scores


def test_every_query_of_the_good_course_answers_beside_poison(world):
    store, conn = world["store"], world["conn"]
    catch_up(store, conn)
    assert scores(rollups(conn, b.ROOT, "5")) == GOOD_COURSE
    assert scores(rollups(conn, b.ROOT, "5", as_of=datetime(2030, 1, 1, tzinfo=UTC))) == GOOD_COURSE
    assert scores(rollups(conn, b.ROOT, "6")) == OVERFLOW_COURSE
    assert scores(rollups(conn, b.ROOT, "6", as_of=datetime(2030, 1, 1, tzinfo=UTC))) == OVERFLOW_COURSE
    mean = rollups(conn, b.ROOT, "6", aggregate="mean")["rollups"][0]["scores"][0]
    assert mean["score"] == 5e307 and mean["count"] == 2  # (1e308 + 2) / 2, no overflow
    assert explain(View(conn, b.ROOT), "5", "7", "U1")["score"] == 3.0


def test_problems_lists_each_poison_event_with_its_reason_and_the_counts_add_up(world):
    store, conn = world["store"], world["conn"]
    catch_up(store, conn)
    answer = problems.listing(store, conn)
    by_position = {p["position"]: p for p in answer["problems"]}
    skipped = set(world["poison"].values())
    left_out = {world["overflow"]["+inf"], world["overflow"]["-inf"]}
    assert set(by_position) == skipped | left_out
    for name, position in world["poison"].items():
        assert by_position[position]["reason"], name
        assert by_position[position]["type"] in REGISTRY, name
    assert "4300" in by_position[world["poison"]["huge result context"]]["reason"]
    assert "display_name" in by_position[world["poison"]["display_name"]]["reason"]
    for position in left_out:
        assert "not finite" in by_position[position]["reason"]
        assert "student U3" in by_position[position]["unit"]
    counts = answer["counts"]
    assert counts == {"stored": 18, "applied": 18 - len(skipped), "skipped": len(skipped), "excluded": 0}
    assert counts["stored"] == counts["applied"] + counts["skipped"] + counts["excluded"]


def test_rebuild_works_and_keeps_the_problems(world):
    store, conn = world["store"], world["conn"]
    catch_up(store, conn)
    before = problems.listing(store, conn)
    report = rebuild(store, conn)
    assert (report["changed"], report["added"], report["removed"]) == (0, 0, 0)
    after = problems.listing(store, conn)
    assert after == before  # same problems, same first-seen times, same counts
    assert scores(rollups(conn, b.ROOT, "5")) == GOOD_COURSE
    assert scores(rollups(conn, b.ROOT, "6")) == OVERFLOW_COURSE


def test_exclude_then_include_round_trips_and_survives_rebuild(world):
    store, conn = world["store"], world["conn"]
    catch_up(store, conn)
    u4 = world["good"]["503"]
    report = exclusions.exclude(store, conn, u4, "graded by mistake")
    assert report["rebuild"]["removed"] == 1
    assert scores(rollups(conn, b.ROOT, "5")) == {("U1", "7"): (3.0, 2)}
    rebuild(store, conn)  # the exclusion is kept by a rebuild
    assert scores(rollups(conn, b.ROOT, "5")) == {("U1", "7"): (3.0, 2)}
    counts = problems.listing(store, conn)["counts"]
    assert counts["excluded"] == 1 and counts["stored"] == counts["applied"] + counts["skipped"] + 1
    exclusions.include(store, conn, u4)
    assert scores(rollups(conn, b.ROOT, "5")) == GOOD_COURSE
    assert problems.listing(store, conn)["exclusions"] == []
    # An excluded poison event leaves the problems list and is listed as excluded instead.
    plus = world["overflow"]["+inf"]
    exclusions.exclude(store, conn, plus, None)
    listed = problems.listing(store, conn)
    assert plus not in {p["position"] for p in listed["problems"]}
    assert [e["position"] for e in listed["exclusions"]] == [plus]


def test_the_cli_answers_lists_excludes_and_includes(world, tmp_path):
    store_arg = ["--store", world["path"]]
    world["conn"].close()
    world["store"].close()
    ingest = mastery(*store_arg, "ingest", "--json", "-", input=json.dumps(b.result("7", "U5", 1, 6)).encode())
    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["appended"] == 1  # with its counts, poison or not
    answer = mastery(*store_arg, "rollups", "--course", "5", "--json")
    assert answer.returncode == 0, answer.stderr
    assert scores(json.loads(answer.stdout)) == GOOD_COURSE | {("U5", "7"): (1.0, 1)}
    listed = mastery(*store_arg, "problems", "--json")
    assert listed.returncode == 0, listed.stderr
    assert set(world["poison"].values()) <= {p["position"] for p in json.loads(listed.stdout)["problems"]}
    position = world["poison"]["display_name"]
    done = mastery(*store_arg, "problems", "exclude", str(position), "--reason", "bad outcome", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["excluded"] == position
    again = json.loads(mastery(*store_arg, "problems", "--json").stdout)
    assert again["exclusions"][0] == {**again["exclusions"][0], "position": position, "reason": "bad outcome"}
    assert mastery(*store_arg, "problems", "include", str(position)).returncode == 0
    assert mastery(*store_arg, "problems", "include", str(position)).returncode == 1  # not excluded now
    assert mastery(*store_arg, "problems", "exclude", "9999").returncode == 1  # no such event
    assert mastery(*store_arg, "problems", "exclude", "0").returncode == 2  # not a position


def test_the_calculation_never_raises_or_gives_nan_on_huge_or_infinite_scores():
    average, latest = method_from("average", None, "t"), method_from("weighted_average", 65, "t")
    when = datetime(2025, 9, 1, tzinfo=UTC)

    def results(*values):
        return [ResultInput(str(i), v, None, None, when.replace(day=i + 1)) for i, v in enumerate(values)]

    assert rollup(results(1e308, 1e308), DEFAULT_SCALE, average).score == 1e308
    assert rollup(results(1.7e308, 1.7e308, 1.7e308), DEFAULT_SCALE, latest).score == pytest.approx(1.7e308)
    mixed = rollup(results(math.inf, 2.0, -math.inf, math.nan), DEFAULT_SCALE, average)
    assert (mixed.score, mixed.count, mixed.ignored) == (2.0, 1, ("0", "2", "3"))
    assert rollup(results(math.inf), DEFAULT_SCALE, average).score is None
    assert course_aggregate([1e308, 1e308, math.inf, None], "mean") == (1e308, 4)
    assert course_aggregate([1.7e308, 1.7e308], "median") == (1.7e308, 2)


def test_a_unit_whose_recompute_fails_is_recorded_and_the_other_units_stay_right(tmp_path):
    """A read-model row some future bug wrote badly (here: an outcome state whose criterion ratings are not
    objects) makes one unit's recompute raise: that unit is recorded and emptied, the course still answers."""
    path = str(tmp_path / "store.db")
    store, db = open_store(path), connect(path)
    conn = db.conn
    store.append(
        [
            parse(e)
            for e in (
                b.outcome("7", 0, method="average"),
                b.outcome("12", 0),
                b.link("1", "7", "5", 0),
                b.result("7", "U1", 4, 1),
                b.result("12", "U1", 2, 2),
            )
        ]
    )
    catch_up(store, conn)
    position, state = conn.execute(
        "SELECT v.position, v.state FROM entity_current c JOIN entity_versions v "
        "ON v.position = c.position WHERE c.kind = 'outcome' AND c.key = '12'"
    ).fetchone()
    broken = json.loads(state)  # the packed state: values in the model's field order (projections/packed.py)
    broken[packed.FIELDS["outcome"].index("rubric_criterion")] = {"ratings": ["not an object"]}
    conn.execute("UPDATE entity_versions SET state = ? WHERE position = ?", (json.dumps(broken), position))
    conn.execute("INSERT INTO mastery_dirty VALUES (?, '5', '12', ''), (?, '5', '7', '')", (b.ROOT, b.ROOT))
    catch_up(store, conn)  # drains the queue: outcome 12 raises, outcome 7 is written
    listed = problems.listing(store, conn)["problems"]
    assert [(p["unit"], p["reason"].split(":")[0]) for p in listed] == [
        (problems.unit_name(b.ROOT, "5", "12", None), "recompute failed")
    ]
    assert "AttributeError" in listed[0]["reason"]
    assert scores(rollups(conn, b.ROOT, "5")) == {("U1", "7"): (4.0, 1)}
    conn.execute("UPDATE entity_versions SET state = ? WHERE position = ?", (state, position))
    conn.execute("INSERT INTO mastery_dirty VALUES (?, '5', '12', '')", (b.ROOT,))
    catch_up(store, conn)  # a clean recompute clears the unit's problem
    assert problems.listing(store, conn)["problems"] == []
    assert scores(rollups(conn, b.ROOT, "5")) == {("U1", "7"): (4.0, 1), ("U1", "12"): (2.0, 1)}
    store.close()
    conn.close()


def test_the_http_service_answers_the_good_course_beside_poison(world, tmp_path):
    from tests.web.conftest import TOKEN, in_process, stop

    world["conn"].close()
    world["store"].close()
    server = in_process(world["path"], {"MASTERY_INGEST_TOKEN": TOKEN})
    try:
        answer = server.get("/api/v1/courses/5/outcome_rollups")
        assert answer.status_code == 200, answer.text
        assert scores(answer.json()) == GOOD_COURSE
        assert scores(server.get("/api/v1/courses/6/outcome_rollups").json()) == OVERFLOW_COURSE
    finally:
        stop(server)


def test_a_postgresql_store_is_accounted_for_and_excluded_from_the_same_way(pg_url, tmp_path):
    store, db = open_store(pg_url), connect(str(tmp_path / "read.db"))
    conn = db.conn
    try:
        bad = poison_events()["huge result context"]
        appended = store.append(good_events()[:5] + [bad]).appended
        catch_up(store, conn)
        assert scores(rollups(conn, b.ROOT, "5")) == GOOD_COURSE
        answer = problems.listing(store, conn)
        assert [p["position"] for p in answer["problems"]] == [appended[-1][0]]
        assert answer["counts"] == {"stored": 6, "applied": 5, "skipped": 1, "excluded": 0}
        u4 = next(position for position, p in appended if p.key == "503")
        exclusions.exclude(store, conn, u4, None)
        assert scores(rollups(conn, b.ROOT, "5")) == {("U1", "7"): (3.0, 2)}
        with pytest.raises(exclusions.UnknownPosition):
            exclusions.exclude(store, conn, appended[-1][0] + 100, None)
        exclusions.include(store, conn, u4)
        assert scores(rollups(conn, b.ROOT, "5")) == GOOD_COURSE
    finally:
        store.close()
        conn.close()
