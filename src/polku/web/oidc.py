"""Optional OIDC login: OpenID Connect authenticates, Polku's own accounts authorise.

Off unless `POLKU_OIDC_ISSUER` is set (docs/web.md, "OIDC login"). The flow is the
authorization-code flow with PKCE (S256), a `state` bound to the browser's pre-login session
and a `nonce` bound to the ID token, all three kept server-side in the accounts file and used
once. The ID token's signature is checked against the provider's published keys (JWKS, looked
up again once when a key id is new), and its claims by Authlib's `CodeIDToken`: issuer,
audience (our client id), expiry, issue time, nonce, `azp` and `at_hash`.

The claim `POLKU_OIDC_USERNAME_CLAIM` names the Polku user; that account must exist and be
enabled (`polku user add`), and its role and ties decide what the user sees. A provider can
therefore let nobody in whom the area has not given an account, and disabling the account
ends the access however the provider sees the person. The session is the ordinary server-side
session of a password login.

Why Authlib's parts and not its httpx client: the client class warns on import (it wants a
package named httpx2), and warnings are errors here; the ID-token rules, PKCE and tokens are
Authlib's, the HTTP is plain httpx, and the JOSE is joserfc (Authlib's own JOSE library).
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from polku import settings
from polku.errors import ConfigurationError
from polku.web import trail
from polku.web.accounts import Session
from polku.web.app import WebState, current_session, render
from polku.web.locale import Locale, language
from polku.web.security import set_session_cookie

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
"""Signature algorithms accepted for ID tokens: public-key ones only (never `none`, never HS* with the secret)."""
LEEWAY = 60
"""Seconds of clock difference tolerated on `exp`, `iat` and `nbf`."""
CALLBACK = "/login/oidc/callback"


class OidcRefused(Exception):
    """An OIDC login that did not prove who the user is; `reason` goes to the audit trail."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OidcConfig:
    """Where the provider is and who Polku is there."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    username_claim: str = "preferred_username"
    name: str = "OIDC"
    redirect_uri: str | None = None
    scope: str = "openid profile email"


def _secret(path_text: str) -> str:
    """The client secret from its file, which must be readable by its owner only."""
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise ConfigurationError(f"no client secret file at {path}", fix="set POLKU_OIDC_CLIENT_SECRET_FILE to the file.")
    if os.name != "nt" and path.stat().st_mode & 0o077:
        raise ConfigurationError(f"{path} is readable by others", fix=f"chmod 600 {path}.")
    secret = path.read_text(encoding="utf-8").strip()
    if not secret:
        raise ConfigurationError(f"{path} is empty", fix="write the client secret from the provider into it.")
    return secret


def config_from_settings() -> OidcConfig | None:
    """The OIDC settings in force, or None when OIDC login is off (no issuer)."""
    issuer = settings.get("POLKU_OIDC_ISSUER").strip().rstrip("/")
    if not issuer:
        return None
    client_id = settings.get("POLKU_OIDC_CLIENT_ID").strip()
    secret_file = settings.get("POLKU_OIDC_CLIENT_SECRET_FILE").strip()
    if not client_id or not secret_file:
        raise ConfigurationError(
            "POLKU_OIDC_ISSUER is set without POLKU_OIDC_CLIENT_ID and POLKU_OIDC_CLIENT_SECRET_FILE",
            fix="set all three, or unset POLKU_OIDC_ISSUER to turn OIDC login off.",
        )
    if not issuer.startswith("https://") and not issuer.startswith("http://127.0.0.1"):
        raise ConfigurationError(f"POLKU_OIDC_ISSUER {issuer!r} is not https", fix="give the provider's https address.")
    return OidcConfig(
        issuer,
        client_id,
        _secret(secret_file),
        username_claim=settings.get("POLKU_OIDC_USERNAME_CLAIM").strip() or "preferred_username",
        name=settings.get("POLKU_OIDC_NAME").strip() or "OIDC",
        redirect_uri=settings.get("POLKU_OIDC_REDIRECT_URI").strip() or None,
    )


@dataclass(frozen=True)
class Flow:
    """One login begun: what the browser is sent to, and what the callback must match."""

    url: str
    state: str
    nonce: str
    verifier: str


class OidcProvider:
    """The provider's discovery document and keys (fetched once, keys again for a new key id),
    the authorization request and the ID token's check. `transport` lets tests talk to a fake
    provider in the same process; `clock` lets them move time."""

    def __init__(
        self,
        config: OidcConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.transport = transport
        self.clock = clock
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=10.0, follow_redirects=False)

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self._http() as http:
                response = await http.get(url)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OidcRefused(f"provider unreachable: {type(error).__name__}") from None
        if not isinstance(data, dict):
            raise OidcRefused("provider answered something else than a JSON object")
        return data

    async def metadata(self) -> dict[str, Any]:
        """The discovery document; its issuer must be the configured one (OIDC Discovery 1.0, 4.3)."""
        if self._metadata is None:
            found = await self._get_json(self.config.issuer + "/.well-known/openid-configuration")
            if found.get("issuer", "").rstrip("/") != self.config.issuer:
                raise OidcRefused("discovery issuer differs from POLKU_OIDC_ISSUER")
            needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
            if not all(isinstance(found.get(k), str) for k in needed):
                raise OidcRefused("discovery document lacks an endpoint")
            self._metadata = found
        return self._metadata

    async def keys(self, *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            try:
                self._keys = KeySet.import_key_set(await self._get_json((await self.metadata())["jwks_uri"]))  # type: ignore[arg-type]
            except JoseError as error:
                raise OidcRefused(f"provider keys unreadable: {error.error}") from None
        return self._keys

    async def begin(self, redirect_uri: str) -> Flow:
        """A new state, nonce and PKCE verifier, and the provider's address to send the browser to."""
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        query = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.config.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        endpoint = (await self.metadata())["authorization_endpoint"]
        return Flow(f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}", state, nonce, verifier)

    async def identify(self, code: str, redirect_uri: str, nonce: str, verifier: str) -> dict[str, Any]:
        """Exchange the code (with the PKCE verifier) and return the checked ID token's claims."""
        tokens = await self._exchange(code, redirect_uri, verifier)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcRefused("no ID token in the token response")
        return await self._checked_claims(id_token, nonce, tokens.get("access_token"))

    async def _exchange(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        metadata = await self.metadata()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
        client_id, secret = self.config.client_id, self.config.client_secret
        headers = {}
        if "client_secret_basic" in metadata.get("token_endpoint_auth_methods_supported", ["client_secret_basic"]):
            # RFC 6749, 2.3.1: the id and secret are form-encoded before they are joined and base64-encoded
            pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            form |= {"client_id": client_id, "client_secret": secret}
        try:
            async with self._http() as http:
                response = await http.post(metadata["token_endpoint"], data=form, headers=headers)
            tokens = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OidcRefused(f"token request failed: {type(error).__name__}") from None
        if response.status_code != 200 or not isinstance(tokens, dict):
            error_code = tokens.get("error", response.status_code) if isinstance(tokens, dict) else response.status_code
            raise OidcRefused(f"token request refused: {error_code}")
        return tokens

    async def _decode(self, id_token: str) -> jwt.Token:
        """The token with its signature checked against the provider's keys (fetched again once for a new key id)."""
        offered = (await self.metadata()).get("id_token_signing_alg_values_supported", ALGORITHMS)
        algorithms = [a for a in ALGORITHMS if a in offered]
        for refresh in (False, True):
            try:
                return jwt.decode(id_token, await self.keys(refresh=refresh), algorithms=algorithms)
            except JoseError as error:
                if refresh or error.error not in ("missing_key", "invalid_key_id"):
                    raise OidcRefused(f"ID token: {error.error}") from None
        raise AssertionError("unreachable")

    async def _checked_claims(self, id_token: str, nonce: str, access_token: object) -> dict[str, Any]:
        token = await self._decode(id_token)
        config = self.config
        claims = CodeIDToken(
            token.claims,
            dict(token.header),
            options={"iss": {"essential": True, "value": config.issuer}, "aud": {"essential": True, "value": config.client_id}},
            params={"nonce": nonce, "client_id": config.client_id, "access_token": access_token},
        )
        try:
            claims.validate(now=int(self.clock()), leeway=LEEWAY)
        except JoseError as error:
            raise OidcRefused(f"ID token: {error.error} {getattr(error, 'claim', '')}".strip()) from None
        if "nonce" not in claims:  # we always send one, so it must come back
            raise OidcRefused("ID token: missing_claim nonce")
        return dict(claims)

    def username(self, claims: dict[str, Any]) -> str:
        value = claims.get(self.config.username_claim)
        if not isinstance(value, str) or not value:
            raise OidcRefused(f"ID token has no {self.config.username_claim}")
        return value


# --- the two routes: /login/oidc begins, /login/oidc/callback finishes -------------------------


def _redirect_uri(provider: OidcProvider, request: Request) -> str:
    return provider.config.redirect_uri or str(request.url_for("oidc_callback"))


def _state(request: Request) -> WebState:
    web: WebState = request.app.state.web
    return web


async def oidc_start(request: Request) -> Response:
    """Send the browser to the provider, with a state, nonce and PKCE challenge tied to its session."""
    state = _state(request)
    if state.oidc is None:
        return Response("Not Found", status_code=404, media_type="text/plain")
    session = await current_session(state, request)
    if session is not None and session.user is not None:
        return RedirectResponse("/", status_code=303)
    if session is None:
        session = await run_in_threadpool(state.accounts.new_session, None, language(request.query_params.get("lang")))
    try:
        flow = await state.oidc.begin(_redirect_uri(state.oidc, request))
    except OidcRefused as refusal:
        return await _refuse(request, session, "", refusal.reason, 502, "web.login.oidc_failed")
    await run_in_threadpool(state.accounts.start_flow, session.token, flow.state, flow.nonce, flow.verifier)
    response = RedirectResponse(flow.url, status_code=303)
    set_session_cookie(response, request, session.token)
    return response


async def oidc_callback(request: Request) -> Response:
    """Check the provider's answer against this session's flow, then log in the Polku account it names."""
    state, params = _state(request), request.query_params
    session = await current_session(state, request)
    if state.oidc is None:
        return Response("Not Found", status_code=404, media_type="text/plain")
    given_state = params.get("state", "")
    pending = None if session is None else await run_in_threadpool(state.accounts.take_flow, session.token, given_state)
    if session is None or pending is None:
        return await _refuse(request, None, "", "oidc state", 403, "web.login.expired")
    if "code" not in params:
        reason = f"oidc provider: {params.get('error', 'no code')}"[:80]
        return await _refuse(request, session, "", reason, 401, "web.login.oidc_failed")
    try:
        claims = await state.oidc.identify(params["code"], _redirect_uri(state.oidc, request), *pending)
        username = state.oidc.username(claims)
    except OidcRefused as refusal:
        return await _refuse(request, session, "", f"oidc {refusal.reason}", 401, "web.login.oidc_failed")
    user = await run_in_threadpool(state.accounts.user, username)
    if user is None:  # unknown or disabled: the provider authenticates, only Polku's accounts authorise
        return await _refuse(request, session, username, "oidc no enabled account", 403, "web.login.oidc_no_account")
    await run_in_threadpool(state.accounts.end_session, session.token)
    fresh = await run_in_threadpool(state.accounts.new_session, user, language(session.lang, user.lang))
    await run_in_threadpool(trail.record, state.store_path, user.username, "web login", access="none", method="oidc")
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, request, fresh.token)
    return response


async def _refuse(request: Request, session: Session | None, actor: str, reason: str, status: int, message: str) -> Response:
    """The login page again with one line saying why, and the refusal in the audit trail."""
    state = _state(request)
    await run_in_threadpool(trail.record, state.store_path, actor, "web login", outcome="refused", reason=reason)
    lang = language(session.lang if session else None)
    if session is None:
        session = await run_in_threadpool(state.accounts.new_session, None, lang)
    response = render(state, request, "login.html", Locale(lang), status, session=session, error=message)
    set_session_cookie(response, request, session.token)
    return response


ROUTES: list[BaseRoute] = [
    Route("/login/oidc", oidc_start, methods=["GET"], name="oidc_start"),
    Route(CALLBACK, oidc_callback, methods=["GET"], name="oidc_callback"),
]
