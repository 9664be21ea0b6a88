"""The import report: JSON-able, readable, and the progress callback sees every step."""

from __future__ import annotations

import json
from pathlib import Path

from ingest_helpers import row, write_csv

from polku.identity import PseudonymKey
from polku.ingest import ImportReport, import_file
from polku.store import Store


def test_report_renders_and_serialises(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    rows = [row("employment_spell", 1), row("employment_spell", 2, start_date="1.1.2023")]
    path = write_csv(tmp_path / "spells.csv", "employment_spell", rows)
    steps: list[tuple[str, float]] = []
    report = import_file(store, "employment_spell", path, key=key, progress=lambda s, f: steps.append((s, f)))
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["quarantined_by_reason"] == {"not_a_date": 1}
    assert payload["rows_read"] == 2 and payload["status"] == "imported"
    text = report.render()
    assert "rows read 2, accepted 1, quarantined 1" in text and "not_a_date" in text
    assert "WHERE import_id = 1" in text
    assert steps[0] == ("reading spells.csv", 0.0) and steps[-1] == ("done", 1.0)
    assert [f for _, f in steps] == sorted(f for _, f in steps)


def test_render_of_a_replacing_import_without_quarantine() -> None:
    report = ImportReport("team", "team.csv", "/x/team.csv", 4, "replaced", 3, 3, 0, 2)
    text = report.render()
    assert "replacing the earlier file of this source" in text
    assert "replaced 2 earlier rows" in text
    assert "FROM quarantine" not in text
    assert (
        text.splitlines()[0]
        == "team <- /x/team.csv (source 'team.csv', import 4): imported, replacing the earlier file of this source"
    )


def test_render_names_the_file_once_and_redacted() -> None:
    report = ImportReport("team", "010101-123N.csv", "/x/010101-123N.csv", 5, "rolled_back", 3, 3, 0, 0, restored_import_id=2)
    lines = report.render().splitlines()
    assert sum(" <- " in line for line in lines) == 1
    assert lines[0].startswith("team <- /x/<hetu>.csv (source '<hetu>.csv', import 5): ") and lines[0].endswith("(import 2)")
