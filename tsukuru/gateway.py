"""The one HTTP port: AWS requests go to the protocol pipeline, the rest to tsukuru's own pages.

This module is the only place that knows Starlette's request and response types for AWS traffic:
it turns an HTTP request into a `WireRequest`, hands it to the dispatcher and writes the
`WireResponse` back, streaming file bodies from disk instead of reading them into memory, and
spooling large request bodies to disk on the way in (`tsukuru.gateway_bodies`).

`/` is shared: S3's ListBuckets is `GET /`, and so is a browser opening the web console. AWS
clients always sign (an `Authorization` header, `X-Amz-*` headers or a presigned query), a
browser never does, so an unsigned GET or HEAD of `/` goes to the console and anything signed to
the protocol pipeline. The console's other pages live under a prefix that is not a valid bucket
name (`/_console`), so they never collide with path-style S3 requests.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tsukuru.gateway_bodies import BodyIntake, ReceivedBody, receive_body
from tsukuru.protocol.wire import FilePayload, Headers, WireRequest, WireResponse

DispatchFn = Callable[[WireRequest], Awaitable[WireResponse]]
Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]

_CHUNK = 4 * 1024 * 1024


async def to_wire_request(request: Request, received: ReceivedBody | None = None) -> WireRequest:
    """The request as the protocol layer sees it; `received` is its body when already taken
    (spooled, or refused), otherwise the body is read into memory here."""
    if received is None:
        received = ReceivedBody(body=await request.body())
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    return WireRequest(
        method=request.method,
        raw_path=raw_path.decode("latin-1"),
        query_string=request.scope.get("query_string", b"").decode("latin-1"),
        headers=Headers(list(request.headers.items())),
        body=received.body,
        spooled=received.spooled,
        body_error=received.error,
    )


def _open_range(payload: FilePayload) -> tuple[int, int]:
    """Open the file and work out where the range ends, in one trip to a worker thread."""
    fd = os.open(payload.path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    end = size if payload.length is None else min(size, payload.offset + payload.length)
    return fd, end


async def _chunks_of(fd: int, start: int, end: int) -> AsyncGenerator[bytes, None]:
    """The bytes of `fd` from `start` to `end`, reading the next chunk while the caller sends
    this one (a worker-thread trip per chunk would otherwise stall the stream each time);
    `fd` is closed once no read is in flight."""
    loop = asyncio.get_running_loop()

    def read_from(position: int) -> asyncio.Future[bytes] | None:
        if position >= end:
            return None
        return loop.run_in_executor(None, os.pread, fd, min(_CHUNK, end - position), position)

    pending = read_from(start)
    try:
        position = start
        while pending is not None:
            chunk = await pending
            pending = None
            if not chunk:
                break
            position += len(chunk)
            pending = read_from(position)
            yield chunk
    finally:
        if pending is not None and not pending.done():
            pending.add_done_callback(lambda _: os.close(fd))
        else:
            os.close(fd)


async def send_wire(wire: WireResponse, receive: Receive, send: Send) -> None:
    """Write a `WireResponse` as ASGI messages: an in-memory body as one message, a file body
    (a large GetObject) streamed from disk until done or the client goes away. Every AWS
    answer leaves the gateway this way, whichever path its request took."""
    if not isinstance(wire.body, FilePayload):
        headers = _raw_headers(wire.status, wire.headers, len(wire.body))
        await send({"type": "http.response.start", "status": wire.status, "headers": headers})
        await send({"type": "http.response.body", "body": wire.body})
        return
    payload = wire.body
    loop = asyncio.get_running_loop()
    fd, end = await loop.run_in_executor(None, _open_range, payload)
    chunks = _chunks_of(fd, payload.offset, end)
    gone = asyncio.ensure_future(receive())  # the request is read: only a disconnect can come
    try:
        headers = _raw_headers(wire.status, wire.headers, end - payload.offset)
        await send({"type": "http.response.start", "status": wire.status, "headers": headers})
        async for chunk in chunks:
            if gone.done():
                return
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        gone.cancel()
        await chunks.aclose()


def _raw_headers(status: int, headers: dict[str, str], length: int) -> list[tuple[bytes, bytes]]:
    """The Content-Length of the body (none for 1xx, 204 and 304), replaced by the wire
    response's own headers, one per lower-cased name (a repeated name keeps its first place and
    its last value)."""
    merged: dict[bytes, bytes] = {}
    if not (status < 200 or status in (204, 304)):
        merged[b"content-length"] = b"%d" % length
    replaced_length = False
    for name, value in headers.items():
        key = name.lower().encode("latin-1")
        if key == b"content-length" and not replaced_length:
            merged.pop(key, None)  # deleted, then set in the wire response's order
            replaced_length = True
        merged[key] = value.encode("latin-1")
    return list(merged.items())


class _CatchAll:
    """The router's AWS endpoint, for what `DirectDispatch` leaves to it: bodies that must be
    spooled to disk or refused, chunked uploads, and `/` once the console has been ruled out."""

    def __init__(self, dispatch: DispatchFn, bodies: BodyIntake) -> None:
        self._dispatch = dispatch
        self._bodies = bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        received = await receive_body(request, self._bodies)
        try:
            wire = await self._dispatch(await to_wire_request(request, received))
        finally:
            await received.discard()
        await send_wire(wire, receive, send)


class DirectDispatch:
    """The gateway's outermost layer: an AWS request whose body is small enough to be read into
    memory goes straight to the dispatcher, skipping Starlette's error middleware, router and
    Request object; everything else takes the usual way. Here "AWS request" means any path that
    does not start with `/_` (tsukuru's own pages: no bucket name starts with `_`), except an
    unsigned `/` (a browser opening the console); a small body is a declared Content-Length
    within the in-memory limit without aws-chunked sizes, or no body at all. Bodies the
    catch-all would spool or refuse take the usual way too.

    The dispatcher sees the same `WireRequest` and the client gets the same response either
    way (`send_wire` writes both): a 1 KiB S3 request or a one-row prediction costs the gateway a
    fraction of a millisecond, and the router and request wrapper were a large part of it."""

    def __init__(self, app: ASGIApp, dispatch: DispatchFn, in_memory_limit: int) -> None:
        self._app = app
        self._dispatch = dispatch
        self._limit = in_memory_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not scope["path"].startswith("/_")
            and (scope["path"] != "/" or is_signed(scope))
            and self._fits(scope["headers"])
        ):
            await self._invoke(scope, receive, send)
        else:
            await self._app(scope, receive, send)

    def _fits(self, headers: list[tuple[bytes, bytes]]) -> bool:
        """A declared Content-Length within the in-memory limit and no aws-chunked sizes, or
        no body at all (neither a length nor a transfer coding)."""
        length = None
        for name, value in headers:
            if name == b"content-length":
                length = value
            elif name in (b"x-amz-decoded-content-length", b"transfer-encoding"):
                return False
        if length is None:
            return True
        return length.isdigit() and int(length) <= self._limit

    async def _invoke(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # nobody to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        wire = await self._dispatch(
            WireRequest(
                method=scope["method"],
                raw_path=raw_path.decode("latin-1"),
                query_string=scope.get("query_string", b"").decode("latin-1"),
                headers=Headers(
                    [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
                ),
                body=b"".join(chunks),
            )
        )
        await send_wire(wire, receive, send)


_PRESIGN_QUERY = ("x-amz-", "awsaccesskeyid")


def is_signed(scope: Scope) -> bool:
    """Whether a request carries AWS authentication: an Authorization header, any `x-amz-*`
    header (SigV4 dates and payload hashes), or a presigned URL's query (SigV4 `X-Amz-*`,
    SigV2 `AWSAccessKeyId`). Browsers send none of these; HTTP Basic (a browser signed in to
    the console from another machine) is not AWS's."""
    for name, value in scope.get("headers", ()):
        lowered = name.lower()
        if lowered.startswith(b"x-amz-"):
            return True
        if lowered == b"authorization" and value[:6].lower() != b"basic ":
            return True
    query = scope.get("query_string", b"").decode("latin-1").lower()
    return any(pair.startswith(_PRESIGN_QUERY) for pair in query.split("&"))


class _BrowserOrAws:
    """The endpoint of `/`: an unsigned GET or HEAD is a browser opening the console, anything
    else (signed, or another method) is an AWS request such as S3 ListBuckets."""

    def __init__(self, browser: ASGIApp, aws: ASGIApp) -> None:
        self._browser = browser
        self._aws = aws

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") in ("GET", "HEAD") and not is_signed(scope):
            await self._browser(scope, receive, send)
        else:
            await self._aws(scope, receive, send)


def build_gateway(
    dispatch: DispatchFn,
    *,
    is_ready: Callable[[], bool] = lambda: True,
    extra_routes: Sequence[BaseRoute] = (),
    lifespan: Lifespan | None = None,
    console: ASGIApp | None = None,
    console_prefix: str = "/_console",
    intake: BodyIntake | None = None,
) -> ASGIApp:
    """The ASGI app: health check, any extra routes, the web console (under `console_prefix`,
    and at `/` for unsigned browser requests), then the AWS catch-all, all behind
    `DirectDispatch`. `intake` says where large request bodies are spooled (default: nowhere,
    all are read into memory). tsukuru's own paths (extra routes, the console) start with `/_`,
    which no bucket name can."""
    if not console_prefix.startswith("/_"):
        raise ValueError(f"the console prefix must start with '/_', got {console_prefix!r}")
    bodies = intake or BodyIntake()

    async def health(_: Request) -> Response:
        ready = is_ready()
        return JSONResponse(
            {"status": "ok" if ready else "starting"}, status_code=200 if ready else 503
        )

    aws = _CatchAll(dispatch, bodies)
    methods = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]
    routes: list[BaseRoute] = [
        Route("/_tsukuru/health", health, methods=["GET"]),
        *extra_routes,
    ]
    if console is not None:
        routes += [
            Mount(console_prefix, app=console),
            Route("/", _BrowserOrAws(console, aws), methods=methods),
        ]
    routes.append(Route("/{path:path}", aws, methods=methods))
    limit = bodies.threshold if bodies.folder is not None else bodies.max_size
    routed = Starlette(routes=routes, lifespan=lifespan)
    return DirectDispatch(routed, dispatch, in_memory_limit=limit)
