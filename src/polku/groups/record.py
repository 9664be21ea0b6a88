"""The client-group figures of a run as a record: exact, before the disclosure gate.

One record per command (`polku groups`, `polku menu`: `polku.menu.record`) and report
section, built only from the run's stored tables, so the report, the CLI's text and its
JSON show the same figures; `polku.sdc.groups` then decides what may be shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from polku.groups.tables import EDUCATION, LEFT, PAYERS

Tables = Mapping[str, pd.DataFrame]
TABLES = ("groups_config", "groups_definitions", "groups_profile", "groups_transitions")
"""The run's tables the record is built from."""


def rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()} for row in frame.to_dict("records")
    ]


def _profile(row: Mapping[str, Any]) -> dict[str, Any]:
    n = int(row["spells"])
    return {
        "grouping": row["grouping"],
        "group": row["group"],
        "spells": n,
        "persons": int(row["persons"]),
        "mean_age": row["age_sum"] / n,
        "mean_spell_months": row["spell_months_sum"] / n,
        "education": {e: int(row[f"education_{e}"]) for e in EDUCATION},
        "payer": {p: int(row[f"payer_{p}"]) for p in PAYERS},
        "followed_12m": int(row["followed_12m"]),
        "employed_12m": int(row["employed_12m"]),
        "mean_chance": row["chance_sum"] / n,
    }


def _stability(transitions: pd.DataFrame) -> list[dict[str, Any]]:
    """Per grouping, checkpoint and registration group: still registered, and in the same group."""
    out = []
    for (grouping, months, group), rows in transitions.groupby(["grouping", "months", "from_group"], sort=False):
        still = rows[rows["to_group"] != LEFT]
        same = int(still.loc[still["to_group"] == group, "count"].sum())
        out.append(
            {"grouping": grouping, "months": int(months), "group": group, "registered": int(still["count"].sum()), "same": same}
        )
    return out


def groups_record(tables: Tables) -> dict[str, Any]:
    """`polku groups`: the configuration, each group's profile, the transitions and stability."""
    config = rows_of(tables["groups_config"])[0]
    return {
        "config": config,
        "definitions": rows_of(tables["groups_definitions"]),
        "profile": [_profile(r) for r in rows_of(tables["groups_profile"])],
        "transitions": rows_of(tables["groups_transitions"]),
        "stability": _stability(tables["groups_transitions"]),
    }
