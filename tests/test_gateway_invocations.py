"""The gateway's direct dispatch (InvokeEndpoint, small S3 requests): taken only when it may
be, and invisible.

The same request sent with a declared length (shortcut) and chunked (the router's catch-all)
must reach the dispatcher as the same `WireRequest` and come back as the same response.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient

from tsukuru.gateway import DirectDispatch, build_gateway
from tsukuru.gateway_bodies import BodyIntake
from tsukuru.protocol.wire import FilePayload, WireRequest, WireResponse

LIMIT = 64 * 1024
PATH = "/endpoints/my-endpoint/invocations"
RESPONSES = [
    WireResponse(200, {"Content-Type": "text/csv", "x-Amzn-Invoked-Production-Variant": "A"}, b"1"),
    WireResponse(200, {"x-amzn-RequestId": "r"}, b"no type"),
    WireResponse(
        424,
        {
            "Content-Type": "application/json",
            "x-amzn-ErrorType": "ModelError",
            "Content-Length": "2",
        },
        b"{}",
    ),
    WireResponse(204, {}, b""),
    WireResponse(
        200,
        {"X-Twice": "1", "Content-Length": "3", "content-type": "a/b", "x-twice": "2"},
        b"abc",
    ),
    WireResponse(202, {"content-length": "0", "Content-Length": "0"}, b""),
]


class Recorder:
    def __init__(self) -> None:
        self.seen: list[WireRequest] = []
        self.reply = RESPONSES[0]

    async def dispatch(self, req: WireRequest) -> WireResponse:
        self.seen.append(req)
        return self.reply


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[TestClient, Recorder]]:
    recorder = Recorder()
    intake = BodyIntake(folder=tmp_path / "spool", threshold=LIMIT)
    with TestClient(build_gateway(recorder.dispatch, intake=intake)) as client:
        yield client, recorder


def chunked(body: bytes) -> Iterator[bytes]:
    yield body  # no declared length: the catch-all route takes it


HEADERS = {"Content-Type": "text/csv", "Authorization": "AWS4-HMAC-SHA256 Credential=x", "A": "b"}


def comparable(req: WireRequest) -> dict[str, Any]:
    headers = {
        k.lower(): v
        for k, v in req.headers.items()
        if k.lower() not in ("content-length", "transfer-encoding")
    }
    return {
        "method": req.method,
        "raw_path": req.raw_path,
        "query": req.query_string,
        "headers": headers,
        "body": req.body,
        "spooled": req.spooled,
        "error": req.body_error,
    }


@pytest.mark.parametrize("reply", RESPONSES)
def test_the_shortcut_and_the_catch_all_agree(
    gateway: tuple[TestClient, Recorder], reply: WireResponse
) -> None:
    client, recorder = gateway
    recorder.reply = reply
    url = f"{PATH}?x=1%202"

    short = client.post(url, content=b"1,2,3\n", headers=HEADERS)
    routed = client.post(url, content=chunked(b"1,2,3\n"), headers=HEADERS)

    first, second = recorder.seen
    assert "content-length" in first.headers
    assert "content-length" not in second.headers
    assert comparable(first) == comparable(second)
    assert first.body == b"1,2,3\n"
    assert short.status_code == routed.status_code == reply.status
    assert short.headers.multi_items() == routed.headers.multi_items()
    assert short.content == routed.content == reply.body


def run_shortcut(
    scope: dict[str, Any], body: bytes = b"x"
) -> tuple[list[str], list[WireRequest], list[dict[str, Any]]]:
    """Drive the middleware directly: which way did the request go, what was sent back."""
    taken: list[str] = []
    seen: list[WireRequest] = []
    sent: list[dict[str, Any]] = []

    async def downstream(scope: Any, receive: Any, send: Any) -> None:
        taken.append("router")

    async def dispatch(req: WireRequest) -> WireResponse:
        taken.append("shortcut")
        seen.append(req)
        return WireResponse(200, {}, b"ok")

    messages = iter(
        [
            {"type": "http.request", "body": body[:1], "more_body": True},
            {"type": "http.request", "body": body[1:], "more_body": False},
        ]
    )

    async def receive() -> MutableMapping[str, Any]:
        return next(messages)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    app = DirectDispatch(downstream, dispatch, in_memory_limit=LIMIT)
    anyio.run(app, {"type": "http", "query_string": b"", **scope}, receive, send)
    return taken, seen, sent


def scope_of(method: str = "POST", path: str = PATH, **headers: str) -> dict[str, Any]:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    return {"method": method, "path": path, "raw_path": path.encode(), "headers": raw}


def test_a_body_in_several_messages_is_joined() -> None:
    taken, seen, sent = run_shortcut(scope_of(**{"content-length": "5"}), b"12345")
    assert taken == ["shortcut"]
    assert seen[0].body == b"12345"
    assert sent[0]["status"] == 200
    assert sent[-1]["body"] == b"ok"


@pytest.mark.parametrize(
    "scope",
    [
        scope_of("GET", "/bucket/key", authorization="AWS4-HMAC-SHA256 Credential=x"),
        scope_of("HEAD", "/bucket/a%20key"),
        scope_of("PUT", "/bucket/key", **{"content-length": "1"}),
        scope_of("DELETE", "/bucket"),
        scope_of("GET", "/", **{"x-amz-date": "20261129T000000Z"}),  # ListBuckets
        scope_of(path="/endpoints/a/b/invocations", **{"content-length": "1"}),
    ],
)
def test_small_aws_requests_go_straight_to_the_dispatcher(scope: dict[str, Any]) -> None:
    taken, seen, _ = run_shortcut(scope)
    assert taken == ["shortcut"]
    assert seen[0].method == scope["method"]


@pytest.mark.parametrize(
    "scope",
    [
        scope_of(**{"transfer-encoding": "chunked"}),  # no declared length
        scope_of(**{"content-length": str(LIMIT + 1)}),  # would be spooled
        scope_of(**{"content-length": "1", "x-amz-decoded-content-length": "1"}),
        scope_of(**{"content-length": "one"}),
        scope_of("GET", "/_tsukuru/health"),
        scope_of("GET", "/_console/buckets"),
        scope_of("GET", "/"),  # a browser opening the console
    ],
)
def test_anything_else_takes_the_router(scope: dict[str, Any]) -> None:
    taken, seen, _ = run_shortcut(scope)
    assert taken == ["router"]
    assert not seen


def test_the_console_prefix_cannot_shadow_a_bucket() -> None:
    with pytest.raises(ValueError, match="/_"):
        build_gateway(Recorder().dispatch, console_prefix="/console")


def test_a_client_gone_before_its_body_arrived_gets_nothing() -> None:
    sent: list[Any] = []

    async def dispatch(req: WireRequest) -> WireResponse:
        raise AssertionError("must not be dispatched")

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    async def never(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("must not be routed")

    app = DirectDispatch(never, dispatch, in_memory_limit=LIMIT)
    scope = {"type": "http", "query_string": b"", **scope_of(**{"content-length": "3"})}
    anyio.run(app, scope, receive, send)
    assert sent == []


@pytest.mark.parametrize(("offset", "length"), [(0, None), (3, 5), (0, 3 * 1024 * 1024 + 7)])
def test_a_file_body_streams_the_same_either_way(
    gateway: tuple[TestClient, Recorder], tmp_path: Path, offset: int, length: int | None
) -> None:
    client, recorder = gateway
    data = bytes(range(256)) * (6 * 1024 * 16)  # 6 MiB: more than one read-ahead chunk
    (tmp_path / "blob").write_bytes(data)
    expected = data[offset:] if length is None else data[offset : offset + length]
    recorder.reply = WireResponse(
        206 if length else 200,
        {"Content-Length": str(len(expected)), "ETag": '"e"'},
        FilePayload(str(tmp_path / "blob"), offset, length),
    )

    short = client.get("/bucket/key", headers=HEADERS)
    routed = client.get("/bucket/key", headers={**HEADERS, "Transfer-Encoding": "chunked"})

    assert short.content == routed.content == expected
    assert short.status_code == routed.status_code == recorder.reply.status
    assert short.headers["content-length"] == str(len(expected))
