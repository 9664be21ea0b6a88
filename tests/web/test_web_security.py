"""Login, sessions and headers: CSRF on every form, throttling by name and by address, the idle
timeout, security headers on every kind of response, and no password or identity code in the
logs or the audit trail."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from conftest import TestClient, csrf_of, log_in
from polku.errors import ConfigurationError
from polku.store import audit
from polku.web import create_app
from polku.web.accounts import ADDRESS_FAILURES, USER_FAILURES, Accounts, User

PASSWORD = "correct horse battery"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def client(web_store: Path, tmp_path: Path, clock: Clock):  # type: ignore[no-untyped-def]
    """An app with its own accounts file (so throttling here touches no other test) and a hand clock."""
    accounts = Accounts(tmp_path / "accounts.sqlite", clock=clock, idle_seconds=30 * 60)
    accounts.add_user(User("liisa", "analyst"), PASSWORD)
    accounts.add_user(User("pekka", "manager"), PASSWORD)
    with TestClient(create_app(web_store, accounts=accounts, demo=False)) as test_client:
        yield test_client


def _post_login(client: TestClient, username: str, password: str, token: str | None = None) -> int:
    token = token if token is not None else csrf_of(client.get("/login").text)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=data, follow_redirects=False).status_code


def test_login_sets_a_new_session_cookie(client: TestClient) -> None:
    client.get("/login")
    before = client.cookies.get("polku_session")
    assert _post_login(client, "liisa", PASSWORD) == 303
    after = client.cookies.get("polku_session")
    assert before and after and before != after, "a new token on login (no session fixation)"
    assert client.get("/api/me").json()["username"] == "liisa"


def test_login_without_or_with_a_wrong_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    assert _post_login(client, "liisa", PASSWORD, token="") == 403
    assert _post_login(client, "liisa", PASSWORD, token="forged") == 403
    assert client.get("/api/me").status_code == 401


def test_a_token_from_another_session_is_refused(client: TestClient, web_store: Path, clock: Clock) -> None:
    token = csrf_of(client.get("/login").text)
    client.cookies.clear()
    client.get("/login")
    assert _post_login(client, "liisa", PASSWORD, token=token) == 403


def test_language_and_logout_forms_need_the_token(client: TestClient) -> None:
    log_in(client, "liisa", PASSWORD)
    assert client.post("/language", data={"lang": "sv", "next": "/me"}, follow_redirects=False).status_code == 403
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/api/me").status_code == 200, "a logout without the token ends nothing"
    token = csrf_of(client.get("/me").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/api/me").status_code == 401


def test_wrong_password_and_unknown_name_answer_alike(client: TestClient) -> None:
    first = client.post(
        "/login", data={"username": "liisa", "password": "wrong-password", "csrf_token": csrf_of(client.get("/login").text)}
    )
    second = client.post(
        "/login", data={"username": "nobody", "password": "wrong-password", "csrf_token": csrf_of(client.get("/login").text)}
    )
    assert first.status_code == second.status_code == 401
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 - the tokens differ
    assert strip(first.text) == strip(second.text)


def test_throttling_by_username(client: TestClient, clock: Clock) -> None:
    for _ in range(USER_FAILURES):
        assert _post_login(client, "liisa", "wrong-password") == 401
    assert _post_login(client, "liisa", PASSWORD) == 429, "refused even with the right password"
    assert _post_login(client, "pekka", PASSWORD) == 303, "another name is not locked"
    clock.now += 15 * 60 + 1
    assert _post_login(client, "liisa", PASSWORD) == 303, "the failures age out"


def test_throttling_by_client_address(client: TestClient) -> None:
    for i in range(ADDRESS_FAILURES):
        assert _post_login(client, f"guess{i}", "wrong-password") == 401
    assert _post_login(client, "pekka", PASSWORD) == 429


def test_a_session_ends_after_the_idle_time(client: TestClient, clock: Clock) -> None:
    log_in(client, "liisa", PASSWORD)
    clock.now += 29 * 60
    assert client.get("/api/me").status_code == 200, "each request renews the idle time"
    clock.now += 29 * 60
    assert client.get("/api/me").status_code == 200
    clock.now += 30 * 60 + 1
    assert client.get("/api/me").status_code == 401
    assert client.get("/clients", follow_redirects=False).headers["location"] == "/login"


def test_a_disabled_user_loses_the_session(client: TestClient, web_store: Path) -> None:
    log_in(client, "pekka", PASSWORD)
    client.app.state.web.accounts.disable("pekka")  # type: ignore[attr-defined]
    assert client.get("/api/me").status_code == 401


HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize("route", ["/login", "/api/me", "/static/polku.css", "/no-such-page", "/clients"])
def test_security_headers_on_every_response(client: TestClient, route: str) -> None:
    response = client.get(route, follow_redirects=False)
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    for name, value in HEADERS.items():
        assert response.headers[name] == value, name
    assert (response.headers.get("cache-control") == "no-store") == (not route.startswith("/static/"))


def test_pages_have_no_inline_script_or_style(client: TestClient, web_store: Path) -> None:
    log_in(client, "liisa", PASSWORD)
    some = client.get("/api/clients").json()["clients"][0]["id"]
    for route in ("/login", "/clients", f"/clients/{some}", "/overview", "/me"):
        html = client.get(route).text
        assert "<script" not in html and "style=" not in html and "<style" not in html, route
        assert not re.search(r"\son[a-z]+=", html), route


def test_session_cookie_is_http_only(client: TestClient) -> None:
    response = client.get("/login")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie


def test_no_password_or_identity_code_in_logs_or_trail(
    client: TestClient, web_store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret, hetu = "Very-Secret-Passw0rd", "131052-308T"
    before = len(audit.read_journal(web_store))
    with caplog.at_level(logging.DEBUG):
        _post_login(client, hetu, secret)
        _post_login(client, "liisa", secret)
        log_in(client, "liisa", PASSWORD)
        client.get(f"/clients/{hetu}")
    rows = audit.read_journal(web_store)[before:]
    server_log = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # httpx: the test's client
    text = server_log + str(rows)
    assert "POST /login 401" in server_log and "/clients/<hetu> 404" in server_log
    assert secret not in text and PASSWORD not in text and hetu not in text
    assert [(r["actor"], r["outcome"]) for r in rows][:2] == [("<hetu>", "refused"), ("liisa", "refused")]


def test_the_language_switch_returns_only_to_a_local_page(client: TestClient) -> None:
    log_in(client, "liisa", PASSWORD)
    token = csrf_of(client.get("/me").text)
    for target, expected in (("/clients", "/clients"), ("https://evil.example/", "/"), ("//evil.example", "/")):
        response = client.post("/language", data={"lang": "sv", "next": target, "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == expected
    assert client.get("/api/me").json()["lang"] == "sv"
    assert '<html lang="sv">' in client.get("/me").text


def test_idle_minutes_come_from_the_setting(web_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_WEB_IDLE_MINUTES", "5")
    assert create_app(web_store, demo=False).state.web.accounts.idle_seconds == 300
    monkeypatch.setenv("POLKU_WEB_IDLE_MINUTES", "0")
    with pytest.raises(ConfigurationError, match="POLKU_WEB_IDLE_MINUTES"):
        create_app(web_store, demo=False)
