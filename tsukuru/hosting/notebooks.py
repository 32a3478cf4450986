"""The default NotebookHost: a JupyterLab server process per notebook instance on this machine.

Each server listens on a loopback port with a secret made at each start (only this process and
the server know it; presigned URLs are signed with it), runs in its own process group, and
writes its output to `.tsukuru/jupyter.log` in the instance's home. A supervisor thread restarts
a server that dies, on the same port and with the same secret so open browser tabs and URLs
keep working, after an exponential backoff that resets once a server has stayed up a while.

JupyterLab is an optional extra (`pip install 'tsukuru[notebook]'`); without it a start fails
with a reason that says so.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import importlib.util
import logging
import shutil
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tsukuru.domain.ports import NotebookServer, NotebookStartFailed, ScriptOutcome
from tsukuru.hosting.instance import RestartPolicy
from tsukuru.hosting.notebooks_kernels import shared_data_folder
from tsukuru.hosting.notebooks_server import (
    InstanceFolders,
    ScriptRun,
    end_leftover_server,
    instance_folders,
    last_log_line,
    launch_server,
    server_environment,
)
from tsukuru.hosting.notebooks_tokens import issue, new_secret
from tsukuru.hosting.process import LOOPBACK, free_port, stop_servers

log = logging.getLogger("tsukuru.notebooks")

METADATA_VARIABLE = "TSUKURU_SAGEMAKER_METADATA_FILE"
NOT_INSTALLED = (
    "JupyterLab is not installed for {python}: install the notebook extra "
    "(pip install 'tsukuru[notebook]') and start the platform again"
)


@dataclass(frozen=True)
class ServerStatus:
    """What an operator (or a test) may want to know about one notebook server."""

    pid: int | None
    port: int
    healthy: bool
    restarts: int
    log_path: str
    last_exit: str | None


class _Server:
    def __init__(self, server: NotebookServer, folders: InstanceFolders) -> None:
        self.server = server
        self.folders = folders
        self.secret = new_secret()
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.script: ScriptRun | None = None
        self.stopped = True
        self.supervised = False  # started successfully: restart it if it dies
        self.healthy = False
        self.restarts = 0
        self.last_exit: str | None = None
        self.restart_at: float | None = None
        self.up_since: float | None = None
        self.delay = 0.0


class LocalNotebookHost:
    """Notebook servers as local subprocesses (see the module docstring).

    `root` holds the instances' homes (`<account>/<region>/<name>`) and the shared kernel
    folder; `env` is the client environment every server and script starts from.
    `server_command` replaces `python -m jupyterlab` (it gets the same options).
    """

    def __init__(
        self,
        root: Path,
        env: Mapping[str, str],
        *,
        python: str = sys.executable,
        server_command: Sequence[str] | None = None,
        metadata_variable: str = METADATA_VARIABLE,
        restart_policy: RestartPolicy | None = None,
        supervise_interval: float = 0.5,
        stop_grace: float = 10.0,
    ) -> None:
        self._root = Path(root)
        self._env = dict(env)
        self._python = python
        self._command = tuple(server_command or (python, "-m", "jupyterlab"))
        self._check_jupyterlab = server_command is None and python == sys.executable
        self._metadata_variable = metadata_variable
        self._policy = restart_policy or RestartPolicy(
            first_delay=0.5, max_delay=30.0, stable_after=60.0, ping_timeout=2.0
        )
        self._interval = supervise_interval
        self._grace = stop_grace
        self._lock = threading.Lock()
        self._servers: dict[str, _Server] = {}
        self._closed = False
        self._halt = threading.Event()
        self._supervisor: threading.Thread | None = None
        atexit.register(_close_if_alive, weakref.ref(self))

    @property
    def kernels_folder(self) -> Path:
        return shared_data_folder(self._root)

    # ------------------------------------------------------------------ NotebookHost

    def run_script(self, server: NotebookServer, script: bytes, timeout: float) -> ScriptOutcome:
        entry = self._entry(server)
        env = self._environment(entry)
        env.pop("JUPYTER_TOKEN", None)  # the server's secret is the platform's, not the script's
        with self._lock:
            if self._closed:
                return ScriptOutcome(None, [])
            entry.stopped = False
            run = entry.script = ScriptRun(entry.folders, script, env, "lifecycle-script.sh")
        try:
            return run.wait(timeout)
        finally:
            with self._lock:
                if entry.script is run:
                    entry.script = None

    def start(self, server: NotebookServer, timeout: float = 180.0) -> str:
        if self._check_jupyterlab and importlib.util.find_spec("jupyterlab") is None:
            raise NotebookStartFailed(NOT_INSTALLED.format(python=self._python))
        entry = self._entry(server)
        with self._lock:
            if self._closed:
                raise NotebookStartFailed("the platform is shutting down")
            if entry.process is not None and entry.process.poll() is None and not entry.stopped:
                return f"{LOOPBACK}:{entry.port}"
            entry.stopped = False
            entry.healthy = False
            entry.secret = new_secret()  # a new start retires every URL of the previous one
            entry.port = free_port()
            entry.delay = self._policy.first_delay
            entry.restart_at = None
            process = entry.process = self._launch(entry)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if entry.stopped or entry.process is not process:
                raise NotebookStartFailed("the notebook instance was stopped while starting")
            code = process.poll()
            if code is not None:
                reason = last_log_line(entry.folders.server_log)
                self.stop(server.instance_id)
                raise NotebookStartFailed(
                    f"JupyterLab exited with code {code} while starting"
                    + (f": {reason}" if reason else "")
                    + f" (log: {entry.folders.server_log})"
                )
            if self._answers(entry):
                with self._lock:
                    entry.healthy = True
                    entry.supervised = True
                    entry.up_since = time.monotonic()
                self._ensure_supervisor()
                return f"{LOOPBACK}:{entry.port}"
            time.sleep(0.2)
        self.stop(server.instance_id)
        raise NotebookStartFailed(
            f"JupyterLab did not answer within {timeout:.0f} s (log: {entry.folders.server_log})"
        )

    def stop(self, instance_id: str) -> None:
        with self._lock:
            entry = self._servers.get(instance_id)
            if entry is None:
                return
            entry.stopped = True
            entry.supervised = False
            entry.healthy = False
            entry.restart_at = None
            process, entry.process = entry.process, None
            script, entry.script = entry.script, None
        if script is not None:
            script.stop()
        if process is not None:
            stop_servers([process], self._grace)

    def authorized_url(
        self, instance_id: str, login_until: datetime, session_until: datetime
    ) -> str | None:
        with self._lock:
            entry = self._servers.get(instance_id)
            if entry is None or entry.stopped or entry.port == 0:
                return None
            token = issue(entry.secret, login_until.timestamp(), session_until.timestamp())
            return f"http://{LOOPBACK}:{entry.port}/lab?token={token}"

    def remove(self, instance_id: str) -> None:
        self.stop(instance_id)
        with self._lock:
            self._servers.pop(instance_id, None)
        shutil.rmtree(instance_folders(self._root, instance_id).home, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            ids = list(self._servers)
        self._halt.set()
        for instance_id in ids:
            self.stop(instance_id)

    # ------------------------------------------------------------------ inspection

    def status(self, instance_id: str) -> ServerStatus | None:
        with self._lock:
            entry = self._servers.get(instance_id)
            if entry is None:
                return None
            process = entry.process
            return ServerStatus(
                pid=process.pid if process is not None else None,
                port=entry.port,
                healthy=entry.healthy,
                restarts=entry.restarts,
                log_path=str(entry.folders.server_log),
                last_exit=entry.last_exit,
            )

    def home(self, instance_id: str) -> Path:
        return instance_folders(self._root, instance_id).home

    # ------------------------------------------------------------------ supervision

    def _ensure_supervisor(self) -> None:
        with self._lock:
            if self._supervisor is not None or self._closed:
                return
            self._supervisor = threading.Thread(
                target=self._supervise, daemon=True, name="notebook-supervisor"
            )
            self._supervisor.start()

    def _supervise(self) -> None:
        while not self._halt.wait(self._interval):
            with self._lock:
                entries = [e for e in self._servers.values() if e.supervised]
            for entry in entries:
                try:
                    self._look_after(entry)
                except Exception:  # the supervisor must outlive any one server's trouble
                    continue

    def _look_after(self, entry: _Server) -> None:
        now = time.monotonic()
        relaunched = None
        with self._lock:
            if not entry.supervised:
                return
            process = entry.process
            if process is not None and process.poll() is not None:
                entry.healthy = False
                code = process.returncode
                tail = last_log_line(entry.folders.server_log)
                entry.last_exit = f"exited with code {code}" + (f": {tail}" if tail else "")
                entry.process = None
                stable = entry.up_since is not None and now - entry.up_since >= (
                    self._policy.stable_after
                )
                if stable:
                    entry.delay = self._policy.first_delay
                entry.up_since = None
                entry.restart_at = now + entry.delay
                entry.delay = min(
                    max(entry.delay, self._policy.first_delay) * 2, self._policy.max_delay
                )
            elif process is None and entry.restart_at is not None and now >= entry.restart_at:
                entry.restart_at = None
                entry.restarts += 1
                if not _port_free(entry.port):
                    entry.port = free_port()
                relaunched = entry.process = self._launch(entry)
            elif process is not None and not entry.healthy:
                relaunched = process
        if relaunched is not None and self._answers(entry):
            with self._lock:
                if entry.process is relaunched:
                    entry.healthy = True
                    entry.up_since = time.monotonic()

    # ------------------------------------------------------------------ helpers

    def _entry(self, server: NotebookServer) -> _Server:
        folders = instance_folders(self._root, server.instance_id)
        folders.create(server)
        with self._lock:
            entry = self._servers.get(server.instance_id)
            if entry is None:
                if end_leftover_server(folders):
                    log.warning("stopped a JupyterLab server left over from %s", folders.home)
                entry = self._servers[server.instance_id] = _Server(server, folders)
            return entry

    def _environment(self, entry: _Server) -> dict[str, str]:
        self.kernels_folder.mkdir(parents=True, exist_ok=True)
        return server_environment(
            self._env, entry.folders, entry.secret, self.kernels_folder, self._metadata_variable
        )

    def _launch(self, entry: _Server) -> subprocess.Popen[bytes]:
        return launch_server(self._command, entry.port, entry.folders, self._environment(entry))

    def _answers(self, entry: _Server) -> bool:
        """True when the server answers `/api/status` to its secret."""
        connection = http.client.HTTPConnection(
            LOOPBACK, entry.port, timeout=self._policy.ping_timeout
        )
        try:
            connection.request(
                "GET", "/api/status", headers={"Authorization": f"token {entry.secret}"}
            )
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()
        return response.status == 200


def _port_free(port: int) -> bool:
    """Whether a server could listen on `port` again (servers set SO_REUSEADDR, so connections
    of the dead one still in TIME_WAIT do not count; another listener does)."""
    with socket.socket() as sock, contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, port))
        return True
    return False


def _close_if_alive(ref: weakref.ReferenceType[LocalNotebookHost]) -> None:
    host = ref()
    if host is not None:
        host.close()
