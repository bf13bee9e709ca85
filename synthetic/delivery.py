"""The stream as a consumer receives it: ignored events interleaved, exact re-deliveries and late
arrivals; `generate` (the entry point) and `to_jsonl`."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterable, Iterator

import orjson

from synthetic.agendas import _timeline
from synthetic.basics import MAX_DELAY, SHAPES, TERM_END, TERM_START, _between
from synthetic.noise import _admin_noise, _noise
from synthetic.plan import _plan
from synthetic.world import _Registrar, _World


def _with_noise(timeline: Iterator[tuple], fraction: float, rng: random.Random) -> Iterator[tuple]:
    """Interleave events the tool ignores so that they make up `fraction` of the stream."""
    ratio, credit, last = fraction / (1 - fraction), 0.0, TERM_START
    for t, owner, event in timeline:
        if isinstance(owner, _Registrar):  # not followed by noise: with or without them, the same noise
            yield t, owner, event
            continue
        credit += 2 * ratio * rng.random()
        while credit >= 1:
            credit -= 1
            last = max(last, t - _between(rng, 0, 120_000))
            yield last, owner, _noise(rng, owner, last)
        last = t
        yield t, owner, event


def _padded(stream: Iterator[tuple], w: _World, rng: random.Random) -> Iterator[dict]:
    """The events, then (should the term run short) administrators logging in after it, without end."""
    t = TERM_END
    for t, _, event in stream:  # noqa: B007 (t, the last event's time, is read after the loop)
        yield event
    while True:
        t += rng.randint(1000, 60_000)
        yield _admin_noise(rng, w.offices[0].root, t)


def _with_duplicates(events: Iterator[dict], fraction: float, rng: random.Random) -> Iterator[dict]:
    """Re-deliver `fraction` of the stream: exact copies, 1..500 positions after the original (at least once)."""
    ratio, credit, position = fraction / (1 - fraction), 0.0, 0
    again: list[tuple[int, int, bytes]] = []  # (due position, sequence, the copy)
    for seq, event in enumerate(events):
        credit += 2 * ratio * rng.random()
        while credit >= 1:  # copied now: the consumer may change what it receives
            credit -= 1
            heapq.heappush(again, (position + _between(rng, 1, 500), seq, orjson.dumps(event)))
        yield event
        position += 1
        while again and again[0][0] <= position:
            yield orjson.loads(heapq.heappop(again)[2])
            position += 1


def _with_late(events: Iterator[dict], fraction: float, rng: random.Random) -> Iterator[dict]:
    """Hold back `fraction` of the events; each arrives 1..MAX_DELAY events later (log-uniform)."""
    held: list = []
    for seq, event in enumerate(events):
        if rng.random() < fraction:
            heapq.heappush(held, (seq + int(MAX_DELAY ** rng.random()), seq, event))
        else:
            yield event
        while held and held[0][0] <= seq:
            yield heapq.heappop(held)[2]
    while held:
        yield heapq.heappop(held)[2]


def _check(events: int, fractions: dict) -> None:
    if isinstance(events, bool) or not isinstance(events, int) or events < 0:
        raise ValueError(f"events must be a non-negative integer, not {events!r}")
    limits = {"ignored_fraction": 0.95, "duplicate_fraction": 0.5, "late_fraction": 1.0, "legacy_fraction": 1.0}
    for name, value in fractions.items():
        if not 0 <= value <= limits[name]:
            raise ValueError(f"{name} must be between 0 and {limits[name]}, not {value!r}")


def generate(
    events: int = 10_000,
    seed: int = 0,
    *,
    ignored_fraction: float = 0.15,
    duplicate_fraction: float = 0.02,
    late_fraction: float = 0.05,
    legacy_fraction: float = 0.01,
    people: bool = True,
    shape: str = "default",
) -> Iterator[dict]:
    """Exactly `events` Canvas Live Event dicts of one synthetic district term, in arrival order.

    `people=False` leaves out the users, courses, sections and enrollments, and nothing else: the same
    world, outcome events and ignored events (the term then ends a little earlier in the stream, and
    administrators' log-ins after it fill the stream to `events`), for comparing the two.

    `shape="wide"` gives courses of 40-80 outcomes with ~90 results per student each (SHAPES in
    synthetic/basics.py), with the same noise; `"default"` (8 outcomes, ~37 results) is unchanged by it."""
    _check(
        events,
        {
            "ignored_fraction": ignored_fraction,
            "duplicate_fraction": duplicate_fraction,
            "late_fraction": late_fraction,
            "legacy_fraction": legacy_fraction,
        },
    )
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, not {shape!r}")
    kept_share = (1 - ignored_fraction) * (1 - duplicate_fraction)
    world = _plan(events, seed, kept_share, legacy_fraction, 1 - duplicate_fraction, SHAPES[shape])
    world.people = people
    noise = random.Random(f"{seed}:noise")
    stream = _padded(_with_noise(_timeline(world), ignored_fraction, noise), world, noise)
    stream = _with_duplicates(stream, duplicate_fraction, random.Random(f"{seed}:duplicates"))
    return _with_late(itertools.islice(stream, events), late_fraction, random.Random(f"{seed}:late"))


def to_jsonl(events: Iterable[dict]) -> Iterator[bytes]:
    """Each event as one line of JSON (orjson), newline-terminated."""
    for event in events:
        yield orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE)
