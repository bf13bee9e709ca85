"""Who the synthetic people are: names (accents, multi-word and hyphenated surnames, a few shared full
names), nicknames, SIS ids (text; some all digits with leading zeros, a few missing) and course names."""

from __future__ import annotations

from synthetic.basics import _digest

_FIRST = (
    "Noah",
    "Emma",
    "Liam",
    "Olivia",
    "Mateo",
    "Sofía",
    "Elijah",
    "Amara",
    "Lucas",
    "Mia",
    "Jayden",
    "Zoë",
    "Benjamin",
    "Aaliyah",
    "Alexander",
    "Chloé",
    "Daniel",
    "Isabella",
    "Ethan",
    "Maya",
    "Gabriel",
    "Nadia",
    "Hiroshi",
    "Priya",
    "Jonathan",
    "Katherine",
    "Samuel",
    "Elizabeth",
    "Tomás",
    "Ngozi",
    "William",
    "Anh",
    "Christopher",
    "Fatima",
    "Dmitri",
    "Margaret",
)
_LAST = (
    "Smith",
    "García",
    "Müller",
    "Martínez",
    "Johnson",
    "Nguyen",
    "Okafor",
    "Williams",
    "Brown",
    "Kowalski",
    "De La Cruz",
    "O'Brien",
    "Van der Berg",
    "Smith-Jones",
    "Patel",
    "Kim",
    "Hernández",
    "Davis",
    "Rossi",
    "Johansson",
    "Tanaka",
    "Lefèvre",
    "Wilson",
    "Anderson",
    "Thompson",
    "Ivanova",
    "Moore",
    "Taylor",
    "Jackson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
)
_NICKNAMES = {
    "Alexander": "Alex",
    "Benjamin": "Ben",
    "Christopher": "Chris",
    "Daniel": "Dan",
    "Elizabeth": "Liz",
    "Jonathan": "Jon",
    "Katherine": "Kate",
    "Margaret": "Maggie",
    "Samuel": "Sam",
    "William": "Will",
}
_CODES = {
    "Algebra I": "MATH-101",
    "Biology": "BIO-101",
    "English 9": "ENG-109",
    "World History": "HIST-110",
    "Chemistry": "CHEM-201",
    "Geometry": "MATH-201",
    "Spanish I": "SPAN-101",
    "Physics": "PHYS-201",
    "Civics": "CIV-120",
    "Art Foundations": "ART-100",
    "Earth Science": "SCI-105",
    "English 10": "ENG-110",
}
SHARED_NAME = ("Maria", "Garcia")  # two students of every district: an exact name that is ambiguous


def person(seed: int, shard: int, kind: str, n: int) -> tuple[str, str]:
    """(first, last) of a student (kind 'student', n the pool index) or a teacher (n the user id)."""
    if kind == "student" and n in (7, 8):
        return SHARED_NAME
    d = _digest(seed, shard, kind, n)
    return _FIRST[d % len(_FIRST)], _LAST[(d // 1009) % len(_LAST)]


def married_name(seed: int, shard: int, n: int, last: str) -> str:
    """A new surname for a student whose name changes mid-term (never the one they had)."""
    options = [name for name in _LAST if name != last]
    return options[_digest(seed, shard, "married", n) % len(options)]


def short_name(first: str, last: str, n: int) -> str:
    """Canvas's display name: the full name, or for some a nickname in place of the first name."""
    nickname = _NICKNAMES.get(first)
    return f"{nickname} {last}" if nickname and n % 3 == 0 else f"{first} {last}"


def student_sis_id(s: int) -> str | None:
    """Text always: 'S100202' for most, all digits with leading zeros ('004512') for some, none for a few."""
    if s % 50 == 49:
        return None  # made by hand, not by the SIS
    return f"{4500 + s:06d}" if s % 4 == 0 else f"S{100_000 + s}"


def teacher_sis_id(user: int) -> str:
    return f"T{user:05d}"


def sis_id(user: int) -> str | None:
    """The SIS id of a local user id: administrators (< 100), teachers (< 10,000), students (10,000 + pool
    index), test students (from 1,000,000: none)."""
    if user < 100:
        return f"A{user:04d}"
    if user < 10_000:
        return teacher_sis_id(user)
    return student_sis_id(user - 10_000) if user < 1_000_000 else None


def course_name(subject: str, idx: int) -> str:
    """'BIO-101 Biology (Fall 2025)'; later courses of the same subject are further periods."""
    period = idx // len(_CODES)
    suffix = f", Period {period + 1}" if period else ""
    return f"{_CODES.get(subject, 'GEN-100')} {subject}{suffix} (Fall 2025)"
