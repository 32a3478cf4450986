"""What every page module shares: the services, the renderer and the common responses.

Page handlers that only read are plain functions (Starlette runs them in its thread pool, where
the synchronous domain services belong); handlers that change something are async, pass the CSRF
check first and hand the domain call to a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

import anyio
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tsukuru.console.deps import ConsoleServices
from tsukuru.console.ledger_cache import CachedLedger
from tsukuru.console.rendering import PREFIX, Renderer
from tsukuru.domain.errors import AlreadyExists, Conflict, DomainError, NotFound
from tsukuru.domain.scope import Scope

T = TypeVar("T")

LIVE_PARAM = "fragment"  # `?fragment=1`: only the live region, for the refreshing script


def is_fragment(request: Request) -> bool:
    return request.query_params.get(LIVE_PARAM) == "1"


def error_status(exc: DomainError) -> int:
    if isinstance(exc, NotFound) or (exc.code or "").startswith("NoSuch"):
        return 404
    if isinstance(exc, AlreadyExists | Conflict):
        return 409
    return 400


class Kit:
    def __init__(self, services: ConsoleServices, renderer: Renderer) -> None:
        self.services = services
        self.renderer = renderer
        self.ledger = CachedLedger(services)  # the dashboard and the cleanup page share it

    @property
    def scope(self) -> Scope:
        return self.services.scope

    def page(
        self, request: Request, template: str, http_status: int = 200, **context: Any
    ) -> HTMLResponse:
        return self.renderer.html(request, template, context, http_status)

    def error(
        self, request: Request, exc: DomainError | str, back: str, status: int | None = None
    ) -> HTMLResponse:
        message = exc.message if isinstance(exc, DomainError) else exc
        code = status or (error_status(exc) if isinstance(exc, DomainError) else 400)
        return self.page(
            request, "error.html", http_status=code, message=message, back=back, section=""
        )

    @staticmethod
    def see_other(path: str, params: Mapping[str, str] | None = None) -> Response:
        """303 to a console page (after a POST), with a notice for the next page to show."""
        query = f"?{urlencode(params)}" if params else ""
        return RedirectResponse(f"{PREFIX}{path}{query}", status_code=303)

    @staticmethod
    async def in_thread(work: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(work)
