"""`polku estimate`: one estimator on a cohort file or the store, with the registry's methods
as its choices."""

from __future__ import annotations

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
    estimate_lines,
    out,
    print_effects,
    print_survival,
)
from polku.command import Finite
from polku.command import run as _run
from polku.errors import UsageError


class _Methods(click.Choice):
    """`--method`'s choices: the names in `polku.impact.registry`, read only when the option is
    parsed or its help shown (importing the estimators loads scikit-learn, seconds that the
    other commands should not wait)."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from polku.impact.registry import ESTIMATORS

        return tuple(ESTIMATORS)

    @choices.setter
    def choices(self, _: Any) -> None:
        pass


class _MethodOption(click.Option):
    """`--method` with its default and help from the registry: each estimator's name and label."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from polku.impact.registry import DEFAULT_METHOD, ESTIMATORS

        self.default = DEFAULT_METHOD
        self.help = "; ".join(f"{name}: {cls.label}" for name, cls in ESTIMATORS.items()) + " (docs/methods.md)."
        return super().get_help_record(ctx)


def _default_method() -> str:
    from polku.impact.registry import DEFAULT_METHOD

    return DEFAULT_METHOD


@main.command()
@click.option(
    "--data",
    "data_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Flat CSV or Parquet file, one row per person (or person and start). Without it: estimates over the store.",
)
@click.option("--treatment", default=None, help="With --data: column with 1 for participants and 0 for comparison people.")
@click.option(
    "--outcome",
    default=None,
    help=(
        "With --data: the outcome column. Over the store: employed, employed_hours, days_employed, earnings, exit_education or "
        "exit_out_of_labour_force with a window, e.g. employed_12m (default)."
    ),
)
@click.option("--covariates", default="", help="With --data: comma-separated covariate columns; text columns become indicators.")
@click.option(
    "--service",
    "services",
    multiple=True,
    help="Over the store: service code(s) to estimate (default: every service with participants).",
)
@click.option("--method", cls=_MethodOption, default=_default_method, show_default=True, type=_Methods())
@click.option(
    "--estimand",
    default="att",
    show_default=True,
    type=click.Choice(["att", "ate"]),
    help="att: effect on participants; ate: on everybody (with --data).",
)
@click.option(
    "--seed", default=0, show_default=True, type=int, help="Random seed (comparison draws, cross-fitting folds, bootstrap)."
)
@click.option(
    "--bootstrap",
    default=None,
    type=click.IntRange(min=0),
    help=(
        "Bootstrap replications (ipw, aipw, entropy: percentile CI, over the store resampling whole persons; expected_observed: "
        "model uncertainty, default 100)."
    ),
)
@click.option(
    "--trim",
    default=None,
    type=Finite(0, 0.5, max_open=True),
    help="Trimming threshold alpha for ipw, aipw and match (default 0.01) and entropy (default 0); see docs/methods.md.",
)
@click.option(
    "--keep-later-services",
    is_flag=True,
    help="Over the store: do not censor comparison people who start a service later (estimand: starting now vs not now).",
)
@click.option(
    "--survival",
    is_flag=True,
    help=(
        "Over the store: instead of effects, the share in open-market work by 3, 6, 12 and 24 months (cumulative incidence, "
        "exits to education or out of the labour force competing) for participants and the weighted comparison group, on the "
        "censoring-weighted rows of the estimate on --outcome; for each service and for each of its client groups with an "
        "estimate (docs/methods.md, section 10)."
    ),
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON (one object with --data, a list over the store), under disclosure control unless --exact.",
)
@EXACT_OPTION
@STORE_OPTION
def estimate(
    data_path: Path | None,
    treatment: str | None,
    outcome: str | None,
    covariates: str,
    services: tuple[str, ...],
    method: str,
    estimand: str,
    seed: int,
    bootstrap: int | None,
    trim: float | None,
    keep_later_services: bool,
    survival: bool,
    as_json: bool,
    exact: bool,
    store_path: Path | None,
) -> None:
    """Estimate services' effects on an outcome, with intervals and diagnostics.

    Over the store: by service, by service and client group, and by service and provider,
    comparing participants with job seekers registered on the same day who had not yet
    started a service. With --data: from any flat file, for example the NSW/LaLonde
    benchmark or an area's own extract. With --survival: time to open-market work for
    participants and for the comparison group weighted by the estimate's propensity
    score. Counts and estimates pass the disclosure gate as in the report; --exact
    prints them exact (logged).
    """
    from polku import sdc

    options: dict[str, Any] = {}
    if bootstrap is not None:
        options["bootstrap"] = bootstrap
    if trim is not None:
        from polku.impact.registry import takes_setting

        if takes_setting(method, "trim"):
            options["trim"] = trim
    store_outcome = outcome or "employed_12m"

    def from_file(data_path: Path) -> int:
        from polku.pipeline.flatfile import estimate_file

        if survival:
            raise UsageError("--survival works over the store, not with --data", fix="leave out --data (or --survival).")
        if not treatment or not outcome:
            raise UsageError(
                "--treatment and --outcome are required with --data", fix="name the treatment (0/1) and outcome columns."
            )
        names = [c.strip() for c in covariates.split(",") if c.strip()]
        result, sentences = estimate_file(
            data_path,
            treatment=treatment,
            outcome=outcome,
            covariates=names,
            method=method,
            estimand=estimand,
            seed=seed,
            settings=options,
        )
        record = gate("estimate", exact, [result.to_dict()], sdc.release_estimates, data_path)[0]
        if record["estimate"] is None:  # the sentences describe the estimate, or quote its note's counts
            sentences = [f"No estimate: {record['note'] or 'too few people to show'}."]
        if as_json:
            emit_json(
                record
                | {
                    "data": str(data_path),
                    "treatment": treatment,
                    "outcome": outcome,
                    "covariates": names,
                    "seed": seed,
                    "sentences": sentences,
                }
            )
        else:
            for line in estimate_lines(record, sentences):
                out.print(line, highlight=False)
        return 0

    def from_store() -> int:
        from polku.pipeline.by_service import store_estimates
        from polku.store import open_store

        if estimand != "att":
            raise UsageError(
                "estimates over the store are for participants (att)", fix="leave out --estimand, or use --data for the ate."
            )
        if survival:
            return survival_curves()
        with open_store(store_path, read_only=True) as store:
            rows = store_estimates(
                store,
                services=list(services) or None,
                outcome=store_outcome,
                method=method,
                censor_later_services=not keep_later_services,
                seed=seed,
                settings=options,
            )
        records = gate("estimate", exact, [row.to_dict() for row in rows], sdc.release_estimates, store_path)
        if as_json:
            emit_json(records)
        else:
            print_effects(records)
        return 0

    def survival_curves() -> int:
        from polku.pipeline.store_views import store_views
        from polku.store import open_store

        if keep_later_services:  # the curves stop following a comparison person at a later start
            raise UsageError(
                "--survival censors comparison people at a later service start", fix="leave out --keep-later-services."
            )
        with open_store(store_path, read_only=True) as store:
            views = store_views(
                store,
                services=list(services) or None,
                outcome=store_outcome,
                method=method,
                seed=seed,
                settings=options,
                checks=False,
                expected=False,
                kaplan=True,
                by_provider=False,
            )
        exact_records = [_survival_record(view, store_outcome) for view in views]
        payload = gate(
            "estimate",
            exact,
            exact_records,
            lambda _: [_survival_record(v, store_outcome, released=True) for v in views],
            store_path,
        )
        if as_json:
            emit_json(payload)
        else:
            print_survival(payload)
        return 0

    _run(lambda: from_file(data_path) if data_path is not None else from_store())


def _survival_record(view: Any, outcome: str, released: bool = False) -> dict[str, Any]:
    """One service's curves as JSON-ready values (or why there are none), exact or as the
    disclosure gate releases them (`sdc.release_survival`)."""
    from polku import sdc

    if view.survival is None:
        note = view.overall.result.note or "no estimate"
        return {
            "service_code": view.service_code,
            "outcome": outcome,
            "suppressed": True,
            "note": sdc.scrub_text(note) if released else note,
        }
    if released:
        return sdc.release_survival(view.survival, view.group_survival) | {"outcome": outcome, "suppressed": False, "note": ""}
    groups = [g.to_dict() for g in view.group_survival]
    return view.survival.to_dict() | {"outcome": outcome, "suppressed": False, "note": "", "client_groups": groups}
