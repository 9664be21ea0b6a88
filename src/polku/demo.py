"""The main job on the embedded default: synthetic area -> import -> analysis run -> report.

Each step is the same library call a user would make by hand (`polku generate`,
`polku import`, `polku analyse`, `polku report`); the demo only chooses the folders. The
report is rendered from the stored run, as `polku report` does. Later capabilities add
their analyses to the report's sections, so the demo picks them up without changes here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from polku.i18n import t
from polku.identity import PseudonymKey, create_key_file, load_key
from polku.ingest import ImportReport, import_folder
from polku.progress import ProgressCallback
from polku.runs.record import analyse
from polku.runs.report import run_report
from polku.store import open_store
from polku.synth import generate
from polku.web.accounts import ROLES
from polku.web.demo import DEMO_PASSWORD, create_demo_users

T = TypeVar("T")


@dataclass(frozen=True)
class DemoResult:
    out_dir: Path
    data_dir: Path
    store_path: Path
    key_path: Path | None
    report_path: Path
    imports: tuple[ImportReport, ...]
    run_id: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    """Each step's wall-clock time: generate, import, analyse, report (benchmarks/demo.py)."""

    @property
    def rows_accepted(self) -> int:
        return sum(r.rows_accepted for r in self.imports)

    @property
    def rows_quarantined(self) -> int:
        return sum(r.rows_quarantined for r in self.imports)

    def render(self, seconds: float, *, serving_at: str | None = None, lang: str = "en") -> str:
        """What the demo made, where; with `serving_at`, the web address, the logins and the demo banner."""
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
                f"  analysis run:    {self.run_id}  (`polku runs --store {self.store_path}` lists the runs)",
                f"  store (DuckDB):  {self.store_path}",
                f"  synthetic files: {self.data_dir}  (ground truth in ground_truth_*.csv)",
                key_line,
                f"  web logins:      {', '.join(ROLES)}; password {DEMO_PASSWORD}",
                "",
                *self._next_steps(serving_at, lang),
            ]
        )

    def _next_steps(self, serving_at: str | None, lang: str) -> list[str]:
        if serving_at is None:
            return [
                f"Open the report in a browser; `polku status --store {self.store_path}` shows the store;",
                f"`polku serve --store {self.store_path}` serves the web app on 127.0.0.1:8000.",
            ]
        return [
            f"Open the report in a browser. The web app is served at {serving_at} until Ctrl-C:",
            f"log in as {', '.join(ROLES)}, each with the password {DEMO_PASSWORD}.",
            t("web.demo_banner", lang),
        ]


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
    seconds: dict[str, float] = {}
    _timed(
        seconds, "generate", lambda: generate(clients=clients, seed=seed, out_dir=data_dir, progress=_scaled(progress, 0, 0.3))
    )
    key, key_path = _demo_key(out_dir)
    store_path = out_dir / "store" / "polku.duckdb"  # apart from secrets/: never one folder for both

    def imported() -> list[ImportReport]:
        with open_store(store_path) as store:  # closing publishes the read snapshot the analysis reads
            # A rerun regenerates the synthetic area, so a smaller one (fewer --clients) replaces it on purpose.
            return import_folder(store, data_dir, key=key, progress=_scaled(progress, 0.3, 0.6), allow_shrink=True)

    reports = _timed(seconds, "import", imported)
    create_demo_users(store_path)  # one web login per role, password polku-demo (docs/web.md)
    if progress:
        progress("analyse", 0.6)
    run = _timed(seconds, "analyse", lambda: analyse(store_path))
    if progress:
        progress("report", 0.95)
    report_path, _ = _timed(seconds, "report", lambda: run_report(store_path, out_dir / "report.html", run=run.run_id, lang=lang))
    if progress:
        progress("done", 1.0)
    return DemoResult(out_dir, data_dir, store_path, key_path, report_path, tuple(reports), run.run_id, seconds)


def _timed(seconds: dict[str, float], step: str, work: Callable[[], T]) -> T:
    """`work()`, its wall-clock time kept under `step`."""
    started = time.perf_counter()
    try:
        return work()
    finally:
        seconds[step] = time.perf_counter() - started
