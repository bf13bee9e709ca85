"""Inputs for the rollup tests: the §8 criterion, results by day, series, methods."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.rollup import Method, ResultInput, criterion_scale, method_from

UTC = UTC
QUIZ = "Quizzes::QuizSubmission"

# §8: "outcome mode, criterion possible 5, mastery 3".
CRITERION = criterion_scale(
    {
        "points_possible": 5,
        "mastery_points": 3,
        "ratings": [
            {"description": "Exceeds", "points": 5},
            {"description": "Meets", "points": 3},
            {"description": "Does not meet", "points": 0},
        ],
    },
    "outcome 1 rubric_criterion",
)


def day(n: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2020, 1, n, hour, minute, second, micro, tzinfo=UTC)


def result(
    id_: str,
    score: float | None,
    *,
    at: datetime | None = None,
    percent: float | None = None,
    possible: float | None = None,
    artifact: str | None = None,
    asset: tuple[str, str] | None = None,
) -> ResultInput:
    return ResultInput(
        id_, score, percent, possible, at, artifact, asset[0] if asset else None, asset[1] if asset else None
    )


def series(*scores: float | None) -> list[ResultInput]:
    """One result a day, ids "1", "2", ... in the order given."""
    return [result(str(i), s, at=day(i)) for i, s in enumerate(scores, start=1)]


def method(name: str | None, n: object = None) -> Method:
    return method_from(name, n, "test")


def ids(results) -> list[str]:
    return [r.id for r in results]
