"""The SageMaker runtime: InvokeEndpoint, answered with AWS's own error shapes.

This is the hot path of every prediction, so it is async end to end: the routing table is read
from memory and the model server is reached over a kept-alive connection, with no thread hop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tsukuru.domain.endpoint_routing import RoutingTable
from tsukuru.domain.errors import DomainError
from tsukuru.domain.ports import DeploymentFailed, Invocation, InvocationTimeout
from tsukuru.protocol.context import Handler, RequestContext
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.wire import SpooledBody
from tsukuru.services.sagemaker_common import scope_of

MAX_PAYLOAD = 6 * 1024 * 1024
TIMEOUT_SECONDS = 60.0


class RuntimeHandlers:
    def __init__(self, routes: RoutingTable, timeout: float = TIMEOUT_SECONDS) -> None:
        self._routes = routes
        self._timeout = timeout

    async def invoke_endpoint(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> Mapping[str, Any]:
        body = params.get("Body") or b""
        if isinstance(body, str):
            body = body.encode()
        name = params["EndpointName"]
        size = body.size if isinstance(body, SpooledBody) else len(body)
        if size > MAX_PAYLOAD:
            raise ServiceError(
                "ValidationError",
                f"Request payload of {size} bytes exceeds the maximum of {MAX_PAYLOAD} "
                "bytes (6 MB) for InvokeEndpoint; use batch transform for larger inputs",
            )
        if isinstance(body, SpooledBody):  # spooled by the gateway, yet within the limit
            body = body.read_bytes()
        _check_header_values(params)
        invocation = Invocation(
            body=body,
            content_type=params.get("ContentType"),
            accept=params.get("Accept"),
            custom_attributes=params.get("CustomAttributes"),
            inference_id=params.get("InferenceId"),
        )
        try:
            variant, result = await self._routes.invoke(
                scope_of(ctx), name, invocation, params.get("TargetVariant"), self._timeout
            )
        except DomainError as exc:
            raise ServiceError("ValidationError", exc.message) from exc
        except InvocationTimeout as exc:
            raise ServiceError(
                "ModelError",
                'Received server error (0) from primary with message "Your invocation timed '
                'out while waiting for a response from container primary."',
                status=424,
                extra={"OriginalStatusCode": "0", "OriginalMessage": "timeout"},
            ) from exc
        except DeploymentFailed as exc:
            raise ServiceError(
                "ServiceUnavailable",
                f"No model server of endpoint {name} is available: {exc.reason}",
                status=503,
                sender_fault=False,
            ) from exc
        if result.status >= 400:
            message = result.body.decode("utf-8", errors="replace")[:1024]
            raise ServiceError(
                "ModelError",
                f"Received client error ({result.status}) from primary with message "
                f'"{message}". See the log stream of endpoint {name} for more information.'
                if result.status < 500
                else f"Received server error ({result.status}) from primary with message "
                f'"{message}". See the log stream of endpoint {name} for more information.',
                status=424,
                extra={
                    "OriginalStatusCode": str(result.status),
                    "OriginalMessage": message,
                    "LogStreamArn": f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:"
                    f"/aws/sagemaker/Endpoints/{name}",
                },
            )
        out: dict[str, Any] = {"Body": result.body, "InvokedProductionVariant": variant}
        if result.content_type:
            out["ContentType"] = result.content_type
        if result.custom_attributes:
            out["CustomAttributes"] = result.custom_attributes
        return out

    def handlers(self) -> dict[str, Handler]:
        return {"InvokeEndpoint": self.invoke_endpoint}


_RELAYED_HEADERS = ("ContentType", "Accept", "CustomAttributes", "InferenceId")


def _check_header_values(params: Mapping[str, Any]) -> None:
    """These members travel on to the model server as headers, where a line break or NUL would
    forge headers of its own: refuse them as AWS refuses values outside their ASCII pattern."""
    for member in _RELAYED_HEADERS:
        value = params.get(member)
        if isinstance(value, str) and any(c in value for c in "\r\n\0"):
            raise ServiceError(
                "ValidationError",
                f"Value at '{member[0].lower()}{member[1:]}' failed to satisfy constraint: "
                "Member must not contain line breaks or NUL characters",
            )
