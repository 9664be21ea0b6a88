"""The council summary and the plain words: hand-computed sentences per language, verdicts
only where the interval excludes zero, trust grades, and a hand-built run with known answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from polku.cba.analysis import CostBenefit, Effect, MonteCarlo
from polku.cba.store import ServiceCostBenefit
from polku.i18n import LANGUAGES
from polku.impact.refute import Refutation
from polku.impact.results import BalanceRow, EffectEstimate, Overlap
from polku.pipeline.by_service import ServiceEstimate
from polku.pipeline.store_views import Checks, ExpectedRow
from polku.reports.context import ReportContext
from polku.reports.plain import plain_words, whole
from polku.reports.sections.cba_tables import cba_tables
from polku.reports.sections.impact_tables import check_tables, curve_table, effect_tables, expected_table
from polku.reports.sections.summary import Trust, summary_rows, summary_section, trust, verdict

# --- plain words: hand-computed ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "Of 100 participants like these, 55 found work within 12 months; without the service, about 46 would have "
            "(95 % interval: between 2 and 16 more).",
        ),
        (
            "fi",
            "Sadasta tällaisesta osallistujasta 55 työllistyi 12 kuukauden kuluessa; ilman palvelua noin 46 olisi "
            "työllistynyt (95 %:n luottamusväli: 2–16 enemmän).",
        ),
        (
            "sv",
            "Av 100 deltagare som dessa fick 55 arbete inom 12 månader; utan tjänsten skulle omkring 46 ha fått det "
            "(95 %-intervall: mellan 2 och 16 fler).",
        ),
    ],
)
def test_plain_words_of_a_positive_effect(lang: str, expected: str) -> None:
    # 55 % of participants in work, effect +9 points (interval +2 .. +16): without, 55 - 9 = 46
    assert plain_words(lang, 0.55, 0.09, 0.02, 0.16) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "about 45 would have (95 % interval: between 1 and 9 fewer)."),
        ("fi", "noin 45 olisi työllistynyt (95 %:n luottamusväli: 1–9 vähemmän)."),
        ("sv", "omkring 45 ha fått det (95 %-intervall: mellan 1 och 9 färre)."),
    ],
)
def test_plain_words_of_a_negative_effect(lang: str, expected: str) -> None:
    # 40 % in work, effect -5 points (-9 .. -1): without, 40 + 5 = 45; the interval in "fewer", smaller first
    assert plain_words(lang, 0.40, -0.05, -0.09, -0.01).endswith(expected)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "between 3 fewer and 7 more"),
        ("fi", "3 vähemmän – 7 enemmän"),
        ("sv", "mellan 3 färre och 7 fler"),
    ],
)
def test_plain_words_of_an_interval_around_zero(lang: str, expected: str) -> None:
    sentence = plain_words(lang, 0.30, 0.02, -0.03, 0.07, months=6)
    assert expected in sentence and "28" in sentence and "6" in sentence


def test_whole_rounds_halves_away_from_zero_without_float_noise() -> None:
    assert [whole(34.5), whole(-2.5), whole(100 * 0.345), whole(100 * 0.125), whole(2.4999)] == [35, -3, 35, 13, 2]
    # 34.5 % in work, effect 4.5 points: 35 found work, 30 without (each rounded on its own)
    assert "35 found work" in plain_words("en", 0.345, 0.045, 0.005, 0.085) and "about 30 would" in plain_words(
        "en", 0.345, 0.045, 0.005, 0.085
    )


def test_verdict_only_where_the_interval_excludes_zero() -> None:
    assert verdict(0.05, 0.01, 0.09) == "working"
    assert verdict(-0.05, -0.09, -0.01) == "not_working"
    assert verdict(0.05, -0.01, 0.11) == "unclear"
    assert verdict(0.05, 0.0, 0.10) == "unclear"  # zero inside the closed interval
    assert verdict(None, None, None) == "hidden"


def _checks(negative: bool = True, placebo: bool = True) -> Checks:
    return Checks(
        Refutation("negative_control", 0.05, 0.0, -0.02, 0.02, negative, ""),
        Refutation("placebo", 0.05, 0.0, -0.02, 0.02, placebo, ""),
        {"estimate": 1.5, "ci": 1.1},
    )


def test_trust_grades_with_their_reasons() -> None:
    good = {"max_smd_after": 0.04, "overlap": {"warning": ""}}
    assert trust(good, _checks()) == Trust("good", (("passed", {}),))
    assert trust(good | {"max_smd_after": 0.15}, _checks()) == Trust("fair", (("balance", {"smd": 0.15}),))
    assert trust(good | {"max_smd_after": 0.25}, _checks()).grade == "weak"
    assert trust(good | {"overlap": {"warning": "Few comparison people."}}, _checks()) == Trust("fair", (("overlap", {}),))
    assert trust(good, _checks(placebo=False)) == Trust("weak", (("refutation", {}),))
    assert trust(good, None) == Trust("fair", (("unchecked", {}),))


# --- a hand-built run ----------------------------------------------------------------------------


def _estimate(estimate: float | None, low: float | None, high: float | None, n: int, smd: float = 0.05) -> EffectEstimate:
    balance = (BalanceRow("age", 40.0, 41.0, 40.2, -0.2, smd),)
    overlap = Overlap(0.1, 0.8, 0.05, 0.9, (0.0, 0.5, 1.0), (n // 2, n - n // 2), (2 * n, 3 * n), 4.0 * n, 0.01, 0.05, 0.0, "")
    return EffectEstimate(
        "aipw", "att", estimate, 0.02, low, high, n, 5 * n, 0, 0.5, 0.4, 0.1, balance, overlap if estimate is not None else None
    )


@dataclass
class FakeView:
    """What the table builders read of a fitted view."""

    service_code: str
    rows: list[ServiceEstimate]
    checks: Checks | None = None
    survival: Any = None
    expected: list[ExpectedRow] = field(default_factory=list)
    group_survival: list[Any] = field(default_factory=list)


def _cba(code: str, participants: int, net_benefit: float, probability: float) -> ServiceCostBenefit:
    cost = 100_000.0
    result = CostBenefit(participants, cost, 20.0, 10_000.0, 12_000.0, 1.0, cost + net_benefit, cost + 2 * net_benefit, 5_000.0)
    mc = MonteCarlo(1000, probability, probability, {p: 0.0 for p in (5, 25, 50, 75, 95)}, {p: 0.0 for p in (5, 25, 50, 75, 95)})
    return ServiceCostBenefit(code, 2025, result, mc, [], 100, effect=Effect(20.0, 5.0, 35.0), in_estimate=participants)


@pytest.fixture()
def results() -> dict[str, pd.DataFrame]:
    """WORK: +10 points (4 .. 16), net 50,000 EUR, 92 %; DOUBT: +3 (-2 .. 8), poor balance,
    a failed placebo; FEW: 20 participants, no estimate."""
    row = lambda code, result: ServiceEstimate("service", code, None, None, "employed_12m", result)  # noqa: E731
    views = [
        FakeView("WORK", [row("WORK", _estimate(0.10, 0.04, 0.16, 200))], _checks()),
        FakeView("DOUBT", [row("DOUBT", _estimate(0.03, -0.02, 0.08, 150, smd=0.25))], _checks(placebo=False)),
        FakeView("FEW", [row("FEW", _estimate(None, None, None, 20))]),
    ]
    names = pd.DataFrame(
        {"service_code": ["WORK", "DOUBT", "FEW"], **{f"name_{lang}": ["Work", "Doubt", "Few"] for lang in LANGUAGES}}
    )
    return {
        **effect_tables(views),  # type: ignore[arg-type]
        **check_tables(views),  # type: ignore[arg-type]
        "impact_curves": curve_table(views),  # type: ignore[arg-type]
        "impact_expected": expected_table(views),  # type: ignore[arg-type]
        "services_names": names.astype(object),
        **cba_tables([_cba("WORK", 200, 50_000.0, 0.92), _cba("DOUBT", 150, -20_000.0, 0.3)]),
    }


def test_summary_rows_of_a_known_run(results: dict[str, pd.DataFrame]) -> None:
    work, doubt, few = summary_rows(results, 10)
    assert (work.service_code, work.verdict, work.net, work.probability) == ("WORK", "working", 50_000.0, 0.92)
    assert work.trust == Trust("good", (("passed", {}),))
    assert (doubt.verdict, doubt.net, doubt.probability) == ("unclear", -20_000.0, 0.3)
    assert doubt.trust is not None and doubt.trust.grade == "weak"
    assert [key for key, _ in doubt.trust.reasons] == ["balance", "refutation"]
    assert few.verdict == "hidden" and few.net is None and few.trust is None


def test_summary_section_renders_the_known_run(results: dict[str, pd.DataFrame]) -> None:
    ctx = ReportContext("en", 10, datetime(2026, 1, 1, tzinfo=UTC))
    _, table = summary_section(results, ctx)
    work, doubt, few = table.rows  # type: ignore[attr-defined]
    assert work == (
        "Work",
        "Of 100 participants like these, 50 found work within 12 months; without the service, about 40 would have "
        "(95 % interval: between 4 and 16 more).",
        "Working",
        "50\u202f000",
        "92 %",
        "Good: comparison group alike, overlap sufficient, both checks passed",
    )
    assert doubt[2:5] == ("Not shown either way", "-20\u202f000", "30 %")
    assert (
        doubt[5]
        == "Weak: comparison group still differs from the participants (largest |SMD| 0.25); a check of the method failed"
    )
    assert few == ("Few", "", "Not estimated (too few participants)", "", "", "")


def test_summary_hides_money_behind_too_few_employed(results: dict[str, pd.DataFrame]) -> None:
    """The gate of the cost-benefit rows holds in the summary: 5 participants in work are too few."""
    few_employed = _cba("WORK", 200, 50_000.0, 0.92)
    results = results | cba_tables([ServiceCostBenefit(**{**few_employed.__dict__, "employed": 5})])
    work = summary_rows(results, 10)[0]
    assert work.verdict == "working" and work.net is None and work.probability is None
