"""Models and endpoint configurations: the two definitions an endpoint is built from.

Neither runs nor bills (AWS charges nothing for them), so their pages are plain lists with what
a user needs to tell them apart (image, model data, variants) and a delete button.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tsukuru.console.guard import csrf_protected
from tsukuru.console.kit import Kit
from tsukuru.domain.errors import DomainError
from tsukuru.domain.models import ENDPOINT_CONFIG, MODEL, model_data_location, primary_container
from tsukuru.domain.paging import Listing
from tsukuru.domain.ports import Record

PAGE_SIZE = 100


def model_row(record: Record) -> dict[str, Any]:
    container = primary_container(record.doc)
    location = model_data_location(container)
    return {
        "name": record.name,
        "arn": record.arn,
        "image": container.get("Image", ""),
        "model_data": location[0] if location else "",
        "algorithm": (record.doc.get("Algorithm") or {}).get("Name", ""),
        "created": record.doc.get("CreationTime"),
    }


def config_row(record: Record) -> dict[str, Any]:
    return {
        "name": record.name,
        "arn": record.arn,
        "variants": record.doc["Request"].get("ProductionVariants") or [],
        "created": record.doc.get("CreationTime"),
    }


class DefinitionPages:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/models", self.models),
            Route("/models/{name}/delete", csrf_protected(self.delete_model), methods=["POST"]),
            Route("/endpoint-configs", self.configs),
            Route(
                "/endpoint-configs/{name}/delete",
                csrf_protected(self.delete_config),
                methods=["POST"],
            ),
        ]

    def _find(self, request: Request, kind: str) -> tuple[list[Record], str | None]:
        token = request.query_params.get("token") or None
        return self.kit.services.definitions.find(
            kind, self.kit.scope, Listing(max_results=PAGE_SIZE, next_token=token)
        )

    def models(self, request: Request) -> Response:
        try:
            records, next_token = self._find(request, MODEL)
        except DomainError as exc:
            return self.kit.error(request, exc, "/models")
        return self.kit.page(
            request,
            "models.html",
            section="models",
            rows=[model_row(r) for r in records],
            next_token=next_token,
        )

    def configs(self, request: Request) -> Response:
        try:
            records, next_token = self._find(request, ENDPOINT_CONFIG)
        except DomainError as exc:
            return self.kit.error(request, exc, "/endpoint-configs")
        return self.kit.page(
            request,
            "endpoint_configs.html",
            section="configs",
            rows=[config_row(r) for r in records],
            next_token=next_token,
        )

    async def delete_model(self, request: Request) -> Response:
        name = request.path_params["name"]
        definitions = self.kit.services.definitions
        try:
            await self.kit.in_thread(lambda: definitions.delete_model(self.kit.scope, name))
        except DomainError as exc:
            return self.kit.error(request, exc, "/models")
        return self.kit.see_other("/models", {"notice": "model_deleted", "name": name})

    async def delete_config(self, request: Request) -> Response:
        name = request.path_params["name"]
        definitions = self.kit.services.definitions
        try:
            await self.kit.in_thread(
                lambda: definitions.delete_endpoint_config(self.kit.scope, name)
            )
        except DomainError as exc:
            return self.kit.error(request, exc, "/endpoint-configs")
        return self.kit.see_other("/endpoint-configs", {"notice": "config_deleted", "name": name})
