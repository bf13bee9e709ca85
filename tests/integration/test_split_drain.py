"""The final mastery drain split in shares (projections/drain.py) writes what the serial drain writes.

Real SQLite store and read models: a world of several courses, outcomes and students is projected with
the queue left full, then drained share by share (as the ingest and its follower do side by side), and the
mastery table must equal a serial drain's. A chunk computed outside the writer lock while a page lands in
between must not be written stale, nor its re-queued unit lost.
"""

from __future__ import annotations

from domain.events import parse
from projections import drain as split
from projections.mastery import MasteryProjection
from projections.runner import catch_up
from projections.schema import connect
from store.application import open_store
from tests import builders as b

COURSES, OUTCOMES, USERS = ("5", "6", "8"), ("7", "12", "13"), ("U1", "U2", "U3", "U4", "U5")


def world() -> list[dict]:
    events = [b.outcome(o, 0, method="average") for o in OUTCOMES]
    events += [b.link(f"{c}{o}", o, c, 0) for c in COURSES for o in OUTCOMES]
    day = 1
    for c in COURSES:
        for o in OUTCOMES:
            for i, u in enumerate(USERS):
                events.append(b.result(o, u, (i + int(o) + int(c)) % 5, day, course=c))
                day += 1
    return events


def table(conn) -> list[tuple]:
    return conn.execute("SELECT * FROM mastery ORDER BY root, course, outcome, user_uuid").fetchall()


def queued(conn) -> int:
    return conn.execute("SELECT COUNT(*) FROM mastery_dirty").fetchone()[0]


def test_two_shares_drained_write_the_serial_drains_table(tmp_path):
    path = str(tmp_path / "store.db")
    store = open_store(path)
    store.append([parse(e) for e in world()])
    serial = connect(path).conn
    catch_up(store, serial)
    shared = connect(tmp_path / "other.db").conn
    catch_up(store, shared, drain_queue=False)
    everything = queued(shared)
    mastery = MasteryProjection()
    assert split.drain_share(shared, mastery, (1, 2), chunk=7) > 0
    left = queued(shared)
    assert 0 < left < everything  # the other share is still queued, untouched
    assert split.drain_share(shared, mastery, (0, 2), chunk=7) == left
    assert queued(shared) == 0
    assert len(table(serial)) == len(COURSES) * len(OUTCOMES) * len(USERS)
    assert table(shared) == table(serial)
    store.close()
    serial.close()
    shared.close()


def test_a_page_landing_while_a_chunk_is_computed_is_not_overwritten_stale(tmp_path, monkeypatch):
    path = str(tmp_path / "store.db")
    store = open_store(path)
    store.append([parse(e) for e in (b.outcome("7", 0, method="latest"), b.result("7", "U1", 1, 1))])
    conn, other = connect(path).conn, connect(path).conn
    catch_up(store, conn, drain_queue=False)
    compute, landed = MasteryProjection._compute, []

    def compute_then_a_page_lands(self, *args):
        unit = compute(self, *args)  # computed from the snapshot: score 1
        if not landed:
            landed.append(True)
            store.append([parse(b.result("7", "U1", 3, 2))])
            catch_up(store, other, drain_queue=False)  # another process applies a page meanwhile
        return unit

    monkeypatch.setattr(MasteryProjection, "_compute", compute_then_a_page_lands)
    before = queued(conn)  # the student's row and the whole unit (its course newly learned)
    assert split.drain_share(conn, MasteryProjection()) == before
    assert landed
    assert conn.execute("SELECT user_uuid, score, count FROM mastery").fetchall() == [("U1", 3.0, 2)]
    assert queued(conn) == 0
    store.close()
    conn.close()
    other.close()
