"""What the report and `polku estimate --survival` show beside each estimate, recomputed
independently on the shared synthetic area: curves from `polku.impact.survival`, checks from
`polku.impact.refute`, O and E from expected versus observed, and the report's tables and figures."""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from polku.cli import main
from polku.cli.text import print_survival as _print_survival
from polku.cohort.augmented import augmented_outcome
from polku.cohort.build import data_end, window_days
from polku.cohort.features import ADJUSTMENT
from polku.groups import GROUPS
from polku.impact import AIPW, Design, ExpectedVersusObserved
from polku.impact.balance import kish_ess
from polku.impact.design import covariate_matrix
from polku.impact.refute import negative_control, placebo_treatment
from polku.impact.survival import cumulative_incidence, kaplan_meier
from polku.pipeline.by_service import service_estimates
from polku.pipeline.store_views import (
    analysis_rows,
    att_scores,
    expected_by_group,
    refutation_checks,
    time_to_work,
)
from polku.pipeline.views import MONTHS, ServiceView
from polku.store import Store, open_store
from synthetic_areas import Area

SERVICE = "COACH"
OUTCOME = "employed_12m"
ESTIMATED = "employed_12m_augmented"  # the doubly robust pseudo-outcome the estimate used


@pytest.fixture(scope="module")
def estimate(area: Area) -> tuple[list, pd.DataFrame]:
    with open_store(area.store_path, read_only=True) as store:
        return service_estimates(store, SERVICE, outcome=OUTCOME)


def _rows_by_hand(estimate: tuple[list, pd.DataFrame], weight: str) -> dict[str, Any]:
    """The estimate's covariates (named in its balance table) over the followed frame, rows
    with `weight` > 0."""
    rows, frame = estimate
    columns = list(dict.fromkeys(b.covariate.partition("=")[0] for b in rows[0].result.balance))
    X, names = covariate_matrix(frame, columns)
    keep = frame[weight].to_numpy() > 0
    return {
        "frame": frame[keep].reset_index(drop=True),
        "X": X[keep],
        "t": frame.treated.to_numpy(bool)[keep],
        "w": frame[weight].to_numpy()[keep],
        "names": names,
    }


@pytest.fixture(scope="module")
def weighted_rows(estimate: tuple[list, pd.DataFrame]) -> dict[str, Any]:
    """The estimate's own rows: every followed row, weight 1 (its outcome is the pseudo-outcome)."""
    return _rows_by_hand(estimate, "weight")


@pytest.fixture(scope="module")
def censoring_rows(estimate: tuple[list, pd.DataFrame]) -> dict[str, Any]:
    """The rows the curves and expected versus observed use: censoring weight > 0, weighted by it."""
    return _rows_by_hand(estimate, "censoring_weight")


def test_the_estimate_takes_every_row_with_the_pseudo_outcome(estimate: tuple[list, pd.DataFrame]) -> None:
    """Censored comparison rows enter the estimate (weight 1) with the doubly robust
    pseudo-outcome; participants keep their observed outcome."""
    rows, frame = estimate
    censored = frame.censoring_weight.to_numpy() == 0
    assert censored.any() and (frame.weight == 1).all()
    assert rows[0].result.n_control == int((~frame.treated).sum())
    treated = frame.treated.to_numpy(bool)
    np.testing.assert_array_equal(frame[ESTIMATED][treated], frame[OUTCOME][treated].astype(float))
    X, _ = covariate_matrix(frame, list(ADJUSTMENT))
    np.testing.assert_allclose(frame[ESTIMATED], augmented_outcome(frame, X, 12), atol=1e-9)


@pytest.fixture(scope="module")
def refuted(estimate: tuple[list, pd.DataFrame], weighted_rows: dict[str, Any]) -> tuple[Any, Any]:
    """Negative control and placebo by `polku.impact.refute` itself on the estimate's rows
    (built by hand, with their case weights and person clusters) and the estimate."""
    d = weighted_rows
    y = d["frame"][ESTIMATED].to_numpy(float)
    before = d["frame"]["employed_before_12m"].to_numpy(float)
    people = d["frame"]["person_id"].astype(str).to_numpy()
    design = Design(d["X"], d["t"], y, d["names"], d["w"], people)
    result = estimate[0][0].result
    return (
        negative_control(design, result, AIPW(random_state=0), before),
        placebo_treatment(design, result, AIPW(random_state=0), random_state=0),
    )


def test_analysis_rows_are_the_estimates_rows(estimate: tuple[list, pd.DataFrame], weighted_rows: dict[str, Any]) -> None:
    rows, frame = estimate
    analysis = analysis_rows(frame, rows[0].result)
    assert analysis is not None
    np.testing.assert_array_equal(analysis.X, weighted_rows["X"])
    np.testing.assert_array_equal(analysis.t, weighted_rows["t"])
    assert analysis.covariates == weighted_rows["names"]
    y = analysis.outcome(ESTIMATED)
    refit = (
        AIPW(random_state=0)
        .fit(analysis.X, analysis.t, y, analysis.covariates, sample_weight=analysis.w, clusters=analysis.people)
        .result_
    )
    assert refit.estimate == pytest.approx(rows[0].result.estimate, abs=1e-12)


def test_refutation_checks_are_the_refute_functions_on_the_estimates_rows(
    estimate: tuple[list, pd.DataFrame], refuted: tuple[Any, Any]
) -> None:
    rows, frame = estimate
    expected_nc, expected_pl = refuted
    analysis = analysis_rows(frame, rows[0].result)
    checks = refutation_checks(analysis, OUTCOME, rows[0].result, seed=0)
    for got, want in ((checks.negative_control, expected_nc), (checks.placebo, expected_pl)):
        assert (got.check, got.passed) == (want.check, want.passed)
        assert got.new == pytest.approx(want.new, abs=1e-12)
        assert (got.ci_low, got.ci_high) == pytest.approx((want.ci_low, want.ci_high), abs=1e-12)
    # each check's "original" is the estimate itself, not fitted again
    assert checks.placebo.original == checks.negative_control.original == rows[0].result.estimate
    # the curves' propensity scores (`att_scores`) are the estimate's own
    fitted = AIPW(random_state=0).fit(
        analysis.X,
        analysis.t,
        analysis.outcome(ESTIMATED),
        analysis.covariates,
        sample_weight=analysis.w,
        clusters=analysis.people,
    )
    np.testing.assert_array_equal(fitted.propensity_, att_scores(analysis, seed=0))


def _expected_curves(d: dict[str, Any], as_of: Any, client_group: str | None = None) -> dict[str, dict[str, Any]]:
    """Participants and weighted comparison curves from the survival functions directly
    (with `client_group`, that group's rows, weighted by the service's scores)."""
    y = d["frame"][OUTCOME].to_numpy(float)
    people = d["frame"]["person_id"].astype(str).to_numpy()
    fitted = AIPW(random_state=0).fit(d["X"], d["t"], y, d["names"], sample_weight=d["w"], clusters=people)
    e, kept = fitted.propensity_, fitted.kept_
    if client_group is not None:
        kept = kept & (d["frame"]["client_group"] == client_group).to_numpy()
    events = time_to_work(d["frame"], as_of)
    duration, event = events.duration.to_numpy(), events.event.to_numpy()
    treated, control = d["t"] & kept, ~d["t"] & kept
    w = d["w"][control] * e[control] / (1 - e[control])
    w = w * kish_ess(w) / w.sum()
    out = {}
    for key, rows, weights in (("participants", treated, None), ("comparison", control, w)):
        with warnings.catch_warnings():  # lifelines: non-integer weights give approximate bands
            warnings.simplefilter("ignore")
            incidence = cumulative_incidence(duration[rows], event[rows], weights)
            km = kaplan_meier(duration[rows], event[rows], weights)
        day = {str(m): window_days(m) - 1 for m in MONTHS}
        out[key] = {
            "n": int(rows.sum()),
            "cif": {m: incidence.at(x) for m, x in day.items()},
            "employed_km": {m: 1 - km.at(x) for m, x in day.items()},
        }
    return out


def test_cli_survival_json_equals_the_survival_functions(
    area: Area, censoring_rows: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    result = CliRunner().invoke(
        main, ["estimate", "--store", str(area.store_path), "--service", SERVICE, "--survival", "--json", "--exact"]
    )
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    with open_store(area.store_path, read_only=True) as store:
        as_of = data_end(store)
    want = _expected_curves(censoring_rows, as_of)
    assert record["service_code"] == SERVICE and record["months"] == list(MONTHS) and not record["suppressed"]
    assert record["as_of"] == as_of.isoformat()
    for key in ("participants", "comparison"):
        assert record[key]["n"] == want[key]["n"]
        assert record[key]["cumulative_incidence"] == pytest.approx(want[key]["cif"], abs=1e-12)
        assert record[key]["employed_ignoring_competing_exits"] == pytest.approx(want[key]["employed_km"], abs=1e-12)
    for m in map(str, MONTHS):
        assert record["difference"][m] == pytest.approx(want["participants"]["cif"][m] - want["comparison"]["cif"][m], abs=1e-12)
    # the participants' share in work by day 364 cannot exceed their window outcome, and is close to it
    participants = censoring_rows["frame"][censoring_rows["t"]]
    share = participants[OUTCOME].astype(float).mean()
    assert share - 0.06 <= record["participants"]["cumulative_incidence"]["12"] <= share + 0.01
    _print_survival([record])
    printed = capsys.readouterr().out
    assert "comparison, weighted" in printed and "effective size" in printed
    assert f"{100 * record['participants']['cumulative_incidence']['12']:.1f}" in printed


def test_cli_survival_gives_each_client_group_with_an_estimate_its_curves(
    area: Area,
    weighted_rows: dict[str, Any],
    censoring_rows: dict[str, Any],
) -> None:
    result = CliRunner().invoke(
        main, ["estimate", "--store", str(area.store_path), "--service", SERVICE, "--survival", "--json", "--exact"]
    )
    (record,) = json.loads(result.stdout)
    frame, t = weighted_rows["frame"], weighted_rows["t"]
    with open_store(area.store_path, read_only=True) as store:
        as_of = data_end(store)
    sizes = {g: (int((t & (frame.client_group == g)).sum()), int((~t & (frame.client_group == g)).sum())) for g in GROUPS}
    assert [g["client_group"] for g in record["client_groups"]] == [g for g in GROUPS if min(sizes[g]) >= 60]
    assert len(record["client_groups"]) >= 2 and record["client_group"] is None
    for curves in record["client_groups"]:
        want = _expected_curves(censoring_rows, as_of, curves["client_group"])
        for key in ("participants", "comparison"):
            assert curves[key]["n"] == want[key]["n"] > 0
            assert curves[key]["cumulative_incidence"] == pytest.approx(want[key]["cif"], abs=1e-12)
    assert sum(g["participants"]["n"] for g in record["client_groups"]) <= record["participants"]["n"]


def test_survival_is_refused_with_a_flat_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["estimate", "--data", str(tmp_path / "x.csv"), "--survival"])
    assert result.exit_code == 2 and "--survival" in result.stderr


def test_survival_is_refused_with_later_services_kept(area: Area) -> None:
    """The curves censor comparison people at a later start; without the weights for it they would be biased."""
    result = CliRunner().invoke(main, ["estimate", "--store", str(area.store_path), "--survival", "--keep-later-services"])
    assert result.exit_code == 2 and "--keep-later-services" in result.stderr


def test_expected_and_observed_by_group_are_the_estimators(estimate: tuple[list, pd.DataFrame]) -> None:
    rows, frame = estimate
    analysis = analysis_rows(frame, rows[0].result, "censoring_weight")
    y = analysis.outcome(OUTCOME)
    rows = expected_by_group(analysis, OUTCOME, seed=0)
    assert [r.client_group for r in rows] == [None, "high", "medium", "low"]
    expected = ExpectedVersusObserved(bootstrap=0, random_state=0).fit(
        analysis.X, analysis.t, y, analysis.covariates, sample_weight=analysis.w
    )
    overall = rows[0]
    assert overall.observed == expected.result_.observed and overall.expected == pytest.approx(
        expected.result_.expected, rel=1e-12
    )
    assert overall.n == int(analysis.t.sum())
    # the groups split the participants: counts and O add up exactly; E adds up over the estimated groups
    assert sum(r.n for r in rows[1:]) == overall.n and sum(r.observed for r in rows[1:]) == overall.observed
    shown = [r for r in rows[1:] if not r.suppressed]
    small = [r for r in rows[1:] if r.suppressed]
    assert all(r.n >= 60 for r in shown) and all(r.n < 60 and "too few" in r.note for r in small)
    labels = analysis.frame.loc[analysis.t, "client_group"].to_numpy()
    for r in shown:
        assert r.expected == pytest.approx(expected.expected_[labels == r.client_group].sum(), rel=1e-9)
        assert r.ci_low < r.additional < r.ci_high


# --- the report ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(area: Area, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[ServiceView]]:
    """The English report of the area, and the views its impact section computed (for two
    services: coaching, and supported employment, whose small client groups are suppressed)."""
    from polku.pipeline import store_views as views_module
    from polku.reports import build_report

    seen: list[ServiceView] = []
    original = views_module.store_views

    def recording(store: Store, **options: Any) -> list[ServiceView]:
        seen.extend(original(store, services=[SERVICE, "IPS"], **options))
        return seen

    mp = pytest.MonkeyPatch()
    mp.setattr(views_module, "store_views", recording)
    try:
        with open_store(area.store_path, read_only=True) as store:
            path = build_report(store, tmp_path_factory.mktemp("impact") / "en.html", lang="en")
    finally:
        mp.undo()
    return path.read_text(encoding="utf-8"), seen


def _table(html: str, table_id: str) -> str:
    found = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert found, table_id
    return found.group(1)


def _rows(html: str, table_id: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", _table(html, table_id), re.S).group(1)
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def _pp(value: float) -> str:
    text = f"{100 * value:,.1f}".replace(",", "\u202f")
    return "+" + text if value > 0 else text


def test_report_shows_every_new_view(report: tuple[str, list[ServiceView]]) -> None:
    html, views = report
    for heading in ("impact-h-survival", "impact-h-expected", "impact-h-checks"):
        assert f'<h3 id="{heading}">' in html
    for chart in ("impact-survival-chart", "impact-expected-chart", "impact-balance-chart", "impact-overlap-chart"):
        figure = re.search(rf'<figure class="chart" id="{chart}"><svg (.*?)</svg>', html, re.S)
        assert figure and f'aria-labelledby="{chart}-title"' in figure.group(0)
    shown = [v for v in views if v.checks is not None]
    assert {v.service_code for v in shown} == {SERVICE, "IPS"}
    assert len(_rows(html, "impact-refutation")) == len(shown)
    # client groups only for a service where every group has curves (none here: coaching's
    # and IPS's smallest groups have no estimate); see the next test
    assert len(_rows(html, "impact-survival")) == 2 * sum(1 + (len(v.group_survival) == len(GROUPS)) * len(GROUPS) for v in shown)
    assert len(_rows(html, "impact-expected")) == 4 * len(shown)
    # the love plot names covariates in words
    assert "Sex: male" in html and "Education: tertiary" in html


def test_report_shows_client_group_curves_only_when_every_group_has_them(report: tuple[str, list[ServiceView]]) -> None:
    """A group left out could be counted as the service's rows minus the groups shown."""
    from datetime import datetime

    from polku.reports.context import ReportContext
    from polku.reports.sections.impact_views import survival_blocks

    _, views = report
    (coach,) = [v for v in views if v.service_code == SERVICE]
    assert coach.group_survival
    ctx = ReportContext("en", 10, datetime(2026, 1, 1, tzinfo=UTC))
    names = lambda view: [row[0] for row in survival_blocks(ctx, [view], lambda code: code)[-1].rows]  # noqa: E731
    partial = replace(coach, group_survival=coach.group_survival[:1])
    assert names(partial) == [SERVICE] * 2
    complete = replace(coach, group_survival=[replace(coach.group_survival[0], client_group=g) for g in GROUPS])
    assert names(complete) == [SERVICE] * 2 + [f"{SERVICE}: {g} potential" for g in GROUPS for _ in range(2)]


def test_report_refutation_table_holds_the_refute_outputs(
    report: tuple[str, list[ServiceView]], refuted: tuple[Any, Any]
) -> None:
    html, _ = report
    nc, pl = refuted
    (row,) = [r for r in _rows(html, "impact-refutation") if r[0] == "Job-search coaching"]
    verdict = lambda check: "passed" if check.passed else "failed"  # noqa: E731
    assert row[1] == _pp(pl.original)
    assert row[2:5] == [_pp(nc.new), f"{_pp(nc.ci_low)} … {_pp(nc.ci_high)}", verdict(nc)]
    assert row[5:8] == [_pp(pl.new), f"{_pp(pl.ci_low)} … {_pp(pl.ci_high)}", verdict(pl)]


def _beside_effects(html: str, n: int, threshold: int = 10) -> bool:
    """Whether a count `n` of coaching's participants differs by 1 to T-1 from the effects
    table's, so that another table must hide it."""
    (row,) = [r for r in _rows(html, "impact-services") if r[0] == "Job-search coaching"]
    return 0 < abs(n - int(row[1].replace("\u202f", ""))) < threshold


def test_report_survival_table_holds_the_curves(
    report: tuple[str, list[ServiceView]], censoring_rows: dict[str, Any], area: Area
) -> None:
    html, _ = report
    with open_store(area.store_path, read_only=True) as store:
        want = _expected_curves(censoring_rows, data_end(store))
    rows = {r[1]: r for r in _rows(html, "impact-survival") if r[0] == "Job-search coaching"}
    hidden = _beside_effects(html, want["participants"]["n"])  # docs/report.md: counts of the same people in two tables
    for label, key in (("Participants", "participants"), ("Comparison, weighted", "comparison")):
        row = rows[label]
        assert row[2] == (".." if hidden else f"{want[key]['n']:,}".replace(",", "\u202f"))
        cells = dict(zip(map(str, MONTHS), row[3:7]))
        assert cells["12"] != ".."  # a year after the start is shown for a service this size
        for month, cell in cells.items():
            if cell != "..":
                assert cell == f"{100 * want[key]['cif'][month]:.1f}"


def test_report_expected_table_holds_the_estimators_numbers(
    report: tuple[str, list[ServiceView]], estimate: tuple[list, pd.DataFrame]
) -> None:
    html, _ = report
    rows, frame = estimate
    analysis = analysis_rows(frame, rows[0].result, "censoring_weight")
    expected = (
        ExpectedVersusObserved(bootstrap=0, random_state=0)
        .fit(analysis.X, analysis.t, analysis.outcome(OUTCOME), analysis.covariates, sample_weight=analysis.w)
        .result_
    )
    (row,) = [r for r in _rows(html, "impact-expected") if r[:2] == ["Job-search coaching", "all participants"]]
    if _beside_effects(html, expected.n_treated):  # docs/report.md: counts of the same people in two tables
        assert row[2:6] == ["..", "..", "..", ".."]
        return
    assert row[2] == f"{expected.n_treated:,}".replace(",", "\u202f")
    assert row[3] == f"{expected.observed:,.0f}".replace(",", "\u202f")
    assert row[4] == f"{expected.expected:,.1f}".replace(",", "\u202f")
    assert row[5] == f"{expected.observed - expected.expected:,.1f}".replace(",", "\u202f")


def test_report_impact_tables_show_no_small_count_of_people(report: tuple[str, list[ServiceView]]) -> None:
    html, _ = report
    for table_id in ("impact-survival", "impact-expected", "impact-balance", "impact-refutation"):
        for row in _rows(html, table_id):
            for cell in row[1:]:
                digits = cell.replace("\u202f", "")
                if digits.isdigit():
                    assert not 0 < int(digits) < 10, (table_id, row)
