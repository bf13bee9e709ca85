"""Live processes read from /proc, for the tests that prove no process outlives a killed ingest."""

from __future__ import annotations

from pathlib import Path

PARENT, SESSION = 1, 3  # field indexes after the command name in /proc/PID/stat (ppid, session id)


def live(field: int, value: int) -> list[int]:
    """The pids of live (not zombie) processes whose stat `field` equals `value`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[field]) == value and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def children(pid: int) -> list[int]:
    """The live processes whose parent is pid."""
    return live(PARENT, pid)


def in_session(session: int) -> list[int]:
    """The live processes of a session (a killed ingest's follower would be one)."""
    return live(SESSION, session)
