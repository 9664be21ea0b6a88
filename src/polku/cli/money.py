"""The public-finance commands: `polku fiscal` (the tax-benefit rules of a year) and `cba`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from polku.cli.base import (
    EXACT_OPTION,
    STORE_OPTION,
    emit_json,
    gate,
    main,
)
from polku.cli.text import (
    out,
    print_cba,
)
from polku.command import Finite
from polku.command import run as _run
from polku.errors import UsageError


@main.command()
@click.option("--year", required=True, type=click.IntRange(1, 9999), help="Tax year (the shipped parameters cover 2023-2026).")
@click.option(
    "--persons",
    "persons_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        "CSV, one row per person: person_id, age, annual_wage_income, unemployment_benefit_days, unemployment_benefit_type "
        "(basic, labour_market_subsidy, earnings_related or none); optional earnings_related_daily_wage_basis (EUR a day), "
        "municipal_tax_rate and church_tax_rate (per cent; default the year's average municipal rate and no church tax), "
        "children, single_parent (0/1), benefit_days_used_before, step_down_applies (0/1), employer_payroll (EUR a year), "
        "adjusted_benefit_months."
    ),
)
@click.option(
    "--explain",
    "explain_id",
    default=None,
    help="Print this person's calculation line by line: each amount, its law, and every parameter with its value and source.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per person.")
def fiscal(year: int, persons_path: Path, explain_id: str | None, as_json: bool) -> None:
    """Taxes, contributions, benefits and net income of each person for one year, under
    that year's Finnish rules (docs/fiscal.md).
    """

    def action() -> int:
        from polku.fiscal.person_year import OUTPUT, calculate, read_persons

        persons = read_persons(persons_path)
        result = calculate(persons, year, source=str(persons_path))  # checks every row, with its line
        if explain_id is not None:
            from polku.fiscal.explain import breakdown, render

            chosen = persons[persons["person_id"].astype(str) == explain_id]
            if chosen.empty:
                raise UsageError(f"no person {explain_id!r} in {persons_path}", fix="use a person_id of the file.")
            out.print(render(breakdown(chosen, year, source=str(persons_path))), highlight=False, markup=False)
            return 0
        columns = ["person_id", *OUTPUT]
        if as_json:
            emit_json(
                [
                    {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()}
                    for row in result[columns].to_dict("records")
                ]
            )
        else:
            out.print(result[columns].round(2).to_string(index=False), highlight=False, markup=False)
        return 0

    _run(action)


@main.command()
@click.option(
    "--year",
    default=None,
    type=click.IntRange(1, 9999),
    help=(
        "Year whose tax and benefit rules value the employments (required with --employed; over the store: each cohort's median "
        "start year, within the years the parameters cover)."
    ),
)
@click.option(
    "--employed",
    "employed_path",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        "CSV, one row per participant who found work: the columns of `polku fiscal` for the benefit they were on before, plus "
        "weekly_hours, annual_wage_income (when missing: imputed from education_level, isced_level, sex and age), "
        "housing_allowance_monthly and social_assistance_monthly. Without it: each service over the store."
    ),
)
@click.option("--participants", default=None, type=click.IntRange(min=1), help="With --employed: participants in the cohort.")
@click.option("--cost", default=None, type=Finite(min=0), help="With --employed: programme cost of the cohort in euros.")
@click.option(
    "--additional",
    default=None,
    type=Finite(),
    help=(
        "With --employed: additional employments, employed participants minus those expected without the service (polku "
        "estimate: the ATT times the participants; expected versus observed: O - E)."
    ),
)
@click.option("--interval", default=None, help="With --employed: 95 % interval of the additional employments, LOW,HIGH.")
@click.option("--service", "services", multiple=True, help="Over the store: service code(s) (default: every service).")
@click.option(
    "--horizon",
    default=None,
    type=click.IntRange(min=1),
    help="Years the effect is counted (default 1, as seed 000; see docs/fiscal.md).",
)
@click.option(
    "--persistence", default=None, type=Finite(0, 1), help="Share of the effect left in each further year (default 0.5)."
)
@click.option("--discount", default=None, type=Finite(0, 0.2), help="Discount rate a year (default 0.035).")
@click.option("--optimism-bias", default=None, type=Finite(0, 1), help="Haircut on the benefits (default 0).")
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Random seed (comparison draws, cross-fitting, Monte Carlo)."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON (one object with --employed, a list over the store), under disclosure control unless --exact.",
)
@EXACT_OPTION
@STORE_OPTION
def cba(
    year: int | None,
    employed_path: Path | None,
    participants: int | None,
    cost: float | None,
    additional: float | None,
    interval: str | None,
    services: tuple[str, ...],
    horizon: int | None,
    persistence: float | None,
    discount: float | None,
    optimism_bias: float | None,
    seed: int,
    as_json: bool,
    exact: bool,
    store_path: Path | None,
) -> None:
    """Cost-benefit analysis: additional employments times the fiscal gain of an employment
    at the participants' own hours and wages, against the programme cost, with a Monte
    Carlo and a tornado (docs/fiscal.md, section 7).

    Over the store, for each service: the effect of `polku estimate` on employment within
    12 months, the participants who found work valued at their first open-market job, and
    the episodes' recorded costs. With --employed: a cohort described by a file and options.
    Counts pass the disclosure gate as in the report, and money figures are shown only when
    enough participants who found work lie behind them; --exact prints them exact (logged).
    """
    from polku import sdc
    from polku.cba import Assumptions

    def released(rows: list[Any], source: Path | None) -> list[dict[str, Any]]:
        return gate(
            "cba", exact, [row.to_dict() for row in rows], lambda records: [sdc.release_cost_benefit(r) for r in records], source
        )

    chosen: dict[str, Any] = {
        k: v
        for k, v in {
            "horizon_years": horizon,
            "persistence": persistence,
            "discount_rate": discount,
            "optimism_bias": optimism_bias,
        }.items()
        if v is not None
    }
    assumptions = Assumptions(**chosen)

    def from_file(employed_path: Path) -> int:
        from polku.cba import Effect
        from polku.cba.cohort import employed_gain
        from polku.cba.store import analysed_row
        from polku.fiscal.person_year import read_persons

        if services:
            raise UsageError("--service is for the store; with --employed the file is the cohort", fix="leave out --service")
        if year is None or participants is None or cost is None or additional is None or interval is None:
            raise UsageError(
                "--employed needs --year, --participants, --cost, --additional and --interval",
                fix="give all five, or leave out --employed to analyse the store",
            )
        try:
            low, high = (float(x) for x in interval.split(","))
            if not math.isfinite(low) or not math.isfinite(high):
                raise ValueError(interval)
        except ValueError:
            raise UsageError(
                f"--interval must be LOW,HIGH (two finite numbers), not {interval!r}", fix="for example --interval 8,24"
            ) from None
        if not low <= additional <= high:
            raise UsageError("--additional must lie within --interval", fix="give the estimate and its 95 % interval")
        gain, simulated = employed_gain(read_persons(employed_path, "--employed"), year, source=str(employed_path))
        effect = Effect(additional, low, high)
        row = analysed_row(employed_path.stem, year, participants, effect, gain, simulated, cost, assumptions, seed)
        record = released([row], employed_path)[0]
        emit_json(record) if as_json else print_cba(record)
        return 0

    def from_store() -> int:
        from polku.cba.store import covered_years, store_cost_benefit
        from polku.store import open_store

        low, high = covered_years()
        if year is not None and not low <= year <= high:
            raise UsageError(
                f"the tax and benefit parameters cover {low}-{high}, not {year}", fix=f"choose --year between {low} and {high}"
            )
        if any(v is not None for v in (participants, cost, additional, interval)):
            raise UsageError(
                "--participants, --cost, --additional and --interval go with --employed",
                fix="over the store they come from the data; leave them out",
            )
        with open_store(store_path, read_only=True) as store:
            rows = store_cost_benefit(store, list(services) or None, year=year, seed=seed, assumptions=assumptions)
        records = released(rows, store_path)
        if as_json:
            emit_json(records)
        else:
            for record in records:
                print_cba(record)
        return 0

    _run(lambda: from_file(employed_path) if employed_path is not None else from_store())
