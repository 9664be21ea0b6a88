"""The providers' figures through the disclosure gate (`polku.sdc`), for the report and the CLI.

A provider's row of a service is shown only when its participants pass the service's
one-way distribution (`sdc.distribution`: the providers add up to the service, so a hidden
provider cannot be found by subtraction) and its employed and not-employed counts are not
small (`sdc.share`). A withheld row keeps its ids and says nothing else: its observed count,
O/E, limits, rating and naive rate all go, since each narrows the count down.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from polku import sdc

SHOWN = ("participants", "observed", "expected", "ratio", "target", "lower", "upper", "lower_998", "upper_998", "rating")
NAIVE = ("naive_rate", "naive_target", "naive_lower", "naive_upper", "naive_rating")


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value.item() if hasattr(value, "item") else value


def released_comparison(frame: pd.DataFrame, t: int, *, exact: bool = False) -> list[dict[str, Any]]:
    """One record per provider and service, in the table's order (service, provider id);
    with `exact` (the analyst's way past the gate, logged by the caller) nothing is withheld."""
    records = []
    for _, part in frame.groupby("service_code", sort=True):
        counts = {str(r.provider_id): int(r.participants) for r in part.itertuples(index=False)}
        shown = sdc.distribution(counts, t=t).column() if not exact else counts
        for row in part.to_dict("records"):
            record = {k: _plain(v) for k, v in row.items()}
            withheld = not exact and (
                shown[record["provider_id"]] is None or sdc.share(int(row["observed"]), int(row["participants"]), t=t).sdc_applied
            )
            if withheld:
                record.update({k: None for k in (*SHOWN, *NAIVE)})
            record["withheld"] = withheld
            records.append(record)
    return records


def released_share(count: int, n: int, t: int) -> float | None:
    """A share of a provider's participants, or None when the gate withholds it."""
    return sdc.share(int(count), int(n), t=t).value
