"""One request through the whole wire pipeline, and the only place wire errors are caught.

    parse SigV4 → route to a service → authenticate → decode aws-chunked (checking chunk
    signatures) → resolve the operation → parse the parameters → call the handler → serialize
    the output (or the error)

Authentication (`tsukuru.protocol.auth`) is optional: without an `authenticate` step any
signature passes (`tsukuru up --auth off`).

Handlers see only `(RequestContext, params)` and return a dict or a `Reply`. Whatever goes
wrong comes back in the caller's protocol: a `ServiceError` as itself, a domain exception as
whatever `translate_error` makes of it, an operation without a handler as a 501 naming it, and
anything else as a logged 500 `InternalError`/`InternalFailure` (never a traceback).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import anyio.to_thread
from botocore.model import OperationModel

from tsukuru.protocol.auth import Authenticate
from tsukuru.protocol.chunked import decode_aws_chunked
from tsukuru.protocol.context import Handler, HandlerResult, Handlers, Reply, RequestContext
from tsukuru.protocol.errors import (
    BodyTooLarge,
    ServiceError,
    body_too_large,
    is_storage_full,
    not_implemented,
    storage_full,
)
from tsukuru.protocol.parse import parse_request, resolve_route
from tsukuru.protocol.routing import fallback_service, route
from tsukuru.protocol.serialize import request_id_headers, serialize_error, serialize_response
from tsukuru.protocol.sigv4 import SigV4Credential, parse_sigv4
from tsukuru.protocol.specs import service_model
from tsukuru.protocol.wire import WireRequest, WireResponse

Identify = Callable[[SigV4Credential | None], tuple[str, str]]
INLINE_BODY_LIMIT = 256 * 1024
TranslateError = Callable[[Exception], ServiceError | None]


class Dispatcher:
    def __init__(
        self,
        handlers: Mapping[str, Handlers],
        identify: Identify,
        translate_error: TranslateError,
        logger: logging.Logger,
        authenticate: Authenticate | None = None,
    ) -> None:
        self._handlers = handlers
        self._identify = identify
        self._translate_error = translate_error
        self._log = logger
        self._authenticate = authenticate

    @property
    def handlers(self) -> Mapping[str, Handlers]:
        """Service name → operation name → handler: every operation this dispatcher serves."""
        return self._handlers

    async def handle(self, req: WireRequest) -> WireResponse:
        request_id = str(uuid.uuid4())
        state = _Progress()
        try:
            return await self._run(req, request_id, state)
        except ServiceError as error:
            return self._error(req, request_id, state, error)
        except Exception as exc:
            if is_storage_full(exc):  # an operator's problem, not a bug: no traceback
                self._log.warning("request %s refused, the disk is full: %s", request_id, exc)
                return self._error(req, request_id, state, storage_full(state.service))
            translated = self._translate(exc, state)
            if translated is not None:
                return self._error(req, request_id, state, translated)
            self._log.exception(
                "request %s failed: %s %s (%s.%s)",
                request_id,
                req.method,
                req.raw_path,
                state.service or "?",
                state.operation.name if state.operation is not None else "?",
            )
            return self._error(req, request_id, state, internal_error(state.service))

    async def _run(self, req: WireRequest, request_id: str, state: _Progress) -> WireResponse:
        cred = parse_sigv4(req)
        state.service = route(req, cred)
        if isinstance(req.body_error, BodyTooLarge):
            raise body_too_large(state.service, req.body_error)
        if req.body_error is not None:
            raise req.body_error
        model = service_model(state.service)
        if req.spooled is not None or len(req.body) > INLINE_BODY_LIMIT:
            # hashing megabytes would stall the event loop
            req = await anyio.to_thread.run_sync(self._admit, req, cred, state.service)
        else:
            req = self._admit(req, cred, state.service)
        op, labels = resolve_route(model, req)
        state.operation = op
        if req.spooled is not None and not takes_stream(op):
            req = await anyio.to_thread.run_sync(req.in_memory)
        params = parse_request(model, op, req, labels)
        handler = self._handlers.get(state.service, {}).get(op.name)
        if handler is None:
            raise not_implemented(state.service, op.name)
        account_id, region = self._identify(cred)
        ctx = RequestContext(
            service=state.service,
            operation=op.name,
            request_id=request_id,
            account_id=account_id,
            region=region,
            access_key=cred.access_key if cred is not None else None,
            request=req,
        )
        result = await call_handler(handler, ctx, params)
        if isinstance(result, Reply):
            return serialize_response(
                model,
                op,
                result.output,
                request_id=request_id,
                method=req.method,
                status=result.status,
                extra_headers=result.headers,
            )
        return serialize_response(model, op, result, request_id=request_id, method=req.method)

    def _admit(self, req: WireRequest, cred: SigV4Credential | None, service: str) -> WireRequest:
        """Authenticate (when enabled), then strip aws-chunked framing, checking chunk
        signatures on the way."""
        chunk_check = None
        if self._authenticate is not None:
            chunk_check = self._authenticate(req, cred, service)
        return decode_aws_chunked(req, chunk_check)

    def _translate(self, exc: Exception, state: _Progress) -> ServiceError | None:
        try:
            return self._translate_error(exc)
        except Exception:
            self._log.exception("translate_error failed for %r in %s", exc, state.service)
            return None

    def _error(
        self, req: WireRequest, request_id: str, state: _Progress, error: ServiceError
    ) -> WireResponse:
        service = state.service or fallback_service(req)
        model = service_model(service)
        try:
            return serialize_error(
                model, error, request_id=request_id, method=req.method, op=state.operation
            )
        except Exception:
            self._log.exception("could not serialize %s for request %s", error, request_id)
            headers = request_id_headers(model, request_id)
            return WireResponse(status=500, headers=headers, body=b"")


class _Progress:
    """How far the pipeline got, so an error is written in the right protocol."""

    def __init__(self) -> None:
        self.service: str | None = None
        self.operation: OperationModel | None = None


def takes_stream(op: OperationModel) -> bool:
    """Whether the operation's body is a blob payload (PutObject, UploadPart, InvokeEndpoint),
    which the handler may receive as a spooled file instead of bytes."""
    shape = op.input_shape
    payload = shape.serialization.get("payload") if shape is not None else None
    return bool(payload) and shape is not None and shape.members[payload].type_name == "blob"


def internal_error(service: str | None) -> ServiceError:
    return ServiceError(
        code="InternalError" if service in (None, "s3") else "InternalFailure",
        message="The server encountered an internal error; the details are in its log.",
        status=500,
        sender_fault=False,
    )


# Plain handlers run here. An executor of our own rather than anyio's worker threads: a request
# for a small object costs little more than the hand-off itself, and a bare executor hand-off is
# several times cheaper than anyio's (capacity limiter, cancel scope, checkpoints). As many
# threads as anyio's default limit.
_HANDLER_THREADS = ThreadPoolExecutor(max_workers=40, thread_name_prefix="tsukuru-handler")


async def call_handler(
    handler: Handler, ctx: RequestContext, params: dict[str, Any]
) -> HandlerResult:
    """Await a coroutine handler on the loop; run a plain one in a worker thread."""
    result: Any
    if inspect.iscoroutinefunction(handler):
        result = await handler(ctx, params)
    else:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            _HANDLER_THREADS, functools.partial(handler, ctx, params)
        )
        if inspect.isawaitable(result):
            result = await result
    if not isinstance(result, Mapping | Reply):
        raise TypeError(f"handler for {ctx.operation} returned {type(result).__name__}")
    return cast(HandlerResult, result)
