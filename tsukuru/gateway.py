"""The one HTTP port: AWS requests go to the protocol pipeline, the rest to tsukuru's own pages.

This module is the only place that knows Starlette's request and response types for AWS traffic:
it turns an HTTP request into a `WireRequest`, hands it to the dispatcher and writes the
`WireResponse` back, streaming file bodies from disk instead of reading them into memory.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from tsukuru.protocol.wire import FilePayload, Headers, WireRequest, WireResponse

DispatchFn = Callable[[WireRequest], Awaitable[WireResponse]]
Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]

_CHUNK = 4 * 1024 * 1024


async def to_wire_request(request: Request) -> WireRequest:
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    return WireRequest(
        method=request.method,
        raw_path=raw_path.decode("latin-1"),
        query_string=request.scope.get("query_string", b"").decode("latin-1"),
        headers=Headers(list(request.headers.items())),
        body=await request.body(),
    )


def _open_range(payload: FilePayload) -> tuple[int, int]:
    """Open the file and work out where the range ends, in one trip to a worker thread."""
    fd = os.open(payload.path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    end = size if payload.length is None else min(size, payload.offset + payload.length)
    return fd, end


async def _file_chunks(payload: FilePayload) -> AsyncIterator[bytes]:
    """Read a file range in a worker thread, a few megabytes per trip (`pread`, no seeking)."""
    fd, end = await anyio.to_thread.run_sync(_open_range, payload)
    try:
        position = payload.offset
        while position < end:
            chunk = await anyio.to_thread.run_sync(
                os.pread, fd, min(_CHUNK, end - position), position
            )
            if not chunk:
                break
            position += len(chunk)
            yield chunk
    finally:
        os.close(fd)


def to_http_response(wire: WireResponse) -> Response:
    if isinstance(wire.body, FilePayload):
        response: Response = StreamingResponse(_file_chunks(wire.body), status_code=wire.status)
    else:
        response = Response(wire.body, status_code=wire.status)
    # Starlette sets content-type/length itself; the wire response's own values win.
    for name in ("content-type", "content-length"):
        if name in response.headers and any(k.lower() == name for k in wire.headers):
            del response.headers[name]
    for name, value in wire.headers.items():
        response.headers[name] = value
    return response


def build_gateway(
    dispatch: DispatchFn,
    *,
    is_ready: Callable[[], bool] = lambda: True,
    extra_routes: Sequence[BaseRoute] = (),
    lifespan: Lifespan | None = None,
) -> Starlette:
    """The ASGI app: health check, any extra routes, then the AWS catch-all."""

    async def health(_: Request) -> Response:
        ready = is_ready()
        return JSONResponse(
            {"status": "ok" if ready else "starting"}, status_code=200 if ready else 503
        )

    async def aws(request: Request) -> Response:
        return to_http_response(await dispatch(await to_wire_request(request)))

    methods = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]
    routes: list[BaseRoute] = [
        Route("/_tsukuru/health", health, methods=["GET"]),
        *extra_routes,
        Route("/{path:path}", aws, methods=methods),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
