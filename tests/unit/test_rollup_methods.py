"""Rollup arithmetic against numbers worked out by hand (docs/canvas-rollups.md): result order (§4),
each calculation method (§5), nulls and empties, and independence from arrival order."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.rollup import DEFAULT_SCALE, Method, RollupScore, order_results, rollup
from tests.unit.rollup_inputs import CRITERION, QUIZ, day, ids, method, result, series

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
    assert rollup(series(1, 3, 4), CRITERION, method("standard_decaying_average", 65), legacy_decay=True).score == 3.3
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
    name=st.sampled_from(
        [
            "highest",
            "latest",
            "average",
            "decaying_average",
            "weighted_average",
            "standard_decaying_average",
            "n_mastery",
        ]
    ),
    n=st.integers(1, 99),
    legacy=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_rollup_does_not_depend_on_the_order_results_arrive_in(fields, id_pool, name, n, legacy, seed):
    results = [
        result(id_pool[i], score, at=at, percent=percent, possible=possible, artifact=artifact, asset=asset)
        for i, (at, score, percent, possible, artifact, asset) in enumerate(fields)
    ]
    shuffled = results[:]
    random.Random(seed).shuffle(shuffled)
    m = method(name, n)
    assert rollup(shuffled, DEFAULT_SCALE, m, legacy_decay=legacy) == rollup(
        results, DEFAULT_SCALE, m, legacy_decay=legacy
    )
