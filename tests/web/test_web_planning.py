"""The planning views (issues 17, 18 and 19) against the run's own tables: client groups and
the service menu, effects on change, every provider compared, equal treatment, payments and
the national comparison, each through the gate for the manager and exact for the analyst.

The run is `conftest.web_run`: the fast sections' real tables over the 1,000-client store.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import SERVICE, TestClient
from polku import sdc
from polku.runs import open_run
from polku.store import audit


def _table(payload: dict[str, Any], table_id: str) -> dict[str, Any]:
    return next(b for b in payload["blocks"] if b["kind"] == "table" and b["id"] == table_id)


def _rows_by_label(table: dict[str, Any]) -> dict[str, list[Any]]:
    return {row[0]: row for row in table["rows"]}


def test_groups_profile_is_the_runs_registrations(
    as_role: Callable[[str], TestClient], web_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each rule group's registrations on the page are the run's `groups_profile.spells`: exact
    for the analyst, the gate's for the manager and the team lead (who may see the groups)."""
    monkeypatch.setenv("POLKU_MIN_CELL_SIZE", "10")
    stored = open_run(web_store).tables["groups_profile"]
    spells = [int(n) for n in stored[stored.grouping == "rule"].spells]
    exact = _table(as_role("analyst").get("/api/area/groups?exact=1").json(), "groups-profile-rule")
    assert [row[1] for row in exact["rows"]] == spells and min(spells) > 100
    for role in ("manager", "teamlead"):
        gated = _table(as_role(role).get("/api/area/groups").json(), "groups-profile-rule")
        assert [row[1] for row in gated["rows"]] == spells, role
    assert as_role("caseworker").get("/api/area/groups").status_code == 403


def test_menu_targeting_shares_are_intended_over_participants(as_role: Callable[[str], TestClient], web_store: Path) -> None:
    stored = open_run(web_store).tables["menu_targeting"]
    shown = _table(as_role("manager").get("/api/area/groups").json(), "menu-targeting")
    assert [row[2] for row in shown["rows"]] == [int(n) for n in stored.participants]
    for row, exact in zip(shown["rows"], stored.itertuples(index=False)):
        share = sdc.share(int(exact.intended), int(exact.participants)).value
        assert row[3] == (None if share is None else pytest.approx(share, abs=0.05)), exact.service_code
    page = as_role("manager").get("/area/groups").text
    assert 'id="menu-targeting"' in page and 'href="/tables/menu/menu-targeting.csv"' in page


def test_change_page_shows_hazard_ratios_and_effects(as_role: Callable[[str], TestClient], web_store: Path) -> None:
    """The hazard ratio of later work per point of change, as stored (two decimals), and the
    effects on change at 6 and 12 months; the change meter beside them."""
    tables = open_run(web_store).tables
    payload = as_role("manager").get("/api/area/change").json()
    work = _table(payload, "change-work")
    assert [row[3] for row in work["rows"]] == [pytest.approx(round(float(h), 2)) for h in tables["change_work"].hazard_ratio]
    assert [row[1] for row in work["rows"]] == [int(n) for n in tables["change_work"].people]
    ids = {b["id"] for b in payload["blocks"] if b["kind"] == "table"}
    assert {"change-effects-6", "change-effects-12", "change-items"} <= ids
    assert as_role("teamlead").get("/api/area/change").status_code == 403


def test_equality_time_by_group(as_role: Callable[[str], TestClient], web_store: Path) -> None:
    stored = open_run(web_store).tables["equality_time"]
    shown = _table(as_role("manager").get("/api/area/equality").json(), "equality-time")
    people = {(r[0], r[1]): r[2] for r in shown["rows"]}
    female = stored[(stored.attribute == "sex") & (stored.level == "female")].iloc[0]
    assert people[("sex", "female")] == int(female.people)
    small = stored[stored.people < sdc.threshold()]
    assert len(small) and all(people.get((r.attribute, r.level)) is None for r in small.itertuples()), "small groups hidden"


def test_downloads_of_the_new_pages_are_audited(as_role: Callable[[str], TestClient], web_store: Path) -> None:
    manager = as_role("manager")
    before = len(audit.read_journal(web_store))
    page = _table(manager.get("/api/area/groups").json(), "menu-targeting")
    as_json = manager.get("/tables/menu/menu-targeting.json").json()
    assert as_json["rows"] == page["rows"]
    assert manager.get("/tables/change_effects/change-work.csv").status_code == 200
    assert as_role("teamlead").get("/tables/change_effects/change-work.csv").status_code == 403
    rows = audit.read_journal(web_store)[before:]
    assert [(r["actor"], r["action"]) for r in rows] == [("manager", "web table")] * 2 + [("teamlead", "web table")]


def _strings(value: Any) -> set[str]:
    """Every string in a JSON value (keys and values)."""
    if isinstance(value, dict):
        return {str(k) for k in value} | {s for v in value.values() for s in _strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in _strings(v)}
    return {value} if isinstance(value, str) else set()


DATA_URI = re.compile(r'src="data:[^"]+"')


def test_the_manager_compares_every_provider(as_role: Callable[[str], TestClient], web_store: Path) -> None:
    """The report's comparison with every provider: the demo provider's row of COACH as stored."""
    tables = open_run(web_store).tables
    names = dict(zip(tables["providers_list"].provider_id, tables["providers_list"].name))
    provider = as_role("provider").get("/api/me").json()["provider_id"]
    stored = tables["providers_comparison"]
    own = stored[(stored.service_code == SERVICE) & (stored.provider_id == provider)].iloc[0]
    payload = as_role("manager").get("/api/area/providers").json()
    rows = _rows_by_label(_table(payload, "providers-comparison"))
    row = next(r for label, r in rows.items() if label.endswith(names[provider]) and label.startswith("Työnhakuvalmennus"))
    assert row[1:4] == [int(own.participants), int(own.observed), pytest.approx(round(float(own.expected), 1))]
    assert row[4] == pytest.approx(round(float(own.ratio), 2))
    assert len({label.split(": ")[1] for label in rows}) >= 4, "every provider of the run"
    assert any(b["kind"] == "chart" and b["id"] == "providers-funnel" for b in payload["blocks"])


def test_a_provider_sees_its_own_comparison_and_no_other_provider(as_role: Callable[[str], TestClient], web_store: Path) -> None:
    """Its own O, E, O/E, limits and funnel position as stored, the service's O/E over all its
    providers beside it, and not one other provider's id or name on the page or in its JSON,
    here or on the area pages it may read."""
    tables = open_run(web_store).tables
    client = as_role("provider")
    provider = client.get("/api/me").json()["provider_id"]
    stored = tables["providers_comparison"]
    service = stored[stored.service_code == SERVICE]
    own = service[service.provider_id == provider].iloc[0]
    payload = client.get("/api/provider?provider=LVP").json()
    assert payload["provider_id"] == provider
    row = next(r for r in payload["comparison"] if r["service_code"] == SERVICE)
    assert (row["participants"], row["observed"]) == (int(own.participants), float(own.observed))
    assert row["ratio"] == pytest.approx(float(own.observed) / float(own.expected))
    assert (row["lower"], row["upper_998"]) == (pytest.approx(float(own.lower)), pytest.approx(float(own.upper_998)))
    assert row["position"] == "within" and float(own.lower) < row["ratio"] < float(own.upper)
    assert row["area_participants"] == int(service.participants.sum()) and service.provider_id.nunique() >= 3
    assert row["area_ratio"] == pytest.approx(float(service.observed.sum() / service.expected.sum()), abs=1e-4)
    listed = tables["providers_list"]
    others = {str(p) for p in listed.provider_id} - {provider}
    other_names = {str(n) for pid, n in zip(listed.provider_id, listed.name) if pid != provider}
    for route in ("/provider", "/area", "/area/impact", "/area/services", "/area/costs", "/area/drill/service"):
        html = DATA_URI.sub("", client.get(route).text)
        assert not [n for n in other_names if n in html], route
        shown = _strings(client.get("/api" + route).json())
        assert not shown & (others | other_names), route
    assert 'id="provider-comparison"' in client.get("/provider").text
    assert client.get("/tables/services/services-provider.csv").status_code == 403
    assert 'id="services-provider"' in as_role("manager").get("/area/services").text, "the manager compares providers"


def test_national_view_shows_observed_against_expected_and_the_area_funnel(
    as_role: Callable[[str], TestClient], web_store: Path
) -> None:
    """The run's `national_expected` (one area: the store's) as stored, and the area funnel."""
    stored = open_run(web_store).tables["national_expected"].iloc[0]
    payload = as_role("analyst").get("/api/area/national").json()
    (row,) = _table(payload, "national-expected")["rows"]
    assert row[0] == stored.area and row[1:3] == [int(stored.n), int(stored.observed)]
    assert row[3:] == [pytest.approx(round(float(stored.expected), 1)), pytest.approx(round(float(stored.ratio), 2))]
    assert any(b["kind"] == "chart" and b["id"] == "national-funnel" for b in payload["blocks"])
    assert 'id="national-indicators"' in as_role("manager").get("/area/national").text


GAIN = 10_000.0
"""The public gain of one employment in the hand-made `cba_results` (one year, no discounting)."""


def _with_fiscal_gain(run: Any, folder: Path) -> Any:
    """The web run with a hand-made `cba_results` for the service (the test run has no
    cost-benefit fit): g = GAIN over a one-year horizon, so PV(1) = 1; the hand-made effects
    get the `level` the impact section stores."""
    import dataclasses

    from polku.reports.sections.cba_tables import RESULTS
    from polku.typed import typed_frame

    row = {name: None for name in RESULTS} | {"service_code": SERVICE, "year": 2025, "has_result": True}
    row |= {"has_effect": True, "has_assumptions": False, "employed": 0, "wages_imputed": 0, "costs_missing": 0}
    row |= {"fallbacks": 0, "seed": 0, "gain_per_employment": GAIN, "horizon_years": 1, "persistence": 1.0}
    row |= {"discount_rate": 0.0}
    effects = run.tables["impact_effects"]
    level = effects.provider_id.isna().map({True: "service", False: "service_provider"})  # as the impact section stores it
    tables = dict(run.tables) | {"cba_results": typed_frame([row], RESULTS), "impact_effects": effects.assign(level=level)}
    return dataclasses.replace(run, folder=folder / run.folder.name, tables=tables)


def test_payments_value_added_is_effect_times_followed_times_gain(
    as_role: Callable[[str], TestClient], web_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Value added per provider and service = the provider's AIPW effect (hand-made: +10.4 pp
    for the demo provider in COACH) x its participants followed 12 months x the gain."""
    from polku.payments.model import load_model, shipped_models
    from polku.web import results

    run = _with_fiscal_gain(open_run(web_store), tmp_path)
    monkeypatch.setattr(results, "latest_run", lambda store_path: run)
    provider = as_role("provider").get("/api/me").json()["provider_id"]
    names = dict(zip(run.tables["providers_list"].provider_id, run.tables["providers_list"].name))
    outcomes = run.tables["payments_outcomes"]
    mine = outcomes[(outcomes.provider_id == provider) & (outcomes.service_code == SERVICE)]
    followed = int(mine.followed_12m.sum())
    payload = as_role("manager").get("/api/area/payments").json()
    tables = [b for b in payload["blocks"] if b["kind"] == "table"]
    models = [load_model(str(path)) for path in shipped_models()]
    assert [t["caption"] for t in tables] == [m.name for m in models], "one table per shipped payment model"
    for table, model in zip(tables, models):
        years = int(model.horizon_years.value) if model.horizon_years else 1  # PV(H) = H: persistence 1, no discount
        row = next(r for r in table["rows"] if r[0] == names[provider] and r[1] == "Työnhakuvalmennus")
        assert row[4] == round(0.104 * followed * GAIN * years), table["caption"]
    assert followed >= 10 and as_role("provider").get("/api/area/payments").status_code == 403


NEW_PAGES = ("/area/groups", "/area/change", "/area/providers", "/area/equality", "/area/payments", "/area/national")


@pytest.mark.parametrize("route", NEW_PAGES)
def test_new_pages_are_linked_and_keep_the_csp(as_role: Callable[[str], TestClient], route: str) -> None:
    """Each page is in the area menu of the manager, draws no inline script or style, and names its run."""
    for query in ("", "?exact=1"):
        response = as_role("analyst").get(route + query)
        html = response.text
        assert response.status_code == 200 and 'id="run-id"' in html, route + query
        assert "<script" not in html and "style=" not in html and not re.search(r"\son[a-z]+=", html), route
    assert f'href="{route}"' in as_role("manager").get("/area").text


def test_the_provider_downloads_its_own_comparison_only(as_role: Callable[[str], TestClient], web_store: Path) -> None:
    """`/tables/provider/provider-comparison.{csv,xlsx,json}`: the page's table of the user's own
    provider, whatever `?provider=` says; an analyst's choice; audited; the manager may not."""
    client = as_role("provider")
    provider = client.get("/api/me").json()["provider_id"]
    (table,) = client.get("/api/provider").json()["blocks"]
    assert table["id"] == "provider-comparison" and provider in table["caption"] and table["rows"]
    before = len(audit.read_journal(web_store))
    as_csv = client.get("/tables/provider/provider-comparison.csv?provider=LVP")
    lines = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert lines[0] == table["header"] and len(lines) == len(table["rows"]) + 1
    as_json = client.get("/tables/provider/provider-comparison.json?provider=LVP").json()
    assert as_json["rows"] == table["rows"] and provider in as_json["caption"]
    assert client.get("/tables/provider/provider-comparison.xlsx").status_code == 200
    rows = audit.read_journal(web_store)[before:]
    assert [(r["actor"], r["action"], r["outcome"]) for r in rows] == [("provider", "web table", "ok")] * 3
    chosen = as_role("analyst").get("/tables/provider/provider-comparison.json?provider=LVP").json()
    assert "LVP" in chosen["caption"] and chosen["rows"] != table["rows"]
    assert as_role("manager").get("/tables/provider/provider-comparison.csv").status_code == 403
    assert 'href="/tables/provider/provider-comparison.csv"' in client.get("/provider").text
