"""The views of issue 16 against known figures: the run's tables versus what a page, its JSON
twin and its downloads show, the gate for the manager, exact figures with an audit row for
the analyst, the team lead's caseload, the provider's results and the analysis runs.

The run is `conftest.web_run`: the fast sections' real tables over the 1,000-client store and
a hand-made `impact_effects` of known figures (`conftest.effects_table`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import SERVICE, Oracle, TestClient, log_in
from polku import sdc
from polku.runs import open_run
from polku.store import audit
from polku.web import analysis, create_app, results


def _journal_since(store: Path, before: int) -> list[dict[str, object]]:
    return audit.read_journal(store)[before:]


def _data(row: dict[str, object]) -> dict[str, object]:
    data = row["data"]
    return json.loads(data) if isinstance(data, str) else data  # type: ignore[return-value]


def _table(payload: dict, table_id: str) -> dict:
    return next(b for b in payload["blocks"] if b["kind"] == "table" and b["id"] == table_id)


def test_the_page_names_its_run(as_role: Callable[[str], TestClient], web_run: Path) -> None:
    page = as_role("manager").get("/area")
    assert page.status_code == 200 and web_run.name in page.text and 'id="run-id"' in page.text
    assert as_role("manager").get("/api/area").json()["run"]["run_id"] == web_run.name


def test_transitions_are_the_runs_figures_through_the_gate(
    as_role: Callable[[str], TestClient], web_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every count the manager sees is `sdc.separate_counts` of the run's exact figure; the share is
    `sdc.share` of them (no second gate)."""
    monkeypatch.setenv("POLKU_MIN_CELL_SIZE", "10")
    stored = open_run(web_store).tables["area_transitions"]
    shown = _table(as_role("manager").get("/api/area").json(), "area-transitions")
    assert [row[0] for row in shown["rows"]] == ["3 kuukautta", "6 kuukautta", "12 kuukautta"]
    for row, exact in zip(shown["rows"], stored.itertuples(index=False)):
        counts = {"spells": int(exact.spells), "transitions": int(exact.transitions)}
        counts["rest"] = counts["spells"] - counts["transitions"]
        gated, _ = sdc.separate_counts(counts)
        assert row[1:3] == [gated["spells"], gated["transitions"]]
        share = sdc.share(counts["transitions"], counts["spells"]).value
        assert row[3] == (None if share is None else pytest.approx(share, abs=0.05))
    assert int(stored.spells.iloc[0]) > int(stored.spells.iloc[2]) > 0, "longer horizons follow fewer spells"


def test_small_municipalities_hidden_for_the_manager_exact_for_the_analyst(
    as_role: Callable[[str], TestClient], web_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLKU_MIN_CELL_SIZE", "60")
    stored = open_run(web_store).tables["area_municipalities"]
    exact_counts = dict(zip(stored.municipality_code, stored.clients.astype(int)))
    small = {code for code, n in exact_counts.items() if 0 < n < 60}
    assert small, "the synthetic area has small municipalities"
    gated = _table(as_role("manager").get("/api/area/drill/municipality").json(), "area-municipalities")
    protected = sdc.distribution(exact_counts, t=60).column()
    assert [row[1] for row in gated["rows"]] == list(protected.values())
    assert sum(1 for row in gated["rows"] if row[1] is None) >= len(small)
    analyst = as_role("analyst")
    before = len(audit.read_journal(web_store))
    exact = _table(analyst.get("/api/area/drill/municipality?exact=1").json(), "area-municipalities")
    assert [row[1] for row in exact["rows"]] == list(exact_counts.values())
    assert gated["foot"][1] == exact["foot"][1] == 1000
    rows = _journal_since(web_store, before)
    assert [(r["actor"], r["action"]) for r in rows] == [("analyst", "web drill_municipality")]
    assert _data(rows[0])["exact"] is True and _data(rows[0])["run"] == open_run(web_store).run_id


def test_downloads_hold_the_pages_cells_and_are_audited(
    as_role: Callable[[str], TestClient], web_store: Path, web_run: Path
) -> None:
    manager = as_role("manager")
    page = _table(manager.get("/api/area").json(), "area-coefficients")
    before = len(audit.read_journal(web_store))
    as_csv = manager.get("/tables/area/area-coefficients.csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert web_run.name in as_csv.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert lines[0] == page["header"] and len(lines) == len(page["rows"]) + 1
    assert [line[0] for line in lines[1:]] == [row[0] for row in page["rows"]]
    workbook = openpyxl.load_workbook(io.BytesIO(manager.get("/tables/area/area-coefficients.xlsx").content))
    sheet = workbook.worksheets[1]
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert page["header"][0] in values and page["rows"][0][0] in values
    assert web_run.name in [c.value for row in workbook.worksheets[0].iter_rows() for c in row], "the About sheet names the run"
    as_json = manager.get("/tables/area/area-coefficients.json").json()
    assert as_json["rows"] == page["rows"] and as_json["run"]["run_id"] == web_run.name
    rows = _journal_since(web_store, before)
    assert [(r["actor"], r["action"], _data(r)["download"]) for r in rows] == [
        ("manager", "web table", "csv"),
        ("manager", "web table", "xlsx"),
        ("manager", "web table", "json"),
    ]


def test_without_a_run_the_page_says_how_to_make_one(
    as_role: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results, "latest_run", lambda store_path: None)
    for route in ("/area", "/overview", "/provider"):
        page = as_role("analyst").get(route)
        assert page.status_code == 200 and 'id="no-run"' in page.text and "polku analyse" in page.text, route
    assert as_role("manager").get("/api/area").json()["run"] is None


def test_team_caseload_by_case_worker_not_ranked(as_role: Callable[[str], TestClient], oracle: Oracle, web_store: Path) -> None:
    """Rows by (team, case worker) id; each case worker's clients are the oracle's, through the gate."""
    lead, analyst = as_role("teamlead"), as_role("analyst")
    team = lead.get("/api/me").json()["team_id"]
    before = len(audit.read_journal(web_store))
    rows = lead.get("/api/team").json()["rows"]
    keys = [(r["team_id"], r["case_worker_id"]) for r in rows]
    assert keys == sorted(keys) and {k[0] for k in keys} == {team}
    per_worker: dict[str, int] = {}
    for client in oracle.by_role["teamlead"]:
        per_worker[oracle.owner[client]] = per_worker.get(oracle.owner[client], 0) + 1
    gated, _ = sdc.separate_counts(per_worker)
    assert {r["case_worker_id"]: r["clients"] for r in rows} == gated
    assert _journal_since(web_store, before)[0]["action"] == "web team", "a person-level read is audited"
    assert lead.get("/api/team?exact=1").status_code == 403
    everyone = analyst.get("/api/team?exact=1").json()["rows"]
    assert sum(r["clients"] for r in everyone if r["case_worker_id"] != "-") == len(oracle.owner)
    assert sum(r["clients"] for r in everyone) == len(oracle.all), "clients without a case worker in a row of their own"


def test_provider_results_beside_the_areas(as_role: Callable[[str], TestClient]) -> None:
    """The hand-made effects: the provider's 80 participants, +10.4 pp, beside the area's 120, +8.1 pp."""
    (row,) = as_role("provider").get("/api/provider").json()["rows"]
    assert row["service_code"] == SERVICE
    assert (row["provider_participants"], row["provider_estimate"], row["provider_lower"]) == (80, 0.104, 0.020)
    assert (row["area_participants"], row["area_estimate"], row["area_upper"]) == (120, 0.081, 0.141)
    page = as_role("provider").get("/provider").text
    assert "10,4 (2,0 – 18,8)" in page and "8,1 (2,1 – 14,1)" in page


def test_a_small_provider_is_hidden_unless_exact(as_role: Callable[[str], TestClient]) -> None:
    analyst = as_role("analyst")
    assert "P-SMALL" in analyst.get("/api/provider").json()["providers"]
    (gated,) = analyst.get("/api/provider?provider=P-SMALL").json()["rows"]
    assert gated["provider_participants"] is None and gated["provider_estimate"] is None
    (exact,) = analyst.get("/api/provider?provider=P-SMALL&exact=1").json()["rows"]
    assert (exact["provider_participants"], exact["provider_estimate"]) == (4, 0.3)
    assert as_role("provider").get("/api/provider?provider=P-SMALL").json()["provider_id"] != "P-SMALL", (
        "a provider sees only itself"
    )


def test_runs_list_and_provenance(as_role: Callable[[str], TestClient], web_run: Path) -> None:
    analyst = as_role("analyst")
    listed = analyst.get("/api/runs").json()["runs"]
    assert web_run.name in [r["run_id"] for r in listed]
    detail = analyst.get(f"/api/runs/{web_run.name}").json()
    assert detail["provenance"]["run_id"] == web_run.name and len(detail["provenance"]["tables"]) > 20
    quality = analyst.get("/api/quality").json()
    assert any(b["kind"] == "table" and b["id"] == "quality-imports" for b in quality["blocks"])


def _csrf(client: TestClient) -> str:
    from conftest import csrf_of

    return csrf_of(client.get("/runs").text)


QUICK_ANALYSIS = (
    "import sys, time; from pathlib import Path; from polku.runs.progress import Tracker; "
    "t = Tracker(Path(sys.argv[1]), '2026-01-01T000000Z-0000abcd', total=2); time.sleep(0.6); t.step('impact'); "
    "time.sleep(0.6); t.step('quality'); t.end()"
)
"""A stand-in for `polku analyse` (tested by the CLI's tests) that reports its progress the
way the real one does, through `polku.runs.progress.Tracker`."""


def _wait_while_running(client: TestClient) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while client.get("/api/runs/status").json()["job"]["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    return dict(client.get("/api/runs/status").json()["job"])


def test_an_analysis_starts_in_the_background(
    as_role: Callable[[str], TestClient], web_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /runs/start (CSRF) runs the command in a child process; the status page polls it,
    with the sections done of all, and another server process (a second app on the same
    store, as `polku serve --workers 2` has) sees the same state from the progress file."""
    monkeypatch.setattr(analysis, "analyse_command", lambda store_path: [sys.executable, "-c", QUICK_ANALYSIS, str(store_path)])
    analyst = as_role("analyst")
    assert analyst.post("/runs/start", data={"csrf_token": "wrong"}).status_code == 403
    assert as_role("manager").post("/runs/start", data={"csrf_token": _csrf(analyst)}).status_code == 403
    before = len(audit.read_journal(web_store))
    started = analyst.post("/runs/start", data={"csrf_token": _csrf(analyst)}, follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == "/runs/status"
    assert 'http-equiv="refresh"' in analyst.get("/runs/status").text, "the page refreshes itself while running"
    other_worker = log_in(TestClient(create_app(web_store)), "analyst")
    deadline = time.monotonic() + 30
    while other_worker.get("/api/runs/status").json()["job"].get("done") != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    seen = other_worker.get("/api/runs/status").json()["job"]
    assert (seen["state"], seen["done"], seen["total"], seen["current"], seen["started_by"]) == (
        "running",
        1,
        2,
        "impact",
        "analyst",
    )
    assert '<progress max="2" value="1">' in other_worker.get("/runs/status").text
    job = _wait_while_running(analyst)
    assert (job["state"], job["run_id"], job["done"], job["total"]) == ("done", "2026-01-01T000000Z-0000abcd", 2, 2)
    assert other_worker.get("/api/runs/status").json()["job"] == job | {"seconds": job["seconds"]}
    assert 'id="new-run"' in analyst.get("/runs/status").text
    child = analysis._children[str(web_store)]
    child.process.wait(timeout=30)  # the run is published just before the process exits
    analyst.get("/api/runs/status")
    assert child.code == 0 and not child.folder.exists(), "the child's output folder is removed once it ended"
    rows = _journal_since(web_store, before)
    assert ("analyst", "web analyse", "ok") in [(r["actor"], r["action"], r["outcome"]) for r in rows]


def test_an_analysis_refused_before_it_began_shows_its_reason(
    as_role: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command that stops before its progress file exists (here: exit 2 with polku's one-line
    error) is shown failed with that line."""
    refused = "import sys; print('error: the store holds no dated rows', file=sys.stderr); sys.exit(2)"
    monkeypatch.setattr(analysis, "analyse_command", lambda store_path: [sys.executable, "-c", refused])
    analyst = as_role("analyst")
    analyst.post("/runs/start", data={"csrf_token": _csrf(analyst)}, follow_redirects=False)
    job = _wait_while_running(analyst)
    assert (job["state"], job["message"]) == ("failed", "error: the store holds no dated rows")
    child = next(iter(analysis._children.values()))
    assert not child.folder.exists() and child.code == 2, "its folder is removed; the line is kept in memory"


def test_charts_are_images_not_inline_svg(as_role: Callable[[str], TestClient]) -> None:
    page = as_role("manager").get("/area").text
    assert '<img src="data:image/svg+xml;base64,' in page and "<svg" not in page
    assert "style=" not in page and "<script" not in page


VIEW_PAGES = (
    "/area",
    "/area/impact",
    "/area/costs",
    "/area/services",
    "/area/drill/service",
    "/area/drill/group",
    "/area/drill/municipality",
    "/quality",
    "/team",
    "/provider",
    "/runs",
    "/runs/status",
    "/overview",
)


@pytest.mark.parametrize("route", VIEW_PAGES)
def test_views_have_no_inline_script_or_style(as_role: Callable[[str], TestClient], route: str) -> None:
    for query in ("", "?exact=1"):
        response = as_role("analyst").get(route + query)
        html = response.text
        assert response.status_code == 200, route + query
        assert "<script" not in html and "style=" not in html and "<style" not in html, route
        assert not re.search(r"\son[a-z]+=", html), route
        assert "unsafe-inline" not in response.headers["content-security-policy"]
