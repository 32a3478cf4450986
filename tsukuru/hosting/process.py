"""Model-server processes on this machine: where they listen, starting, probing and stopping.

Each server runs in its own process group so that stopping it also stops the workers it forks,
and writes its output to a log file so a crash leaves its last words behind. Servers listen on
a Unix domain socket when the path fits (measured ~1.5x the requests/s of TCP loopback for the
same client and server), otherwise on a free loopback port.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# sun_path holds 108 bytes on Linux and 104 on macOS, including the terminating NUL.
UDS_PATH_LIMIT = 100
LOOPBACK = "127.0.0.1"
REASON_LIMIT = 1024
SERVER_MODULE = "tsukuru.runtime.serve"  # SageMaker's FailureReason is at most 1024 characters


@dataclass(frozen=True)
class Address:
    """Where one server listens: a Unix socket path, or a loopback TCP port."""

    uds: str | None = None
    port: int = 0

    def cli_args(self) -> list[str]:
        if self.uds is not None:
            return ["--uds", self.uds]
        return ["--host", LOOPBACK, "--port", str(self.port)]

    def __str__(self) -> str:
        return f"unix:{self.uds}" if self.uds is not None else f"{LOOPBACK}:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def choose_address(socket_path: Path, prefer_uds: bool = True) -> Address:
    """A Unix socket at `socket_path` if allowed and short enough, else a free loopback port."""
    if prefer_uds and len(os.fsencode(socket_path)) <= UDS_PATH_LIMIT:
        return Address(uds=str(socket_path))
    return Address(port=free_port())


def safe_name(text: str) -> str:
    """A file-name-safe rendering of an id (ids may hold characters paths must not)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:120] or "_"


class ServerProcess(Protocol):
    """What the host uses of a server process (satisfied by `subprocess.Popen[bytes]`)."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class ProcessStarter(Protocol):
    """Starts `python -m module args` in a new session, stdout and stderr to `output`
    (`tsukuru.executors.warm.WarmStarter`: forked from a helper that has imported the runtime)."""

    def spawn(
        self,
        module: str,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | Path,
        output: int | None,
    ) -> ServerProcess: ...


def start_server(
    command: Sequence[str],
    *,
    model_dir: str,
    address: Address,
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    failure_path: Path,
    starter: ProcessStarter | None = None,
) -> ServerProcess:
    """Launch one server process in a new session, its output appended to `log_path`.

    With a `starter`, the server is `python -m SERVER_MODULE` started by it and `command` is
    not used."""
    with contextlib.suppress(FileNotFoundError):
        failure_path.unlink()
    if address.uds is not None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(address.uds)
    args = ["--model-dir", model_dir, *address.cli_args(), "--failure-file", str(failure_path)]
    with log_path.open("ab") as log:
        if starter is not None:
            return starter.spawn(SERVER_MODULE, args, env=env, cwd=cwd, output=log.fileno())
        return subprocess.Popen(
            [*command, *args],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_group(process: ServerProcess, sig: int) -> None:
    """Signal the process's whole group (workers included); harmless once it is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def stop_servers(processes: Iterable[ServerProcess], grace: float) -> None:
    """SIGTERM every group, SIGKILL whatever is left after `grace` seconds; reap all."""
    running = list(processes)
    for process in running:
        if process.poll() is None:
            kill_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            kill_group(process, signal.SIGKILL)
            process.wait()
        # Workers orphaned by a leader that died first are still in its group.
        kill_group(process, signal.SIGKILL)


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def ping(address: Address, timeout: float = 1.0) -> bool:
    """True when the server answers `GET /ping` with 200."""
    connection: http.client.HTTPConnection
    if address.uds is not None:
        connection = _UnixHTTPConnection(address.uds, timeout)
    else:
        connection = http.client.HTTPConnection(LOOPBACK, address.port, timeout=timeout)
    try:
        connection.request("GET", "/ping")
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    return response.status == 200


def failure_reason(failure_path: Path, log_path: Path, exit_code: int) -> str:
    """Why a server exited: its failure file, else the last line of its log, as one line."""
    reason = _read_text(failure_path).strip()
    if not reason:
        tail = _last_line(log_path)
        reason = f"model server exited with code {exit_code}" + (f": {tail}" if tail else "")
    return " ".join(reason.split())[:REASON_LIMIT]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _last_line(path: Path, window: int = 8192) -> str:
    try:
        with path.open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - window))
            lines = log.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return next((line.strip() for line in reversed(lines) if line.strip()), "")
