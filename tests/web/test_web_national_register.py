"""`polku serve --register`: the national view (and its downloads) show the register's latest
run (`polku national`), every other page the store's own run, under the same roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TestClient, log_in
from polku.runs.record import analyse_register
from polku.synth.national import generate_national
from polku.web import create_app


@pytest.fixture(scope="module")
def served(web_store: Path, web_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A two-area register with one national run; (the register, its run id)."""
    register = tmp_path_factory.mktemp("served") / "register"
    generate_national(areas=2, clients=400, seed=5, out_dir=register)
    return register, analyse_register(register).run_id


def _client(web_store: Path, register: Path, role: str) -> TestClient:
    return log_in(TestClient(create_app(web_store, register=register)), role)


def test_the_national_view_shows_the_register_run(web_store: Path, web_run: Path, served: tuple[Path, str]) -> None:
    register, run_id = served
    manager = _client(web_store, register, "manager")
    page = manager.get("/api/area/national").json()
    assert page["run"]["run_id"] == run_id != web_run.name
    (indicators,) = [b for b in page["blocks"] if b.get("id") == "national-indicators"]
    assert [row[0] for row in indicators["rows"]] == ["A01", "A02"]
    assert manager.get("/api/area").json()["run"]["run_id"] == web_run.name  # the store's own pages keep its run
    csv = manager.get("/tables/national/national-indicators.csv")
    assert csv.status_code == 200 and run_id in csv.headers["content-disposition"]
    assert [line.split(",")[0] for line in csv.text.lstrip("\ufeff").splitlines()[1:]] == ["A01", "A02"]
    assert _client(web_store, register, "caseworker").get("/api/area/national").status_code == 403


def test_without_a_register_the_national_view_reads_the_store_run(as_role, web_run: Path) -> None:  # type: ignore[no-untyped-def]
    assert as_role("manager").get("/api/area/national").json()["run"]["run_id"] == web_run.name
