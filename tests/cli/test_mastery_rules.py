"""Canvas's rollup rules, worked out by hand, through the whole pipeline: events in, `mastery rollups` out."""

from __future__ import annotations

import pytest

from tests import builders as b
from tests.conftest import mastery, mastery_json, write_jsonl

S = "student-one"


def outcome_mode_history() -> list[dict]:
    ev = []

    def case(oid, method, scores, int_=None, **kw):
        ev.append(b.outcome(oid, 0, method=method, int_=int_, **kw))
        for day, score in enumerate(scores, start=1):
            ev.append(b.result(oid, S, score, day))

    case("101", "highest", [3, 1])
    case("102", "latest", [4, 2])
    case("103", "decaying_average", [1, 3, 4], 65)
    case("104", "n_mastery", [4, 5, 1, 3, 2, 3], 3)
    case("105", "n_mastery", [3, 1, 2], 3)
    case("106", "average", [3, 4, 4])
    case("107", "standard_decaying_average", [2, 4, 4], 65)
    ev.append(b.outcome("108", 0, method="highest", possible=3, mastery=2))
    ev.append(b.result("108", S, 9, 1, percent=0.4))  # percent × possible 3
    ev.append(b.outcome("109", 0, method="highest"))
    ev.append(b.result("109", S, 4, 1, percent=0.0))  # 0.0 is a percent
    case("110", "decaying_average", [1, 3, 4], 150)  # invalid int → 65
    case("111", "highest", [5], 65)  # highest takes no int
    ev.append(b.outcome("112", 0, method="latest"))
    ev += [b.result("112", S, 4, 1, rid="10"), b.result("112", S, 1, 1, rid="9")]  # same second: id 10 is last
    ev.append(b.outcome("113", 0, method="latest"))
    ev += [b.result("113", S, 2, 1), b.result("113", S, 4, 5, assessed="missing")]  # no time is oldest
    quiz = {"artifact": "Quizzes::QuizSubmission", "asset": ("Quizzes::Quiz", "7")}
    for oid, method in (("114", "latest"), ("115", "average"), ("116", "highest")):
        ev.append(b.outcome(oid, 0, method=method))
        ev += [
            b.result(oid, S, 1, 1, percent=0.5, possible=2, **quiz),
            b.result(oid, S, 3, 2, percent=1.0, possible=3, **quiz),
        ]
    ev.append(b.result("115", S, 1, 3, asset=("Quizzes::Quiz", "7")))  # rubric result keeps its own score
    ev.append(b.outcome("117", 0, method="highest"))
    ev += [
        b.result("117", S, 2, 1),
        b.result("117", S, 5, 2, state="deleted"),
        b.result("117", S, None, 3),
        b.result("117", S, 5, 4, context_type="Account"),
    ]
    ev += [b.outcome("118", 0), b.result("118", S, 4, 1), b.outcome("118", 2, state="deleted", updated=True)]
    ev += [
        b.outcome("119", 0),
        b.result("119", S, 4, 1),
        b.link("5119", "119", "5", 1),
        b.link("5119", "119", "5", 2, state="deleted"),
    ]
    legacy = b.result("101", S, 5, 9)
    for key in ("id", "user_uuid", "result_context_type", "result_context_id"):
        legacy["body"].pop(key)
    legacy["body"]["title"] = "oxana Student 2, Outcome 101"
    ev.append(legacy)
    for name, score in (("x", [5, 5, 5]), ("y", [3, 3, 3]), ("w", [3, 3, 4]), ("z", [1])):
        ev += [b.result("104", name, s, d, course="6") for d, s in enumerate(score, start=1)]
    return ev


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rules")
    path = write_jsonl(folder / "events.jsonl", outcome_mode_history())
    counts = mastery_json("--store", str(folder / "s.db"), "ingest", str(path))
    assert counts["quarantined"] == 0
    return ("--store", str(folder / "s.db"))


@pytest.fixture(scope="module")
def scores(store) -> dict[str, dict]:
    answer = mastery_json(*store, "rollups", "--course", "5")
    assert [r["links"]["user"] for r in answer["rollups"]] == [S]
    return {s["links"]["outcome"]: s for s in answer["rollups"][0]["scores"]}


@pytest.mark.parametrize(
    "outcome, score, count",
    [
        ("101", 3.0, 2),
        ("102", 2.0, 2),
        ("103", 3.3, 3),
        ("104", 3.75, 6),
        ("105", None, 3),
        ("106", 3.67, 3),
        ("107", 3.76, 3),
        ("108", 1.2, 1),
        ("109", 0.0, 1),
        ("110", 3.3, 3),
        ("111", 5.0, 1),
        ("112", 4.0, 2),
        ("113", 2.0, 2),
        ("114", 4.0, 2),
        ("115", 3.0, 3),
        ("116", 5.0, 2),
        ("117", 2.0, 1),
    ],
)
def test_hand_worked_scores(scores, outcome, score, count):
    assert (scores[outcome]["score"], scores[outcome]["count"]) == (score, count)


def test_deleted_and_unlinked_outcomes_are_left_out(scores):
    assert "118" not in scores and "119" not in scores


def test_rating_and_student_mastery_follow_the_score(scores):
    assert scores["101"]["rating"]["description"] == "Meets" and scores["101"]["mastery"] is True
    assert scores["102"]["rating"]["description"] == "Below" and scores["102"]["mastery"] is False
    assert scores["105"]["rating"] is None and scores["105"]["mastery"] is None
    # Canvas's default colours for a three-rating criterion whose mastery rating is the second.
    assert [scores["101"]["rating"]["color"], scores["111"]["rating"]["color"]] == ["0B874B", "0374B5"]


def test_other_score_fields(scores):
    s = scores["102"]
    assert (s["title"], s["hide_points"], s["submitted_at"]) == (None, False, "2025-09-03T10:00:00Z")


def test_linked_outcomes_carry_the_rules_in_force(store):
    linked = {o["id"]: o for o in mastery_json(*store, "rollups", "--course", "5")["linked"]["outcomes"]}
    assert (linked["110"]["calculation_method"], linked["110"]["calculation_int"]) == ("decaying_average", 65)
    assert (linked["111"]["calculation_method"], linked["111"]["calculation_int"]) == ("highest", None)
    assert (linked["108"]["points_possible"], linked["108"]["mastery_points"]) == (3.0, 2.0)


def test_course_mean_is_rounded_and_median_is_not(store):
    mean = mastery_json(*store, "rollups", "--course", "6", "--aggregate", "mean")
    median = mastery_json(*store, "rollups", "--course", "6", "--aggregate", "median")
    assert mean["rollups"][0]["links"] == {"course": "6"}
    (m,), (d,) = mean["rollups"][0]["scores"], median["rollups"][0]["scores"]
    assert (m["score"], m["count"], m["submitted_at"]) == (3.78, 4, None)  # (5 + 3 + 3.33) / 3
    assert (d["score"], d["count"]) == (3.33, 4)


def test_csv_has_one_row_per_student_with_score_and_rating(store, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("user_uuid,name,sis_id\nx,Ximena Ortiz,S-1\n")
    assert mastery(*store, "roster", "import", str(roster)).returncode == 0
    out = mastery(*store, "rollups", "--course", "6", "--csv", check=True).stdout.decode().splitlines()
    assert out[0] == "student,name,sis_id,score 104,rating 104"
    # Canvas's order: by sortable name, the named first, then the unnamed by uuid.
    assert out[1:] == ["x,Ximena Ortiz,S-1,5.0,Top", "w,,,3.33,Meets", "y,,,3.0,Meets", "z,,,,"]
