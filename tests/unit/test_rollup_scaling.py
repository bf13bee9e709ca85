"""Rollup scores scaled and grouped, against numbers worked out by hand (docs/canvas-rollups.md):
percent scaling (§3), quiz question groups (§3), submitted_at (§6b) and the course aggregate (§7)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain.rollup import (
    DEFAULT_SCALE,
    ResultInput,
    course_aggregate,
    criterion_scale,
    method_from,
    proficiency_scale,
    rollup,
)
from tests.unit.rollup_inputs import CRITERION, QUIZ, day, method, result

# ------------------------------------------------------------------------------------ §3 percent scaling


def test_a_percent_is_scaled_by_the_criterions_points_possible():
    criterion = criterion_scale(
        {"points_possible": 3, "mastery_points": 2, "ratings": [{"points": 3}, {"points": 2}, {"points": 0}]}, "c"
    )
    score = rollup([result("1", 7, at=day(1), percent=0.4)], criterion, method("highest"))
    assert score.score == 1.2  # 0.4 × 3 = 1.2000000000000002
    assert score.steps[0].how == "percent 0.4 × 3.0 (points_possible)"
    assert (score.steps[0].raw_score, score.steps[0].scaled_score) == (7.0, 0.4 * 3)


def test_a_percent_is_scaled_by_the_scales_top_rating_in_scale_mode():
    assert rollup([result("1", 7, percent=0.4)], DEFAULT_SCALE, method("highest")).score == 1.6


def test_a_percent_of_zero_is_still_a_percent():
    score = rollup([result("1", 4, percent=0.0)], CRITERION, method("highest"))
    assert score.score == 0.0
    assert score.rating.description == "Does not meet"


def test_without_points_possible_the_percent_is_scaled_by_mastery_points():
    scale = criterion_scale({"points_possible": 0, "mastery_points": 2, "ratings": [{"points": 2}]}, "c")
    score = rollup([result("1", 9, percent=0.5)], scale, method("highest"))
    assert (score.score, score.steps[0].how) == (1.0, "percent 0.5 × 2.0 (mastery_points)")


def test_without_any_points_the_raw_score_is_used():
    empty = proficiency_scale([], "empty scale")
    assert rollup([result("1", 9, percent=0.5)], empty, method("highest")).score == 9.0


def test_the_seeds_default_criterion_result_is_exceeds_expectations_in_blue():
    # §8: one result with percent 1, outcome never created -> default criterion, highest (65 ignored).
    score = rollup(
        [result("1", 1, at=day(1), percent=1)], criterion_scale(None, "outcome 1"), method_from(None, 65, "outcome 1")
    )
    assert (score.score, score.rating.description, score.rating.color, score.mastery) == (
        5.0,
        "Exceeds Expectations",
        "0374B5",
        True,
    )


def test_the_seeds_root_account_scale_gives_exceeds_mastery_in_its_own_colour():
    scale = proficiency_scale(
        [
            {
                "outcome_proficiency_rating_id": "1",
                "description": "Exceeds Mastery",
                "points": 4,
                "mastery": False,
                "color": "02672D",
                "workflow_state": "active",
            },
            {
                "outcome_proficiency_rating_id": "2",
                "description": "Mastery",
                "points": 3,
                "mastery": True,
                "color": "0B874B",
                "workflow_state": "active",
            },
            {
                "outcome_proficiency_rating_id": "3",
                "description": "No Evidence",
                "points": 0,
                "mastery": False,
                "color": "E0061F",
                "workflow_state": "active",
            },
        ],
        "Account 1 scale",
    )
    score = rollup([result("1", 1, percent=1)], scale, method("highest"))
    assert (score.score, score.rating.description, score.rating.color, score.mastery) == (
        4.0,
        "Exceeds Mastery",
        "02672D",
        True,
    )


# --------------------------------------------------------------------------------------- §3 quiz groups

QUIZ_7 = ("Quizzes::Quiz", "7")


def _quiz_pair() -> list[ResultInput]:
    # Two questions of quiz 7: 1 point at 100 %, 3 points at 0 % -> group (1×1 + 3×0) / 4 = 0.25.
    return [
        result("1", 1, at=day(1), percent=1.0, possible=1, artifact=QUIZ, asset=QUIZ_7),
        result("2", 0, at=day(2), percent=0.0, possible=3, artifact=QUIZ, asset=QUIZ_7),
    ]


def test_quiz_questions_on_one_quiz_share_the_group_score_for_average():
    score = rollup(_quiz_pair(), DEFAULT_SCALE, method("average"))
    assert [s.scaled_score for s in score.steps] == [1.0, 1.0]  # 0.25 × 4
    assert (score.score, score.count) == (1.0, 2)  # each question still counts once
    assert score.steps[0].how.startswith("quiz group Quizzes::Quiz 7: (Σ possible×percent / Σ possible) × 4.0")


def test_latest_takes_the_quiz_group_score_not_the_last_questions_own():
    assert rollup(_quiz_pair(), DEFAULT_SCALE, method("latest")).score == 1.0  # own score would be 0.0


@pytest.mark.parametrize("name", ["decaying_average", "weighted_average", "standard_decaying_average"])
def test_decaying_methods_use_quiz_groups(name):
    assert rollup(_quiz_pair(), DEFAULT_SCALE, method(name, 65)).score == 1.0


def test_quiz_groups_are_not_applied_for_highest_or_n_mastery():
    assert rollup(_quiz_pair(), DEFAULT_SCALE, method("highest")).score == 4.0  # own: 1.0 × 4
    n_mastery = rollup(_quiz_pair(), DEFAULT_SCALE, method("n_mastery", 1))
    assert n_mastery.score == 4.0  # own scores 4 and 0; only 4 reaches mastery 3
    assert [s.how for s in n_mastery.steps] == [
        "percent 1.0 × 4.0 (points_possible)",
        "percent 0.0 × 4.0 (points_possible)",
    ]


def test_a_rubric_result_on_the_same_quiz_keeps_its_own_score_and_stays_out_of_the_group():
    rubric = result("3", 5, at=day(3), percent=1.0, possible=5, artifact="RubricAssessment", asset=QUIZ_7)
    score = rollup(_quiz_pair() + [rubric], DEFAULT_SCALE, method("average"))
    # Quiz questions 1.0 each (had the rubric joined: (1 + 0 + 5) / 9 × 4 = 2.67 each); rubric 1.0 × 4 = 4.0.
    assert [s.scaled_score for s in score.steps] == [1.0, 1.0, 4.0]
    assert score.score == 2.0


def test_a_quiz_group_with_no_possible_points_keeps_each_results_own_score():
    results = [
        result("1", 1, at=day(1), percent=0.5, possible=0, artifact=QUIZ, asset=QUIZ_7),
        result("2", 1, at=day(2), percent=1.0, possible=0, artifact=QUIZ, asset=QUIZ_7),
    ]
    score = rollup(results, DEFAULT_SCALE, method("average"))
    assert [s.scaled_score for s in score.steps] == [2.0, 4.0]
    assert score.score == 3.0


def test_quiz_questions_without_possible_keep_their_own_score():
    loose = result("3", 1, at=day(3), percent=0.5, possible=None, artifact=QUIZ, asset=QUIZ_7)
    score = rollup(_quiz_pair() + [loose], DEFAULT_SCALE, method("average"))
    assert [s.scaled_score for s in score.steps] == [1.0, 1.0, 2.0]


def test_each_quiz_forms_its_own_group():
    other = result("3", 1, at=day(3), percent=0.5, possible=2, artifact=QUIZ, asset=("Quizzes::Quiz", "8"))
    score = rollup(_quiz_pair() + [other], DEFAULT_SCALE, method("average"))
    assert [s.scaled_score for s in score.steps] == [1.0, 1.0, 2.0]
    assert score.score == 1.33  # 4 / 3


def test_without_any_points_quiz_questions_use_their_raw_scores():
    empty = proficiency_scale([], "empty scale")
    assert [s.scaled_score for s in rollup(_quiz_pair(), empty, method("average")).steps] == [1.0, 0.0]


# ------------------------------------------------------------------------------------- §6b submitted_at


def test_submitted_at_is_the_latest_time_in_whole_seconds_with_a_z():
    results = [
        result("1", 1, at=day(1, 10, 0, 0, 750_000)),
        result("2", 1, at=day(2, 8, 30, 15, 250_000)),
        result("3", 1),
    ]
    assert rollup(results, CRITERION, method("highest")).submitted_at == "2020-01-02T08:30:15Z"


def test_submitted_at_is_given_in_utc():
    plus_two = datetime(2020, 1, 2, 10, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    assert rollup([result("1", 1, at=plus_two)], CRITERION, method("highest")).submitted_at == "2020-01-02T08:00:00Z"


def test_submitted_at_is_null_when_no_result_has_a_time():
    assert rollup([result("1", 1), result("2", 2)], CRITERION, method("highest")).submitted_at is None


# --------------------------------------------------------------------------------- §7 course aggregate


def test_course_mean_drops_nulls_but_counts_them():
    assert course_aggregate([3.0, 4.0, None, 2.0], "mean") == (3.0, 4)


def test_course_mean_is_ruby_rounded():
    assert course_aggregate([1, 2, 2], "mean") == (1.67, 3)
    assert course_aggregate([3.17, 3.18], "mean") == (3.18, 2)  # 3.175 (a hair below): Python's round gives 3.17


def test_course_median_of_an_odd_count_is_the_middle_value():
    assert course_aggregate([1, 5, None, 3], "median") == (3.0, 4)


def test_course_median_of_an_even_count_averages_the_middle_two_without_rounding():
    assert course_aggregate([10, 1, 4, 2], "median") == (3.0, 4)
    assert course_aggregate([1.0, 1.333], "median") == (1.1665, 2)


def test_course_aggregate_of_no_scores_is_null():
    assert course_aggregate([None, None], "mean") == (None, 2)
    assert course_aggregate([], "median") == (None, 0)


def test_course_aggregate_refuses_an_unknown_stat():
    with pytest.raises(ValueError):
        course_aggregate([1.0], "mode")
