"""The cleanup page: everything that costs (or would cost) money, tick it, stop or delete it.

This is the tutorial's clean-up section as a page. Endpoints and notebook instances — what bills
by the hour while idle — are ticked by default, as `tsukuru cleanup` deletes them by default;
running jobs, stored data and the free definitions (models, endpoint configs) are offered but
left unticked. Everything listed comes from the cost ledger, so the page shows what each line
would cost on AWS and what stops billing once it is gone.
"""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tsukuru.console.actions import Freed, stop_or_delete
from tsukuru.console.guard import csrf_protected
from tsukuru.console.kit import Kit
from tsukuru.console.ledger_cache import every_page
from tsukuru.console.ledger_view import ACTION_ORDER, ResourceLine, link, merge, sections
from tsukuru.domain.endpoints import KIND as ENDPOINT
from tsukuru.domain.errors import DomainError
from tsukuru.domain.ledger_usage import SERVING
from tsukuru.domain.paging import Listing


def _order(value: str) -> int:
    kind = value.partition(":")[0]
    return ACTION_ORDER.index(kind) if kind in ACTION_ORDER else len(ACTION_ORDER)


class CleanupPages:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/cleanup", self.cleanup),
            Route("/cleanup", csrf_protected(self.clean), methods=["POST"]),
        ]

    def _page(self, request: Request, failures: list[str] | None = None) -> Response:
        services = self.kit.services
        ledger = sections(self.kit.ledger.report())
        ledger.free += self._idle_endpoints()
        return self.kit.page(
            request,
            "cleanup.html",
            http_status=200 if not failures else 207,
            section="cleanup",
            ledger=ledger,
            link=link,
            failures=failures or [],
            notebooks_available=services.notebooks is not None,
        )

    def _idle_endpoints(self) -> list[ResourceLine]:
        """Endpoints that exist but are not metered (Creating, Failed): they cost nothing, yet
        a user cleaning up wants them gone too."""
        find = partial(self.kit.services.definitions.find, ENDPOINT, self.kit.scope)
        return [
            ResourceLine(
                kind=ENDPOINT,
                name=record.name,
                status=record.status,
                running=False,
                billable_now=False,
                started=record.created,
                elapsed_seconds=0.0,
                usd_per_hour=None,
                estimated_usd=0.0,
                price_basis="no_charge",
            )
            for record in every_page(find, Listing())
            if record.status not in SERVING
        ]

    def cleanup(self, request: Request) -> Response:
        return self._page(request)

    async def clean(self, request: Request) -> Response:
        form = await request.form()
        chosen = sorted({str(v) for v in form.getlist("item") if ":" in str(v)}, key=_order)
        if not chosen:
            return self.kit.see_other("/cleanup", {"notice": "nothing_selected"})
        services = self.kit.services
        report = await self.kit.in_thread(self.kit.ledger.report)
        rates = {
            line.value: line.usd_per_hour or 0.0 for line in merge(report.items) if line.running
        }
        t = self.kit.renderer.translator(request)
        failures: list[str] = []
        done = 0
        stopped_hourly = 0.0
        freed = Freed()
        for value in chosen:
            kind, _, name = value.partition(":")
            try:
                result = await self.kit.in_thread(partial(stop_or_delete, services, kind, name))
            except DomainError as exc:
                label = t(f"kind.{kind}") if t.has(f"kind.{kind}") else kind
                failures.append(t("cleanup.failed_one", kind=label, name=name, detail=exc.message))
                continue
            done += 1
            stopped_hourly += rates.get(value, 0.0)
            freed.objects += result.objects
            freed.bytes += result.bytes
        self.kit.ledger.invalidate()
        if failures:
            return await self.kit.in_thread(partial(self._page, request, failures))
        return self.kit.see_other(
            "/cleanup",
            {
                "notice": "cleaned",
                "count": str(done),
                "rate": t.money(stopped_hourly),
                "size": t.size(freed.bytes),
            },
        )
