"""The client groups of the effects on change and on reaching goals (issue 17 point 5).

Each cohort row (a participant on their start day, a comparison person on their reference
day) is put in the groups of `polku.groups` on that day, from what was known then:

- `rule`: the first group of the area's group file (`polku.groups.config.load_groups`,
  setting POLKU_GROUPS) whose rule holds on the row's covariates; the rules' benefit payer
  is taken from the benefit the registration spell began on (`benefit_at_spell_start`:
  earnings-related allowance -> unemployment_fund, basic allowance or labour market
  subsidy -> kela, else none), the cohort's nearest equivalent of the groups' own
  definition (the first unemployment benefit of the spell, `polku.groups.rows`);
- `seed_model`: the employment-potential band (high, medium, low) of the seed model, as the
  impact estimates by group take it (`polku.pipeline.by_service`): a logistic model of
  open-market work within 12 months on the cohort's covariates, fitted on the comparison
  rows and cross-fitted by person in `BAND_FOLDS` folds (`polku.groups.potential_groups`);
- `work_ability`: partial work ability or not, the split the effects on change always had.

Effects are estimated within each group where the size rule of the effects allows; the
others keep a row with the counts and the reason (`polku.change.effects.too_small`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Iterator
from typing import Protocol

import numpy as np
import pandas as pd

from polku.cohort.build import cohorts_for, services_with_episodes
from polku.cohort.features import ADJUSTMENT, with_labour_market_terms
from polku.cohort.shelf import Shelf
from polku.groups.config import UNASSIGNED, GroupConfig, assign, load_groups
from polku.groups.rows import PAYERS, variables
from polku.pipeline.workers import map_in_order
from polku.store import Store
from polku.typed import typed_frame

ALL = "all"
WORK_ABILITY = {"partial_work_ability": True, "full_work_ability": False}
"""The work-ability split: group name -> partial work ability."""
GROUPINGS = ("all", "work_ability", "rule", "seed_model")
"""The groupings in a table's order; `all` has the one group `all`."""
BANDS = ("high", "medium", "low")
BAND_FOLDS = 2
"""Folds of the potential model's cross-fitting: two keep every person's own outcomes out
of their band, as five would, at a quarter of the fitting time (the band only groups
rows; no estimate rests on the chance itself)."""


def with_client_groups(cohort: pd.DataFrame, config: GroupConfig | None = None, seed: int = 0) -> pd.DataFrame:
    """The cohort with `rule_group` and `seed_model_group` added (see the module docstring)."""
    if cohort.empty:
        return cohort.assign(rule_group=pd.Series([], dtype=object), seed_model_group=pd.Series([], dtype=object))
    config = config or load_groups()
    payer = cohort["benefit_at_spell_start"].map(PAYERS).fillna("none")
    rule = assign(config, variables(cohort.assign(benefit_payer=payer)), len(cohort))
    order = [*config.codes, UNASSIGNED]
    return cohort.assign(rule_group=pd.Categorical(rule, categories=order), seed_model_group=_bands(cohort, seed))


def _bands(cohort: pd.DataFrame, seed: int) -> np.ndarray:
    """The seed model's band of every row, fitted on the comparison rows followed 12 months."""
    from polku.groups import potential_groups  # the model's libraries, only when it is fitted
    from polku.impact.design import covariate_matrix

    X, _ = covariate_matrix(with_labour_market_terms(cohort), list(ADJUSTMENT), "client groups of the effects on change")
    followed = cohort["followed_12m"].fillna(False).astype(bool).to_numpy()
    employed = np.where(followed, cohort["employed_12m"].astype("float64").to_numpy(dtype=float, na_value=np.nan), np.nan)
    people = cohort["person_id"].astype(str).to_numpy()
    treated = cohort["treated"].astype(bool).to_numpy()
    _, band = potential_groups(X, treated, employed, n_folds=BAND_FOLDS, seed=seed, clusters=people)
    return band


def client_groups(rows: pd.DataFrame, *, detailed: bool = True) -> list[tuple[str, str, np.ndarray]]:
    """(grouping, group, its rows) for every group effects are estimated in: all rows, the
    work-ability split, then, when `detailed` and the rows carry them, each rule group and
    potential band present among the rows (in the file's and the bands' order)."""
    pwa = rows["partial_work_ability"].astype(bool).to_numpy()
    out = [(ALL, ALL, np.ones(len(rows), bool))]
    out += [("work_ability", group, pwa == flag) for group, flag in WORK_ABILITY.items()]
    if not detailed:
        return out
    if "rule_group" in rows.columns:
        rule = rows["rule_group"].astype("category")
        codes = rule.to_numpy(dtype=object)
        out += [("rule", str(g), codes == g) for g in rule.cat.categories if (codes == g).any()]
    if "seed_model_group" in rows.columns:
        band = rows["seed_model_group"].to_numpy(dtype=object)
        out += [("seed_model", g, band == g) for g in BANDS if (band == g).any()]
    return out


class Cohorts(Protocol):
    """What the effects need of the run's cohorts: each service's frame."""

    def cohort(self, service_code: str) -> pd.DataFrame: ...


class Builder(Protocol):
    """What `GroupedCohorts` needs of the run's cohorts (`polku.cohort.build.CohortBuilder`):
    each service's frame, drawn within its target group if asked."""

    def cohort(self, service_code: str, *, target_group: bool = False) -> pd.DataFrame: ...


class GroupedCohorts:
    """The run's cohorts (`polku.cohort.build.CohortBuilder`) drawn within each service's
    target group (`polku.cohort.draw.TARGET_GROUP_ONLY`), with their client groups,
    grouped once per service for the effects on change and on reaching goals alike (the
    potential model is fitted once per cohort)."""

    def __init__(self, cohorts: Builder, seed: int = 0, config: GroupConfig | None = None) -> None:
        self.cohorts, self.seed, self.config = cohorts, seed, config
        self._frames = Shelf()

    def cohort(self, service_code: str) -> pd.DataFrame:
        """The service's cohort with `rule_group` and `seed_model_group`, made on first use
        and kept on a shelf (`polku.cohort.shelf`) until `release`."""
        if service_code not in self._frames:
            self.config = self.config or load_groups()
            cohort = self.cohorts.cohort(service_code, target_group=True)
            self._frames.put(service_code, with_client_groups(cohort, self.config, self.seed))
        return self._frames.get(service_code)

    def release(self) -> None:
        """Remove the grouped cohorts from the shelf."""
        self._frames.clear()


def grouped(cohort: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """`cohort` with its client groups: as it is when already grouped (`GroupedCohorts`)."""
    return cohort if "rule_group" in cohort.columns else with_client_groups(cohort, seed=seed)


@contextlib.contextmanager
def run_cohorts(store: Store, given: Cohorts | None, *, seed: int = 0, as_of: dt.date | None = None) -> Iterator[Cohorts]:
    """The run's cohorts `given`, or grouped cohorts built for this call alone and released
    when it ends (a caller outside a run, such as a test)."""
    if given is not None:
        yield given
        return
    with cohorts_for(store, None, seed=seed, as_of=as_of) as built:
        yield GroupedCohorts(built, seed)


def per_service(
    store: Store,
    table_of: Callable[[str, pd.DataFrame, pd.DataFrame], pd.DataFrame],
    columns: dict[str, str],
    data: pd.DataFrame,
    *,
    seed: int = 0,
    as_of: dt.date | None = None,
    services: list[str] | None = None,
    cohorts: Cohorts | None = None,
) -> pd.DataFrame:
    """`table_of(service_code, cohort, rows)` for every service with episodes (or
    `services`), on the run's cohorts (`cohorts`, or built for this call), as one table typed
    by `columns`: what the effects on change and on reaching goals both do over a store.
    `rows` are the rows of `data` (measurements, goals; a text `person_id`) of the cohort's
    persons, so that a worker process (`polku.pipeline.workers`) is sent only those;
    `table_of` must be a module-level function or a `functools.partial` of one."""
    codes = services or services_with_episodes(store)
    fit = functools.partial(_apply, table_of)
    with run_cohorts(store, cohorts, seed=seed, as_of=as_of) as built:
        items = ((code, cohort, of_persons(data, cohort)) for code in codes for cohort in [built.cohort(code)])
        tables = list(map_in_order(fit, items))
    frame = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=list(columns))
    return typed_frame(frame, columns)


def of_persons(data: pd.DataFrame, cohort: pd.DataFrame) -> pd.DataFrame:
    """The rows of `data` whose `person_id` (text) is one of the cohort's persons, in their
    order: all a service's estimates read of it (they join it to the cohort by person)."""
    return data[data["person_id"].isin(cohort["person_id"].astype(str).unique())]


def _apply(
    table_of: Callable[[str, pd.DataFrame, pd.DataFrame], pd.DataFrame], item: tuple[str, pd.DataFrame, pd.DataFrame]
) -> pd.DataFrame:
    return table_of(*item)
