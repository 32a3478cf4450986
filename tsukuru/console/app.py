"""The web console as one ASGI app, mounted by the gateway at `/_console` (and at `/` for
browsers).

Every page module contributes its routes; the guard (loopback rule, CSRF cookie, security
headers) wraps them all, and static files (one stylesheet, one small script) are served from the
package, so the console works on a machine with no network.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from tsukuru.console.deps import ConsoleServices
from tsukuru.console.guard import ConsoleGuard
from tsukuru.console.kit import Kit
from tsukuru.console.latency import LatencyLog
from tsukuru.console.pages_buckets import BucketPages
from tsukuru.console.pages_cleanup import CleanupPages
from tsukuru.console.pages_dashboard import DashboardPages
from tsukuru.console.pages_definitions import DefinitionPages
from tsukuru.console.pages_endpoints import EndpointPages
from tsukuru.console.pages_jobs import TrainingPages
from tsukuru.console.pages_notebooks import NotebookPages
from tsukuru.console.pages_reports import ReportPages
from tsukuru.console.pages_transforms import TransformPages
from tsukuru.console.rendering import Renderer
from tsukuru.domain.errors import DomainError


def build_console(services: ConsoleServices) -> Starlette:
    kit = Kit(services, Renderer(services.clock.now))
    routes: list[BaseRoute] = [
        *DashboardPages(kit).routes(),
        *BucketPages(kit).routes(),
        *TrainingPages(kit).routes(),
        *DefinitionPages(kit).routes(),
        *EndpointPages(kit, LatencyLog()).routes(),
        *TransformPages(kit).routes(),
        *ReportPages(kit).routes(),
        *NotebookPages(kit).routes(),
        *CleanupPages(kit).routes(),
        Mount("/static", app=StaticFiles(packages=[("tsukuru.console", "static")]), name="static"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        t = kit.renderer.translator(request)
        key = "error.not_found" if status == 404 else "error.method"
        return kit.error(request, t(key), "/", status=status)

    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return kit.error(request, exc, "/")

    return Starlette(
        routes=routes,
        middleware=[Middleware(ConsoleGuard, auth=services.auth)],
        exception_handlers={404: not_found, 405: not_found, DomainError: domain_error},
    )
