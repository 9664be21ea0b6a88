"""What one analysis run is computed with, and the cache its steps share.

Why a separate module: the run's provenance stores these settings, the report's sections
read them while they compute, and the CLI builds them from its options; none of these
should import the others to agree on one small value object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

OUTCOME = "employed_12m"
"""The outcome the report and the run estimate by default: employed within 12 months."""


@dataclass(frozen=True)
class AnalysisSettings:
    """Every choice an analysis run depends on; stored whole in the run's provenance."""

    as_of: dt.date | None = None
    """The data's end date; None means the latest date the store holds."""
    seed: int = 0
    method: str = field(default_factory=lambda: _default_method())
    outcome: str = OUTCOME
    change_bootstrap: int = 0
    """Replicates of the person bootstrap that gives an effect on change its interval where the
    weighted comparison is worth fewer than 10 people (`polku.change.effects.interval_figures`);
    0 withholds those cells instead: the bootstrap costs about 9 s a cell, minutes a run."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the date as ISO text."""
        values = asdict(self)
        values["as_of"] = self.as_of.isoformat() if self.as_of else None
        return values


def _default_method() -> str:
    """The registry's default estimator, imported only when settings are made: reading a run
    (the report, the web) needs these types but never the estimators and their libraries."""
    from polku.impact.registry import DEFAULT_METHOD

    return DEFAULT_METHOD


@dataclass
class AnalysisContext:
    """The settings plus results that several sections compute from (e.g. the impact views).

    Why a cache: the impact and cost-benefit sections both stand on the same per-service
    estimates, which take most of an analysis's time; they are computed once per run.
    """

    settings: AnalysisSettings = field(default_factory=AnalysisSettings)
    computed: dict[str, Any] = field(default_factory=dict, repr=False)
    on_section: Callable[[str], None] | None = field(default=None, repr=False)
    """Called with each section's id once its tables are computed (`polku.runs.progress`)."""

    def cohorts(self, store: Any) -> Any:
        """The run's per-service cohorts (`polku.cohort.build.CohortBuilder`), built once
        for every section that estimates on them (impact, effects on change, ...)."""
        if COHORTS not in self.computed:
            from polku.cohort.build import CohortBuilder

            self.computed[COHORTS] = CohortBuilder(store, seed=self.settings.seed, as_of=self.settings.as_of)
        return self.computed[COHORTS]

    def release(self) -> None:
        """Free what the run keeps in the engine (the cohorts' shared pool); the computed
        tables stay."""
        builder = self.computed.get(COHORTS)
        if builder is not None:
            builder.release()


COHORTS = "cohorts"
"""The analysis cache's key for the run's cohorts."""
