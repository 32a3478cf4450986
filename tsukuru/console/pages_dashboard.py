"""The dashboard: what is running and billing now, what it all would have cost, what changed.

It is the console's front page (`/` in a browser), so it answers the question a user of a
metered cloud asks first — "is anything still costing me money?" — from the cost ledger, then
shows the newest training jobs and the endpoints. The whole body refreshes every two seconds.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from tsukuru.console.i18n import COOKIE, LANGUAGES
from tsukuru.console.kit import Kit, is_fragment
from tsukuru.console.ledger_view import link, sections
from tsukuru.console.pages_endpoints import endpoint_row
from tsukuru.console.pages_jobs import job_row
from tsukuru.console.rendering import PREFIX
from tsukuru.domain.endpoints import KIND as ENDPOINT
from tsukuru.domain.paging import Listing

RECENT_JOBS = 6
SHOWN_ENDPOINTS = 8
ONE_YEAR = 365 * 24 * 3600


class DashboardPages:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.dashboard),
            Route("/lang/{lang}", self.set_language),
        ]

    def dashboard(self, request: Request) -> Response:
        services = self.kit.services
        scope = self.kit.scope
        ledger = sections(self.kit.ledger.report())
        views, more_jobs = services.training.find(scope, Listing(max_results=RECENT_JOBS))
        endpoints, more_endpoints = services.definitions.find(
            ENDPOINT, scope, Listing(max_results=SHOWN_ENDPOINTS)
        )
        now = services.clock.now().timestamp()
        buckets = services.objects.list_buckets(scope.account_id)
        return self.kit.page(
            request,
            "dashboard_live.html" if is_fragment(request) else "dashboard.html",
            section="dashboard",
            ledger=ledger,
            link=link,
            jobs=[job_row(view.doc, now) for view in views],
            more_jobs=more_jobs is not None,
            endpoints=[endpoint_row(record) for record in endpoints],
            more_endpoints=more_endpoints is not None,
            bucket_count=len(buckets),
            empty=not views and not endpoints and not ledger.running,
        )

    def set_language(self, request: Request) -> Response:
        """The language toggle: remember the choice in a cookie and go back where we were."""
        lang = request.path_params["lang"]
        target = request.query_params.get("next", "")
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = f"{PREFIX}/"
        response = RedirectResponse(target, status_code=303)
        if lang in LANGUAGES:
            response.set_cookie(COOKIE, lang, max_age=ONE_YEAR, path="/", samesite="lax")
        return response
