"""Rollup arithmetic, rule by rule, against numbers worked out by hand (docs/canvas-rollups.md §2-§8)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.rollup import (
    DEFAULT_SCALE, Method, Rating, ResultInput, RollupScore, Scale, course_aggregate, criterion_scale,
    method_from, order_results, proficiency_scale, rating_for, rollup, ruby_round,
)

UTC = timezone.utc
QUIZ = "Quizzes::QuizSubmission"

# §8: "outcome mode, criterion possible 5, mastery 3".
CRITERION = criterion_scale(
    {"points_possible": 5, "mastery_points": 3, "ratings": [
        {"description": "Exceeds", "points": 5},
        {"description": "Meets", "points": 3},
        {"description": "Does not meet", "points": 0},
    ]},
    "outcome 1 rubric_criterion",
)


def day(n: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2020, 1, n, hour, minute, second, micro, tzinfo=UTC)


def result(id_: str, score: float | None, *, at: datetime | None = None, percent: float | None = None,
           possible: float | None = None, artifact: str | None = None,
           asset: tuple[str, str] | None = None) -> ResultInput:
    return ResultInput(id_, score, percent, possible, at, artifact,
                       asset[0] if asset else None, asset[1] if asset else None)


def series(*scores: float | None) -> list[ResultInput]:
    """One result a day, ids "1", "2", ... in the order given."""
    return [result(str(i), s, at=day(i)) for i, s in enumerate(scores, start=1)]


def method(name: str | None, n: object = None) -> Method:
    return method_from(name, n, "test")


def ids(results) -> list[str]:
    return [r.id for r in results]


# ------------------------------------------------------------------------------------ §5 Ruby rounding

def test_ruby_round_gives_the_docs_canvas_value_where_python_round_gives_less():
    x = 3.0 * 0.65 + 3.4999999999999996 * 0.35000000000000003
    assert x == 3.175  # the double just below 3.175 exactly, so Python rounds it down
    assert round(x, 2) == 3.17
    assert ruby_round(x) == 3.18


@pytest.mark.parametrize("x, expected", [
    (1.005, 1.01),     # double is 1.00499999999999989..., Python's round gives 1.0
    (2.675, 2.68),     # Python: 2.67
    (0.125, 0.13),     # exact half: away from zero (Python's banker's rounding gives 0.12)
    (1.015, 1.02),     # Python: 1.01
    (8.345, 8.35),
    (-1.005, -1.01),   # mirrored for negatives
    (-0.125, -0.13),
    (1.0049999999999997, 1.0),  # the double just below 1.005: stays down
    (3.3, 3.3),
    (1.2000000000000002, 1.2),
    (1.6666666666666667, 1.67),
])
def test_ruby_round_rounds_two_decimal_halves_away_from_zero(x, expected):
    assert ruby_round(x) == expected


def test_ruby_round_with_zero_digits_rounds_halves_away_from_zero():
    assert ruby_round(2.5, 0) == 3.0
    assert ruby_round(0.5, 0) == 1.0
    assert ruby_round(-2.5, 0) == -3.0
    assert ruby_round(2.4999999999999996, 0) == 2.0


def test_ruby_round_returns_tiny_values_as_zero_and_huge_values_unchanged():
    assert ruby_round(0.0001) == 0.0   # float.c float_round_underflow
    assert ruby_round(1e20) == 1e20    # float.c float_round_overflow: nothing after the point to round
    assert ruby_round(0.1, 16) == 0.1  # > 14 digits: Ruby's exact rational path


@settings(max_examples=400)
@given(whole=st.integers(0, 10**7), cents=st.integers(0, 99), negative=st.booleans())
def test_ruby_round_agrees_with_decimal_half_up_on_the_shortest_repr_of_every_two_decimal_half(
        whole, cents, negative):
    x = float(f"{'-' if negative else ''}{whole}.{cents:02d}5")
    expected = float(Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert ruby_round(x) == expected


# -------------------------------------------------------------------------------------- §2 method_from

def test_a_missing_method_means_highest_without_a_note():
    assert method(None) == Method("highest", None, "test", None)
    assert method("") == Method("highest", None, "test", None)


def test_an_int_given_to_highest_is_ignored_with_a_note():
    m = method("highest", 65)  # the seeds send 65 with highest
    assert (m.name, m.int) == ("highest", None)
    assert m.note == "calculation_int 65 ignored: highest takes none"


@pytest.mark.parametrize("name", ["latest", "average"])
def test_latest_and_average_take_no_int(name):
    assert method(name, 3).int is None
    assert "ignored" in method(name, 3).note
    assert method(name, None).note is None


def test_an_unknown_method_falls_back_to_highest_and_says_why():
    m = method("median", 3)
    assert (m.name, m.int) == ("highest", None)
    assert m.note == ("unknown calculation_method 'median': highest used; "
                      "calculation_int 3 ignored: highest takes none")


@pytest.mark.parametrize("name, given_int, effective, noted", [
    ("decaying_average", 80, 80, False),
    ("decaying_average", 1, 1, False),
    ("decaying_average", 99, 99, False),
    ("decaying_average", 0, 65, True),
    ("decaying_average", 100, 65, True),
    ("decaying_average", None, 65, False),
    ("decaying_average", "abc", 65, True),
    ("decaying_average", 65.5, 65, True),
    ("decaying_average", True, 65, True),
    ("decaying_average", 70.0, 70, False),
    ("decaying_average", "70", 70, False),
    ("weighted_average", 99, 99, False),
    ("weighted_average", 120, 65, True),
    ("standard_decaying_average", 50, 50, False),
    ("standard_decaying_average", 49, 65, True),
    ("standard_decaying_average", 100, 65, True),
    ("n_mastery", 10, 10, False),
    ("n_mastery", 1, 1, False),
    ("n_mastery", 11, 5, True),
    ("n_mastery", 0, 5, True),
    ("n_mastery", None, 5, False),
])
def test_an_int_outside_the_methods_range_gives_the_default(name, given_int, effective, noted):
    m = method(name, given_int)
    assert (m.name, m.int) == (name, effective)
    assert (m.note is not None) == noted


def test_the_note_for_an_out_of_range_int_names_the_range_and_the_default():
    assert method("n_mastery", 11).note == "calculation_int 11 ignored: n_mastery takes 1-10; default 5 used"


# --------------------------------------------------------------------------------------- §2/§6 scales

def test_no_criterion_means_canvas_default_criterion_with_its_colours():
    scale = criterion_scale(None, "outcome 1 rubric_criterion")
    assert scale == Scale(
        ratings=(
            Rating("Exceeds Expectations", 5.0, "0374B5", False),
            Rating("Meets Expectations", 3.0, "0B874B", True),  # mastery 3 is the second rating
            Rating("Does Not Meet Expectations", 0.0, "555555", False),
        ),
        points_possible=5.0, mastery_points=3.0, source="Canvas default criterion",
    )
    assert criterion_scale({}, "x") == scale


def test_a_criterions_possible_and_mastery_default_to_its_top_rating():
    scale = criterion_scale({"ratings": [{"description": "low", "points": 2}, {"description": "top", "points": 4}]},
                            "outcome 7 rubric_criterion")
    assert [r.points for r in scale.ratings] == [4.0, 2.0]  # sorted highest first
    assert (scale.points_possible, scale.mastery_points) == (4.0, 4.0)
    assert isinstance(scale.points_possible, float)
    assert scale.source == "outcome 7 rubric_criterion"


def _criterion(points: list[float], mastery: float) -> Scale:
    return criterion_scale({"mastery_points": mastery, "ratings": [{"points": p} for p in points]}, "c")


@pytest.mark.parametrize("points, mastery, colours", [
    ([3], 3, ["0B874B"]),
    ([3, 0], 3, ["0B874B", "555555"]),
    ([4, 3, 0], 3, ["0374B5", "0B874B", "555555"]),               # mastery rating second
    ([3, 2, 0], 3, ["0B874B", "FAB901", "555555"]),               # mastery rating first
    ([4, 3, 0], 2.5, ["0B874B", "FAB901", "555555"]),             # no rating at 2.5: first is the mastery one
    ([4, 3, 2, 0], 3, ["0374B5", "0B874B", "FAB901", "555555"]),
    ([4, 3, 2, 0], 4, ["0B874B", "FAB901", "E0061F", "555555"]),
    ([4, 3, 2, 0], 0, ["0B874B", "FAB901", "E0061F", "555555"]),
    ([4, 3, 2, 0], 2, ["666666"] * 4),                            # Canvas gives no colour: 666666
    ([4, 3, 2, 1, 0], 3, ["0374B5", "0B874B", "FAB901", "E0061F", "555555"]),
    ([4, 3, 2, 1, 0], 2.5, ["0374B5", "0B874B", "FAB901", "E0061F", "555555"]),  # 5+: second by default
    ([4, 3, 2, 1, 0], 4, ["666666"] * 5),
    ([5, 4, 3, 2, 1, 0], 4, ["0374B5", "0B874B", "FAB901", "D97900", "E0061F", "555555"]),
    ([5, 4, 3, 2, 1, 0], 3, ["666666"] * 6),
    ([6, 5, 4, 3, 2, 1, 0], 5, ["666666"] * 7),
])
def test_criterion_ratings_get_canvas_default_colours_by_count_and_mastery_rating(points, mastery, colours):
    assert [r.color for r in _criterion(points, mastery).ratings] == colours


def test_the_criterions_mastery_rating_is_the_one_whose_points_equal_mastery_points():
    assert [r.mastery for r in _criterion([4, 3, 2, 0], 2).ratings] == [False, False, True, False]
    assert [r.mastery for r in _criterion([4, 3, 2, 1, 0], 2.5).ratings] == [False, True, False, False, False]


def test_a_colour_already_on_a_criterion_rating_is_kept():
    scale = criterion_scale({"ratings": [{"points": 3, "color": "ABCDEF"}, {"points": 0}]}, "c")
    assert [r.color for r in scale.ratings] == ["ABCDEF", "555555"]


def test_default_scale_is_canvas_default_proficiency_scale():
    assert [(r.description, r.points, r.color, r.mastery) for r in DEFAULT_SCALE.ratings] == [
        ("Exceeds Mastery", 4.0, "0374B5", False),
        ("Mastery", 3.0, "0B874B", True),
        ("Near Mastery", 2.0, "FAB901", False),
        ("Below Mastery", 1.0, "D97900", False),
        ("No Evidence", 0.0, "E0061F", False),
    ]
    assert (DEFAULT_SCALE.points_possible, DEFAULT_SCALE.mastery_points) == (4.0, 3.0)
    assert DEFAULT_SCALE.source == "Canvas default scale"


def test_a_proficiency_scale_skips_deleted_ratings_and_takes_possible_from_the_top_active_one():
    scale = proficiency_scale([
        {"outcome_proficiency_rating_id": 1, "description": "Gone", "points": 10, "mastery": False,
         "color": "111111", "workflow_state": "deleted"},
        {"outcome_proficiency_rating_id": 3, "description": "Low", "points": 1, "mastery": False,
         "color": "333333", "workflow_state": "active"},
        {"outcome_proficiency_rating_id": 2, "description": "Top", "points": 5, "mastery": True,
         "color": "222222", "workflow_state": "active"},
    ], "course 1 scale")
    assert [(r.id, r.description, r.points, r.color, r.mastery) for r in scale.ratings] == [
        ("2", "Top", 5.0, "222222", True), ("3", "Low", 1.0, "333333", False)]
    assert (scale.points_possible, scale.mastery_points, scale.source) == (5.0, 5.0, "course 1 scale")


def test_a_proficiency_scale_orders_equal_points_by_numeric_id():
    scale = proficiency_scale([
        {"outcome_proficiency_rating_id": "10", "description": "ten", "points": 3, "mastery": True},
        {"outcome_proficiency_rating_id": "9", "description": "nine", "points": 3, "mastery": False},
        {"outcome_proficiency_rating_id": "11", "description": "top", "points": 4, "mastery": False},
    ], "s")
    assert [r.id for r in scale.ratings] == ["11", "9", "10"]
    assert rating_for(3.2, scale).description == "nine"  # the tie goes to the lower id
    assert scale.mastery_points == 3.0


def test_a_proficiency_scale_without_a_mastery_rating_has_no_mastery_points():
    scale = proficiency_scale([{"outcome_proficiency_rating_id": 1, "points": 2, "mastery": False}], "s")
    assert (scale.points_possible, scale.mastery_points) == (2.0, None)
    assert rollup(series(2), scale, method("highest")).mastery is None


# ------------------------------------------------------------------------------------------- §6 rating

@pytest.mark.parametrize("score, description", [
    (4.0, "Exceeds Mastery"), (3.99, "Mastery"), (3.0, "Mastery"), (2.5, "Near Mastery"),
    (1.0, "Below Mastery"), (0.0, "No Evidence"), (-0.01, None), (None, None),
])
def test_the_rating_is_the_highest_one_at_or_below_the_score(score, description):
    rating = rating_for(score, DEFAULT_SCALE)
    assert (rating.description if rating else None) == description


def test_a_score_below_the_lowest_rating_has_no_rating():
    scale = criterion_scale({"ratings": [{"points": 3}, {"points": 1}]}, "c")
    assert rating_for(0.5, scale) is None
    assert rollup(series(0.5), scale, method("highest")).rating is None


# -------------------------------------------------------------------------------------------- §4 order

def test_equal_times_keep_ascending_numeric_id_order():
    same = day(1, 9)
    ordered = order_results([result("100", 1, at=same), result("10", 1, at=same), result("9", 1, at=same)])
    assert ids(ordered) == ["9", "10", "100"]  # numerically, not "10" < "100" < "9" as text


def test_non_numeric_ids_come_after_numeric_ones_in_text_order():
    same = day(1, 9)
    ordered = order_results([result(i, 1, at=same) for i in ["b", "a", "10", "2"]])
    assert ids(ordered) == ["2", "10", "a", "b"]


def test_a_result_without_a_time_is_the_oldest():
    ordered = order_results([result("1", 1, at=day(1)), result("2", 1), result("3", 1)])
    assert ids(ordered) == ["2", "3", "1"]


def test_order_ignores_milliseconds_within_the_same_second():
    late_ms = result("1", 1, at=day(1, 12, 0, 0, 900_000))
    early_ms = result("2", 1, at=day(1, 12, 0, 0, 100_000))
    next_second = result("0", 1, at=day(1, 12, 0, 1))
    assert ids(order_results([next_second, early_ms, late_ms])) == ["1", "2", "0"]


def test_latest_of_two_results_in_the_same_second_is_the_higher_id():
    same = day(3, 8)
    results = [result("10", 2, at=same), result("9", 4, at=same)]
    assert rollup(results, CRITERION, method("latest")).score == 2.0


# ------------------------------------------------------------------------------------------ §5 methods

def test_highest_takes_the_maximum_and_counts_every_result():
    score = rollup(series(3, 1), CRITERION, method("highest"))
    assert (score.score, score.count, score.arithmetic) == (3.0, 2, "max(3, 1) = 3")


def test_latest_takes_the_most_recently_assessed_result_whatever_the_input_order():
    results = [result("2", 2, at=day(2)), result("1", 4, at=day(1))]
    score = rollup(results, CRITERION, method("latest"))
    assert (score.score, score.count) == (2.0, 2)
    assert [s.result_id for s in score.steps] == ["1", "2"]


def test_average_is_the_mean_rounded_ruby_style():
    score = rollup(series(1, 2, 2), CRITERION, method("average"))
    assert (score.score, score.arithmetic) == (1.67, "mean(1, 2, 2) = 1.67")  # 5/3 = 1.666...


def test_decaying_average_weights_the_latest_result_by_the_int():
    score = rollup(series(1, 3, 4), CRITERION, method("decaying_average", 65))
    assert score.score == 3.3  # 4×0.65 + mean(1, 3)×0.35 = 2.6 + 0.7
    assert score.arithmetic == "4×0.65 + mean(1, 3)×0.35 = 3.3"
    assert (score.rating.description, score.mastery) == ("Meets", True)


def test_decaying_average_of_one_result_is_that_result():
    assert rollup(series(2.5), CRITERION, method("decaying_average", 65)).score == 2.5


def test_decaying_average_rounds_the_docs_example_like_canvas():
    # latest 3.0, older mean 3.4999999999999996: 3.0×0.65 + 3.4999...×0.35000000000000003 = the double just
    # below 3.175, which Canvas (Ruby) rounds to 3.18 and Python's round to 3.17.
    score = rollup(series(3.4999999999999996, 3.0), CRITERION, method("decaying_average", 65))
    assert score.score == 3.18


def test_weighted_average_is_the_decaying_average_formula():
    weighted = rollup(series(1, 3, 4), CRITERION, method("weighted_average", 80))
    decaying = rollup(series(1, 3, 4), CRITERION, method("decaying_average", 80))
    assert weighted.score == decaying.score == 3.6  # 4×0.8 + 2×0.2
    assert weighted.arithmetic == decaying.arithmetic == "4×0.8 + mean(1, 3)×0.2 = 3.6"


def test_standard_decaying_average_decays_every_older_result():
    score = rollup(series(1, 3, 4), CRITERION, method("standard_decaying_average", 65))
    # a = 1×0.35 + 3×0.65 = 2.3; a = 2.3×0.35 + 4×0.65 = 3.405 (double 3.40500000000000025) -> 3.41
    assert score.score == 3.41
    assert score.arithmetic == "(1×0.35 + 3×0.65)×0.35 + 4×0.65 = 3.41"


def test_standard_decaying_average_of_two_at_fifty_is_their_mean():
    assert rollup(series(2, 4), CRITERION, method("standard_decaying_average", 50)).score == 3.0


def test_standard_decaying_average_of_one_result_is_that_result():
    assert rollup(series(1.5), CRITERION, method("standard_decaying_average", 65)).score == 1.5


def test_legacy_decay_maps_standard_decaying_average_to_the_weighted_formula_with_its_int():
    assert rollup(series(1, 3, 4), CRITERION, method("standard_decaying_average", 65),
                  legacy_decay=True).score == 3.3
    legacy_80 = rollup(series(1, 3, 4), CRITERION, method("standard_decaying_average", 80), legacy_decay=True)
    assert legacy_80.score == 3.6
    assert legacy_80.arithmetic.startswith("standard_decaying_average as legacy weighted_average: ")


def test_legacy_decay_leaves_other_methods_alone():
    assert rollup(series(1, 3, 4), CRITERION, method("average"), legacy_decay=True).score == 2.67


def test_a_method_built_without_an_int_uses_the_methods_default():
    bare = Method("standard_decaying_average", None, "test")
    assert rollup(series(1, 3, 4), CRITERION, bare).score == 3.41
    assert rollup(series(1, 3, 4), CRITERION, Method("n_mastery", None, "test")).score is None  # 3 < 5


def test_n_mastery_averages_all_results_at_or_above_mastery():
    score = rollup(series(4, 5, 1, 3, 2, 3), CRITERION, method("n_mastery", 3))
    assert (score.score, score.count) == (3.75, 6)  # mean(4, 5, 3, 3)
    assert score.arithmetic == "n_mastery 3: mean of scores >= 3: mean(4, 5, 3, 3) = 3.75"


def test_n_mastery_is_null_when_too_few_results_reach_mastery():
    score = rollup(series(3, 1, 2), CRITERION, method("n_mastery", 3))
    assert (score.score, score.count, score.rating, score.mastery) == (None, 3, None, None)
    assert score.arithmetic.endswith("→ null")


def test_n_mastery_is_null_with_fewer_results_than_n():
    assert rollup(series(5, 5), CRITERION, method("n_mastery", 3)).score is None


def test_mastery_compares_the_final_score_with_mastery_points():
    assert rollup(series(2.99), CRITERION, method("highest")).mastery is False
    assert rollup(series(3), CRITERION, method("highest")).mastery is True
    assert rollup(series(2.999), CRITERION, method("highest")).mastery is True  # rounds to 3.0 first


def test_an_unknown_method_passed_straight_to_rollup_is_refused():
    with pytest.raises(ValueError):
        rollup(series(1), CRITERION, Method("median", None, "test"))


# ----------------------------------------------------------------------------------- nulls and empties

def test_null_scores_do_not_count():
    results = [result("1", None, at=day(1), percent=1.0), result("2", 3, at=day(2))]
    score = rollup(results, CRITERION, method("average"))
    assert (score.score, score.count) == (3.0, 1)
    assert [s.result_id for s in score.steps] == ["2"]


def test_no_results_give_a_null_score_with_count_zero():
    assert rollup([], CRITERION, method("highest")) == RollupScore(None, 0, None, None, None, (), "no results → null")
    assert rollup(series(None, None), CRITERION, method("latest")).count == 0


# ------------------------------------------------------------------------------------ §3 percent scaling

def test_a_percent_is_scaled_by_the_criterions_points_possible():
    criterion = criterion_scale({"points_possible": 3, "mastery_points": 2,
                                 "ratings": [{"points": 3}, {"points": 2}, {"points": 0}]}, "c")
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
    score = rollup([result("1", 1, at=day(1), percent=1)], criterion_scale(None, "outcome 1"),
                   method_from(None, 65, "outcome 1"))
    assert (score.score, score.rating.description, score.rating.color, score.mastery) == \
        (5.0, "Exceeds Expectations", "0374B5", True)


def test_the_seeds_root_account_scale_gives_exceeds_mastery_in_its_own_colour():
    scale = proficiency_scale([
        {"outcome_proficiency_rating_id": "1", "description": "Exceeds Mastery", "points": 4, "mastery": False,
         "color": "02672D", "workflow_state": "active"},
        {"outcome_proficiency_rating_id": "2", "description": "Mastery", "points": 3, "mastery": True,
         "color": "0B874B", "workflow_state": "active"},
        {"outcome_proficiency_rating_id": "3", "description": "No Evidence", "points": 0, "mastery": False,
         "color": "E0061F", "workflow_state": "active"},
    ], "Account 1 scale")
    score = rollup([result("1", 1, percent=1)], scale, method("highest"))
    assert (score.score, score.rating.description, score.rating.color, score.mastery) == \
        (4.0, "Exceeds Mastery", "02672D", True)


# --------------------------------------------------------------------------------------- §3 quiz groups

QUIZ_7 = ("Quizzes::Quiz", "7")


def _quiz_pair() -> list[ResultInput]:
    # Two questions of quiz 7: 1 point at 100 %, 3 points at 0 % -> group (1×1 + 3×0) / 4 = 0.25.
    return [result("1", 1, at=day(1), percent=1.0, possible=1, artifact=QUIZ, asset=QUIZ_7),
            result("2", 0, at=day(2), percent=0.0, possible=3, artifact=QUIZ, asset=QUIZ_7)]


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
    assert [s.how for s in n_mastery.steps] == ["percent 1.0 × 4.0 (points_possible)",
                                                "percent 0.0 × 4.0 (points_possible)"]


def test_a_rubric_result_on_the_same_quiz_keeps_its_own_score_and_stays_out_of_the_group():
    rubric = result("3", 5, at=day(3), percent=1.0, possible=5, artifact="RubricAssessment", asset=QUIZ_7)
    score = rollup(_quiz_pair() + [rubric], DEFAULT_SCALE, method("average"))
    # Quiz questions 1.0 each (had the rubric joined: (1 + 0 + 5) / 9 × 4 = 2.67 each); rubric 1.0 × 4 = 4.0.
    assert [s.scaled_score for s in score.steps] == [1.0, 1.0, 4.0]
    assert score.score == 2.0


def test_a_quiz_group_with_no_possible_points_keeps_each_results_own_score():
    results = [result("1", 1, at=day(1), percent=0.5, possible=0, artifact=QUIZ, asset=QUIZ_7),
               result("2", 1, at=day(2), percent=1.0, possible=0, artifact=QUIZ, asset=QUIZ_7)]
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
    results = [result("1", 1, at=day(1, 10, 0, 0, 750_000)), result("2", 1, at=day(2, 8, 30, 15, 250_000)),
               result("3", 1)]
    assert rollup(results, CRITERION, method("highest")).submitted_at == "2020-01-02T08:30:15Z"


def test_submitted_at_is_given_in_utc():
    plus_two = datetime(2020, 1, 2, 10, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    assert rollup([result("1", 1, at=plus_two)], CRITERION, method("highest")).submitted_at == \
        "2020-01-02T08:00:00Z"


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


# ------------------------------------------------------------------------------------ order independence

_ASSETS = [None, ("Quizzes::Quiz", "7"), ("Quizzes::Quiz", "8"), ("Assignment", "7")]
_TIMES = [None, day(1), day(1, 0, 0, 0, 500_000), day(2, 3), day(5)]

_result_fields = st.tuples(
    st.sampled_from(_TIMES),
    st.one_of(st.none(), st.floats(0, 10, allow_nan=False)),
    st.one_of(st.none(), st.floats(0, 1, allow_nan=False)),
    st.one_of(st.none(), st.floats(0, 5, allow_nan=False)),
    st.sampled_from([None, QUIZ, "RubricAssessment"]),
    st.sampled_from(_ASSETS),
)


@settings(max_examples=200)
@given(
    fields=st.lists(_result_fields, min_size=0, max_size=8),
    id_pool=st.permutations(["1", "2", "9", "10", "100", "a", "b", "c"]),
    name=st.sampled_from(["highest", "latest", "average", "decaying_average", "weighted_average",
                          "standard_decaying_average", "n_mastery"]),
    n=st.integers(1, 99),
    legacy=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_rollup_does_not_depend_on_the_order_results_arrive_in(fields, id_pool, name, n, legacy, seed):
    results = [result(id_pool[i], score, at=at, percent=percent, possible=possible, artifact=artifact, asset=asset)
               for i, (at, score, percent, possible, artifact, asset) in enumerate(fields)]
    shuffled = results[:]
    random.Random(seed).shuffle(shuffled)
    m = method(name, n)
    assert rollup(shuffled, DEFAULT_SCALE, m, legacy_decay=legacy) == rollup(results, DEFAULT_SCALE, m,
                                                                               legacy_decay=legacy)
