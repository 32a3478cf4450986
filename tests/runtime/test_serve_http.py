"""The model server's HTTP connections: the answers of the ASGI app, framed by hand.

A real uvicorn server (in a thread, on a loopback port) runs `ModelServerProtocol` over a
`ModelServerApp` with an echoing handler; requests are written as raw bytes so that keep-alive,
pipelining, chunked bodies, `Expect: 100-continue` and refusals are exercised exactly.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from tests.harness import free_port
from tests.runtime.test_serve_app import EchoHandler, settings
from tsukuru.runtime.serve import HTTP_PROTOCOL, ModelServerApp, RequestWatchdog


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    app = ModelServerApp(EchoHandler(), settings(), RequestWatchdog(60, lambda _: None))
    chosen = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=chosen,
        http=HTTP_PROTOCOL,
        lifespan="off",
        log_level="warning",
        timeout_keep_alive=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield chosen
    server.should_exit = True
    thread.join(10)


def exchange(port: int, data: bytes, replies: int = 1) -> bytes:
    """Write raw bytes, read until `replies` responses (or the close) have arrived."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(data)
        received = b""
        while received.count(b"HTTP/1.1 ") < replies or not _complete(received):
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def _complete(data: bytes) -> bool:
    head, _, body = data.rpartition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return bool(head)


def request(body: bytes, *extra: bytes) -> bytes:
    head = [b"POST /invocations HTTP/1.1", b"Host: m", b"Content-Length: %d" % len(body), *extra]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def test_answers_match_the_asgi_app(port: int) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        echoed = client.post("/invocations", content=b"abc", headers={"Content-Type": "text/csv"})
        assert (echoed.status_code, echoed.content) == (200, b"cba")
        assert echoed.headers["content-type"] == "application/x-echo"
        assert echoed.headers["content-length"] == "3"
        assert "date" in echoed.headers
        assert client.get("/ping").status_code == 200
        assert client.head("/ping").status_code == 200
        parameters = client.get("/execution-parameters")
        assert parameters.json()["MaxConcurrentTransforms"] == 3
        assert client.get("/invocations").status_code == 405
        missing = client.get("/models?x=1")
        assert (missing.status_code, missing.content) == (404, b"{}")
        assert client.get("/p%69ng").status_code == 200  # percent-decoded like uvicorn
        failed = client.post("/invocations", content=b"status:415")
        assert (failed.status_code, failed.text) == (415, "asked for it")
        assert client.post("/invocations", content=b"crash").status_code == 500
        no_content = client.post("/invocations", content=b"status:204")
        assert (no_content.status_code, no_content.content) == (204, b"")


def test_keep_alive_and_pipelined_requests_are_answered_in_order(port: int) -> None:
    replies = exchange(port, request(b"one") + request(b"two") + request(b"three"), replies=3)
    assert replies.count(b"HTTP/1.1 200 OK") == 3
    assert replies.index(b"eno") < replies.index(b"owt") < replies.index(b"eerht")
    assert b"connection: close" not in replies


def test_headers_and_chunked_bodies_reach_the_handler(port: int) -> None:
    chunked = (
        b"POST /invocations HTTP/1.1\r\nHost: m\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: text/csv\r\nAccept: application/json\r\n\r\n"
        b"2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"
    )
    assert exchange(port, chunked).endswith(b"\r\n\r\nedcba")


def test_head_answers_carry_no_body(port: int) -> None:
    reply = exchange(port, b"HEAD /invocations HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 405 ")
    assert b"content-length: 18\r\n" in reply
    assert reply.endswith(b"\r\n\r\n")


def test_expect_continue_is_answered_before_the_body(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        head = request(b"")[:-4].replace(b"Content-Length: 0", b"Content-Length: 3")
        conn.sendall(head + b"\r\nExpect: 100-continue\r\n\r\n")
        assert conn.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.sendall(b"xyz")
        reply = b""
        while not reply.endswith(b"zyx"):
            reply += conn.recv(1024)
        assert reply.startswith(b"HTTP/1.1 200 OK")


@pytest.mark.parametrize(
    "data",
    [
        request(b"x", b"Content-Length: 101").replace(b"Content-Length: 1\r\n", b""),
        b"POST /invocations HTTP/1.1\r\nHost: m\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"40\r\n"
        + b"x" * 64
        + b"\r\n"
        + b"40\r\n"
        + b"x" * 64
        + b"\r\n0\r\n\r\n",
    ],
    ids=["declared", "streamed"],
)
def test_bodies_over_the_limit_are_413_and_the_connection_closes(port: int, data: bytes) -> None:
    reply = exchange(port, data + request(b"next"), replies=2)
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"MAX_CONTENT_LENGTH (100 bytes)" in reply
    assert b"connection: close" in reply
    assert reply.count(b"HTTP/1.1 ") == 1  # the pipelined request after it is not read


def test_malformed_requests_get_400_and_a_close(port: int) -> None:
    reply = exchange(port, b"NOT HTTP AT ALL\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 ")
    assert b"connection: close" in reply


def test_idle_connections_are_closed_after_the_keep_alive_timeout(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request(b"a"))
        assert conn.recv(4096).startswith(b"HTTP/1.1 200 OK")
        started = time.monotonic()
        assert conn.recv(4096) == b""  # closed by the server
        assert 1.0 < time.monotonic() - started < 4.5


def test_other_routes_read_and_drop_their_bodies(port: int) -> None:
    ping = b"POST /ping HTTP/1.1\r\nHost: m\r\nContent-Length: 150\r\n\r\n" + b"x" * 150
    replies = exchange(port, ping + request(b"after"), replies=2)
    assert replies.startswith(b"HTTP/1.1 405 ")
    assert replies.endswith(b"\r\n\r\nretfa")


@pytest.mark.parametrize("target", [b"/\xff", b"http://[bad/invocations"])
def test_undecodable_targets_get_400(port: int, target: bytes) -> None:
    reply = exchange(port, b"GET " + target + b" HTTP/1.1\r\nHost: m\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 ")
