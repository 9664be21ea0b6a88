"""The default mapping reads the synthetic area exactly: every line the generator lists in
`ground_truth_flaws.csv` is quarantined, every other line is imported.

Uses the generator when it is available (it is built in parallel); skipped otherwise, so
the ingest suite never depends on it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from polku.identity import PseudonymKey
from polku.ingest import import_folder
from polku.store import open_store


def test_synthetic_area_flaws_are_exactly_the_quarantined_lines(tmp_path: Path, key: PseudonymKey) -> None:
    synth = pytest.importorskip("polku.synth")
    generate = getattr(synth, "generate", None)
    if generate is None:
        pytest.skip("the synthetic generator is not available yet")
    data = tmp_path / "area"
    generate(clients=400, seed=3, out_dir=data, flaw_rate=0.01)
    with open(data / "ground_truth_flaws.csv", encoding="utf-8", newline="") as handle:
        flawed = {(row["file"], int(row["line"])) for row in csv.DictReader(handle)}
    with open_store(tmp_path / "store.duckdb") as store:
        reports = import_folder(store, data, key=key)
        quarantined = set(store.con.execute("SELECT regexp_extract(file_path, '[^/]+$'), line FROM quarantine").fetchall())
    assert flawed, "the generator writes recording mistakes at this rate"
    assert quarantined == flawed
    assert sum(r.rows_quarantined for r in reports) == len(flawed)
    assert all(r.rows_read == r.rows_accepted + r.rows_quarantined for r in reports)
