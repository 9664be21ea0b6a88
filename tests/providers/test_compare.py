"""The provider comparison and the monitors on hand-made participants (no store, no fit).

Known answers: O, E and the ratios are sums written out below; a provider whose clients
are easy (high p_i) but who adds nothing looks best on the naive funnel and moderate on
the risk-adjusted one; parking (no actions for the hardest clients) and creaming
(refused referrals, easier accepted clients) are flagged, honest providers are not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from polku.providers import compare, funnel, monitors
from polku.providers.release import released_comparison
from polku.typed import typed_frame


def participants(seed: int = 1) -> pd.DataFrame:
    """Service S with three providers of 400 clients: A takes easy clients (p 0.7) and adds
    nothing; B average clients (p 0.4) and adds 0.1; C hard clients (p 0.2) and adds 0.2."""
    rng = np.random.default_rng(seed)
    rows = []
    for provider, p, effect in (("A", 0.7, 0.0), ("B", 0.4, 0.1), ("C", 0.2, 0.2)):
        expected = np.clip(rng.normal(p, 0.05, 400), 0.01, 0.99)
        observed = (rng.random(400) < expected + effect).astype(float)
        for i in range(400):
            rows.append(
                {
                    "service_code": "S",
                    "provider_id": provider,
                    "person_id": f"{provider}{i}",
                    "episode_id": f"E{provider}{i}",
                    "start_date": pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(i)),
                    "observed": observed[i],
                    "expected": expected[i],
                }
            )
    return typed_frame(rows, compare.EXPECTATIONS)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return participants()


def test_observed_expected_sums_and_target(data: pd.DataFrame) -> None:
    table = compare.comparison(data, dispersion="none")
    assert list(table["provider_id"]) == ["A", "B", "C"]  # ordered by id, never by rank
    by = data.groupby("provider_id")
    assert table["observed"].tolist() == pytest.approx(by["observed"].sum().tolist())
    assert table["expected"].tolist() == pytest.approx(by["expected"].sum().tolist())
    assert table["target"].iloc[0] == pytest.approx(data["observed"].sum() / data["expected"].sum())
    assert table["naive_target"].iloc[0] == pytest.approx(data["observed"].mean())


def test_naive_rates_mislead_and_risk_adjustment_does_not(data: pd.DataFrame) -> None:
    """A has the highest naive rate (easy clients) but the lowest O/E; C the reverse."""
    table = compare.comparison(data, dispersion="none").set_index("provider_id")
    assert table.loc["A", "naive_rating"] == "high" and table.loc["C", "naive_rating"] == "low"
    assert table.loc["A", "rating"] == "low" and table.loc["C", "rating"] == "high"
    assert table.loc["B", "lower"] < table.loc["B", "ratio"] < table.loc["B", "upper"]


def test_overdispersion_widens_limits(data: pd.DataFrame) -> None:
    plain = compare.comparison(data, dispersion="none")
    wide = compare.comparison(data, dispersion="additive")
    assert wide["tau2"].iloc[0] > 0
    assert (wide["upper_998"] > plain["upper_998"]).all()


def area_providers() -> pd.DataFrame:
    """Service S: three providers at E = 100 with O = 70, 100 and 130 (ratios 0.7, 1, 1.3);
    service T: five providers at E = 100, every O = 100 (all on target 1)."""
    rows = [("S", f"S{i}", o) for i, o in enumerate((70.0, 100.0, 130.0))] + [("T", f"T{i}", 100.0) for i in range(5)]
    frame = pd.DataFrame(rows, columns=["service_code", "provider_id", "observed"])
    return frame.assign(participants=250, expected=100.0)


def test_one_overdispersion_per_area_rates_what_one_service_would_hide() -> None:
    """S alone: z = -3, 0, 3, winsorised to -2.4, 0, 2.4, Q = 11.52 on 2 degrees of freedom,
    tau^2 = 9.52 / (300 - 100) = 0.0476: its 95 % limits 1 +/- 1.96 sqrt(0.01 + 0.0476) =
    0.53 .. 1.47 hold all three. Over the area's eight providers the z-scores (-3, 3 and six
    0) are winsorised at -0.9 and 0.9: Q = 1.62 <= 8 - 2, so tau^2 = 0 and S's exact Poisson
    limits at E = 100 (0.804 .. 1.206) rate S0 low and S2 high."""
    per = area_providers()
    alone = pd.DataFrame(compare.rate_providers(per[per["service_code"] == "S"]))
    assert alone["tau2"].iloc[0] == pytest.approx(0.0476) and set(alone["rating"]) == {"moderate"}
    table = pd.DataFrame(compare.rate_providers(per)).set_index("provider_id")
    assert (table["tau2"] == 0).all() and (table["phi"] == 1).all()
    assert table["rating"].to_dict() == {"S0": "low", "S1": "moderate", "S2": "high"} | {f"T{i}": "moderate" for i in range(5)}
    assert table.loc["S0", "lower"] == pytest.approx(funnel.limits("ratio", 1.0, [100.0], 0.95)[0][0])
    assert table["rate_at"].eq(0.95).all() and table["dispersion"].eq("additive").all()


def test_release_withholds_small_providers() -> None:
    small = participants().groupby("provider_id").head(6)  # 6 clients each, under T = 10
    records = released_comparison(compare.comparison(small), 10)
    assert all(r["withheld"] and r["observed"] is None and r["rating"] is None for r in records)
    exact = released_comparison(compare.comparison(small), 10, exact=True)
    assert [r["participants"] for r in exact] == [6, 6, 6]


def _actions(data: pd.DataFrame, parked: set[str]) -> pd.DataFrame:
    """Every episode has 3 actions, first on day 5, except the hardest 40 % of the parked providers'."""
    low = data["expected"] < data.groupby("provider_id")["expected"].transform(lambda s: s.quantile(0.4))
    idle = data["provider_id"].isin(parked) & low
    return pd.DataFrame(
        {
            "episode_id": data["episode_id"],
            "actions": np.where(idle, 0, 3).astype("int64"),
            "days_to_first_action": np.where(idle, np.nan, 5.0),
        }
    )


def mixed_service() -> pd.DataFrame:
    """Service T: four providers with the same clients (p uniform 0.1..0.9), 300 each."""
    rng = np.random.default_rng(3)
    frames = []
    for provider in ("P1", "P2", "P3", "P4"):
        p = rng.uniform(0.1, 0.9, 300)
        frames.append(
            pd.DataFrame(
                {
                    "service_code": "T",
                    "provider_id": provider,
                    "person_id": [f"{provider}-{i}" for i in range(300)],
                    "episode_id": [f"{provider}-e{i}" for i in range(300)],
                    "start_date": pd.Timestamp("2022-03-01"),
                    "observed": (rng.random(300) < p).astype(float),
                    "expected": p,
                }
            )
        )
    return typed_frame(pd.concat(frames, ignore_index=True), compare.EXPECTATIONS)


def test_parking_provider_is_flagged_and_honest_ones_are_not() -> None:
    data = mixed_service()
    decided = monitors.with_deciles(data, _actions(data, {"P2"}))
    referred = pd.DataFrame({"service_code": "T", "provider_id": ["P1", "P2", "P3", "P4"], "referred": 300, "refused": 0})
    table = monitors.monitor(decided, referred).set_index("provider_id")
    assert table["parking_flag"].tolist() == [False, True, False, False]
    assert not table["creaming_flag"].any()
    deciles = monitors.deciles(decided)
    lowest = deciles[(deciles["provider_id"] == "P2") & (deciles["decile"] == 1)].iloc[0]
    assert lowest["served"] == 0 and lowest["participants"] > 0


def test_creaming_provider_is_flagged() -> None:
    """P3 refused 120 of 400 referrals (the hardest, so its accepted clients are easier)."""
    data = mixed_service()
    easy = data["provider_id"].ne("P3") | (data["expected"] > 0.3)
    data = data[easy].reset_index(drop=True)
    decided = monitors.with_deciles(data, _actions(data, set()))
    referred = pd.DataFrame(
        {
            "service_code": "T",
            "provider_id": ["P1", "P2", "P3", "P4"],
            "referred": [300, 300, 400, 300],
            "refused": [0, 2, 120, 1],
        }
    )
    table = monitors.monitor(decided, referred).set_index("provider_id")
    assert table["creaming_flag"].tolist() == [False, False, True, False]
    assert not table["parking_flag"].any()
    assert table.loc["P3", "refused_share"] == pytest.approx(0.3)


def test_trends_by_contract_period(data: pd.DataFrame) -> None:
    decided = monitors.with_deciles(data, _actions(data, set()))
    trends = monitors.trends(decided)
    assert set(trends["period"]) == {"2023", "2024"}
    assert trends["participants"].sum() == len(data)
