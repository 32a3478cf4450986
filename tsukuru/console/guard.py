"""Who may reach the console, and proof that a destructive form came from the console itself.

The console can delete endpoints and buckets, so it is not left open the way a read-only page
might be:

* **Loopback only by default.** A request from another machine is refused (403) unless the
  platform has credentials to check (HTTP Basic: access key id and secret access key). A
  loopback request must also name the host by IP, `localhost` or this machine's name, so a
  hostile web page cannot reach the console through DNS rebinding.
* **CSRF.** Every response carries a random token in a `SameSite=Strict` cookie; every page
  embeds it in its forms. A POST is served only when the form field (or the `X-CSRF-Token`
  header of a script's fetch) equals the cookie and any `Origin` header is our own.
* **Headers.** A strict Content-Security-Policy (scripts and styles from the console only), no
  framing, no MIME sniffing.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import socket
from collections.abc import Awaitable, Callable
from functools import wraps
from ipaddress import ip_address

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tsukuru.console.deps import ConsoleAuth
from tsukuru.console.i18n import COOKIE, Translator, negotiate

CSRF_COOKIE = "tsukuru_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_TOKEN_BYTES = 32
_SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}

Handler = Callable[[Request], Awaitable[Response]]


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        address = ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_loopback)


def _host_name(host_header: str) -> str:
    """The name part of a Host header (`[::1]:4590` → `::1`, `localhost:4590` → `localhost`)."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def _names_this_machine(name: str, extra: frozenset[str]) -> bool:
    name = name.lower().rstrip(".")
    if name in ("localhost", *extra) or name.endswith(".localhost"):
        return True
    if name == socket.gethostname().lower():
        return True
    try:
        ip_address(name)
    except ValueError:
        return False
    return True


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def _refusal(request: Request, key: str, status: int) -> Response:
    t = Translator(negotiate(request.cookies.get(COOKIE), request.headers.get("accept-language")))
    response = PlainTextResponse(t(key), status_code=status)
    if status == 401:
        response.headers["www-authenticate"] = 'Basic realm="tsukuru console", charset="UTF-8"'
    return response


def access_problem(request: Request, auth: ConsoleAuth) -> Response | None:
    """None when the request may be served, else the refusal to send."""
    client = request.client.host if request.client else None
    if is_loopback(client):
        if not _names_this_machine(_host_name(request.headers.get("host", "")), auth.host_names):
            return _refusal(request, "guard.bad_host", 403)
        return None
    if auth.check is None:
        return _refusal(request, "guard.loopback_only", 403)
    credentials = _basic_credentials(request.headers.get("authorization"))
    if credentials is None or not auth.check(*credentials):
        return _refusal(request, "guard.login", 401)
    return None


def _valid_token(token: str | None) -> bool:
    return bool(token) and 20 <= len(token or "") <= 100 and (token or "").isascii()


class ConsoleGuard:
    """ASGI middleware: access rule, CSRF cookie, security headers."""

    def __init__(self, app: ASGIApp, auth: ConsoleAuth) -> None:
        self._app = app
        self._auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request = Request(scope)
        refusal = access_problem(request, self._auth)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        token = request.cookies.get(CSRF_COOKIE)
        fresh = not _valid_token(token)
        if fresh:
            token = secrets.token_urlsafe(_TOKEN_BYTES)
        scope.setdefault("state", {})["csrf"] = token

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if fresh:
                    headers.append(
                        "set-cookie",
                        f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict",
                    )
            await send(message)

        await self._app(scope, receive, send_with_headers)


def csrf_token(request: Request) -> str:
    token: str = request.state.csrf
    return token


def _origin_matches(request: Request) -> bool:
    """Browsers send Origin on every POST; a missing one (an old client) is left to the token,
    while `null` (a sandboxed frame, a file) or another site is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


async def csrf_problem(request: Request) -> Response | None:
    """None when the POST carries the session's token (and no foreign Origin)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if (
        not _valid_token(cookie)
        or submitted is None
        or not hmac.compare_digest(str(cookie).encode(), submitted.encode())
        or not _origin_matches(request)
    ):
        return _refusal(request, "guard.csrf", 403)
    return None


def csrf_protected(handler: Handler) -> Handler:
    """Wrap a POST handler: it runs only for a request that passes the CSRF check."""

    @wraps(handler)
    async def checked(request: Request) -> Response:
        problem = await csrf_problem(request)
        if problem is not None:
            return problem
        return await handler(request)

    return checked
