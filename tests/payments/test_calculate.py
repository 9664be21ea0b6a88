"""Payments with known answers: a Koto-SIB-style share, a rate card, caps, Työ-SIB earnings.

Each test builds the run's tables by hand (`payments_outcomes`, `payments_sustained`,
`impact_effects`, `cba_results`) for a case small enough to compute on paper, and the
docstring gives the steps.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from polku.payments.calculate import payments, stage_counts
from polku.payments.model import PaymentModel, Rates, Sustainment, Value, parse_model
from polku.payments.outcomes import OUTCOMES, SUSTAINED, typed

SRC = Value(1.0, source="test")


def outcome_row(provider: str, participants: int, employed: int, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "provider_id": provider,
        "service_code": "COACH",
        "month": "2025-03",
        "client_group": "medium",
        "benefit": "basic",
        "decile": "5",
        "participants": participants,
        "followed_12m": participants,
        "employed_12m": employed,
        "earnings_12m": 0.0,
        "followed_24m": 0,
        "employed_24m": 0,
        "earnings_24m": 0.0,
        "with_expected": participants,
        "employed_with_expected": employed,
        "expected_12m": 0.0,
    }
    return row | extra


def effects(rows: list[tuple[str, str | None, float]]) -> pd.DataFrame:
    """impact_effects rows: (level, provider, estimate) with an interval of +-0.05."""
    return pd.DataFrame(
        [
            {"level": level, "service_code": "COACH", "client_group": None, "provider_id": provider}
            | {"estimate": est, "lower": est - 0.05, "upper": est + 0.05}
            for level, provider, est in rows
        ]
    )


def cba(gain: float, persistence: float = 1.0, discount: float = 0.0, horizon: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "service_code": "COACH",
                "has_result": True,
                "gain_per_employment": gain,
                "horizon_years": horizon,
                "persistence": persistence,
                "discount_rate": discount,
            }
        ]
    )


def tables(outcomes: list[dict[str, object]], sustained: list[dict[str, object]], eff: pd.DataFrame, c: pd.DataFrame) -> dict:
    return {
        "payments_outcomes": typed(pd.DataFrame(outcomes), OUTCOMES),
        "payments_sustained": typed(pd.DataFrame(sustained), SUSTAINED),
        "impact_effects": eff,
        "cba_results": c,
    }


KOTO = parse_model(
    {
        "name": "Koto-style",
        "kind": "outcome_share",
        "share": {"value": 0.5, "source": "Koto-SIB, VATT K 20/2024"},
        "horizon_years": {"value": 3, "source": "Koto-SIB"},
    },
    "koto.yaml",
)


def test_koto_sib_share_of_the_counterfactual_public_saving() -> None:
    """Koto-SIB's published per-person figures (QSA evaluation; VATT statement K 20/2024):
    earnings +4,500 EUR, taxes +1,330, transfers -1,340, so a net public saving of
    1,330 + 1,340 = 2,670 EUR per participant over three years, of which the investors are
    paid 50 %: 1,335 EUR per participant.

    The same saving built from Polku's pieces: 200 followed participants of provider P, an
    estimated effect d = 0.10 on work within 12 months (20 additional employments), and a
    public gain of one employment g = 8,900 EUR a year held for H = 3 years without decay
    or discounting (PV = 1 + 1 + 1 = 3):
        value added = d x n x g x PV = 0.10 x 200 x 8,900 x 3 = 534,000 EUR
                    = 2,670 EUR per participant (the published saving),
        payment     = 0.5 x 534,000 = 267,000 EUR = 1,335 EUR per participant.
    """
    t = tables([outcome_row("P", 200, 60)], [], effects([("service", None, 0.02), ("service_provider", "P", 0.10)]), cba(8900.0))
    row = payments(t, KOTO).iloc[0]
    assert row["additional"] == pytest.approx(20.0)
    assert row["value_added"] == pytest.approx(534_000.0)
    assert row["value_added"] / row["participants"] == pytest.approx(1330 + 1340)
    assert row["payment"] == pytest.approx(267_000.0)
    assert row["payment"] / row["participants"] == pytest.approx(1335.0)
    assert row["payment_per_value"] == pytest.approx(0.5)
    assert row["effect_level"] == "provider"


def test_koto_share_discounts_and_floors_a_negative_difference() -> None:
    """With persistence 0.5 and 3.5 % discounting, PV(3) = 1 + 0.5/1.035 + 0.25/1.035^2
    = 1 + 0.483092 + 0.233378 = 1.716470; the service's effect (0.05) stands in for a provider
    without an estimate: value = 0.05 x 100 x 10,000 x 1.716470 = 85,823.5, payment half
    of it. A provider with a negative effect is paid nothing (floor at zero)."""
    eff = effects([("service", None, 0.05), ("service_provider", "Q", -0.04)])
    t = tables([outcome_row("P", 100, 30), outcome_row("Q", 100, 20)], [], eff, cba(10_000.0, 0.5, 0.035))
    out = payments(t, KOTO).set_index("provider_id")
    assert out.loc["P", "present_value_factor"] == pytest.approx(1.716470, abs=1e-6)
    assert out.loc["P", "value_added"] == pytest.approx(85_823.5, abs=0.1)
    assert out.loc["P", "payment"] == pytest.approx(42_911.75, abs=0.1)
    assert out.loc["P", "effect_level"] == "service"
    assert out.loc["Q", "payment"] == 0.0
    assert out.loc["Q", "value_added"] == pytest.approx(-0.04 * 100 * 10_000 * 1.716470, abs=0.1)


CARD = PaymentModel(
    name="card",
    kind="rate_card",
    path="card.yaml",
    window_months=12,
    rates={
        "default": Rates(Value(400, "t"), Value(1200, "t"), (Sustainment(3, Value(500, "t")), Sustainment(6, Value(700, "t")))),
        "low": Rates(Value(400, "t"), Value(2000, "t"), ()),
    },
)


def test_rate_card_by_payment_group_and_stage() -> None:
    """Provider P, 50 participants of group medium (default rates) and 20 of group low:
        medium: 50 attached, 20 in work, 12 with 3+ months, 5 with 6+ months
          50 x 400 + 20 x 1,200 + 12 x 500 + 5 x 700 = 20,000 + 24,000 + 6,000 + 3,500 = 53,500
        low: 20 attached, 6 in work (no sustainment fees in its group)
          20 x 400 + 6 x 2,000 = 8,000 + 12,000 = 20,000
        total 73,500; outcome fees 73,500 - 70 x 400 = 45,500.
    The seed model expected 10 of the 20 medium clients in work to have found it anyway and
    3 of the 6 low: outcome fees for work that would have happened anyway
    = 45,500 x (13 / 26) = 22,750."""
    out = [
        outcome_row("P", 50, 20, expected_12m=10.0),
        outcome_row("P", 20, 6, client_group="low", decile="1", expected_12m=3.0),
    ]
    sus = [
        {**{k: v for k, v in outcome_row("P", 0, 0).items() if k in SUSTAINED}, "window_months": 12, "months": m, "people": p}
        for m, p in ((1, 18), (2, 15), (3, 12), (4, 9), (5, 7), (6, 5), (7, 2))
    ]
    t = tables(out, sus, effects([("service", None, 0.1)]), cba(8000.0))
    row = payments(t, CARD).iloc[0]
    assert row["participants"] == 70
    assert row["payment"] == pytest.approx(73_500.0)
    assert row["outcome_fees"] == pytest.approx(45_500.0)
    assert row["deadweight_fees"] == pytest.approx(22_750.0)
    # value added: 0.1 x 70 followed x 8,000 x PV(1) = 56,000
    assert row["value_added"] == pytest.approx(56_000.0)
    assert row["payment_per_value"] == pytest.approx(73_500 / 56_000)


def test_caps_per_participant_and_per_provider_period() -> None:
    """Per-participant cap 2,000: stage fees 400, 1,600, 2,100 -> 2,000, 2,800 -> 2,000.
        medium: 30 x 400 + 8 x 1,600 + 7 x 2,000 + 5 x 2,000 = 12,000 + 12,800 + 14,000 + 10,000 = 48,800
    (50 attached, 20 in work, 12 with 3+ months, 5 with 6+: stages 30, 8, 7, 5).
    A contract cap of 40,000 per provider and year scales it to 40,000."""
    sus = [
        {**{k: v for k, v in outcome_row("P", 0, 0).items() if k in SUSTAINED}, "window_months": 12, "months": m, "people": p}
        for m, p in ((3, 12), (6, 5))
    ]
    t = tables([outcome_row("P", 50, 20)], sus, effects([("service", None, 0.1)]), cba(8000.0))
    capped = dataclasses.replace(CARD, cap_per_participant=Value(2000, "t"))
    assert payments(t, capped).iloc[0]["payment"] == pytest.approx(48_800.0)
    both = dataclasses.replace(capped, cap_per_provider_period=Value(40_000, "t"))
    assert payments(t, both).iloc[0]["payment"] == pytest.approx(40_000.0)


def test_stage_counts_are_monotone() -> None:
    assert stage_counts(50, 20, [12, 5]) == [30, 8, 7, 5]
    assert stage_counts(10, 20, [30]) == [0, 0, 10]  # never more in work than attached


def test_tyo_sib_percentage_of_earnings_above_the_counterfactual() -> None:
    """100 followed participants, 40 in work earning 600,000 EUR in all (15,000 each);
    estimated effect 0.10 -> 10 additional employments x 15,000 = 150,000 EUR of earnings
    above the counterfactual in a year; over 3 years without decay or discount 450,000;
    10 % of it = 45,000 EUR."""
    model = parse_model(
        {
            "name": "Työ-style",
            "kind": "earnings_share",
            "percent": {"value": 0.10, "assumption": "the Työ-SIB figure was not found"},
            "horizon_years": {"value": 3, "source": "test"},
        },
        "tyo.yaml",
    )
    t = tables([outcome_row("P", 100, 40, earnings_12m=600_000.0)], [], effects([("service", None, 0.10)]), cba(8000.0))
    assert payments(t, model).iloc[0]["payment"] == pytest.approx(45_000.0)


def test_periods_split_the_payments() -> None:
    """Quarters: March 2025 is 2025-Q1 and July 2025 2025-Q3; each pays its own attachments."""
    t = tables(
        [outcome_row("P", 10, 0), outcome_row("P", 20, 0, month="2025-07")], [], effects([("service", None, 0.1)]), cba(1.0)
    )
    out = payments(t, dataclasses.replace(CARD, period="quarter"))
    assert list(out["period"]) == ["2025-Q1", "2025-Q3"]
    assert list(out["payment"]) == [4000.0, 8000.0]


def test_the_gate_withholds_a_small_provider_and_the_money_over_it() -> None:
    """Provider S has 6 participants (below T = 10): its count, payment and value are
    withheld; provider P's 200 participants show, but its 195 in work are withheld because
    the 5 not in work are a small count."""
    from polku.payments.record import payment_record, release_payments

    eff = effects([("service", None, 0.1)])
    t = tables([outcome_row("P", 200, 195), outcome_row("S", 6, 2)], [], eff, cba(8000.0))
    record = release_payments(payment_record(t, KOTO, "run-1"), t=10)
    rows = {r["provider_id"]: r for r in record["rows"]}
    assert rows["S"]["participants"] is None and rows["S"]["payment"] is None and rows["S"]["value_added"] is None
    assert rows["S"]["sdc_applied"]
    assert rows["P"]["participants"] == 200 and rows["P"]["employed"] is None
    assert rows["P"]["payment"] == pytest.approx(0.5 * 0.1 * 200 * 8000 * 3)


def test_progress_fee_outside_the_participant_cap() -> None:
    """The progress model (rate_card_with_progress.yaml): 50 attached at 234, 20 in work at
    1,404, 5 with 6+ months at 1,293, and 4 of the episodes with reliable improvement in
    work ability at 300 each (1 improvement on another item pays nothing):
        50 x 234 + 20 x 1,404 + 5 x 1,293 + 4 x 300 = 11,700 + 28,080 + 6,465 + 1,200 = 47,445."""
    from polku.payments.model import SHIPPED, load_model
    from polku.payments.outcomes import PROGRESS

    model = load_model(SHIPPED / "rate_card_with_progress.yaml")
    keys = {k: v for k, v in outcome_row("P", 0, 0).items() if k in SUSTAINED}
    sus = [keys | {"window_months": 12, "months": 6, "people": 5}]
    progress = typed(
        pd.DataFrame(
            [
                keys
                | {"instrument": "work_ability_self_assessment", "item": "work_ability_score", "measured": 30, "improved": 4},
                keys | {"instrument": "client_change_meter", "item": "skills", "measured": 30, "improved": 1},
            ]
        ),
        PROGRESS,
    )
    t = tables([outcome_row("P", 50, 20)], sus, effects([("service", None, 0.1)]), cba(8000.0)) | {"payments_progress": progress}
    row = payments(t, model).iloc[0]
    assert row["progress_fees"] == pytest.approx(1200.0)
    assert row["payment"] == pytest.approx(47_445.0)
