"""Estimates from any flat file: the data-lab entry point behind `polku estimate --data`.

One row per person (or person and start date), a 0/1 treatment column, an outcome column
and covariate columns. This is how a researcher checks Polku's estimators on their own
data or on published benchmarks (NSW/LaLonde) without building a store.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from polku.errors import UsageError, ValidationFailed
from polku.impact.design import design_from_frame, is_binary
from polku.impact.explain import describe
from polku.impact.refute import e_value, outcome_sd
from polku.impact.registry import DEFAULT_METHOD, make_estimator
from polku.impact.results import EffectEstimate


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (delimiter and types detected by DuckDB) or Parquet file as a data frame."""
    path = Path(path)
    if not path.is_file():
        raise UsageError("the data file does not exist", where=str(path), fix="check the path.")
    reader = "read_parquet" if path.suffix.lower() == ".parquet" else "read_csv"
    try:
        return duckdb.execute(f"SELECT * FROM {reader}(?)", [str(path)]).df()
    except duckdb.Error as error:
        raise ValidationFailed(
            "the data file could not be read",
            where=str(path),
            why=str(error).splitlines()[0][:300],
            fix="save it as CSV with a header row (or Parquet).",
        ) from None


def estimate_file(
    path: Path,
    *,
    treatment: str,
    outcome: str,
    covariates: list[str],
    method: str = DEFAULT_METHOD,
    estimand: str = "att",
    seed: int = 0,
    settings: dict[str, Any] | None = None,
) -> tuple[EffectEstimate, list[str]]:
    """(estimate, plain-language sentences) for one file and one method."""
    estimator = make_estimator(method, estimand=estimand, random_state=seed, **(settings or {}))
    frame = read_table(path)
    design = design_from_frame(frame, treatment, outcome, covariates, source=str(path))
    result = estimator.fit(design.X, design.t, design.y, design.covariates).result_
    evalues = e_value(result, outcome_sd(design.y))
    if evalues:
        result = replace(result, extra={**result.extra, "e_value": evalues})
    return result, describe(result, outcome, binary=is_binary(design.y))
