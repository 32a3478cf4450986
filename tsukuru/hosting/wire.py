"""A lean HTTP/1.1 client for the one hop every InvokeEndpoint takes: gateway → model server.

This hop sits on the platform's hot path, so it does the least that is correct. Measured on the
development machine against a trivial uvicorn app over a Unix socket, httpx's AsyncClient
managed ~300-800 requests/s while one asyncio Protocol per kept-alive connection, writing each
request in a single write and parsing the reply with httptools (the C parser uvicorn itself
uses), managed ~17,000-28,000. So that is all this module is: one request at a time per
connection, `Content-Length` request bodies, replies framed by Content-Length or chunked
encoding, no redirects, no TLS, no proxies — the peer is always our own model server.
"""

from __future__ import annotations

import asyncio
from typing import cast

import httptools

from tsukuru.domain.ports import Invocation, InvocationResult, InvocationTimeout

_REQUEST_LINE = b"POST /invocations HTTP/1.1\r\nHost: model\r\nContent-Length: "
_CONTENT_TYPE = b"\r\nContent-Type: "
_ACCEPT = b"\r\nAccept: "
_CUSTOM_ATTRIBUTES = b"\r\nX-Amzn-SageMaker-Custom-Attributes: "
_INFERENCE_ID = b"\r\nX-Amzn-SageMaker-Inference-Id: "
_END_OF_HEAD = b"\r\n\r\n"

_CONTENT_TYPE_NAME = b"content-type"
_CUSTOM_ATTRIBUTES_NAME = b"x-amzn-sagemaker-custom-attributes"


class ConnectionLost(Exception):
    """The connection closed before the reply was complete.

    `replied` tells whether any reply bytes had arrived: a kept-alive connection that the server
    closed while idle fails with `replied=False`, and the request can safely go out again.
    """

    def __init__(self, message: str, *, replied: bool) -> None:
        super().__init__(message)
        self.replied = replied


def _header_value(value: str) -> bytes:
    """Header text as bytes; a CR, LF or NUL would let a value forge more headers."""
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"header value contains a line break or NUL: {value!r}")
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def encode_request(invocation: Invocation) -> bytes:
    """The whole `POST /invocations` request, head and body, ready for one write."""
    parts = [_REQUEST_LINE, str(len(invocation.body)).encode("ascii")]
    if invocation.content_type is not None:
        parts += (_CONTENT_TYPE, _header_value(invocation.content_type))
    if invocation.accept is not None:
        parts += (_ACCEPT, _header_value(invocation.accept))
    if invocation.custom_attributes is not None:
        parts += (_CUSTOM_ATTRIBUTES, _header_value(invocation.custom_attributes))
    if invocation.inference_id is not None:
        parts += (_INFERENCE_ID, _header_value(invocation.inference_id))
    parts += (_END_OF_HEAD, invocation.body)
    return b"".join(parts)


class ServerConnection(asyncio.Protocol):
    """One kept-alive connection to a model server, carrying one request at a time."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[InvocationResult] | None = None
        self._body: list[bytes] = []
        self._content_type: str | None = None
        self._custom_attributes: str | None = None
        self._replied = False
        self.open = False
        self.reusable = False

    # ------------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        self.open = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self.reusable = False
        reason = f"model server closed the connection ({exc or 'end of stream'})"
        self._fail(ConnectionLost(reason, replied=self._replied))

    def data_received(self, data: bytes) -> None:
        self._replied = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(ConnectionLost(f"malformed reply from model server: {error}", replied=True))
            self.close()

    # ------------------------------------------------------------------ httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == _CONTENT_TYPE_NAME:
            self._content_type = value.decode("latin-1")
        elif lowered == _CUSTOM_ATTRIBUTES_NAME:
            self._custom_attributes = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        result = InvocationResult(
            status=self._parser.get_status_code(),
            body=b"".join(self._body),
            content_type=self._content_type,
            custom_attributes=self._custom_attributes,
        )
        self.reusable = self._parser.should_keep_alive()
        self._body = []
        self._content_type = None
        self._custom_attributes = None
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(result)

    # ------------------------------------------------------------------ use

    async def exchange(self, request: bytes, deadline: float) -> InvocationResult:
        """Send one encoded request; the reply, InvocationTimeout at `deadline` (loop time), or
        ConnectionLost. After a failure or timeout the connection is closed."""
        transport = self._transport
        if transport is None or not self.open:
            raise ConnectionLost("connection is closed", replied=False)
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[InvocationResult] = loop.create_future()
        self._waiter = waiter
        self._replied = False
        self.reusable = False
        transport.write(request)
        timer = loop.call_at(deadline, self._expire, waiter)
        try:
            return await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def close(self) -> None:
        self.open = False
        self.reusable = False
        if self._transport is not None:
            self._transport.close()

    def _expire(self, waiter: asyncio.Future[InvocationResult]) -> None:
        if not waiter.done():
            waiter.set_exception(InvocationTimeout("model server did not answer in time"))
        self.close()

    def _fail(self, error: Exception) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
