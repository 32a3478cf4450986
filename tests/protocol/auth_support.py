"""Shared by the authentication tests: botocore-signed requests and a dispatcher that checks them.

Requests come from `oracle.capture` (a real botocore client, stopped before sending) with the
Host header the HTTP layer would add. The dispatcher has no handlers, so a request that passes
authentication ends as a 501 naming its operation, and one that fails as the service's own
authentication error, read back by botocore's parser.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import anyio

from tests.protocol.oracle import (
    ACCESS_KEY,
    SECRET_KEY,
    botocore_reads,
    capture,
    client,
    to_wire,
)
from tsukuru.protocol.auth import Authenticator
from tsukuru.protocol.dispatch import Dispatcher
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.sigv4 import SigV4Credential, parse_sigv4
from tsukuru.protocol.wire import Headers, WireRequest, WireResponse

HOST = "localhost:4590"
SECRETS = {ACCESS_KEY: SECRET_KEY}

# One operation per served service: (service, client method, params, botocore operation name).
CALLS: list[tuple[str, str, dict[str, Any], str]] = [
    ("s3", "list_objects_v2", {"Bucket": "b", "Prefix": "p q/"}, "ListObjectsV2"),
    ("sagemaker", "list_models", {}, "ListModels"),
    (
        "sagemaker-runtime",
        "invoke_endpoint",
        {"EndpointName": "e", "Body": b"1,2"},
        "InvokeEndpoint",
    ),
    ("logs", "describe_log_groups", {}, "DescribeLogGroups"),
    ("sts", "get_caller_identity", {}, "GetCallerIdentity"),
    ("iam", "get_role", {"RoleName": "r"}, "GetRole"),
]


def with_host(req: WireRequest) -> WireRequest:
    return replace(req, headers=Headers([*req.headers.items(), ("Host", HOST)]))


def signed(service: str, method: str, **params: Any) -> WireRequest:
    return with_host(capture(service, method, **params))


def signed_v2(method: str, params: dict[str, Any]) -> WireRequest:
    """What an S3 client configured for signature version 2 (`signature_version="s3"`) sends."""
    made = client("s3", signature_version="s3")
    try:
        getattr(made, method)(**params)
    except Exception as stopped:  # the oracle stops every send by raising with the request
        request = getattr(stopped, "request", None)
        if request is None:
            raise
        return with_host(to_wire(request))
    raise AssertionError("the client never sent a request")


def with_headers(req: WireRequest, **changes: str | None) -> WireRequest:
    """`req` with headers replaced (None removes one); names use `_` for `-`."""
    wanted = {name.replace("_", "-").lower(): value for name, value in changes.items()}
    kept = [(k, v) for k, v in req.headers.items() if k.lower() not in wanted]
    kept += [(k, v) for k, v in wanted.items() if v is not None]
    return replace(req, headers=Headers(kept))


def identify(cred: SigV4Credential | None) -> tuple[str, str]:
    return "123456789012", "us-east-1"


def dispatch(
    req: WireRequest,
    *,
    secrets: dict[str, str] | None = None,
    now: float | None = None,
) -> WireResponse:
    known = SECRETS if secrets is None else secrets
    authenticator = Authenticator(known.get, now=(lambda: now) if now is not None else time.time)
    dispatcher = Dispatcher(
        {}, identify, lambda exc: None, logging.getLogger("tests.auth"), authenticator
    )

    async def run() -> WireResponse:
        return await dispatcher.handle(req)

    return anyio.run(run)


def error_of(service: str, operation: str, response: WireResponse) -> dict[str, Any]:
    """The error botocore reads from `response` (`Code`, `Message`, extra fields)."""
    parsed = botocore_reads(service, operation, response)
    error: dict[str, Any] = parsed["Error"]
    return error


def passed(response: WireResponse) -> bool:
    """Authentication let the request through (it then hits the handler-less 501)."""
    return response.status == 501


def check(authenticator: Authenticator, req: WireRequest, service: str) -> ServiceError | None:
    """The error `authenticator` raises for `req`, or None if it lets it through."""
    try:
        authenticator(req, parse_sigv4(req), service)
    except ServiceError as error:
        return error
    return None
