"""`polku report`: the HTML report rendered from a stored run, never fitted.

The sections read the run's tables; the header's facts about the data (areas, the data's
latest date, the imports), and the sections not yet moved into runs, read the store's
newest read snapshot, so the report never takes the store's lock either.
"""

from __future__ import annotations

from pathlib import Path

from polku.i18n import LANGUAGES
from polku.outputs import check_writable, write_output
from polku.runs.provenance import imports
from polku.runs.read import LATEST, Run, open_run
from polku.store.snapshots import open_snapshot


def write_run_report(store_path: Path, out_path: Path, *, run: str = LATEST, lang: str = "en") -> tuple[Path, Run, bool]:
    """Render run `run` of the store into `out_path` (through the one output writer); the
    path, the run, and whether the snapshot read for the header holds the run's imports."""
    from polku.reports.render import render_html

    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; use one of {', '.join(LANGUAGES)}")
    chosen = open_run(store_path, run)
    check_writable(out_path)  # before the rendering's work
    with open_snapshot(store_path) as snapshot:
        same_data = imports(snapshot) == chosen.provenance["imports"]
        html = render_html(snapshot, lang, results=chosen.tables, run=chosen.header)
    return write_output(out_path, html), chosen, same_data
