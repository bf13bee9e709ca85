"""The fold of each entity kind, in one table: kind → (evolve, state class)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain import calculation_method, group, link, outcome, people, proficiency, result
from domain.entity import EntityState

# evolve(event, state or None) -> the state after it
Fold = tuple[Callable[[Any, Any], Any], type[EntityState]]

FOLDS: dict[str, Fold] = {
    "outcome": (outcome.evolve, outcome.OutcomeState),
    "group": (group.evolve, group.GroupState),
    "link": (link.evolve, link.LinkState),
    "scale": (proficiency.evolve, proficiency.ScaleState),
    "method": (calculation_method.evolve, calculation_method.MethodState),
    "result": (result.evolve, result.ResultState),
    "user": (people.evolve_user, people.UserState),
    "course": (people.evolve_course, people.CourseState),
    "section": (people.evolve_section, people.SectionState),
    "enrollment": (people.evolve_enrollment, people.EnrollmentState),
    "enrollment_state": (people.evolve_enrollment_state, people.EnrollmentStateState),
}


def evolve(event: Any, state: Any) -> Any:
    """Fold any stored event onto the state of its own kind."""
    return FOLDS[event.kind][0](event, state)
