"""OIDC login end to end against a fake provider in the same process (polku.web.oidc).

The fake provider is a small Starlette app: discovery, JWKS, authorize and token, signing ID
tokens with an RSA key made here. Polku reaches it through httpx's ASGI transport; the
"browser" (a TestClient on each app) carries the redirects between them by hand, so each
step can be seen. The provider checks what a real one checks (client authentication, the
redirect address, the PKCE verifier against the S256 challenge) and can be told to misbehave:
another audience, another nonce, an expired token, a token signed by another key, a user
Polku does not know or has disabled. Every refusal leaves the browser logged out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from polku import settings
from polku.errors import ConfigurationError
from polku.store import open_store
from polku.store.audit import read_journal
from polku.web import create_app
from polku.web.accounts import Accounts, User, path_for
from polku.web.oidc import OidcConfig, OidcProvider, config_from_settings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

ISSUER = "https://idp.test"
CLIENT_ID = "polku-web"
SECRET = "s3cret/with:odd+chars"
PASSWORD = "a long enough password"


@dataclass
class Behaviour:
    """What the fake provider puts in its next ID token (the test changes it)."""

    username: str = "maija"
    audience: str = CLIENT_ID
    nonce: str | None = None
    """None: the nonce of the request, as a true provider does."""
    lifetime: int = 300
    signing_key: RSAKey | None = None
    """None: the published key."""
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def fake_provider(key: RSAKey, behaviour: Behaviour) -> Starlette:
    async def discovery(request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }
        )

    async def jwks(request: Request) -> Response:
        return JSONResponse(KeySet([key]).as_dict(private=False))

    async def authorize(request: Request) -> Response:
        q = request.query_params
        assert q["client_id"] == CLIENT_ID and q["response_type"] == "code" and q["code_challenge_method"] == "S256"
        assert "openid" in q["scope"].split()
        code = secrets.token_urlsafe(16)
        behaviour.codes[code] = {k: q[k] for k in ("nonce", "code_challenge", "redirect_uri")}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}", status_code=302)

    async def token(request: Request) -> Response:
        form = dict(await request.form())
        behaviour.token_requests.append({k: str(v) for k, v in form.items()})
        expected = "Basic " + base64.b64encode(b"polku-web:s3cret%2Fwith%3Aodd%2Bchars").decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        issued = behaviour.codes.pop(str(form.get("code")), None)
        if issued is None or form.get("redirect_uri") != issued["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if _s256(str(form.get("code_verifier"))) != issued["code_challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": "subject-" + behaviour.username,
            "aud": behaviour.audience,
            "iat": now - (behaviour.lifetime < 0) * 3600,
            "exp": now + behaviour.lifetime,
            "nonce": behaviour.nonce or issued["nonce"],
            "preferred_username": behaviour.username,
        }
        signer = behaviour.signing_key or key
        id_token = jwt.encode({"alg": "RS256", "kid": signer.kid}, claims, signer, algorithms=["RS256"])
        return JSONResponse({"access_token": "opaque", "token_type": "Bearer", "id_token": id_token})

    routes = [
        Route("/.well-known/openid-configuration", discovery),
        Route("/jwks", jwks),
        Route("/authorize", authorize),
        Route("/token", token, methods=["POST"]),
    ]
    return Starlette(routes=routes)


@dataclass
class World:
    polku: Any
    idp: Any
    behaviour: Behaviour
    store: Path
    accounts: Accounts


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """An empty store with three accounts (one disabled), Polku with OIDC on, and the fake provider."""
    store = tmp_path_factory.mktemp("oidc") / "polku.duckdb"
    with open_store(store):
        pass
    accounts = Accounts(path_for(store))
    accounts.add_user(User("maija", "analyst"), PASSWORD)
    accounts.add_user(User("kalle", "manager"), PASSWORD)
    accounts.add_user(User("ville", "manager"), PASSWORD)
    accounts.disable("ville")
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
    behaviour = Behaviour()
    idp_app = fake_provider(key, behaviour)
    provider = OidcProvider(OidcConfig(ISSUER, CLIENT_ID, SECRET, name="Testi-IdP"), transport=httpx.ASGITransport(idp_app))
    app = create_app(store, accounts=accounts, demo=False, oidc=provider)
    yield World(app, idp_app, behaviour, store, accounts)


@pytest.fixture
def behaviour(world: World) -> Iterator[Behaviour]:
    yield world.behaviour
    fresh = Behaviour()
    for name in ("username", "audience", "nonce", "lifetime", "signing_key"):
        setattr(world.behaviour, name, getattr(fresh, name))


def sign_in(world: World, browser: TestClient) -> httpx.Response:
    """The browser's round trip: Polku -> provider's authorize -> Polku's callback; the callback's answer."""
    start = browser.get("/login/oidc", follow_redirects=False)
    assert start.status_code == 303, start.text[:200]
    at_provider = urlsplit(start.headers["location"])
    assert f"{at_provider.scheme}://{at_provider.netloc}" == ISSUER
    sent = parse_qs(at_provider.query)
    assert sent["redirect_uri"] == ["http://testserver/login/oidc/callback"] and len(sent["code_challenge"][0]) == 43
    with TestClient(world.idp, base_url=ISSUER) as idp:
        back = idp.get(f"{at_provider.path}?{at_provider.query}", follow_redirects=False)
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    return browser.get(f"{callback.path}?{callback.query}", follow_redirects=False)


def _logins(store: Path, outcome: str) -> list[tuple[str, dict[str, Any]]]:
    """(actor, data) of the web logins in the store's audit journal with that outcome."""
    rows = [r for r in read_journal(store) if r["action"] == "web login" and r["outcome"] == outcome]
    return [(r["actor"], json.loads(r["data"])) for r in rows]


def _refusals(store: Path) -> list[str]:
    return [str(data.get("reason")) for _, data in _logins(store, "refused")]


def test_the_login_page_offers_the_provider_only_when_configured(world: World, tmp_path: Path) -> None:
    with TestClient(world.polku) as browser:
        assert "Testi-IdP" in browser.get("/login?lang=en").text and 'href="/login/oidc"' in browser.get("/login").text
    with open_store(tmp_path / "plain.duckdb"):
        pass
    plain = create_app(tmp_path / "plain.duckdb", demo=False)
    with TestClient(plain) as browser:
        assert "/login/oidc" not in browser.get("/login").text
        assert browser.get("/login/oidc", follow_redirects=False).status_code == 404


def test_a_known_user_signs_in_and_gets_the_role_of_their_polku_account(world: World, behaviour: Behaviour) -> None:
    with TestClient(world.polku) as browser:
        answer = sign_in(world, browser)
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        me = browser.get("/api/me").json()
    assert me["username"] == "maija" and me["role"] == "analyst"
    verifier = behaviour.token_requests[-1]["code_verifier"]
    assert len(verifier) >= 43 and "client_secret" not in behaviour.token_requests[-1]  # sent in the header
    actor, data = _logins(world.store, "ok")[-1]
    assert actor == "maija" and data["method"] == "oidc"


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"audience": "someone-else"}, "invalid_claim aud"),
        ({"nonce": "not-the-one-sent"}, "invalid_claim nonce"),
        ({"lifetime": -120}, "expired_token"),
        ({"signing_key": RSAKey.generate_key(2048, parameters={"kid": "test-key"})}, "bad_signature"),
    ],
    ids=["wrong audience", "wrong nonce", "expired", "another key"],
)
def test_a_token_that_fails_a_check_logs_nobody_in(
    world: World, behaviour: Behaviour, change: dict[str, Any], reason: str
) -> None:
    for name, value in change.items():
        setattr(behaviour, name, value)
    with TestClient(world.polku) as browser:
        answer = sign_in(world, browser)
        assert answer.status_code == 401
        assert browser.get("/api/me").status_code == 401
    assert reason in _refusals(world.store)[-1]


@pytest.mark.parametrize("username", ["nobody", "ville"], ids=["unknown user", "disabled user"])
def test_the_provider_authenticates_but_only_a_polku_account_authorises(
    world: World, behaviour: Behaviour, username: str
) -> None:
    behaviour.username = username
    with TestClient(world.polku) as browser:
        answer = sign_in(world, browser)
        assert answer.status_code == 403 and "ei ole Polku-tunnusta" in answer.text
        assert browser.get("/api/me").status_code == 401
    assert _refusals(world.store)[-1] == "oidc no enabled account"


def test_a_callback_from_another_browser_or_used_twice_is_refused(world: World, behaviour: Behaviour) -> None:
    with TestClient(world.polku) as victim, TestClient(world.polku) as attacker:
        start = attacker.get("/login/oidc", follow_redirects=False)
        at_provider = urlsplit(start.headers["location"])
        with TestClient(world.idp, base_url=ISSUER) as idp:
            back = urlsplit(idp.get(f"{at_provider.path}?{at_provider.query}", follow_redirects=False).headers["location"])
        victim.get("/login")
        assert victim.get(f"{back.path}?{back.query}", follow_redirects=False).status_code == 403  # login CSRF
        assert attacker.get(f"{back.path}?{back.query}", follow_redirects=False).status_code == 403  # state used once
        assert victim.get("/api/me").status_code == 401 and attacker.get("/api/me").status_code == 401
    assert _refusals(world.store)[-1] == "oidc state"


def test_a_provider_whose_discovery_names_another_issuer_is_not_followed(world: World) -> None:
    """OIDC Discovery 1.0, 4.3: the document's issuer must be the one configured."""
    impostor = OidcProvider(OidcConfig("https://other.test", CLIENT_ID, SECRET), transport=httpx.ASGITransport(world.idp))
    app = create_app(world.store, accounts=world.accounts, demo=False, oidc=impostor)
    with TestClient(app) as browser:
        answer = browser.get("/login/oidc", follow_redirects=False)
        assert answer.status_code == 502 and "location" not in answer.headers
    assert "discovery issuer differs" in _refusals(world.store)[-1]


def test_settings_turn_oidc_on_and_refuse_a_secret_others_can_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_from_settings() is None
    secret = tmp_path / "secret"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    secret.chmod(0o600)
    monkeypatch.setenv("POLKU_OIDC_ISSUER", ISSUER + "/")
    monkeypatch.setenv("POLKU_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("POLKU_OIDC_CLIENT_SECRET_FILE", str(secret))
    config = config_from_settings()
    assert config is not None and (config.issuer, config.client_secret, config.username_claim) == (
        ISSUER,
        SECRET,
        settings.get("POLKU_OIDC_USERNAME_CLAIM"),
    )
    assert SECRET not in repr(config)
    secret.chmod(0o644)
    with pytest.raises(ConfigurationError, match="readable by others"):
        config_from_settings()
    monkeypatch.setenv("POLKU_OIDC_ISSUER", "http://idp.example")
    with pytest.raises(ConfigurationError, match="not https"):
        config_from_settings()
