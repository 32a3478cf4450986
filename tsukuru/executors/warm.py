"""Start runtime processes from a warm fork server instead of a fresh interpreter each time.

A training job or model server spends its first second or more importing Python, numpy, pyarrow
and xgboost. `WarmStarter` keeps one helper process (`python -m tsukuru.runtime.forkserver`)
that has done those imports, and asks it over a private Unix socket to fork each new process;
the helper reports the child's pid and, later, its exit status, which `WarmChild` exposes with
the parts of `subprocess.Popen` the executor and the model host use (`pid`, `stdout`, `poll`,
`wait`, `returncode`). The child is in its own session as before, so signalling its process
group works unchanged.

The helper starts on the first request, in the background: that request, and any made before
the helper is ready or after it failed, start cold exactly as before (`subprocess.Popen` of
`python -m module`), so the starter never makes a start slower or less reliable than the cold
path. This module talks to the helper by socket only; it imports nothing from the runtime.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

FORKSERVER_MODULE = "tsukuru.runtime.forkserver"
LENGTH = struct.Struct("!I")
UNKNOWN_EXIT = 255  # the helper died before it could report the child's status
MAX_SERVER_STARTS = 3
# Room in the helper's argument area for each child's own command line, so `ps` lists a forked
# model server as `python -m tsukuru.runtime.serve --model-dir ...`.
ROOM = "." * 4096
# Children inherit this (the model host and executor set the same), and the helper loads the
# OpenMP runtime with it: a spinning wait policy makes shared cores crawl.
DEFAULT_ENV = {"OMP_WAIT_POLICY": "PASSIVE", "PYTHONUNBUFFERED": "1"}


class ChildProcess(Protocol):
    """What callers use of a started process (satisfied by `subprocess.Popen[bytes]`)."""

    pid: int
    returncode: int | None
    stdout: IO[bytes] | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class WarmChild:
    """A process forked by the helper; its status arrives on the request's connection."""

    def __init__(self, messages: HelperMessages, pid: int, stdout: IO[bytes] | None) -> None:
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None
        self._messages = messages
        self._exited = threading.Event()
        threading.Thread(target=self._await_exit, name=f"warm-child-{pid}", daemon=True).start()

    def poll(self) -> int | None:
        return self.returncode if self._exited.is_set() else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited.wait(timeout):
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def _await_exit(self) -> None:
        code = UNKNOWN_EXIT
        try:
            message = self._messages.next()
            if message is not None and "exit" in message:
                code = int(message["exit"])
            else:  # the helper is gone: wait for the orphan to go too, status unknown
                _wait_gone(self.pid)
        finally:
            self._messages.conn.close()
            self.returncode = code
            self._exited.set()


class WarmStarter:
    """Starts `python -m <runtime module>` processes, warm when the helper is up.

    `python` is the interpreter for cold starts and for the helper; `env` the helper's own
    environment (default: this process's, plus DEFAULT_ENV).
    """

    def __init__(
        self,
        *,
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self._python = python
        self._env = dict(os.environ if env is None else env)
        for name, value in DEFAULT_ENV.items():
            self._env.setdefault(name, value)
        self._log_path = log_path
        self._lock = threading.Lock()
        self._folder: str | None = None
        self._server: subprocess.Popen[bytes] | None = None
        self._starts = 0
        self._closed = False
        atexit.register(_close_if_alive, weakref.ref(self))

    @property
    def socket_path(self) -> str | None:
        return None if self._folder is None else os.path.join(self._folder, "forkserver.sock")

    def child_env(self, env: Mapping[str, str]) -> dict[str, str]:
        """`env` with the defaults every started process gets (so warm and cold agree)."""
        merged = dict(env)
        for name, value in DEFAULT_ENV.items():
            merged.setdefault(name, value)
        return merged

    def start(self) -> None:
        """Start the helper now (in the background) instead of at the first request."""
        with self._lock:
            self._ensure_server()

    def ready(self, timeout: float = 0.0) -> bool:
        """Whether the helper accepts requests (waiting up to `timeout` seconds for it)."""
        deadline = time.monotonic() + timeout
        while True:
            path = self.socket_path
            if path is not None and os.path.exists(path):
                return True
            server = self._server
            if time.monotonic() >= deadline or (server is not None and server.poll() is not None):
                return False
            time.sleep(0.02)

    def spawn(
        self,
        module: str,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | Path,
        output: int | None,
    ) -> ChildProcess:
        """Start `python -m module args` in a new session, stdin from /dev/null, stdout and
        stderr both to the file descriptor `output` (None: a new pipe, read from `.stdout`)."""
        env = self.child_env(env)
        with self._lock:
            if not self._closed:
                self._ensure_server()
        child = self._spawn_warm(module, args, env, cwd, output) if self.ready() else None
        if child is not None:
            return child
        return subprocess.Popen(
            [self._python, "-m", module, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if output is None else output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            server, self._server = self._server, None
            folder, self._folder = self._folder, None
        if server is not None:
            _stop(server)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    # ------------------------------------------------------------------ internals

    def _ensure_server(self) -> None:
        if self._closed or (self._server is not None and self._server.poll() is None):
            return
        if self._starts >= MAX_SERVER_STARTS:
            return  # it keeps dying: stay cold
        self._starts += 1
        if self._folder is None:
            self._folder = tempfile.mkdtemp(prefix="tsukuru-warm-")  # private (0700), short path
        path = self.socket_path
        assert path is not None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._server = subprocess.Popen(
                [self._python, "-m", FORKSERVER_MODULE, "--socket", path, "--room", ROOM],
                env=self._env,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError:
            self._server = None
        finally:
            if not isinstance(log, int):
                log.close()

    def _spawn_warm(
        self,
        module: str,
        args: Sequence[str],
        env: dict[str, str],
        cwd: str | Path,
        output: int | None,
    ) -> WarmChild | None:
        path = self.socket_path
        if path is None:
            return None
        request = json.dumps({"module": module, "args": list(args), "env": env, "cwd": str(cwd)})
        payload = request.encode()
        read_end: int | None = None
        if output is None:
            read_end, write_end = os.pipe()
            fds = [write_end, write_end]
        else:
            fds = [output, output]
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        messages = HelperMessages(conn)
        try:
            conn.settimeout(10)
            conn.connect(path)
            socket.send_fds(conn, [LENGTH.pack(len(payload)) + payload], fds)
            reply = messages.next()
        except OSError:
            reply = None
        finally:
            if read_end is not None:
                os.close(fds[0])  # the child holds the write end now (or nobody does)
        if reply is None or "pid" not in reply:
            conn.close()
            if read_end is not None:
                os.close(read_end)
            return None
        conn.settimeout(None)
        stdout = os.fdopen(read_end, "rb") if read_end is not None else None
        return WarmChild(messages, int(reply["pid"]), stdout)


class HelperMessages:
    """The helper's newline-ended JSON messages on one connection. A child that exits at once
    has its `exit` sent right behind its `pid`, so one read can hold both: what follows the
    first line is kept for the next call, never lost."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self._pending = bytearray()

    def next(self) -> dict[str, Any] | None:
        """The next message, or None when the connection ends (or fails) first."""
        while b"\n" not in self._pending:
            try:
                chunk = self.conn.recv(4096)
            except OSError:
                return None
            if not chunk:
                return None
            self._pending += chunk
        line, _, rest = bytes(self._pending).partition(b"\n")
        self._pending = bytearray(rest)
        try:
            message = json.loads(line)
        except ValueError:
            return None
        return message if isinstance(message, dict) else None


def _wait_gone(pid: int, poll: float = 0.1) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass
        time.sleep(poll)


def _stop(server: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    if server.stdin is not None:
        with contextlib.suppress(OSError):
            server.stdin.close()  # the helper exits when its stdin closes
    try:
        server.wait(grace)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _close_if_alive(starter: weakref.ref[WarmStarter]) -> None:
    alive = starter()
    if alive is not None:
        alive.close()
