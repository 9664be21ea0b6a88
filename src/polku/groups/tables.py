"""The client-group tables of an analysis run (`groups_*`): exact counts and sums, gated when shown.

- `groups_config`: the configuration's name, version and SHA-256, and the seed model's cut points;
- `groups_definitions`: each rule group in order with its rule, names and source, so that
  views label groups from the run alone;
- `groups_profile`: per grouping and group, at registration: spells, persons, the sums
  behind the mean age and duration, education and benefit-payer counts, the spells followed
  12 months and those with work within them, and the sum of the seed model's chances;
- `groups_transitions`: per grouping and checkpoint (6 and 12 months), registration group by
  the group on the checkpoint, with `left` for spells that had ended by then.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from polku.cohort.measures import window_days
from polku.groups.assign import GROUPINGS, employed_12m
from polku.groups.bands import HIGH, LOW
from polku.groups.config import GroupConfig
from polku.groups.rows import CHECKPOINTS, at
from polku.typed import typed_frame

LEFT = "left"
"""The transition column of spells no longer open on the checkpoint."""
EDUCATION = ("basic", "upper_secondary", "tertiary")
PAYERS = ("kela", "unemployment_fund", "none")
COLUMN = {"rule": "rule_group", "seed_model": "seed_model_group"}


PROFILE = {
    "grouping": "object",
    "group": "object",
    "spells": "int64",
    "persons": "int64",
    "age_sum": "float64",
    "spell_months_sum": "float64",
    **{f"education_{e}": "int64" for e in EDUCATION},
    **{f"payer_{p}": "int64" for p in PAYERS},
    "followed_12m": "int64",
    "employed_12m": "int64",
    "chance_sum": "float64",
}
TRANSITIONS = {"grouping": "object", "months": "int64", "from_group": "object", "to_group": "object", "count": "int64"}


def config_table(config: GroupConfig) -> pd.DataFrame:
    row = {"name": config.name, "version": config.version, "sha256": config.sha256, "high": HIGH, "low": LOW}
    return typed_frame([row], {"name": "object", "version": "int64", "sha256": "object", "high": "float64", "low": "float64"})


def definitions_table(config: GroupConfig) -> pd.DataFrame:
    rows = [
        {"order": i, "group": g.code, "rule": g.rule.text(), "source": g.source} | {f"name_{k}": v for k, v in g.names.items()}
        for i, g in enumerate(config.groups)
    ]
    schema = {"order": "int64", "group": "object", "rule": "object", "source": "object"}
    return typed_frame(rows, schema | {f"name_{k}": "object" for k in ("fi", "sv", "en")})


def _profile_row(grouping: str, group: str, rows: pd.DataFrame) -> dict[str, object]:
    employed = employed_12m(rows)
    return {
        "grouping": grouping,
        "group": group,
        "spells": len(rows),
        "persons": rows["person_id"].astype(str).nunique(),
        "age_sum": float(rows["age"].sum()),
        "spell_months_sum": float(rows["spell_months"].astype(float).sum()),
        **{f"education_{e}": int((rows["education_level"] == e).sum()) for e in EDUCATION},
        **{f"payer_{p}": int((rows["benefit_payer"] == p).sum()) for p in PAYERS},
        "followed_12m": int(np.isfinite(employed).sum()),
        "employed_12m": int(np.nansum(employed)),
        "chance_sum": float(np.nansum(rows["seed_chance"].to_numpy(dtype=float))),
    }


def profile_table(frame: pd.DataFrame, order: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """Each group's profile at registration (`at_0` rows), groups in `order` per grouping."""
    start = frame[frame["kind"] == at(0)]
    rows = []
    for grouping in GROUPINGS:
        for group in order[grouping]:
            members = start[start[COLUMN[grouping]] == group]
            if len(members):
                rows.append(_profile_row(grouping, group, members))
    return typed_frame(rows, PROFILE)


def transitions_table(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Registration group against the group 6 and 12 months later (or `left`), for the
    spells whose checkpoint has come by `as_of`."""
    start = frame[frame["kind"] == at(0)].set_index("spell_id")
    rows = []
    for months in CHECKPOINTS[1:]:
        due = start[pd.to_datetime(start["ref_date"]) + pd.Timedelta(days=window_days(months)) <= as_of]
        later = frame[frame["kind"] == at(months)].set_index("spell_id")
        for grouping in GROUPINGS:
            column = COLUMN[grouping]
            to = later[column].reindex(due.index).fillna(LEFT)
            counts = pd.DataFrame({"from_group": due[column], "to_group": to}).value_counts()
            rows += [
                {"grouping": grouping, "months": months, "from_group": a, "to_group": b, "count": int(n)}
                for (a, b), n in sorted(counts.items())
            ]
    return typed_frame(rows, TRANSITIONS)


def group_tables(frame: pd.DataFrame, config: GroupConfig, as_of: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Every `groups_*` table from the grouped rows (`polku.groups.assign.with_groups`)."""
    order = {"rule": (*config.codes, "unassigned"), "seed_model": ("high", "medium", "low")}
    return {
        "groups_config": config_table(config),
        "groups_definitions": definitions_table(config),
        "groups_profile": profile_table(frame, order),
        "groups_transitions": transitions_table(frame, as_of),
    }
