"""The ASGI edge of the model server, driven in-process with raw ASGI messages."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tsukuru.runtime.serve import (
    InvocationError,
    ModelServerApp,
    RequestWatchdog,
    ServeSettings,
    StartupError,
    parse_arguments,
    settings_from,
)


class EchoHandler:
    """Answers with what it was given, or with the error its body asks for."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, str | None, str | None]] = []

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None
    ) -> tuple[bytes, str]:
        self.calls.append((body, content_type, accept))
        if body.startswith(b"status:"):
            raise InvocationError(int(body[7:10]), "asked for it")
        if body == b"crash":
            raise RuntimeError("handler bug")
        return body[::-1], "application/x-echo"


def settings(**overrides: Any) -> ServeSettings:
    values: dict[str, Any] = {
        "model_dir": Path("/nonexistent"),
        "host": "127.0.0.1",
        "port": 0,
        "uds": None,
        "failure_file": None,
        "algorithm": "xgboost",
        "workers": 3,
        "max_body_bytes": 100,
        "request_timeout_s": 60.0,
    }
    values.update(overrides)
    return ServeSettings(**values)


def call(
    app: ModelServerApp,
    method: str,
    path: str,
    chunks: list[bytes] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, dict[bytes, bytes], bytes]:
    pending = list(chunks or [b""])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": headers or []}
    asyncio.run(app(scope, receive, send))
    start, body = sent
    return start["status"], dict(start["headers"]), body["body"]


@pytest.fixture
def handler() -> EchoHandler:
    return EchoHandler()


@pytest.fixture
def app(handler: EchoHandler) -> ModelServerApp:
    return ModelServerApp(handler, settings(), RequestWatchdog(60, lambda _: None))


def test_routes(app: ModelServerApp) -> None:
    assert call(app, "GET", "/ping")[0] == 200
    status, headers, body = call(app, "GET", "/execution-parameters")
    assert status == 200
    assert headers[b"content-type"] == b"application/json"
    assert (
        body
        == b'{"MaxConcurrentTransforms": 3, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 0}'
    )
    assert call(app, "GET", "/invocations")[0] == 405
    assert call(app, "GET", "/models")[0:3:2] == (404, b"{}")


def test_invocation_passes_headers_and_streamed_body(
    app: ModelServerApp, handler: EchoHandler
) -> None:
    headers = [(b"content-type", b"text/csv"), (b"accept", b"application/json")]
    status, response_headers, body = call(app, "POST", "/invocations", [b"ab", b"c", b"d"], headers)
    assert (status, body) == (200, b"dcba")
    assert response_headers[b"content-type"] == b"application/x-echo"
    assert response_headers[b"content-length"] == b"4"
    assert handler.calls == [(b"abcd", "text/csv", "application/json")]


def test_handler_errors_become_statuses(app: ModelServerApp) -> None:
    assert call(app, "POST", "/invocations", [b"status:415"])[0::2] == (415, b"asked for it")
    assert call(app, "POST", "/invocations", [b"status:204"])[0::2] == (204, b"")
    status, _, body = call(app, "POST", "/invocations", [b"crash"])
    assert (status, body) == (500, b"RuntimeError: handler bug")


def test_bodies_over_the_limit_are_413(app: ModelServerApp, handler: EchoHandler) -> None:
    declared = [(b"content-length", b"101")]
    assert call(app, "POST", "/invocations", [b"x"], declared)[0] == 413
    assert call(app, "POST", "/invocations", [b"x" * 60, b"x" * 60])[0] == 413
    assert call(app, "POST", "/invocations", [b"x" * 50, b"x" * 50])[0] == 200
    assert len(handler.calls) == 1


def test_watchdog_fires_only_for_a_request_past_the_timeout() -> None:
    fired = threading.Event()
    watchdog = RequestWatchdog(0.2, lambda elapsed: fired.set()).start()
    time.sleep(0.5)
    assert not fired.is_set()  # idle: nothing to time out
    watchdog.busy_since = time.monotonic()
    assert fired.wait(3)
    assert watchdog.busy_since == 0.0


def test_settings_from_command_line_and_environment() -> None:
    args = parse_arguments(["--model-dir", "/m", "--uds", "/tmp/s.sock", "--failure-file", "/f"])
    environ = {"SAGEMAKER_MODEL_SERVER_WORKERS": "4", "SAGEMAKER_MODEL_SERVER_TIMEOUT": "5"}
    parsed = settings_from(args, environ)
    assert (parsed.uds, parsed.port, parsed.workers, parsed.request_timeout_s) == (
        "/tmp/s.sock",
        None,
        4,
        5,
    )
    assert parsed.max_body_bytes == 6 * 1024 * 1024
    with pytest.raises(StartupError, match="SAGEMAKER_MODEL_SERVER_WORKERS must be a whole number"):
        settings_from(args, {"SAGEMAKER_MODEL_SERVER_WORKERS": "two"})
    with pytest.raises(StartupError, match="must be positive"):
        settings_from(args, {"SAGEMAKER_MODEL_SERVER_WORKERS": "0"})
    with pytest.raises(SystemExit):
        parse_arguments(["--model-dir", "/m"])  # neither --port nor --uds
