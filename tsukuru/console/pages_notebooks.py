"""Notebook instances: open, stop and start them — or say plainly that they are not set up.

A notebook instance bills while it runs, so its page puts "stop" next to "open". When the
platform was built without notebook instances, the page explains how to work in a notebook
anyway (`tsukuru exec -- jupyter lab` gives any JupyterLab the endpoint and keys) instead of
showing an empty list that would suggest none exist.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tsukuru.console.guard import csrf_protected
from tsukuru.console.kit import Kit, is_fragment
from tsukuru.domain.errors import DomainError
from tsukuru.domain.ports import Record

SETTLED = ("InService", "Stopped", "Failed")


def notebook_row(record: Record, url: str | None) -> dict[str, Any]:
    doc = record.doc
    request = doc.get("Request") or {}
    return {
        "name": record.name,
        "status": record.status or doc.get("NotebookInstanceStatus", ""),
        "instance_type": request.get("InstanceType") or doc.get("InstanceType", ""),
        "created": doc.get("CreationTime") or record.created,
        "url": url,
        "failure": doc.get("FailureReason"),
    }


class NotebookPages:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/notebooks", self.notebooks),
            Route("/notebooks/{name}/start", csrf_protected(self.start), methods=["POST"]),
            Route("/notebooks/{name}/stop", csrf_protected(self.stop), methods=["POST"]),
        ]

    def notebooks(self, request: Request) -> Response:
        control = self.kit.services.notebooks
        if control is None:
            return self.kit.page(request, "notebooks.html", section="notebooks", available=False)
        scope = self.kit.scope
        rows = []
        for record in control.list(scope):
            url = control.url(scope, record.name) if record.status == "InService" else None
            rows.append(notebook_row(record, url))
        return self.kit.page(
            request,
            "notebooks_table.html" if is_fragment(request) else "notebooks.html",
            section="notebooks",
            available=True,
            rows=rows,
            live=any(row["status"] not in SETTLED for row in rows),
        )

    async def _change(self, request: Request, action: str) -> Response:
        name = request.path_params["name"]
        control = self.kit.services.notebooks
        if control is None:
            return self.kit.see_other("/notebooks")
        change = control.start if action == "start" else control.stop
        try:
            await self.kit.in_thread(lambda: change(self.kit.scope, name))
        except DomainError as exc:
            return self.kit.error(request, exc, "/notebooks")
        return self.kit.see_other("/notebooks", {"notice": f"notebook_{action}", "name": name})

    async def start(self, request: Request) -> Response:
        return await self._change(request, "start")

    async def stop(self, request: Request) -> Response:
        return await self._change(request, "stop")
