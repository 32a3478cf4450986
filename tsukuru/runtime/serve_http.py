"""The model server's HTTP/1.1 connections, answered without an ASGI round trip per request.

Every InvokeEndpoint crosses this edge, and for a one-row prediction uvicorn's generic ASGI
cycle (a scope dict, a task, receive and send messages, header checks) cost more CPU than the
prediction itself. The model server needs none of that generality: three fixed routes, a body
read to its end, one answer computed inline. So uvicorn still runs the process (sockets,
workers, signals, graceful shutdown, the Date header) but is given this protocol class
(`uvicorn.Config(http=ModelServerProtocol)`), which parses with httptools (the parser uvicorn
uses) and calls `ModelServerApp.invoke`/`respond` directly; status codes, bodies and headers
are those of the ASGI path (`ModelServerApp.__call__`).

Request bodies arrive with Content-Length or chunked. For `POST /invocations` a declared length
over the limit is refused before the body is read, as `Expect: 100-continue` clients are
answered; a body that grows past the limit is refused as soon as it does (other routes' bodies
are read and dropped). Either refusal closes the connection,
since the rest of that body would otherwise be read as the next request.
"""

from __future__ import annotations

import asyncio
import http
import urllib.parse
from typing import Any, cast

import httptools

from tsukuru.runtime.serve import ModelServerApp, Reply

_NO_BODY_STATUSES = frozenset({204, 304})
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_BAD_REQUEST: Reply = (400, b"Invalid HTTP request received.", b"text/plain; charset=utf-8")


def _status_line(status: int) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}\r\n".encode()


_STATUS_LINES = {status: _status_line(status) for status in range(100, 600)}


def _model_server_app(app: Any) -> ModelServerApp:
    """The ModelServerApp inside whatever uvicorn wrapped it in (a logging middleware)."""
    while not isinstance(app, ModelServerApp):
        inner = getattr(app, "app", None)
        if inner is None:
            raise TypeError(f"ModelServerProtocol serves a ModelServerApp, not {app!r}")
        app = inner
    return app


class ModelServerProtocol(asyncio.Protocol):
    """One client connection; uvicorn makes one per accepted socket."""

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self._app = _model_server_app(config.loaded_app)
        self._limit = self._app.max_body_bytes
        self._state = server_state
        self._loop = _loop or asyncio.get_event_loop()
        self._keep_alive_s: float = config.timeout_keep_alive
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._closing = False
        self._start_request()

    def _start_request(self) -> None:
        self._url = b""
        self._content_type: str | None = None
        self._accept: str | None = None
        self._declared = 0
        self._expect_continue = False
        self._method = ""
        self._path = ""
        self._body: list[bytes] = []
        self._size = 0

    # ------------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._state.connections.add(self)
        self._wait_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self._state.connections.discard(self)
        self._closing = True
        if self._idle is not None:
            self._idle.cancel()

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._send(*_BAD_REQUEST, head=False, keep_alive=False)
        except httptools.HttpParserError:
            if not self._closing:
                self._send(*_BAD_REQUEST, head=False, keep_alive=False)

    def shutdown(self) -> None:
        """uvicorn is stopping: requests are answered inline, so none is in flight here."""
        self._close()

    # ------------------------------------------------------------------ httptools callbacks

    def on_message_begin(self) -> None:
        self._start_request()

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"content-type":
            self._content_type = value.decode("latin-1")
        elif name == b"accept":
            self._accept = value.decode("latin-1")
        elif name == b"content-length" and value.isdigit():
            self._declared = int(value)
        elif name == b"expect" and value.lower() == b"100-continue":
            self._expect_continue = True

    def on_headers_complete(self) -> None:
        self._method = self._parser.get_method().decode("ascii")
        path = httptools.parse_url(self._url).path.decode("ascii")
        self._path = urllib.parse.unquote(path) if "%" in path else path
        if not self._invocation():
            return  # another route: its body (if any) is read and dropped, as the ASGI app does
        if self._declared > self._limit:
            self._refuse()
        elif self._expect_continue and self._transport is not None:
            self._transport.write(_CONTINUE)

    def _invocation(self) -> bool:
        return self._method == "POST" and self._path == "/invocations"

    def on_body(self, body: bytes) -> None:
        if self._closing or not self._invocation():
            return
        self._size += len(body)
        if self._size > self._limit:
            self._refuse()
        else:
            self._body.append(body)

    def on_message_complete(self) -> None:
        if self._closing:
            return
        self._state.total_requests += 1
        if self._invocation():
            body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
            reply = self._app.invoke(body, self._content_type, self._accept)
        else:
            reply = self._app.respond(self._method, self._path)
        keep_alive = self._parser.should_keep_alive()
        self._send(*reply, head=self._method == "HEAD", keep_alive=keep_alive)

    # ------------------------------------------------------------------ answers

    def _refuse(self) -> None:
        """413 for a body over the limit, and no more reading from this connection."""
        self._send(*self._app.too_large(), head=False, keep_alive=False)

    def _send(
        self, status: int, body: bytes, content_type: bytes, *, head: bool, keep_alive: bool
    ) -> None:
        transport = self._transport
        if transport is None or self._closing:
            return
        parts = [_STATUS_LINES.get(status) or _status_line(status)]
        for name, value in self._state.default_headers:
            parts += (name, b": ", value, b"\r\n")
        parts += (b"content-type: ", content_type, b"\r\ncontent-length: %d\r\n" % len(body))
        if not keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        if not head and status not in _NO_BODY_STATUSES and status >= 200:
            parts.append(body)
        transport.write(b"".join(parts))
        if keep_alive:
            self._wait_idle()
        else:
            self._close()

    def _wait_idle(self) -> None:
        """Close a kept-alive connection nobody uses for `timeout_keep_alive` seconds."""
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self._loop.call_later(self._keep_alive_s, self._close)

    def _close(self) -> None:
        self._closing = True
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()
