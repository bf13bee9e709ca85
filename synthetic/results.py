"""Assessments and their outcome results: rubric rows and quiz questions, scores near each student's
ability, later regrades and deletions, Account-context and old-shape (unattributable) results."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from typing import NamedTuple

from synthetic.actors import _QUIZ_TAG, _RUBRIC_TAG, _event, _job, _who
from synthetic.basics import _DAY, _HOUR, TERM_END, TERM_START, Shape, _between, _body_time
from synthetic.catalog import _scoring
from synthetic.world import _Course, _Outcome, _World


class _Assessment(NamedTuple):
    asset_type: str
    asset_id: int
    artifact_type: str
    tag: str | None  # the background job that writes its results; None: a web request
    quiz: bool
    progress: float  # 0 at the start of the term, 1 at its end
    context: tuple  # result_context type, local id, uuid


def _grade(score: float | None, possible: float, ratio: float, rng: random.Random) -> dict:
    if score is None:
        fields = {"mastery": None, "possible": possible, "score": None}
    else:
        fields = {"mastery": score >= ratio * possible, "possible": possible, "score": score}
        if possible and rng.random() > 0.04:
            fields["percent"] = round(score / possible, 4)
    return fields


def _result_body(c: _Course, t: int, s: int, o: _Outcome, a: _Assessment, artifact: str, grade: dict) -> dict:
    rng = c.rng
    stamp = _body_time(t, c.root.offset(t) if rng.random() < 0.03 else 0)
    body = {
        "id": str(next(c.result_ids)),
        "assessed_at": stamp,
        "attempt": 1 + (rng.random() < 0.1),
        "created_at": stamp,
        "learning_outcome_id": o.body["learning_outcome_id"],
        "learning_outcome_context_uuid": o.context_uuid,
        "result_context_id": str(a.context[1]),
        "result_context_type": a.context[0],
        "result_context_uuid": a.context[2],
        "original_mastery": grade["mastery"],
        "original_possible": grade["possible"],
        "original_score": grade["score"],
        **grade,
        "user_uuid": c.uuids[s],
        "artifact_id": artifact,
        "artifact_type": a.artifact_type,
        "artifact_updated_at": _body_time(t - 60_000),
        "artifact_created_at": _body_time(t - _between(rng, 2, 90) * 60_000),
        "associated_asset_id": str(a.asset_id),
        "associated_asset_type": a.asset_type,
    }
    if rng.random() < 0.002:
        del body["assessed_at"]  # Canvas allows a result without a time: it sorts first
    return body


def _legacy_body(c: _Course, t: int, s: int, o: _Outcome, grade: dict) -> dict:
    """The older documented shape: no id, no user_uuid, no result context, but a title."""
    stamp = _body_time(t)
    return {
        "assessed_at": stamp,
        "attempt": 1,
        "created_at": stamp,
        "learning_outcome_id": o.body["learning_outcome_id"],
        "mastery": grade["mastery"],
        "original_mastery": grade["mastery"],
        "original_possible": grade["possible"],
        "original_score": grade["score"],
        **{k: v for k, v in grade.items() if k != "mastery"},
        "title": f"{c.root.name} Student {c.students[s]}, {o.body['title']}",
    }


def _pick(c: _Course, s: int, choices: tuple, progress: float) -> float:
    """A score near the student's ability, which grows over the term."""
    target = max(choices) * min(1.0, max(0.0, c.abilities[s] + 0.2 * progress + c.rng.gauss(0, 0.2)))
    best = choices[0]
    for points in choices:
        if abs(points - target) < abs(best - target):
            best = points
    return best


def _questions(rng: random.Random) -> list:
    return [(1, 1, 2, 2, 3, 5)[_between(rng, 0, 5)] for _ in range(2 + (rng.random() < 0.5))]


def _student_results(w: _World, c: _Course, t: int, s: int, aligned: list, a: _Assessment) -> Iterator[tuple]:
    """One student's results for one assessment: a rubric row, or one result per quiz question."""
    rng, artifact = c.rng, str(next(c.artifact_ids))
    who = _job(rng, a.tag) if a.tag else None
    for o in aligned:
        points, possible, ratio = _scoring(o.body)
        for question in _questions(rng) if a.quiz else (None,):
            choices = (0, question / 2, question) if question else points
            score = None if rng.random() < 0.005 else _pick(c, s, choices, a.progress)
            grade = _grade(score, question or possible, ratio, rng)
            legacy = rng.random() < w.legacy_fraction and s < len(c.students)  # not the test student
            body = _legacy_body(c, t, s, o, grade) if legacy else _result_body(c, t, s, o, a, artifact, grade)
            if not legacy:  # before the yield: the consumer may change what it receives
                _follow_up(c, t, body, a, choices, ratio)
            name = "learning_outcome_result_created"
            yield t, _event(c.root, name, t, who or _who(c, name, body), body)
            t += _between(rng, 1, 400)


def _follow_up(c: _Course, t: int, body: dict, a: _Assessment, choices: tuple, ratio: float) -> None:
    """Now and then a result is regraded or deleted later: scheduled on the course's own clock."""
    rng = c.rng
    r = rng.random()
    if r >= 0.07:
        return
    later = min(t + _between(rng, _HOUR, 14 * _DAY), TERM_END)
    if later <= t:
        return
    new = dict(body, updated_at=_body_time(later), artifact_updated_at=_body_time(later))
    if r < 0.01:
        new["workflow_state"] = "deleted"
    else:
        score = rng.choice([p for p in choices if p != body["score"]] or list(choices))
        new.pop("percent", None)
        new.update(_grade(score, body["possible"], ratio, rng), assessed_at=_body_time(later))
    who = _job(rng, a.tag or _RUBRIC_TAG)
    event = _event(c.root, "learning_outcome_result_updated", later, who, new)
    heapq.heappush(c.pending, (later, next(c.seq), event))


def _assessment(w: _World, c: _Course, t: int, k: int) -> Iterator[tuple]:
    """An assignment (rubric) or a quiz aligned to 1-3 of the course's outcomes, graded student by student."""
    rng = c.rng
    live = [o for o in c.outcomes if _usable(c, o)]
    aligned = rng.sample(live, min(len(live), _aligned(k, c.shape)))
    quiz = _is_quiz(k)
    progress = (t - TERM_START) / (TERM_END - TERM_START)
    context = ("Course", c.local_id, c.uuid)
    a = (
        _Assessment(
            "Quizzes::Quiz", 300 + 50 * c.idx + k, "Quizzes::QuizSubmission", _QUIZ_TAG, True, progress, context
        )
        if quiz
        else _Assessment("Assignment", _assignment_id(c, k), "RubricAssessment", _RUBRIC_TAG, False, progress, context)
    )
    t += rng.randint(0, _HOUR) if quiz else rng.randint(_HOUR // 6, 4 * _DAY)
    for s in rng.sample(range(len(c.students)), len(c.students)):
        if rng.random() < 0.06 or c.gone(s, t):
            continue  # did not submit, or has left the course
        yield from _student_results(w, c, t, s, aligned, a)
        t = c.now + _between(rng, 20_000, 20 * 60_000)
    if quiz and c.test_at and not c.tested and t > c.test_at + 2 * _HOUR:
        c.tested = True  # the teacher takes the quiz in Student View: the test student's results
        yield from _student_results(w, c, t, len(c.students), aligned, a)


def _account_results(w: _World, c: _Course, t: int, _: object) -> Iterator[tuple]:
    """A live assessment whose results belong to the sub-account, not to any course."""
    root = c.root
    a = _Assessment(
        "LiveAssessments::Assessment",
        9000 + c.idx,
        "LiveAssessments::Submission",
        None,
        False,
        (t - TERM_START) / (TERM_END - TERM_START),
        ("Account", c.account, root.account_uuid(c.account)),
    )
    for s in c.rng.sample(range(len(c.students)), 5):
        yield from _student_results(w, c, t, s, c.shared[1:2], a)
        t = c.now + c.rng.randint(30_000, 300_000)


def _aligned(k: int, shape: Shape) -> int:
    return shape.aligned[k % 4]


def _is_quiz(k: int) -> bool:
    return k % 4 == 1


def _usable(c: _Course, o: _Outcome) -> bool:
    return o.body["workflow_state"] != "deleted" and o.body["learning_outcome_id"] not in c.unlinked


def _assignment_id(c: _Course, k: int) -> int:
    return 4000 + 50 * c.idx + k
