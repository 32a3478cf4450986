"""The model server behind every endpoint instance: /ping, /invocations, /execution-parameters.

One process per endpoint instance, started by the platform as
`python -m tsukuru.runtime.serve --model-dir DIR (--host H --port P | --uds PATH)`. It sits on
the hot path of every InvokeEndpoint, so the HTTP edge does nothing per request besides reading
the body, calling the inference handler inline and writing the answer: no framework routing, no
per-request logging. uvicorn (uvloop) runs the process and its workers, and its connections are
`serve_http.ModelServerProtocol`'s, which answer through `ModelServerApp` without an ASGI cycle;
`ModelServerApp` is also a plain ASGI app that answers the same way.

What answers a request is an *inference handler*, chosen by `TSUKURU_ALGORITHM` and built once
per worker from the model directory (`HandlerLoader`). Built-in XGBoost is one; script mode
(a user's `model_fn`/`input_fn`/`predict_fn`/`output_fn`, serve_script.py) is the other, for the
framework images and for any image given `SAGEMAKER_PROGRAM`. A model that
cannot be loaded is reported as one line in `--failure-file` and a non-zero exit within
seconds, which the platform turns into the endpoint's FailureReason.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import logging
import os
import signal
import socket
import stat
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

log = logging.getLogger("tsukuru.serve")

# algorithm name → "module:function" of its HandlerLoader (imported once, at start-up)
SCRIPT_HANDLER_LOADER = "tsukuru.runtime.serve_script:load_handler"
HANDLER_LOADERS = {
    "xgboost": "tsukuru.runtime.algorithms.xgboost_serving:load_handler",
    "sklearn": SCRIPT_HANDLER_LOADER,
    "pytorch": SCRIPT_HANDLER_LOADER,
    "tensorflow": SCRIPT_HANDLER_LOADER,
}
DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024  # the container's MAX_CONTENT_LENGTH (6291456)
DEFAULT_TIMEOUT_S = 60.0  # SAGEMAKER_MODEL_SERVER_TIMEOUT: the container's nginx/gunicorn timeout
KEEP_ALIVE_S = 75  # longer than any pool idle timeout on the gateway side
# uvicorn runs the process; connections are this lean protocol's, not its ASGI cycle's
HTTP_PROTOCOL = "tsukuru.runtime.serve_http:ModelServerProtocol"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
EXIT_LOAD_FAILED = 1
EXIT_REQUEST_TIMEOUT = 4

Scope = MutableMapping[str, Any]
Reply = tuple[int, bytes, bytes]  # status, body, Content-Type
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class InvocationError(Exception):
    """A request a handler answers with a status other than 200 (204, 400, 406, 415, 500...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = int(status)
        self.message = message


class StartupError(Exception):
    """The server cannot start (bad model, bad setting); `str()` is one line for the user."""


class InferenceHandler(Protocol):
    """Turns one request body into a response body, or raises InvocationError."""

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None
    ) -> tuple[bytes, str]: ...


HandlerLoader = Callable[[Path, Mapping[str, str]], InferenceHandler]


@dataclass(frozen=True)
class ServeSettings:
    model_dir: Path
    host: str
    port: int | None
    uds: str | None
    failure_file: Path | None
    algorithm: str
    workers: int
    max_body_bytes: int
    request_timeout_s: float


def _env_number(environ: Mapping[str, str], name: str, default: float, kind: type = float) -> Any:
    raw = environ.get(name, "").strip()
    try:
        value = kind(raw) if raw else default
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise StartupError(f"{name} must be {noun}, got {raw!r}.") from None
    if value <= 0:
        raise StartupError(f"{name} must be positive, got {raw!r}.")
    return value


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tsukuru.runtime.serve", description=__doc__)
    parser.add_argument("--model-dir", required=True, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    listen = parser.add_mutually_exclusive_group(required=True)
    listen.add_argument("--port", type=int)
    listen.add_argument("--uds", help="listen on this Unix socket path instead of a TCP port")
    parser.add_argument("--failure-file", type=Path)
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace, environ: Mapping[str, str]) -> ServeSettings:
    """The command line plus the environment the platform sets (StartupError when invalid)."""
    return ServeSettings(
        model_dir=args.model_dir,
        host=args.host,
        port=args.port,
        uds=args.uds,
        failure_file=args.failure_file,
        algorithm=environ.get("TSUKURU_ALGORITHM", "xgboost").strip().lower(),
        workers=_env_number(environ, "SAGEMAKER_MODEL_SERVER_WORKERS", 1, int),
        max_body_bytes=_env_number(environ, "MAX_CONTENT_LENGTH", DEFAULT_MAX_BODY_BYTES, int),
        request_timeout_s=_env_number(environ, "SAGEMAKER_MODEL_SERVER_TIMEOUT", DEFAULT_TIMEOUT_S),
    )


def load_handler(settings: ServeSettings, environ: Mapping[str, str]) -> InferenceHandler:
    target = HANDLER_LOADERS.get(settings.algorithm)
    if target is not None and environ.get("SAGEMAKER_PROGRAM", "").strip():
        target = SCRIPT_HANDLER_LOADER  # an entry point puts any framework image in script mode
    if target is None:
        raise StartupError(
            f"Unknown TSUKURU_ALGORITHM {settings.algorithm!r}; supported: "
            f"{', '.join(sorted(HANDLER_LOADERS))}."
        )
    module_name, _, function = target.partition(":")
    loader: HandlerLoader = getattr(importlib.import_module(module_name), function)
    return loader(settings.model_dir, environ)


def report_failure(failure_file: Path | None, exc: BaseException) -> None:
    """Write the one-line reason to --failure-file (and stderr) for the platform to show."""
    text = " ".join(str(exc).split())
    reason = text if isinstance(exc, StartupError) else f"{type(exc).__name__}: {text}"
    log.error("model server failed to start: %s", reason)
    if failure_file is None:
        return
    try:
        failure_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = failure_file.with_name(f".{failure_file.name}.{os.getpid()}")
        temporary.write_text(reason + "\n", encoding="utf-8")
        temporary.replace(failure_file)  # several workers may fail at once
    except OSError as error:
        log.error("cannot write the failure file %s: %s", failure_file, error)


class RequestWatchdog:
    """Ends a worker stuck in one request past the timeout, as gunicorn's --timeout does.

    The request loop only stamps `busy_since`; a daemon thread looks once a second. The process
    exits with EXIT_REQUEST_TIMEOUT and is restarted by its supervisor (uvicorn's for several
    workers, the platform's for one).
    """

    def __init__(self, timeout_s: float, on_timeout: Callable[[float], None]) -> None:
        self.timeout_s = timeout_s
        self.busy_since = 0.0
        self._on_timeout = on_timeout
        self._thread = threading.Thread(target=self._watch, name="request-watchdog", daemon=True)

    def start(self) -> RequestWatchdog:
        self._thread.start()
        return self

    def _watch(self) -> None:
        interval = min(1.0, self.timeout_s / 4)
        while True:
            time.sleep(interval)
            since = self.busy_since
            if since and time.monotonic() - since > self.timeout_s:
                self._on_timeout(time.monotonic() - since)
                self.busy_since = 0.0


def _exit_on_timeout(elapsed: float) -> None:
    log.error("a request ran %.0f s, past SAGEMAKER_MODEL_SERVER_TIMEOUT: worker exits", elapsed)
    os._exit(EXIT_REQUEST_TIMEOUT)


_TEXT = b"text/plain; charset=utf-8"
_JSON = b"application/json"


class ModelServerApp:
    """The ASGI application of one worker."""

    def __init__(
        self, handler: InferenceHandler, settings: ServeSettings, watchdog: RequestWatchdog
    ) -> None:
        self.handler = handler
        self.max_body_bytes = settings.max_body_bytes
        self.watchdog = watchdog
        self.execution_parameters = json.dumps(
            {
                "MaxConcurrentTransforms": settings.workers,
                "BatchStrategy": "MULTI_RECORD",
                "MaxPayloadInMB": settings.max_body_bytes // (1024 * 1024),
            }
        ).encode()
        self._content_types: dict[str, bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/invocations" and scope["method"] == "POST":
            await self._invocations(scope, receive, send)
        else:
            await _reply(send, *self.respond(scope["method"], scope["path"]))

    def respond(self, method: str, path: str) -> Reply:
        """The answer to any request but `POST /invocations` (which `invoke` answers)."""
        if path == "/ping" and method in ("GET", "HEAD"):
            return 200, b"", _TEXT
        if path == "/execution-parameters" and method == "GET":
            return 200, self.execution_parameters, _JSON
        if path in ("/invocations", "/ping", "/execution-parameters"):
            return 405, b"Method Not Allowed", _TEXT
        return 404, b"{}", _JSON

    def too_large(self) -> Reply:
        message = f"Request body larger than MAX_CONTENT_LENGTH ({self.max_body_bytes} bytes)."
        return 413, message.encode(), _TEXT

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> Reply:
        """One inference, inline (the worker does one at a time), under the watchdog."""
        self.watchdog.busy_since = time.monotonic()
        try:
            payload, media = self.handler.invoke(body, content_type, accept)
        except InvocationError as exc:
            status, payload, ctype = exc.status, exc.message.encode(), _TEXT
            if status == 204:
                payload = b""
            elif status >= 500:
                log.error("invocation failed (%d): %s", status, exc.message)
        except Exception as exc:
            log.exception("invocation failed")
            status, payload, ctype = 500, f"{type(exc).__name__}: {exc}".encode(), _TEXT
        else:
            status = 200
            ctype = self._content_types.get(media) or self._content_types.setdefault(
                media, media.encode("latin-1")
            )
        finally:
            self.watchdog.busy_since = 0.0
        return status, payload, ctype

    async def _invocations(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = accept = None
        declared = 0
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"content-length" and value.isdigit():
                declared = int(value)
        body = None if declared > self.max_body_bytes else await self._read_body(receive)
        if body is None:
            await _reply(send, *self.too_large())
            return
        await _reply(send, *self.invoke(body, content_type, accept))

    async def _read_body(self, receive: Receive) -> bytes | None:
        message = await receive()
        body: bytes = message.get("body", b"")
        if not message.get("more_body", False):
            return body
        chunks = [body]
        size = len(body)
        while message.get("more_body", False):
            message = await receive()
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)


async def _reply(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def build_app(settings: ServeSettings, handler: InferenceHandler) -> ModelServerApp:
    watchdog = RequestWatchdog(settings.request_timeout_s, _exit_on_timeout).start()
    return ModelServerApp(handler, settings, watchdog)


def build_worker_app(settings: ServeSettings) -> ModelServerApp:
    """The uvicorn app factory each worker process runs: load the model or report and stop."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        handler = load_handler(settings, os.environ)
    except Exception as exc:
        report_failure(settings.failure_file, exc)
        sys.exit(STARTUP_FAILURE)
    return build_app(settings, handler)


def bind_socket(settings: ServeSettings) -> socket.socket:
    if settings.uds is not None:
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISSOCK(os.stat(settings.uds).st_mode):
                os.unlink(settings.uds)  # left behind by a server that crashed
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(settings.uds)
    else:
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((settings.host, settings.port or 0))
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(app: Any, settings: ServeSettings, *, factory: bool) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        factory=factory,
        workers=settings.workers,
        loop="uvloop",
        http=HTTP_PROTOCOL,
        lifespan="off",
        interface="asgi3",
        access_log=False,
        log_level="info",
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=KEEP_ALIVE_S,
    )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    args = parse_arguments(argv)
    try:
        settings = settings_from(args, os.environ)
    except StartupError as exc:
        report_failure(args.failure_file, exc)
        return EXIT_LOAD_FAILED
    handler = None
    if settings.workers == 1:
        try:
            handler = load_handler(settings, os.environ)
        except Exception as exc:
            report_failure(settings.failure_file, exc)
            return EXIT_LOAD_FAILED
    try:
        sock = bind_socket(settings)
    except OSError as exc:
        where = settings.uds or f"{settings.host}:{settings.port}"
        report_failure(settings.failure_file, StartupError(f"Cannot listen on {where}: {exc}"))
        return EXIT_LOAD_FAILED
    try:
        if handler is not None:
            app = build_app(settings, handler)
            server = uvicorn.Server(_uvicorn_config(app, settings, factory=False))

            def stop(signum: int, frame: object) -> None:
                server.should_exit = True

            # uvicorn handles these signals while it serves, and re-raises the one it stopped for
            # once it is done; this handler makes that re-raise (and a signal that arrives before
            # uvicorn listens) a clean stop with exit status 0 instead of death by signal.
            for stop_signal in (signal.SIGTERM, signal.SIGINT):
                signal.signal(stop_signal, stop)
            server.run(sockets=[sock])
            return 0 if server.started else EXIT_LOAD_FAILED
        config = _uvicorn_config(
            functools.partial(build_worker_app, settings), settings, factory=True
        )
        supervisor = Multiprocess(config, sockets=[sock])
        supervisor.run()
        failed = any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes)
        return EXIT_LOAD_FAILED if failed else 0
    finally:
        sock.close()
        if settings.uds is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(settings.uds)


if __name__ == "__main__":
    # Run the importable copy of this module, so handlers raising `tsukuru.runtime.serve`
    # errors and this server catching them agree on the classes.
    from tsukuru.runtime import serve as _importable  # noqa: PLW0406

    raise SystemExit(_importable.main())
