"""A realistic synthetic Canvas Live Events stream, for tests, benchmarks, `mastery generate` and the demo.

`generate(events, seed)` yields exactly `events` Canvas Live Event dicts (`{"metadata", "body"}`) in the
order a consumer would receive them; `to_jsonl` turns them into JSON Lines. The stream is one district term
(2025-08-15 .. 2025-12-20): a root account on shard 2107 with sub-accounts and courses, plus a small second
root account on shard 2108 that reuses the same local ids (tenancy is by root account). It exercises every
rule of docs/canvas-rollups.md: all calculation methods with valid, missing and invalid ints; criteria and
the default criterion; unlinks, relinks, deleted and archived outcomes; root, sub-account and course mastery
scales and calculation methods (outcome mode until the first scale, scale mode after); regrades, deleted
and null-score results, quiz question groups, Account-context results and old-shape (unattributable)
results. The people and places too (docs/canvas-people-events.md): users, courses with a name and a
sub-account, two sections a course and their enrollments, from an SIS import before the term, then drops,
conclusions, deactivations, a section change, name changes and Student View test students; one course
was set up before the district subscribed and has no enrollment events (`people=False` leaves them all
out of the same stream). Around them: events the tool ignores, exact re-deliveries and late arrivals.

Pure and streaming: no I/O, no clock, one `random.Random` per concern, all seeded from `seed`. Each course
is a generator of its own events in time order; the courses are merged by event time, so memory stays
bounded whatever `events` is. Same (events, seed) -> identical output. The size of the world (courses,
students) follows `events`, so a shorter stream is not a prefix of a longer one.

One module per job, each importing only those before it: basics (names, sizes, clock, ids), world (its
shape), names (people's names, SIS ids, course names), catalog (outcome, group, link, scale and method
bodies), actors (event metadata), results (assessments), steps (catalog changes), people (users, courses,
sections, enrollments), agendas (each owner's term, merged into one timeline), noise
(events the tool ignores), plan (the world sized to `events`), delivery (noise, re-deliveries, late
arrivals; `generate`). The package may import domain, never store, projections, cli or web.
"""

from synthetic.basics import CALCULATION_METHODS, IGNORED_EVENT_NAMES, KEPT_EVENT_NAMES, PEOPLE_EVENT_NAMES
from synthetic.delivery import generate, to_jsonl

__all__ = [
    "generate",
    "to_jsonl",
    "KEPT_EVENT_NAMES",
    "IGNORED_EVENT_NAMES",
    "PEOPLE_EVENT_NAMES",
    "CALCULATION_METHODS",
]
