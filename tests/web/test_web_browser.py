"""The case worker in a real browser: Debian's chromium driven by Playwright for Python
(never `playwright install`), against uvicorn on 127.0.0.1 with a free port.

Logs in as the demo case worker, sees their own desk and only their clients, opens a client,
gets 404 for another team's client, enters a measurement (a new point in the chart) and
sets a goal, and switches the language (fi -> sv -> en), with dates in
each locale's style; nothing breaks the CSP and the stylesheet applies.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from conftest import Oracle

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium (apt-get install chromium)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(web_app: Any) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def page(base_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
        context = browser.new_context(base_url=base_url)
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        errors: list[str] = []
        tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        tab.console_errors = errors  # type: ignore[attr-defined]
        yield tab
        browser.close()


def _client_ids(page: Any) -> list[str]:
    hrefs = page.eval_on_selector_all("#clients a.client", "links => links.map(a => a.getAttribute('href'))")
    return [href.rsplit("/", 1)[1] for href in hrefs]


def test_case_worker_in_the_browser(page: Any, oracle: Oracle) -> None:
    page.goto("/clients")
    assert page.url.endswith("/login"), "no desk without logging in"
    page.fill("input[name=username]", "caseworker")
    page.fill("input[name=password]", "polku-demo")
    page.click("form.login button[type=submit]")
    page.wait_for_url(re.compile(r"/clients$"))

    assert page.inner_text("h1") == "Omat asiakkaani"
    assert "Demo" in page.inner_text("#demo-banner")
    own = oracle.by_role["caseworker"]
    shown = _client_ids(page)
    assert len(shown) == min(len(own), 200) and set(shown) <= own, "only the case worker's own clients"
    assert f"{len(own)} asiakasta" in page.inner_text("p.lead") and "31.3.2026" in page.inner_text("p.lead")

    page.click(f"#clients a[href='/clients/{shown[0]}']")
    page.wait_for_url(re.compile(shown[0]))
    assert page.inner_text("h1").startswith("Asiakas") and shown[0] in page.inner_text("h1")
    assert page.locator("section#service_episode table tr").count() >= 1, "a client on the desk has had a service"
    _enter_a_measurement_and_set_a_goal(page, shown[0])

    other = min(oracle.all - oracle.by_role["teamlead"])
    response = page.goto(f"/clients/{other}")
    assert response is not None and response.status == 404
    assert "Ei löydy" in page.inner_text("main")

    page.goto("/clients")
    page.click("form.language button[value=sv]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Mina kunder" and page.get_attribute("html", "lang") == "sv"
    assert "31 mars 2026" in page.inner_text("p.lead")
    page.click("form.language button[value=en]")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "My clients" and "31 Mar 2026" in page.inner_text("p.lead")
    refused = [e for e in page.console_errors if "Content Security Policy" in e or "Refused" in e]
    assert refused == [], "nothing on the pages breaks the CSP"
    banner = page.eval_on_selector("#demo-banner", "el => getComputedStyle(el).fontWeight")
    assert banner == "600", "the stylesheet loads under the CSP"


# --- views (issue 16): each role's views, a download and the language, in the browser ---

VIEW_LINKS = ("/area", "/team", "/provider", "/runs")
ROLE_VIEWS = {
    "analyst": {"/area", "/team", "/provider", "/runs"},
    "manager": {"/area"},
    "teamlead": {"/area", "/team"},
    "caseworker": {"/area"},
    "provider": {"/area", "/provider"},
    "admin": set(),
}


def _log_in(tab: Any, role: str) -> None:
    tab.goto("/login")
    tab.fill("input[name=username]", role)
    tab.fill("input[name=password]", "polku-demo")
    tab.click("form.login button[type=submit]")
    tab.wait_for_load_state()


def test_each_role_sees_exactly_its_views(page: Any, base_url: str) -> None:
    """The menu offers each role its views and no other; the others answer 403 when typed in."""
    for role, views in ROLE_VIEWS.items():
        context = page.context.browser.new_context(base_url=base_url)
        tab = context.new_page()
        _log_in(tab, role)
        links = set(tab.eval_on_selector_all("header nav a", "links => links.map(a => a.getAttribute('href'))"))
        assert links & set(VIEW_LINKS) == views, role
        for path in VIEW_LINKS:
            response = tab.goto(path)
            assert response is not None and response.status == (200 if path in views else 403), (role, path)
        context.close()


def test_manager_downloads_a_table_and_switches_language(page: Any, base_url: str, web_run: Path) -> None:
    context = page.context.browser.new_context(base_url=base_url, accept_downloads=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _log_in(tab, "manager")
    tab.goto("/area")
    assert tab.inner_text("h1") == "Alue" and web_run.name in tab.inner_text("#run-id")
    assert tab.locator("figure.chart img").count() >= 1, "the month chart is drawn"
    with tab.expect_download() as info:
        tab.click("a.download[href='/tables/area/area-transitions.csv']")
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Seuranta-aika,") and "3 kuukautta" in text
    tab.click("form.language button[value=sv]")
    tab.wait_for_load_state()
    assert tab.inner_text("h1") == "Området" and "3 månader" in tab.inner_text("#area-transitions")
    tab.click("form.language button[value=en]")
    tab.wait_for_load_state()
    assert tab.inner_text("h1") == "Area" and tab.url.endswith("/area")
    tab.click("form.language button[value=fi]")  # the choice is kept in the account: leave it as it was
    tab.wait_for_load_state()
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []
    context.close()


def _enter_a_measurement_and_set_a_goal(page: Any, client: str) -> None:
    """The client page's forms in the browser: the new point is in the chart, the goal on the path."""
    page.select_option("#measurement-form select[name=item]", "job_search")
    page.fill("#measurement-form input[name=value]", "3.5")
    page.fill("#measurement-form input[name=measured_on]", "2026-03-20")
    page.click("#measurement-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/clients/{client}\?entered=measurement"))
    assert "Mittaus tallennettiin" in page.inner_text("#saved")
    point = page.locator("#chart-job_search circle.point[data-date='2026-03-20'][data-value='3.5']")
    assert point.count() == 1, "the new measurement is a point in the client's chart"

    page.select_option("#goal-form select[name=domain]", "job_search")
    page.fill("#goal-form input[name=target]", "4")
    page.fill("#goal-form input[name=due]", "2026-06-30")
    page.click("#goal-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/clients/{client}\?entered=goal"))
    assert "Tavoite tallennettiin" in page.inner_text("#saved")
    assert "30.6.2026" in page.inner_text("section#goal"), "the goal is on the client's path"
    assert page.locator("form.goal-update").count() >= 1, "a goal entered here can be updated here"


def test_providers_compared_for_the_manager_and_own_results_for_the_provider(page: Any, base_url: str) -> None:
    """The manager finds the provider comparison in the area's menu, with its funnel drawn; the
    provider sees its own comparison and funnel, and neither the link nor the page of everyone's."""
    for role in ("manager", "provider"):
        context = page.context.browser.new_context(base_url=base_url)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("console", lambda message, errors=errors: errors.append(message.text) if message.type == "error" else None)
        _log_in(tab, role)
        tab.goto("/area")
        subnav = set(tab.eval_on_selector_all("nav.subnav a", "links => links.map(a => a.getAttribute('href'))"))
        if role == "manager":
            assert {"/area/groups", "/area/change", "/area/providers", "/area/national"} <= subnav
            tab.click("nav.subnav a[href='/area/providers']")
            tab.wait_for_url(re.compile(r"/area/providers$"))
            assert tab.inner_text("h1") == "Palveluntuottajien vertailu"
            assert tab.locator("#providers-comparison tbody tr").count() >= 4
            funnel = tab.locator("figure.chart img").first
        else:
            assert not subnav & {"/area/groups", "/area/providers"}
            response = tab.goto("/area/providers")
            assert response is not None and response.status == 403
            tab.goto("/provider")
            assert tab.locator("#provider-comparison tbody tr").count() >= 1
            funnel = tab.locator("figure.chart img").first
        assert funnel.evaluate("img => img.complete && img.naturalWidth > 0"), "the funnel plot is drawn"
        assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []
        context.close()
