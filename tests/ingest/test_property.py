"""No loss, as a property: for any mix of valid and invalid rows, read = accepted +
quarantined, and exactly the bad lines are in quarantine (Hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import row, write_csv

from polku.identity import PseudonymKey
from polku.ingest import import_file
from polku.store import open_store

KEY = PseudonymKey(bytes(range(32)), 1)
MISTAKES = {
    "hetu": ["", "123", "010594Y9033", "310294-9032"],
    "start_date": ["", "2023-13-01", "1.1.", "tomorrow"],
    "weekly_hours": ["", "0", "81", "x", "1,5"],
    "monthly_wage": ["-1", "12.345", "€100"],
    "employer_sector": ["", "pirate"],
    "subsidised": ["", "kyllä", "1"],
    "end_date": ["2000-01-01"],
}
FINE = {"weekly_hours": ["0.5", "80", "37.5"], "end_date": ["", "2024-01-01"], "monthly_wage": ["", "0", "99999.99"]}

mistake = st.sampled_from(sorted(MISTAKES)).flatmap(lambda c: st.tuples(st.just(c), st.sampled_from(MISTAKES[c])))
fine = st.sampled_from(sorted(FINE)).flatmap(lambda c: st.tuples(st.just(c), st.sampled_from(FINE[c])))
line = st.one_of(
    st.lists(fine, max_size=2).map(lambda c: (False, c)), st.lists(mistake, min_size=1, max_size=3).map(lambda c: (True, c))
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, min_size=1, max_size=30), st.booleans())
def test_every_row_is_accepted_or_quarantined(lines: list[tuple[bool, list[tuple[str, str]]]], quoted_newline: bool) -> None:
    rows = []
    for number, (_, changes) in enumerate(lines, start=1):
        values = row("employment_spell", number, **dict(changes))
        values["employment_id"] = f"W{number}"
        rows.append(values)
    if quoted_newline:
        rows[0]["employment_id"] = "W\n1"  # shifts every later line by one; a key never spans lines
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder) / "spells.csv", "employment_spell", rows)
        with open_store(Path(folder) / "store.duckdb") as store:
            report = import_file(store, "employment_spell", path, key=KEY)
            quarantined = {n for (n,) in store.con.execute("SELECT DISTINCT line FROM quarantine").fetchall()}
            accepted = {n for (n,) in store.con.execute("SELECT _line FROM employment_spell").fetchall()}
            logged = store.con.execute("SELECT rows_read, rows_accepted, rows_quarantined FROM import_log").fetchall()
    shift = 1 if quoted_newline else 0
    expected_bad = {number + 1 + (shift if number > 1 else 0) for number, (bad, _) in enumerate(lines, start=1) if bad}
    expected_bad |= {2} if quoted_newline else set()  # line_break_in_key
    assert report.rows_read == len(lines) == report.rows_accepted + report.rows_quarantined
    assert logged == [(report.rows_read, report.rows_accepted, report.rows_quarantined)]
    assert quarantined == expected_bad
    assert accepted.isdisjoint(quarantined) and len(accepted | quarantined) == len(lines)
