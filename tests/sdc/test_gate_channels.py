"""The disclosure property on the web API and on `polku change --json` (issue 14, point 5).

As in test_gate_property.py, for random small areas (12, 30, 100 and 200 clients) and
random thresholds T (3-20): no shown figure, and no shown total minus its shown parts within
a table, reveals a count from 1 to T-1.

The web routes are not listed here: every view registered in `polku.web.views.VIEWS` that a
manager may read is asked for its JSON twin as the manager, so a view added later is checked
without a change here. A path parameter (a drill-down) is filled with the codes the other
answers name (services, municipalities, ...); an answer of 404 for a code is skipped. The
threshold reaches the server the way it reaches a deployment: `POLKU_MIN_CELL_SIZE`.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from disclosure_checks import change_problems, json_problems
from gate_areas import SIZES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polku.cli import main
from polku.web import create_app
from polku.web.access import allowed
from polku.web.accounts import Accounts, User, path_for
from polku.web.views import VIEWS

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

MANAGER = User("manager", "manager")
PASSWORD = "gate-test-password"
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
CODES_PER_PARAM = 4


def manager_paths() -> list[str]:
    """The API paths of every registered view a manager may read, parameters left in."""
    return ["/api" + v.path for v in VIEWS if v.reads is not None and allowed(MANAGER, v.reads)]


def _log_in(client: TestClient) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {"username": MANAGER.username, "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


@pytest.fixture(scope="module")
def managers(small_areas: dict[int, Path]) -> Iterator[dict[int, TestClient]]:
    """A TestClient per area, logged in as a manager."""
    clients = {}
    for n, store in small_areas.items():
        accounts = Accounts(path_for(store))
        if accounts.user(MANAGER.username) is None:
            accounts.add_user(MANAGER, PASSWORD)
        clients[n] = TestClient(create_app(store, accounts=accounts, demo=False))
        _log_in(clients[n])
    yield clients
    for client in clients.values():
        client.close()


def _keys(node: Any) -> set[str]:
    """Every object key in a JSON answer: the codes a drill-down may take."""
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def answers(client: TestClient) -> dict[str, Any]:
    """The JSON of every manager route; parameters filled from the plain routes' keys."""
    found: dict[str, Any] = {}
    plain = [p for p in manager_paths() if not PARAM.search(p)]
    for path in plain:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        found[path] = response.json()
    codes = sorted(k for k in _keys(list(found.values())) if re.fullmatch(r"[\w.-]{1,40}", k))
    for path in (p for p in manager_paths() if PARAM.search(p)):
        for code in codes:
            filled = PARAM.sub(code, path)
            response = client.get(filled)
            if response.status_code == 200:
                found[filled] = response.json()
            if sum(f.startswith(path.split("{")[0]) for f in found) >= CODES_PER_PARAM:
                break
    return found


def test_the_manager_can_read_the_overview_at_least() -> None:
    assert "/api/overview" in manager_paths()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.sampled_from(SIZES), t=st.integers(3, 20))
def test_no_web_api_answer_reveals_a_small_count(managers: dict[int, TestClient], size: int, t: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLKU_MIN_CELL_SIZE", str(t))
        found = answers(managers[size])
    assert "/api/overview" in found and found["/api/overview"]["threshold"] == t
    assert [p for path, payload in found.items() for p in json_problems(payload, t, path)] == []


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.sampled_from(SIZES), t=st.integers(3, 20))
def test_no_change_json_reveals_a_small_count(small_areas: dict[int, Path], size: int, t: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLKU_MIN_CELL_SIZE", str(t))
        result = CliRunner().invoke(main, ["change", "--json", "--store", str(small_areas[size])])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["threshold"] == t and record["items"], "the area has clients measured twice"
    assert change_problems(record, t) == []
    assert json_problems(record, t, "change") == []  # any count a later version adds
