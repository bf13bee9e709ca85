"""What the history projection hands the mastery projection: one `Change` per entity whose current state
a page moved, and one per course whose account became known or changed. Named fields, not positions."""

from __future__ import annotations

from dataclasses import dataclass

COURSE_ACCOUNT = "course_account"  # the kind of a change to the account a course sits in

Refs = tuple[str | None, str | None, str | None]  # (course, outcome, user) an entity's state points at


@dataclass(frozen=True)
class Change:
    """One change of a page: an entity's new current refs (and the ones it had before), or a course's account."""

    kind: str  # an entity kind (outcome, group, link, scale, method, result) or COURSE_ACCOUNT
    root: str  # the root account
    key: str | None  # the entity's key; None for a course account
    course: str | None
    outcome: str | None = None
    user: str | None = None
    previous: Refs | None = None  # the entity's refs before this page; None when it is new (or a course account)
