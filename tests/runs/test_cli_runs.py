"""`polku analyse`, `polku runs` and `polku report --run` through the real command: every JSON
output and the report name their run, the effects pass the disclosure gate, a missing run
is one line, and erase leaves no read snapshot that still holds the person."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result
from runs_sample import code, persons_csv

from polku.cli import main
from polku.runs import list_runs
from polku.store import snapshots

pytestmark = pytest.mark.usefixtures("test_section")


@pytest.fixture()
def env(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLKU_STORE", str(store_path))
    monkeypatch.chdir(store_path.parent.parent)
    return store_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_analyse_json_names_its_run_and_gates_the_effects(env: Path) -> None:
    payload = _json(run("analyse", "--seed", "3", "--json"))
    assert isinstance(payload, dict)
    (stored,) = list_runs(env)
    assert payload["run_id"] == stored.run_id and payload["folder"] == str(stored.folder)
    assert payload["results_sha256"] == stored.provenance["results_sha256"] and payload["seed"] == 3
    effects = {(e["level"], e["client_group"], e["provider_id"]): e for e in payload["effects"]}
    service = effects[("service", None, None)]
    assert (service["participants"], service["estimate"], service["lower"], service["upper"]) == (120, 0.081, 0.021, 0.141)
    assert service["method"] == "aipw" and service["service_code"] == "SERV1"
    small = effects[("service_group", "old", None)]
    assert small["participants"] is None and small["estimate"] is None and small["suppressed"]
    assert effects[("service_group", "young", None)]["participants"] is None  # else 120 - 116 gives the 4 back


def test_analyse_exact_shows_every_figure_and_is_logged(env: Path) -> None:
    payload = _json(run("analyse", "--exact", "--json"))
    assert isinstance(payload, dict)
    small = next(e for e in payload["effects"] if e["client_group"] == "old")
    assert (small["participants"], small["estimate"]) == (4, 0.5)
    rows = _json(run("audit", "--json"))
    assert isinstance(rows, list)
    assert rows[-1]["action"] == "analyse" and rows[-1]["data"]["exact"] is True
    assert rows[-1]["data"]["run_id"] == payload["run_id"]


def test_analyse_text_names_the_run_and_each_service(env: Path) -> None:
    result = run("analyse")
    assert result.exit_code == 0, result.output
    (stored,) = list_runs(env)
    assert f"run {stored.run_id} stored" in result.stdout
    assert "SERV1" in result.stdout and "participants      120" in result.stdout


def test_runs_lists_every_run_with_its_id_in_json_and_text(env: Path) -> None:
    assert "no analysis run yet: run `polku analyse --store" in run("runs").stdout
    assert _json(run("runs", "--json")) == []
    ids = [_json(run("analyse", "--seed", str(seed), "--json"))["run_id"] for seed in (1, 2)]  # type: ignore[index]
    listed = _json(run("runs", "--json"))
    assert isinstance(listed, list)
    assert [r["run_id"] for r in listed] == ids and [r["seed"] for r in listed] == [1, 2]
    assert listed[0]["results_sha256"] != listed[1]["results_sha256"]
    text = run("runs").stdout
    assert all(run_id in text for run_id in ids)


def test_report_renders_the_latest_or_the_chosen_run_and_names_it(env: Path) -> None:
    first = _json(run("analyse", "--seed", "1", "--json"))["run_id"]  # type: ignore[index]
    second = _json(run("analyse", "--seed", "2", "--json"))["run_id"]  # type: ignore[index]
    latest = run("report", "--out", "latest.html")
    assert latest.exit_code == 0, latest.output
    assert f"report of run {second} written" in latest.stdout
    html = (env.parent.parent / "latest.html").read_text(encoding="utf-8")
    assert second in html and first not in html and "seed 2" in html
    chosen = run("report", "--out", "first.html", "--run", first, "--lang", "fi")
    assert chosen.exit_code == 0, chosen.output
    assert first in (env.parent.parent / "first.html").read_text(encoding="utf-8")
    assert "siemenluku 1" in (env.parent.parent / "first.html").read_text(encoding="utf-8")


def test_report_without_a_run_or_of_an_unknown_run_is_one_line_exit_2(env: Path) -> None:
    none_yet = run("report", "--out", "r.html")
    assert none_yet.exit_code == 2
    assert none_yet.stderr.strip() == f"error: no analysis run yet: run `polku analyse --store {env}`"
    run("analyse")
    unknown = run("report", "--out", "r.html", "--run", "2099-01-01T000000Z-00000000")
    assert unknown.exit_code == 2 and len(unknown.stderr.strip().splitlines()) == 1
    assert "no analysis run '2099-01-01T000000Z-00000000'" in unknown.stderr
    assert not (env.parent.parent / "r.html").exists()


def test_a_report_shows_its_run_not_the_store_as_it_is_now(env: Path, tmp_path: Path) -> None:
    """Every section renders from the run: an import after the run changes nothing in its report."""
    run("analyse")
    assert run("report", "--out", "before.html").exit_code == 0
    assert run("import", "person", str(persons_csv(tmp_path / "more.csv", 40, 2))).exit_code == 0
    assert run("report", "--out", "after.html").exit_code == 0

    def body(name: str) -> str:
        html = (env.parent.parent / name).read_text(encoding="utf-8")
        return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "", html)  # the time it was written

    assert body("before.html") == body("after.html")
    run("analyse")
    assert run("report", "--out", "new.html").exit_code == 0
    assert body("new.html") != body("before.html")  # a new run shows the new rows


def test_erase_leaves_one_read_snapshot_and_it_no_longer_holds_the_person(env: Path, tmp_path: Path) -> None:
    assert run("import", "person", str(persons_csv(tmp_path / "more.csv", 40, 2))).exit_code == 0
    assert len(snapshots.listed(env)) == 2
    result = CliRunner().invoke(main, ["erase", "--hetu", "-"], input=code(0) + "\n")
    assert result.exit_code == 0, result.output
    (left,) = snapshots.listed(env)
    assert snapshots.latest(env) == left and left.name == "00000004.duckdb"  # 3: published when erase closed the store
    with duckdb.connect(str(left), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM person").fetchone() == (13,)
        assert con.execute("SELECT count(*) FROM erased_person").fetchone() == (1,)
