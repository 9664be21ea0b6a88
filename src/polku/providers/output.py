"""`polku providers`: a run's provider comparison as JSON records or plain text lines.

Reads the stored run only (`providers_comparison`); the disclosure gate is applied by
`polku.providers.release` unless the analyst asks for exact figures (logged by the CLI).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from polku.errors import UsageError
from polku.providers.release import released_comparison

FIELDS = ("service_code", "provider_id", "participants", "observed", "expected", "ratio", "lower", "upper", "rating")
EXTRA = ("lower_998", "upper_998", "target", "naive_rate", "naive_lower", "naive_upper", "naive_rating", "withheld")


def comparison_of(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The run's comparison table, or a usage error naming the run that lacks it."""
    if "providers_comparison" not in tables:
        raise UsageError(
            "this analysis run has no provider comparison (it was made before Polku compared providers)",
            fix="run `polku analyse` again and read the new run.",
        )
    return tables["providers_comparison"]


def records(frame: pd.DataFrame, t: int, *, exact: bool = False) -> list[dict[str, Any]]:
    """One object per provider and service: the issue's fields first, then the 99.8 % limits,
    the target and the naive comparison."""
    return [{k: r[k] for k in (*FIELDS, *EXTRA)} for r in released_comparison(frame, t, exact=exact)]


def lines(rows: list[dict[str, Any]]) -> list[str]:
    """Plain text, one line per provider and service, in the table's order."""

    def num(value: Any, fmt: str) -> str:
        return ".." if value is None else fmt.format(value)

    out = ["service\tprovider\tclients\tO\tE\tO/E\t95 % limits\trating\tnaive %\tnaive rating"]
    for r in rows:
        limits = ".." if r["lower"] is None else f"{r['lower']:.2f}-{r['upper']:.2f}"
        naive = None if r["naive_rate"] is None else 100 * r["naive_rate"]
        out.append(
            "\t".join(
                (
                    r["service_code"],
                    r["provider_id"],
                    num(r["participants"], "{:d}"),
                    num(r["observed"], "{:.0f}"),
                    num(r["expected"], "{:.1f}"),
                    num(r["ratio"], "{:.2f}"),
                    limits,
                    r["rating"] or "..",
                    num(naive, "{:.1f}"),
                    r["naive_rating"] or "..",
                )
            )
        )
    return out
