"""What the course page says around the grid: each outcome's summary line in `rollups`' own words, and the
local time beside UTC when the root account has a zone (`config set tz`)."""

from __future__ import annotations


def test_the_grid_says_under_it_how_many_mastered_each_outcome_as_the_cli_does(tmp_path):
    """The page's per-outcome lines are `rollups`' own summary lines (the same counts, the same words)."""
    import re

    from tests.conftest import mastery, seed_events, write_jsonl
    from tests.web.conftest import TOKEN, in_process, stop

    store = str(tmp_path / "s.db")
    mastery("--store", store, "ingest", str(write_jsonl(tmp_path / "seed.jsonl", seed_events("current"))), check=True)
    printed = mastery("--store", store, "rollups", "--course", "1", check=True).stdout.decode()
    lines = [line.strip() for line in printed.splitlines() if ": mastered " in line]
    assert lines, printed
    server = in_process(store, {"MASTERY_INGEST_TOKEN": TOKEN})
    try:
        page = server.get("/courses/1").text
    finally:
        stop(server)
    shown = re.findall(r'<ul class="summary"[^>]*>(.*?)</ul>', page, re.S)
    assert shown and [re.sub(r"<.*?>", "", li).strip() for li in re.findall(r"<li>(.*?)</li>", shown[0])] == [
        str(escape_html(line)) for line in lines
    ]


def escape_html(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_with_a_zone_set_the_page_shows_local_time_beside_utc(tmp_path):
    import re

    from tests.conftest import mastery, seed_events, write_jsonl
    from tests.web.conftest import TOKEN, in_process, stop

    store = str(tmp_path / "s.db")
    mastery("--store", store, "ingest", str(write_jsonl(tmp_path / "seed.jsonl", seed_events("current"))), check=True)
    mastery("--store", store, "config", "set", "tz", "America/Chicago", check=True)
    server = in_process(store, {"MASTERY_INGEST_TOKEN": TOKEN})
    try:
        page = server.get("/courses/1", params={"as_of": "2019-12-01T18:00:00Z"}).text
    finally:
        stop(server)
    cut = re.search(r'<span class="as-of">(.*?)</span>', page).group(1)
    assert cut == "as of 2019-12-01 18:00:00 UTC (2019-12-01 12:00:00 America/Chicago)"
