"""Catalogue, providers and organisation: valid business IDs, six services, 150 clients per case worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import read
from polku.synth.organisation import business_id


def test_business_id_check_digit() -> None:
    """Y-tunnus 0737546-2 (Nokia Oyj, published) has check digit 2."""
    assert business_id("0737546") == "0737546-2"
    with pytest.raises(ValueError):
        business_id("0000006")  # weighted sum 12, remainder 1: no check digit


def test_providers_differ_in_type_and_services_cover_the_brief(clean_dir: Path) -> None:
    providers = read(clean_dir / "provider.csv")
    assert len(providers) >= 4 and set(providers["provider_type"]) == {"public", "private", "third_sector"}
    services = read(clean_dir / "service.csv")
    assert set(services["category"]) == {
        "coaching",
        "supported_employment",
        "training",
        "work_trial",
        "subsidised_employment",
        "rehabilitative_work",
    }


def test_case_workers_carry_about_150_clients_and_teams_hold_them(clean_dir: Path) -> None:
    workers = read(clean_dir / "case_worker.csv")
    teams = read(clean_dir / "team.csv")
    assert set(workers["team_id"]) == set(teams["team_id"])
    episodes = read(clean_dir / "service_episode.csv")
    assert set(episodes["case_worker_id"]) <= set(workers["case_worker_id"])
    regs = read(clean_dir / "registration_spell.csv")
    stock = (regs["end_date"] == "").sum()
    assert 100 <= stock / len(workers) <= 160


def test_wage_subsidy_episodes_start_as_subsidised_employment(clean_dir: Path) -> None:
    episodes = read(clean_dir / "service_episode.csv")
    jobs = read(clean_dir / "employment_spell.csv")
    wsub = episodes[episodes["service_code"] == "WSUB"][["hetu", "start_date"]]
    merged = wsub.merge(jobs, on=["hetu", "start_date"], how="left")
    assert len(merged) == len(wsub) and (merged["subsidised"] == "true").all()
