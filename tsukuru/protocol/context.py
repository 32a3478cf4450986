"""What a service handler receives besides its parsed parameters, and what it may return.

A handler is `handler(ctx, params) -> dict | Reply` (sync handlers run in a worker thread,
`async def` handlers on the event loop). `params` and the returned dict use the botocore member
names of the operation's input and output shapes (`{"Bucket": ..., "Key": ...}`), so handlers
never touch headers, query strings or XML.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tsukuru.protocol.wire import WireRequest


@dataclass(frozen=True)
class RequestContext:
    service: str  # "s3", "sagemaker", "sagemaker-runtime", "logs", "sts", "iam"
    operation: str  # botocore operation name, e.g. "PutObject"
    request_id: str
    account_id: str
    region: str
    access_key: str | None
    request: WireRequest


@dataclass
class Reply:
    """A handler's output when the default status or headers are not enough (S3's 206, 204)."""

    output: Mapping[str, Any]
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


HandlerResult = Mapping[str, Any] | Reply
Handler = Callable[[RequestContext, dict[str, Any]], HandlerResult | Awaitable[HandlerResult]]
Handlers = Mapping[str, Handler]
