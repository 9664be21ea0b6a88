"""The main job on the embedded default: synthetic area -> import -> analyses -> report.

Each step is the same library call a user would make by hand (`polku generate`,
`polku import`, `polku report`); the demo only chooses the folders. Later capabilities add
their analyses to the report's sections, so the demo picks them up without changes here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from polku.identity import PseudonymKey, create_key_file, load_key
from polku.ingest import ImportReport, import_folder
from polku.progress import ProgressCallback
from polku.reports import build_report
from polku.store import open_store
from polku.synth import generate


@dataclass(frozen=True)
class DemoResult:
    out_dir: Path
    data_dir: Path
    store_path: Path
    key_path: Path | None
    report_path: Path
    imports: tuple[ImportReport, ...]

    @property
    def rows_accepted(self) -> int:
        return sum(r.rows_accepted for r in self.imports)

    @property
    def rows_quarantined(self) -> int:
        return sum(r.rows_quarantined for r in self.imports)

    def render(self, seconds: float) -> str:
        key_line = (
            f"  pseudonym key:   {self.key_path}  (keep apart from the store)"
            if self.key_path
            else "  pseudonym key:   from POLKU_PSEUDONYM_KEY"
        )
        unchanged = all(r.status == "unchanged" for r in self.imports)
        verb = "in the store, unchanged since the last run" if unchanged else "imported"
        return "\n".join(
            [
                f"Polku demo finished in {seconds:.1f} s: "
                f"{self.rows_accepted:,} rows {verb}, {self.rows_quarantined:,} quarantined.",
                "",
                f"  report:          {self.report_path}",
                f"  store (DuckDB):  {self.store_path}",
                f"  synthetic files: {self.data_dir}  (ground truth in ground_truth_*.csv)",
                key_line,
                "",
                f"Open the report in a browser; `polku status --store {self.store_path}` shows the store.",
            ]
        )


def _demo_key(out_dir: Path) -> tuple[PseudonymKey, Path | None]:
    """The environment's key when set; else the demo's own key file, created once."""
    if os.environ.get("POLKU_PSEUDONYM_KEY"):
        return load_key(), None
    key_path = out_dir / "secrets" / "pseudonym.key"
    if key_path.exists():
        return load_key(key_file=key_path), key_path
    return create_key_file(key_path), key_path


def _scaled(progress: ProgressCallback | None, start: float, end: float) -> ProgressCallback | None:
    """A callback that maps a step's own 0..1 onto its share of the whole demo."""
    if progress is None:
        return None
    return lambda step, fraction: progress(step, start + (end - start) * fraction)


def run_demo(
    out_dir: Path,
    *,
    clients: int = 20000,
    seed: int = 0,
    lang: str = "en",
    progress: ProgressCallback | None = None,
) -> DemoResult:
    """Run the whole chain into `out_dir` and say where everything is."""
    out_dir = Path(out_dir).resolve()
    data_dir = out_dir / "synthetic"
    generate(clients=clients, seed=seed, out_dir=data_dir, progress=_scaled(progress, 0.0, 0.35))
    key, key_path = _demo_key(out_dir)
    store_path = out_dir / "store" / "polku.duckdb"  # apart from secrets/: never one folder for both
    with open_store(store_path) as store:
        # A rerun regenerates the synthetic area, so a smaller one (fewer --clients) replaces it on purpose.
        reports = import_folder(store, data_dir, key=key, progress=_scaled(progress, 0.35, 0.85), allow_shrink=True)
        report_path = build_report(store, out_dir / "report.html", lang=lang)
    if progress:
        progress("done", 1.0)
    return DemoResult(out_dir, data_dir, store_path, key_path, report_path, tuple(reports))
