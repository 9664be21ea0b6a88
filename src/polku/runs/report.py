"""`polku report`: the HTML report rendered from a stored run, never fitted.

The sections read the run's tables. Sections not yet moved into runs (legacy sections, which
still read the store while rendering) and, until the header's facts are run tables too, the
header read the store's newest read snapshot, so the report never takes the store's lock.
"""

from __future__ import annotations

from pathlib import Path

from polku.i18n import LANGUAGES
from polku.outputs import check_writable, write_output
from polku.runs.provenance import imports
from polku.runs.read import LATEST, Run, open_run
from polku.store.snapshots import open_snapshot


def run_report(store_path: Path, out_path: Path, *, run: str = LATEST, lang: str = "en") -> tuple[Path, Run, list[str]]:
    """Render run `run` of the store into `out_path` (through the one output writer); the path,
    the run, and the legacy sections that showed other data than the run read (the store has
    been imported into since): empty when every section renders from the run."""
    from polku.reports.registry import sections
    from polku.reports.render import render_html

    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; use one of {', '.join(LANGUAGES)}")
    chosen = open_run(store_path, run)
    check_writable(out_path)  # before the rendering's work
    legacy = [s.id for s in sections() if s.legacy]
    with open_snapshot(store_path) as snapshot:
        stale = legacy if legacy and imports(snapshot) != chosen.provenance["imports"] else []
        html = render_html(snapshot, lang, results=chosen.tables, run=chosen.header)
    return write_output(out_path, html), chosen, stale
