"""Endpoints: the list, one endpoint's page with its instances, and the invoke form.

The invoke form is the console's version of `invoke_endpoint`: paste a CSV row (or JSON), see
the prediction, which variant answered and how long the call took. It goes through the same
routing table as InvokeEndpoint, so what it shows is what an application would get. With
scripts on, the form is sent in the background and only the result panel is replaced.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tsukuru.console.guard import csrf_protected
from tsukuru.console.kit import Kit, is_fragment
from tsukuru.console.latency import LatencyLog
from tsukuru.domain.endpoints import KIND as ENDPOINT
from tsukuru.domain.errors import DomainError
from tsukuru.domain.paging import Listing
from tsukuru.domain.ports import DeploymentFailed, Invocation, InvocationTimeout, Record

PAGE_SIZE = 100
SETTLED = ("InService", "Failed")
CONTENT_TYPES = ("text/csv", "application/json", "text/libsvm")
MAX_BODY = 6 * 1024 * 1024  # InvokeEndpoint's payload limit
SHOWN_RESPONSE = 20_000  # characters of the response body shown on the page
_NO_OUTCOME: dict[str, Any] = {
    "ok": False,
    "variant": None,
    "status": None,
    "content_type": "",
    "body": "",
    "cut": False,
    "error": None,
    "error_key": None,
    "ms": 0.0,
}


def endpoint_row(record: Record) -> dict[str, Any]:
    doc = record.doc
    return {
        "name": record.name,
        "status": doc.get("EndpointStatus", record.status),
        "config": doc.get("EndpointConfigName", ""),
        "variants": doc.get("Variants") or [],
        "created": doc.get("CreationTime"),
        "modified": doc.get("LastModifiedTime"),
        "failure": doc.get("FailureReason"),
    }


class EndpointPages:
    def __init__(self, kit: Kit, latency: LatencyLog) -> None:
        self.kit = kit
        self.latency = latency

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/endpoints", self.list_endpoints),
            Route("/endpoints/{name}", self.endpoint),
            Route("/endpoints/{name}/invoke", csrf_protected(self.invoke), methods=["POST"]),
            Route("/endpoints/{name}/delete", csrf_protected(self.delete), methods=["POST"]),
        ]

    def list_endpoints(self, request: Request) -> Response:
        token = request.query_params.get("token") or None
        try:
            records, next_token = self.kit.services.definitions.find(
                ENDPOINT, self.kit.scope, Listing(max_results=PAGE_SIZE, next_token=token)
            )
        except DomainError as exc:
            return self.kit.error(request, exc, "/endpoints")
        rows = [endpoint_row(record) for record in records]
        return self.kit.page(
            request,
            "endpoints_table.html" if is_fragment(request) else "endpoints.html",
            section="endpoints",
            rows=rows,
            next_token=next_token,
            live=any(row["status"] not in SETTLED for row in rows),
        )

    def _details(self, name: str) -> dict[str, Any]:
        services = self.kit.services
        record = services.endpoints.get(self.kit.scope, name)
        row = endpoint_row(record)
        serving = {route.variant: route for route in services.routes.get(self.kit.scope, name)}
        variants = []
        for variant in row["variants"]:
            route = serving.get(variant["VariantName"])
            healthy = services.healthy_instances(route.deployment_id) if route else 0
            variants.append({**variant, "healthy": healthy, "routed": route is not None})
        return {
            "section": "endpoints",
            "arn": record.arn,
            "endpoint": row,
            "variants": variants,
            "latency": self.latency.stats(name),
            "live": row["status"] not in SETTLED,
            "invocable": bool(serving),
            "content_types": CONTENT_TYPES,
        }

    def endpoint(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            context = self._details(name)
        except DomainError as exc:
            return self.kit.error(request, exc, "/endpoints")
        template = "endpoint_live.html" if is_fragment(request) else "endpoint.html"
        return self.kit.page(
            request, template, outcome=None, form_body="", form_type="text/csv", **context
        )

    async def invoke(self, request: Request) -> Response:
        name = request.path_params["name"]
        form = await request.form()
        body = str(form.get("body") or "").replace("\r\n", "\n").strip()
        content_type = str(form.get("content_type") or "text/csv")
        if content_type not in CONTENT_TYPES:
            content_type = "text/csv"
        outcome = await self._call(name, body, content_type)
        if request.headers.get("x-requested-with") == "fetch":
            return self.kit.page(
                request,
                "endpoint_result.html",
                outcome=outcome,
                latency=self.latency.stats(name),
                endpoint={"name": name},
            )
        try:
            context = await self.kit.in_thread(lambda: self._details(name))
        except DomainError as exc:
            return self.kit.error(request, exc, "/endpoints")
        return self.kit.page(
            request,
            "endpoint.html",
            outcome=outcome,
            form_body=body,
            form_type=content_type,
            **context,
        )

    async def _call(self, name: str, body: str, content_type: str) -> dict[str, Any]:
        payload = body.encode("utf-8")
        if not payload:
            return {**_NO_OUTCOME, "error_key": "invoke.empty"}
        if len(payload) > MAX_BODY:
            return {**_NO_OUTCOME, "error_key": "invoke.too_big"}
        invocation = Invocation(body=payload, content_type=content_type, accept=None)
        started = time.perf_counter()
        outcome: dict[str, Any]
        try:
            variant, result = await self.kit.services.routes.invoke(
                self.kit.scope, name, invocation
            )
        except DomainError as exc:
            outcome = {"ok": False, "error": exc.message}
        except InvocationTimeout:
            outcome = {"ok": False, "error_key": "invoke.timeout"}
        except DeploymentFailed as exc:
            outcome = {"ok": False, "error": exc.reason}
        else:
            text = result.body.decode("utf-8", errors="replace")
            outcome = {
                "ok": result.status < 400,
                "variant": variant,
                "status": result.status,
                "content_type": result.content_type or "",
                "body": text[:SHOWN_RESPONSE],
                "cut": len(text) > SHOWN_RESPONSE,
            }
            if result.status >= 400:
                outcome["error"] = text[:1000]
        outcome["ms"] = (time.perf_counter() - started) * 1000
        self.latency.record(name, outcome["ms"], bool(outcome["ok"]))
        return {**_NO_OUTCOME, **outcome}

    async def delete(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            await self.kit.in_thread(
                lambda: self.kit.services.endpoints.delete(self.kit.scope, name)
            )
        except DomainError as exc:
            return self.kit.error(request, exc, f"/endpoints/{name}")
        self.latency.forget(name)
        return self.kit.see_other("/endpoints", {"notice": "endpoint_deleted", "name": name})
