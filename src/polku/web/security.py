"""Security headers on every response, a redacted access log, CSRF checks and the session cookie.

The CSP allows scripts, styles and images from the server itself only: no inline script or
style, no other origin, no framing. Pages with person-level data must not be cached. The
access log names method, path (hetu-shaped text redacted) and status, never a query string,
form field or password; uvicorn's own access log is switched off (`polku.web.serve`).
"""

from __future__ import annotations

import hmac
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from polku.redaction import redact_hetus

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
NO_STORE = "no-store"
COOKIE = "polku_session"

log = logging.getLogger("polku.web")


class SecurityHeaders:
    """ASGI middleware: the headers above on every response (static files and errors included),
    `Cache-Control: no-store` on all but static files, and one redacted log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode("latin-1").lower() not in HEADERS]
                headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in HEADERS.items()]
                if not path.startswith("/static/"):
                    headers.append((b"cache-control", NO_STORE.encode("latin-1")))
                message["headers"] = headers
                log.info("%s %s %s", scope.get("method", ""), redact_hetus(path), message["status"])
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_ok(expected: str | None, given: object) -> bool:
    """The form's token matches the session's (compared in constant time)."""
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected or "", given)


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """HttpOnly, SameSite=Lax, and Secure when the request came over HTTPS (directly or through
    the reverse proxy, whose X-Forwarded-Proto uvicorn honours from trusted addresses)."""
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
