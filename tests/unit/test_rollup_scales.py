"""Rollup rules, against numbers worked out by hand (docs/canvas-rollups.md): Ruby rounding (§5),
the calculation method chosen (§2), criterion and proficiency scales (§2, §6) and the rating (§6)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.rollup import (
    DEFAULT_SCALE,
    Method,
    Rating,
    Scale,
    criterion_scale,
    proficiency_scale,
    rating_for,
    rollup,
    ruby_round,
)
from tests.unit.rollup_inputs import method, series

# ------------------------------------------------------------------------------------ §5 Ruby rounding


def test_ruby_round_gives_the_docs_canvas_value_where_python_round_gives_less():
    x = 3.0 * 0.65 + 3.4999999999999996 * 0.35000000000000003
    assert x == 3.175  # the double just below 3.175 exactly, so Python rounds it down
    assert round(x, 2) == 3.17
    assert ruby_round(x) == 3.18


@pytest.mark.parametrize(
    "x, expected",
    [
        (1.005, 1.01),  # double is 1.00499999999999989..., Python's round gives 1.0
        (2.675, 2.68),  # Python: 2.67
        (0.125, 0.13),  # exact half: away from zero (Python's banker's rounding gives 0.12)
        (1.015, 1.02),  # Python: 1.01
        (8.345, 8.35),
        (-1.005, -1.01),  # mirrored for negatives
        (-0.125, -0.13),
        (1.0049999999999997, 1.0),  # the double just below 1.005: stays down
        (3.3, 3.3),
        (1.2000000000000002, 1.2),
        (1.6666666666666667, 1.67),
    ],
)
def test_ruby_round_rounds_two_decimal_halves_away_from_zero(x, expected):
    assert ruby_round(x) == expected


def test_ruby_round_with_zero_digits_rounds_halves_away_from_zero():
    assert ruby_round(2.5, 0) == 3.0
    assert ruby_round(0.5, 0) == 1.0
    assert ruby_round(-2.5, 0) == -3.0
    assert ruby_round(2.4999999999999996, 0) == 2.0


def test_ruby_round_returns_tiny_values_as_zero_and_huge_values_unchanged():
    assert ruby_round(0.0001) == 0.0  # float.c float_round_underflow
    assert ruby_round(1e20) == 1e20  # float.c float_round_overflow: nothing after the point to round
    assert ruby_round(0.1, 16) == 0.1  # > 14 digits: Ruby's exact rational path


@settings(max_examples=400)
@given(whole=st.integers(0, 10**7), cents=st.integers(0, 99), negative=st.booleans())
def test_ruby_round_agrees_with_decimal_half_up_on_the_shortest_repr_of_every_two_decimal_half(whole, cents, negative):
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
    assert m.note == (
        "unknown calculation_method 'median': highest used; calculation_int 3 ignored: highest takes none"
    )


@pytest.mark.parametrize(
    "name, given_int, effective, noted",
    [
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
    ],
)
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
        points_possible=5.0,
        mastery_points=3.0,
        source="Canvas default criterion",
    )
    assert criterion_scale({}, "x") == scale


def test_a_criterions_possible_and_mastery_default_to_its_top_rating():
    scale = criterion_scale(
        {"ratings": [{"description": "low", "points": 2}, {"description": "top", "points": 4}]},
        "outcome 7 rubric_criterion",
    )
    assert [r.points for r in scale.ratings] == [4.0, 2.0]  # sorted highest first
    assert (scale.points_possible, scale.mastery_points) == (4.0, 4.0)
    assert isinstance(scale.points_possible, float)
    assert scale.source == "outcome 7 rubric_criterion"


def _criterion(points: list[float], mastery: float) -> Scale:
    return criterion_scale({"mastery_points": mastery, "ratings": [{"points": p} for p in points]}, "c")


@pytest.mark.parametrize(
    "points, mastery, colours",
    [
        ([3], 3, ["0B874B"]),
        ([3, 0], 3, ["0B874B", "555555"]),
        ([4, 3, 0], 3, ["0374B5", "0B874B", "555555"]),  # mastery rating second
        ([3, 2, 0], 3, ["0B874B", "FAB901", "555555"]),  # mastery rating first
        ([4, 3, 0], 2.5, ["0B874B", "FAB901", "555555"]),  # no rating at 2.5: first is the mastery one
        ([4, 3, 2, 0], 3, ["0374B5", "0B874B", "FAB901", "555555"]),
        ([4, 3, 2, 0], 4, ["0B874B", "FAB901", "E0061F", "555555"]),
        ([4, 3, 2, 0], 0, ["0B874B", "FAB901", "E0061F", "555555"]),
        ([4, 3, 2, 0], 2, ["666666"] * 4),  # Canvas gives no colour: 666666
        ([4, 3, 2, 1, 0], 3, ["0374B5", "0B874B", "FAB901", "E0061F", "555555"]),
        ([4, 3, 2, 1, 0], 2.5, ["0374B5", "0B874B", "FAB901", "E0061F", "555555"]),  # 5+: second by default
        ([4, 3, 2, 1, 0], 4, ["666666"] * 5),
        ([5, 4, 3, 2, 1, 0], 4, ["0374B5", "0B874B", "FAB901", "D97900", "E0061F", "555555"]),
        ([5, 4, 3, 2, 1, 0], 3, ["666666"] * 6),
        ([6, 5, 4, 3, 2, 1, 0], 5, ["666666"] * 7),
    ],
)
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
    scale = proficiency_scale(
        [
            {
                "outcome_proficiency_rating_id": 1,
                "description": "Gone",
                "points": 10,
                "mastery": False,
                "color": "111111",
                "workflow_state": "deleted",
            },
            {
                "outcome_proficiency_rating_id": 3,
                "description": "Low",
                "points": 1,
                "mastery": False,
                "color": "333333",
                "workflow_state": "active",
            },
            {
                "outcome_proficiency_rating_id": 2,
                "description": "Top",
                "points": 5,
                "mastery": True,
                "color": "222222",
                "workflow_state": "active",
            },
        ],
        "course 1 scale",
    )
    assert [(r.id, r.description, r.points, r.color, r.mastery) for r in scale.ratings] == [
        ("2", "Top", 5.0, "222222", True),
        ("3", "Low", 1.0, "333333", False),
    ]
    assert (scale.points_possible, scale.mastery_points, scale.source) == (5.0, 5.0, "course 1 scale")


def test_a_proficiency_scale_orders_equal_points_by_numeric_id():
    scale = proficiency_scale(
        [
            {"outcome_proficiency_rating_id": "10", "description": "ten", "points": 3, "mastery": True},
            {"outcome_proficiency_rating_id": "9", "description": "nine", "points": 3, "mastery": False},
            {"outcome_proficiency_rating_id": "11", "description": "top", "points": 4, "mastery": False},
        ],
        "s",
    )
    assert [r.id for r in scale.ratings] == ["11", "9", "10"]
    assert rating_for(3.2, scale).description == "nine"  # the tie goes to the lower id
    assert scale.mastery_points == 3.0


def test_a_proficiency_scale_without_a_mastery_rating_has_no_mastery_points():
    scale = proficiency_scale([{"outcome_proficiency_rating_id": 1, "points": 2, "mastery": False}], "s")
    assert (scale.points_possible, scale.mastery_points) == (2.0, None)
    assert rollup(series(2), scale, method("highest")).mastery is None


# ------------------------------------------------------------------------------------------- §6 rating


@pytest.mark.parametrize(
    "score, description",
    [
        (4.0, "Exceeds Mastery"),
        (3.99, "Mastery"),
        (3.0, "Mastery"),
        (2.5, "Near Mastery"),
        (1.0, "Below Mastery"),
        (0.0, "No Evidence"),
        (-0.01, None),
        (None, None),
    ],
)
def test_the_rating_is_the_highest_one_at_or_below_the_score(score, description):
    rating = rating_for(score, DEFAULT_SCALE)
    assert (rating.description if rating else None) == description


def test_a_score_below_the_lowest_rating_has_no_rating():
    scale = criterion_scale({"ratings": [{"points": 3}, {"points": 1}]}, "c")
    assert rating_for(0.5, scale) is None
    assert rollup(series(0.5), scale, method("highest")).rating is None
