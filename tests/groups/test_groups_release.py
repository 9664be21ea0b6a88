"""`polku groups` and `polku menu` read the latest analysis run (never the store's rows) and
pass the disclosure gate unless --exact; the gate's rules on the hand-built store's figures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from groups_helpers import AS_OF, MENU

from polku.cli import main
from polku.groups.record import groups_record
from polku.menu.record import menu_record
from polku.pipeline.settings import AnalysisSettings
from polku.reports import registry
from polku.runs.record import analyse
from polku.sdc.groups import release_groups, release_menu


@pytest.fixture(scope="module")
def run_store(known_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One run of the hand-built store with only the sections `groups` and `menu` (the test menu)."""
    menu = tmp_path_factory.mktemp("menu") / "menu.yaml"
    menu.write_text(MENU, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLKU_MENU", str(menu))
        mine = {k: v for k, v in registry._REGISTRY.items() if k in ("groups", "menu")} if registry.sections() else {}
        patch.setattr(registry, "_REGISTRY", mine)
        analyse(known_path, AnalysisSettings(as_of=AS_OF))
        yield known_path


def _json(*args: str) -> dict:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_groups_json_is_gated_and_exact_on_request(run_store: Path) -> None:
    gated = _json("groups", "--json", "--store", str(run_store))
    assert gated["threshold"] == 10 and gated["run_id"]
    assert all(r["suppressed"] and r["spells"] is None for r in gated["profile"])
    exact = _json("groups", "--json", "--exact", "--store", str(run_store))
    youth = next(r for r in exact["profile"] if r["group"] == "youth")
    assert (youth["spells"], youth["mean_age"], youth["payer"]["unemployment_fund"]) == (1, 24.0, 1)
    assert [d["group"] for d in exact["definitions"]][:2] == ["partial_work_ability", "long_term"]


def test_menu_json_is_gated_and_exact_on_request(run_store: Path) -> None:
    gated = _json("menu", "--json", "--store", str(run_store))
    ips = next(r for r in gated["targeting"] if r["service_code"] == "IPS")
    assert (ips["participants"], ips["share"], ips["flagged"]) == (None, None, None)
    exact = _json("menu", "--json", "--exact", "--store", str(run_store), "--run", gated["run_id"])
    ips = next(r for r in exact["targeting"] if r["service_code"] == "IPS")
    assert (ips["participants"], ips["intended"], ips["flagged"]) == (2, 1, True)
    assert exact["config"]["name"] == "test_menu"
    text = CliRunner().invoke(main, ["menu", "--store", str(run_store)])
    assert text.exit_code == 0 and "IPS" in text.stdout and ".." in text.stdout


def test_without_a_run_the_commands_say_so(tmp_path: Path, known_path: Path) -> None:
    missing = CliRunner().invoke(main, ["groups", "--store", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2 and "no store" in missing.output
    unknown = CliRunner().invoke(main, ["menu", "--store", str(known_path), "--run", "2020-01-01T000000Z-00000000"])
    assert unknown.exit_code == 2 and "no analysis run" in unknown.output


def test_the_gate_with_t_3(grouped_tables: dict) -> None:
    """With T = 3 the registration counts of 1 are hidden, and so the whole rule-based
    profile; the seed model's one band of 5 shows, with its employment rate 0 of 5 (a true
    zero describes nobody, so the share 0.0 shows)."""
    shown = release_groups(groups_record(grouped_tables), t=3)
    low = next(r for r in shown["profile"] if r["grouping"] == "seed_model")
    assert (low["spells"], low["suppressed"], low["employment_rate"]) == (5, False, 0.0)
    assert all(r["suppressed"] for r in shown["profile"] if r["grouping"] == "rule")
    menu = release_menu(menu_record(grouped_tables), t=3)
    assert all(r["spells"] is None for r in menu["timeliness"])
    assert {r["group"]: r["flagged"] for r in menu["unserved"]}["older"] is None  # 1 registration: hidden


@pytest.fixture(scope="module")
def grouped_tables(run_store: Path) -> dict:
    from polku.runs.read import open_run

    run = open_run(run_store)
    return {name: run.tables[name] for name in run.tables}


def test_a_suppressed_group_keeps_every_key_of_a_shown_one(grouped_tables: dict) -> None:
    shown = release_groups(groups_record(grouped_tables), t=3)
    hidden = next(r for r in shown["profile"] if r["suppressed"])
    visible = next(r for r in shown["profile"] if not r["suppressed"])
    assert set(hidden) == set(visible) and hidden["employment_rate"] is None and hidden["education"] is None
