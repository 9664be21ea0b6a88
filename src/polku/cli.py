"""The `polku` command: a thin layer over the library; each command's docstring is its help.

Exit codes: 0 ok, 1 validation failed (bad data: rows quarantined, invalid file content),
2 usage error (bad options, missing files, missing or unsafe settings).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console

from polku import settings
from polku.errors import PolkuError, UsageError
from polku.progress import progress_bar

console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

STORE_OPTION = click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="DuckDB store file (default: setting POLKU_STORE, else $POLKU_DATA_DIR/polku.duckdb).",
)


def _run(action: Callable[[], int | None]) -> None:
    """Turn Polku errors into their exit codes with a readable message on stderr."""
    try:
        code = action() or 0
    except PolkuError as error:
        console.print(f"[bold red]error:[/bold red] {error.render()}", highlight=False)
        sys.exit(error.exit_code)
    sys.exit(code)


def _emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="polku")
def main() -> None:
    """Polku: which employment services work, for whom, at what cost.

    Start with `polku demo`: it generates a synthetic employment area, imports it,
    runs every analysis and writes the report.
    """


@main.command()
@click.option("--clients", default=20000, show_default=True, type=click.IntRange(min=100), help="Number of synthetic clients.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed; the same seed gives the same files.")
@click.option("--out", "out_dir", default=Path("polku-demo"), show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for every output of the demo.")
@click.option("--lang", default=None, type=click.Choice(["fi", "sv", "en"]), help="Report language (default: setting POLKU_LANG).")
@click.option("--serve/--no-serve", default=False, show_default=True, help="Serve the dashboard after the run (the dashboard is not built yet; --serve is refused).")
def demo(clients: int, seed: int, out_dir: Path, lang: str | None, serve: bool) -> None:
    """Generate a synthetic area, import it, analyse it and write the report.

    Everything lands in OUT: the synthetic files, the pseudonymisation key (in
    OUT/secrets, apart from the store), the store and report.html.
    """
    from polku.demo import run_demo

    def action() -> int:
        if serve:
            raise UsageError(
                "the dashboard does not exist yet",
                fix="run `polku demo --no-serve`; the report is a self-contained HTML file.",
            )
        started = time.perf_counter()
        with progress_bar(console, "demo") as progress:
            result = run_demo(out_dir, clients=clients, seed=seed, lang=lang or settings.language(), progress=progress)
        out.print(result.render(time.perf_counter() - started), highlight=False)
        return 0

    _run(action)


@main.command()
@click.option("--clients", default=20000, show_default=True, type=click.IntRange(min=100), help="Number of synthetic clients.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed; the same seed gives the same files.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder to write the files to.")
def generate(clients: int, seed: int, out_dir: Path) -> None:
    """Write a synthetic employment area in the import format, with its ground truth.

    One CSV per table of the data model, plus ground_truth_episodes.csv,
    ground_truth_effects.csv and manifest.json.
    """
    from polku.synth import generate as generate_area

    def action() -> int:
        with progress_bar(console, "generate") as progress:
            result = generate_area(clients=clients, seed=seed, out_dir=out_dir, progress=progress)
        for name, count in result.rows.items():
            out.print(f"{name:<22} {count:>10,} rows")
        out.print(f"written to {result.out_dir}")
        return 0

    _run(action)


@main.command(name="import")
@click.argument("table")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Mapping YAML from the export's columns and codes to the data model (default: the synthetic area's format).")
@click.option("--source", default=None, help="Name of the source (default: the file's name). A new file under the same name replaces the old one's rows.")
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Pseudonymisation key file; when given it wins over the settings (default: setting POLKU_PSEUDONYM_KEY, else the file POLKU_PSEUDONYM_KEY_FILE).")
@click.option("--allow-empty", is_flag=True, help="Let a file without data rows replace (delete) the rows of its source; refused otherwise.")
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@STORE_OPTION
def import_(table: str, file: Path, mapping: Path | None, source: str | None, key_file: Path | None, allow_empty: bool, as_json: bool, store_path: Path | None) -> None:
    """Import FILE (CSV, XLSX or Parquet) into TABLE, validating every row.

    Rows that fail validation go to the quarantine table with file, line, column and
    reason; nothing is dropped. The whole import is one transaction. Exit code 1 when
    any row was quarantined (the accepted rows are imported).
    """
    from polku.identity import load_key
    from polku.ingest import import_file
    from polku.store import open_store

    def action() -> int:
        key = load_key(key_file=key_file)
        with open_store(store_path) as store, progress_bar(console, "import") as progress:
            report = import_file(store, table, file, mapping=mapping, source=source, key=key, progress=progress, allow_empty=allow_empty)
        if as_json:
            _emit_json(report.to_dict())
        else:
            out.print(report.render(), highlight=False)
        return 1 if report.rows_quarantined else 0

    _run(action)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@STORE_OPTION
def status(as_json: bool, store_path: Path | None) -> None:
    """What the store holds: tables, imports, quarantine by reason, data-quality findings."""
    from polku.quality import summarise
    from polku.store import open_store

    def action() -> int:
        with open_store(store_path, read_only=True) as store:
            summary = summarise(store)
        if as_json:
            _emit_json(summary.to_dict())
        else:
            out.print(summary.render(), highlight=False)
        return 0

    _run(action)


@main.command()
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="HTML file to write.")
@click.option("--lang", default=None, type=click.Choice(["fi", "sv", "en"]), help="Report language (default: setting POLKU_LANG).")
@STORE_OPTION
def report(out_path: Path, lang: str | None, store_path: Path | None) -> None:
    """Write the self-contained HTML report of what the store holds."""
    from polku.reports import build_report
    from polku.store import open_store

    def action() -> int:
        with open_store(store_path, read_only=True) as store:
            path = build_report(store, out_path, lang=lang or settings.language())
        out.print(f"report written to {path}")
        return 0

    _run(action)


def _estimate_lines(result: Any, sentences: list[str]) -> list[str]:
    """Human-readable summary of one estimate (the JSON carries every field)."""
    if result.estimate is None:
        return sentences
    lines = [
        f"method {result.method}, estimand {result.estimand}",
        f"estimate {result.estimate:,.4g}  95% CI [{result.ci_low:,.4g}, {result.ci_high:,.4g}]"
        + (f"  bootstrap CI [{result.bootstrap_ci[0]:,.4g}, {result.bootstrap_ci[1]:,.4g}]" if result.bootstrap_ci else ""),
        f"participants {result.n_treated:,}, comparison {result.n_control:,}, trimmed or unmatched {result.n_trimmed:,}",
        f"naive difference {result.naive_difference:,.4g}",
    ]
    if result.observed is not None:
        low, high = result.extra["additional_ci"]
        lines.append(f"observed {result.observed:,.4g}, expected {result.expected:,.4g}, additional {result.observed - result.expected:,.4g} [{low:,.4g}, {high:,.4g}]")
    if result.balance:
        lines.append(f"max |SMD| before {result.max_smd_before:.3f}, after {result.max_smd_after:.3f}")
    if result.overlap is not None and result.overlap.ess_control is not None:
        o = result.overlap
        lines.append(f"effective comparison size {o.ess_control:,.0f}, top 1 % / 5 % of comparison rows carry {o.top1_weight_share:.0%} / "
                     f"{o.top5_weight_share:.0%} of the weight, participants outside the comparison's propensity range {o.outside_support:.1%}")
    return lines + [""] + sentences


@main.command()
@click.option("--data", "data_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Flat CSV or Parquet file, one row per person (or person and start). Without it: estimates over the store.")
@click.option("--treatment", default=None, help="With --data: column with 1 for participants and 0 for comparison people.")
@click.option("--outcome", default=None, help="With --data: the outcome column. Over the store: employed, employed_hours, days_employed, earnings, exit_education or exit_out_of_labour_force with a window, e.g. employed_12m (default).")
@click.option("--covariates", default="", help="With --data: comma-separated covariate columns; text columns become indicators.")
@click.option("--service", "services", multiple=True, help="Over the store: service code(s) to estimate (default: every service with participants).")
@click.option("--method", default="aipw", show_default=True, type=click.Choice(["baseline", "ipw", "aipw", "match", "entropy"]), help="baseline: expected vs observed (the seed method); ipw, aipw (doubly robust), match (nearest neighbour), entropy (entropy balancing, att only: for weak overlap).")
@click.option("--estimand", default="att", show_default=True, type=click.Choice(["att", "ate"]), help="att: effect on participants; ate: on everybody (with --data).")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed (comparison draws, cross-fitting folds, bootstrap).")
@click.option("--bootstrap", default=None, type=click.IntRange(min=0), help="Bootstrap replications (ipw, aipw, entropy: percentile CI, over the store resampling whole persons; baseline: model uncertainty, default 100).")
@click.option("--trim", default=None, type=click.FloatRange(0, 0.5, max_open=True), help="Trimming threshold alpha for ipw, aipw and match (default 0.01) and entropy (default 0); see docs/methods.md.")
@click.option("--keep-later-services", is_flag=True, help="Over the store: do not censor comparison people who start a service later (estimand: starting now vs not now).")
@click.option("--survival", is_flag=True, help="Over the store: instead of effects, the share in open-market work by 3, 6, 12 and 24 months (cumulative incidence, exits to education or out of the labour force competing) for participants and the weighted comparison group, on the censoring-weighted rows of the estimate on --outcome; for each service and for each of its client groups with an estimate (docs/methods.md, section 10).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object with --data, a list over the store).")
@STORE_OPTION
def estimate(data_path: Path | None, treatment: str | None, outcome: str | None, covariates: str, services: tuple[str, ...], method: str, estimand: str, seed: int, bootstrap: int | None, trim: float | None, keep_later_services: bool, survival: bool, as_json: bool, store_path: Path | None) -> None:
    """Estimate services' effects on an outcome, with intervals and diagnostics.

    Over the store: by service, by service and client group, and by service and provider,
    comparing participants with job seekers registered on the same day who had not yet
    started a service. With --data: from any flat file, for example the NSW/LaLonde
    benchmark or an area's own extract. With --survival: time to open-market work for
    participants and for the comparison group weighted by the estimate's propensity
    score (exact numbers, for analysts; the report shows them under disclosure control).
    """
    options: dict[str, Any] = {}
    if bootstrap is not None:
        options["bootstrap"] = bootstrap
    if trim is not None and method != "baseline":
        options["trim"] = trim
    store_outcome = outcome or "employed_12m"

    def from_file() -> int:
        from polku.impact.flatfile import estimate_file

        if survival:
            raise UsageError("--survival works over the store, not with --data", fix="leave out --data (or --survival).")
        if not treatment or not outcome:
            raise UsageError("--treatment and --outcome are required with --data", fix="name the treatment (0/1) and outcome columns.")
        names = [c.strip() for c in covariates.split(",") if c.strip()]
        result, sentences = estimate_file(data_path, treatment=treatment, outcome=outcome, covariates=names, method=method, estimand=estimand, seed=seed, settings=options)
        if as_json:
            _emit_json(result.to_dict() | {"data": str(data_path), "treatment": treatment, "outcome": outcome, "covariates": names, "seed": seed, "sentences": sentences})
        else:
            for line in _estimate_lines(result, sentences):
                out.print(line, highlight=False)
        return 0

    def from_store() -> int:
        from polku.impact.by_service import store_estimates
        from polku.store import open_store

        if estimand != "att":
            raise UsageError("estimates over the store are for participants (att)", fix="leave out --estimand, or use --data for the ate.")
        if survival:
            return survival_curves()
        with open_store(store_path, read_only=True) as store:
            rows = store_estimates(store, services=list(services) or None, outcome=store_outcome, method=method,
                                   censor_later_services=not keep_later_services, seed=seed, settings=options)
        if as_json:
            _emit_json([row.to_dict() for row in rows])
        else:
            _print_effects(rows)
        return 0

    def survival_curves() -> int:
        from polku.impact.store_views import store_views
        from polku.store import open_store

        if keep_later_services:  # the curves stop following a comparison person at a later start
            raise UsageError("--survival censors comparison people at a later service start", fix="leave out --keep-later-services.")
        with open_store(store_path, read_only=True) as store:
            views = store_views(store, services=list(services) or None, outcome=store_outcome, method=method, seed=seed,
                                settings=options, checks=False, expected=False, kaplan=True, by_provider=False)
        payload = [_survival_record(view, store_outcome) for view in views]
        if as_json:
            _emit_json(payload)
        else:
            _print_survival(payload)
        return 0

    _run(from_file if data_path is not None else from_store)


def _survival_record(view: Any, outcome: str) -> dict[str, Any]:
    """One service's curves as JSON-ready values (or why there are none)."""
    if view.survival is None:
        result = view.overall.result
        return {"service_code": view.service_code, "outcome": outcome, "suppressed": True, "note": result.note or "no estimate"}
    groups = [g.to_dict() for g in view.group_survival]
    return view.survival.to_dict() | {"outcome": outcome, "suppressed": False, "note": "", "client_groups": groups}


def _print_survival(records: list[dict[str, Any]]) -> None:
    """Each service's curves, then its client groups' (groups too small for an estimate have none)."""
    for record in records:
        if record["suppressed"]:
            out.print(f"{record['service_code']}: no curves ({record['note']})", highlight=False)
            continue
        for curves in (record, *record.get("client_groups", [])):
            _print_curves(curves)


def _print_curves(record: dict[str, Any]) -> None:
    from rich.table import Table

    def percent(value: float | None, sign: str = "") -> str:
        return "-" if value is None else f"{100 * value:{sign}.1f}"

    months = [str(m) for m in record["months"]]
    who = record["service_code"] + (f", client group {record['client_group']}" if record.get("client_group") else "")
    table = Table(title=f"{who}: in open-market work by months since the start, % (cumulative incidence)")
    table.add_column("group")
    table.add_column("rows", justify="right")
    for m in months:
        table.add_column(f"{m} mo", justify="right")
    for key, name in (("participants", "participants"), ("comparison", "comparison, weighted")):
        group = record[key]
        table.add_row(name, f"{group['n']:,}", *(percent(group["cumulative_incidence"][m]) for m in months))
        table.add_row("  95% CI", "", *(f"{percent(group['ci_low'][m])}-{percent(group['ci_high'][m])}" for m in months))
    table.add_row("difference", "", *(percent(record["difference"][m], "+") for m in months))
    out.print(table)
    last = months[-1]
    out.print(
        f"censored before {last} months: {record['participants']['censored_before'][last]:,} participants, "
        f"{record['comparison']['censored_before'][last]:,} comparison rows. Comparison weighted to resemble the participants: "
        f"effective size {record['comparison']['effective_n']:,.0f} of {record['comparison']['n']:,} rows; "
        f"{record['n_trimmed']:,} rows left out by trimming; data up to {record['as_of']}.",
        highlight=False,
    )


def _print_effects(rows: list[Any]) -> None:
    from rich.table import Table

    table = Table(title=f"effect on {rows[0].outcome if rows else ''} (ATT, 95% CI)")
    for column in ("service", "group", "provider", "participants", "estimate", "95% CI", "naive", "eff. comparison", "outside range"):
        table.add_column(column, justify="right" if column not in ("service", "group", "provider") else "left")
    for row in rows:
        r = row.result
        missing = "too few to show" if r.note.startswith("too few") else "no estimate (below)"
        shown = ("-", missing, "") if r.estimate is None else (f"{r.estimate:+.3f}", f"[{r.ci_low:+.3f}, {r.ci_high:+.3f}]", f"{r.naive_difference:+.3f}")
        table.add_row(row.service_code, row.client_group or "", row.provider_id or "", f"{r.n_treated:,}", *shown, *_overlap_cells(r.overlap))
    out.print(table)
    from polku.impact.explain import WARNING

    for sentence, cells in _cells_by_sentence(rows).items():
        out.print(f"{', '.join(cells)}: {sentence}", highlight=False)
    out.print(WARNING, highlight=False)


def _cells_by_sentence(rows: list[Any]) -> dict[str, list[str]]:
    """Each overlap warning, and each reason for a missing estimate other than size, with the
    cells it applies to (printed once each instead of once per cell)."""
    cells: dict[str, list[str]] = {}
    for row in rows:
        r = row.result
        sentence = r.overlap.warning if r.overlap is not None and r.overlap.warning else ""
        if r.estimate is None and not r.note.startswith("too few"):
            sentence = f"no estimate: {r.note}."
        if sentence:
            cells.setdefault(sentence, []).append(" ".join(filter(None, (row.service_code, row.client_group, row.provider_id))))
    return cells


def _overlap_cells(overlap: Any) -> tuple[str, str]:
    """Kish's effective comparison size and the share of participants outside the comparison's range."""
    if overlap is None or overlap.ess_control is None:
        return "", ""
    return f"{overlap.ess_control:,.0f}", f"{overlap.outside_support:.1%}"


@main.command()
@click.option("--year", required=True, type=int, help="Tax year (the shipped parameters cover 2023-2026).")
@click.option("--persons", "persons_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV, one row per person: person_id, age, annual_wage_income, unemployment_benefit_days, unemployment_benefit_type (basic, labour_market_subsidy, earnings_related or none); optional earnings_related_daily_wage_basis (EUR a day), municipal_tax_rate and church_tax_rate (per cent; default the year's average municipal rate and no church tax), children, single_parent (0/1), benefit_days_used_before, step_down_applies (0/1), employer_payroll (EUR a year), adjusted_benefit_months.")
@click.option("--explain", "explain_id", default=None, help="Print this person's calculation line by line: each amount, its law, and every parameter with its value and source.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per person.")
def fiscal(year: int, persons_path: Path, explain_id: str | None, as_json: bool) -> None:
    """Taxes, contributions, benefits and net income of each person for one year, under
    that year's Finnish rules (docs/fiscal.md).
    """

    def action() -> int:
        import pandas as pd

        from polku.fiscal.person_year import OUTPUT, calculate

        if not persons_path.is_file():
            raise UsageError(f"no such file: {persons_path}", fix="give the persons CSV with --persons.")
        persons = pd.read_csv(persons_path, dtype={"person_id": str})
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
            _emit_json([{k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()} for row in result[columns].to_dict("records")])
        else:
            out.print(result[columns].round(2).to_string(index=False), highlight=False, markup=False)
        return 0

    _run(action)


@main.command()
@click.option("--year", default=None, type=int, help="Year whose tax and benefit rules value the employments (required with --employed; over the store: each cohort's median start year, within the years the parameters cover).")
@click.option("--employed", "employed_path", default=None, type=click.Path(dir_okay=False, path_type=Path), help="CSV, one row per participant who found work: the columns of `polku fiscal` for the benefit they were on before, plus weekly_hours, annual_wage_income (when missing: imputed from education_level, isced_level, sex and age), housing_allowance_monthly and social_assistance_monthly. Without it: each service over the store.")
@click.option("--participants", default=None, type=click.IntRange(min=1), help="With --employed: participants in the cohort.")
@click.option("--cost", default=None, type=click.FloatRange(min=0), help="With --employed: programme cost of the cohort in euros.")
@click.option("--additional", default=None, type=float, help="With --employed: additional employments, employed participants minus those expected without the service (polku estimate: the ATT times the participants; the seed method: O - E).")
@click.option("--interval", default=None, help="With --employed: 95 % interval of the additional employments, LOW,HIGH.")
@click.option("--service", "services", multiple=True, help="Over the store: service code(s) (default: every service).")
@click.option("--horizon", default=None, type=click.IntRange(min=1), help="Years the effect is counted (default 1, as seed 000; see docs/fiscal.md).")
@click.option("--persistence", default=None, type=click.FloatRange(0, 1), help="Share of the effect left in each further year (default 0.5).")
@click.option("--discount", default=None, type=click.FloatRange(0, 0.2), help="Discount rate a year (default 0.035).")
@click.option("--optimism-bias", default=None, type=click.FloatRange(0, 1), help="Haircut on the benefits (default 0).")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed (comparison draws, cross-fitting, Monte Carlo).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object with --employed, a list over the store).")
@STORE_OPTION
def cba(year: int | None, employed_path: Path | None, participants: int | None, cost: float | None, additional: float | None, interval: str | None, services: tuple[str, ...], horizon: int | None, persistence: float | None, discount: float | None, optimism_bias: float | None, seed: int, as_json: bool, store_path: Path | None) -> None:
    """Cost-benefit analysis: additional employments times the fiscal gain of an employment
    at the participants' own hours and wages, against the programme cost, with a Monte
    Carlo and a tornado (docs/fiscal.md, section 7).

    Over the store, for each service: the effect of `polku estimate` on employment within
    12 months, the participants who found work valued at their first open-market job, and
    the episodes' recorded costs. With --employed: a cohort described by a file and options.
    """
    from polku.cba import Assumptions

    chosen = {k: v for k, v in {"horizon_years": horizon, "persistence": persistence, "discount_rate": discount,
                                "optimism_bias": optimism_bias}.items() if v is not None}
    assumptions = Assumptions(**chosen)

    def from_file() -> int:
        import pandas as pd

        from polku.cba import Effect
        from polku.cba.cohort import employed_gain
        from polku.cba.store import analysed_row

        if services:
            raise UsageError("--service is for the store; with --employed the file is the cohort", fix="leave out --service")
        if None in (year, participants, cost, additional, interval):
            raise UsageError("--employed needs --year, --participants, --cost, --additional and --interval",
                             fix="give all five, or leave out --employed to analyse the store")
        if not employed_path.is_file():
            raise UsageError(f"no such file: {employed_path}", fix="give the employed participants' CSV with --employed.")
        try:
            low, high = (float(x) for x in interval.split(","))
        except ValueError:
            raise UsageError(f"--interval must be LOW,HIGH, not {interval!r}", fix="for example --interval 8,24") from None
        if not low <= additional <= high:
            raise UsageError("--additional must lie within --interval", fix="give the estimate and its 95 % interval")
        gain, simulated = employed_gain(pd.read_csv(employed_path, dtype={"person_id": str}), year, source=str(employed_path))
        effect = Effect(additional, low, high)
        row = analysed_row(employed_path.stem, year, participants, effect, gain, simulated, cost, assumptions, seed)
        _emit_json(row.to_dict()) if as_json else _print_cba(row)
        return 0

    def from_store() -> int:
        from polku.cba.store import covered_years, store_cost_benefit
        from polku.store import open_store

        low, high = covered_years()
        if year is not None and not low <= year <= high:
            raise UsageError(f"the tax and benefit parameters cover {low}-{high}, not {year}", fix=f"choose --year between {low} and {high}")
        if any(v is not None for v in (participants, cost, additional, interval)):
            raise UsageError("--participants, --cost, --additional and --interval go with --employed",
                             fix="over the store they come from the data; leave them out")
        with open_store(store_path, read_only=True) as store:
            rows = store_cost_benefit(store, list(services) or None, year=year, seed=seed, assumptions=assumptions)
        if as_json:
            _emit_json([row.to_dict() for row in rows])
        else:
            for row in rows:
                _print_cba(row)
        return 0

    _run(from_file if employed_path is not None else from_store)


def _print_cba(row: Any) -> None:
    out.print(f"[bold]{row.service_code}[/bold] ({row.year} rules)")
    if row.result is None:
        out.print(f"  no analysis: {row.note}", highlight=False)
        return
    p = row.to_dict()
    out.print(f"  {p['participants']:,} participants, {p['additional_employments']:.1f} additional employments, cost "
              f"{p['cost']:,.0f} EUR ({p['employed']:,} employed valued, {p['wages_imputed']} wages imputed)", highlight=False)
    out.print(f"  fiscal gain of one employment: {p['gain_per_employment']:,.0f} EUR a year, "
              f"{p['gain_per_employment_with_pension']:,.0f} with pension contributions", highlight=False)
    out.print(f"  benefit {p['benefit']:,.0f} EUR, net {p['net']:+,.0f}, ratio {p['ratio']:.2f}; with pension contributions "
              f"{p['benefit_with_pension']:,.0f}, net {p['net_with_pension']:+,.0f}, ratio {p['ratio_with_pension']:.2f}", highlight=False)
    out.print(f"  per participant: benefit {p['benefit_per_participant']:,.0f} EUR, net {p['net_per_participant']:+,.0f}; "
              f"break-even at {p['break_even_employments']:.1f} additional employments", highlight=False)
    mc = row.monte_carlo
    out.print(f"  Monte Carlo ({mc.draws:,} draws): P(benefit > cost) = {mc.probability_benefit_exceeds_cost:.2f} "
              f"({mc.probability_with_pension:.2f} with pension contributions); net 5-95 %: "
              f"{mc.net_percentiles[5]:+,.0f} to {mc.net_percentiles[95]:+,.0f} EUR", highlight=False)
    for bar in row.tornado:
        out.print(f"    {bar.name}: net {bar.net_at_low:+,.0f} to {bar.net_at_high:+,.0f} EUR", highlight=False)
    if row.note:
        out.print(f"  note: {row.note}", highlight=False)


@main.command(name="key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing key file (every earlier pseudonym stops matching).")
def key_(path: Path, overwrite: bool) -> None:
    """Create a new pseudonymisation key file at PATH (32 random bytes, mode 0600).

    Keep it outside the data folder and out of version control; point
    POLKU_PSEUDONYM_KEY_FILE at it.
    """
    from polku.identity import create_key_file

    def action() -> int:
        key = create_key_file(path, overwrite=overwrite)
        out.print(f"key written to {path} (version {key.version}, fingerprint {key.fingerprint})")
        return 0

    _run(action)
