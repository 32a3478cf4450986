"""One notebook instance on this machine: its folders, its environment, its server command.

The instance's folder is its HOME, as `/home/ec2-user` is on SageMaker, with `SageMaker/` the
folder JupyterLab serves. Jupyter's config, data and runtime folders live inside it too, so
settings and kernels' connection files stay with the instance and never touch the user's own
`~/.jupyter`. Every process of the instance (the server, its kernels, lifecycle scripts) gets the
platform's client environment (`tsukuru exec`'s), plus the instance's own metadata file: on a
SageMaker notebook instance that file names the instance, and the SDK's
`get_execution_role()` asks DescribeNotebookInstance for the instance's RoleArn, as here.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tsukuru.domain.ports import NotebookServer, ScriptOutcome
from tsukuru.hosting.process import LOOPBACK, kill_group

IDENTITY_PROVIDER = "tsukuru.hosting.notebooks_identity.SessionIdentityProvider"
STATE_FOLDER = ".tsukuru"
_SAFE_PART = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


@dataclass(frozen=True)
class InstanceFolders:
    home: Path

    @property
    def notebooks(self) -> Path:
        """What JupyterLab serves: the user's files (SageMaker's /home/ec2-user/SageMaker)."""
        return self.home / "SageMaker"

    @property
    def jupyter_config(self) -> Path:
        return self.home / ".jupyter"

    @property
    def jupyter_data(self) -> Path:
        return self.home / ".local" / "share" / "jupyter"

    @property
    def jupyter_runtime(self) -> Path:
        return self.jupyter_data / "runtime"

    @property
    def state(self) -> Path:
        return self.home / STATE_FOLDER

    @property
    def server_log(self) -> Path:
        return self.state / "jupyter.log"

    @property
    def server_pid(self) -> Path:
        return self.state / "jupyter.pid"

    @property
    def metadata(self) -> Path:
        return self.state / "resource-metadata.json"

    def create(self, server: NotebookServer) -> None:
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)  # the instance's user only
        for folder in (self.notebooks, self.jupyter_config, self.jupyter_runtime, self.state):
            folder.mkdir(parents=True, exist_ok=True)
        document = {"ResourceArn": server.arn, "ResourceName": server.name}
        self.metadata.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def instance_folders(root: Path, instance_id: str) -> InstanceFolders:
    """`<root>/<account>/<region>/<name>`: the id's parts, checked to stay inside `root`."""
    parts = instance_id.split("/")
    if not parts or any(not part or not set(part) <= _SAFE_PART for part in parts):
        raise ValueError(f"not a notebook instance id: {instance_id!r}")
    return InstanceFolders(root.joinpath(*parts))


def server_environment(
    base: Mapping[str, str],
    folders: InstanceFolders,
    secret: str,
    kernels_path: Path,
    metadata_variable: str,
) -> dict[str, str]:
    """The client environment with the instance's HOME, Jupyter folders and secret."""
    env = {k: v for k, v in base.items() if not k.startswith("JUPYTER")}
    env.update(
        HOME=str(folders.home),
        JUPYTER_CONFIG_DIR=str(folders.jupyter_config),
        JUPYTER_DATA_DIR=str(folders.jupyter_data),
        JUPYTER_RUNTIME_DIR=str(folders.jupyter_runtime),
        JUPYTER_PATH=str(kernels_path),  # kernels registered with `tsukuru notebook kernel`
        JUPYTER_TOKEN=secret,
        PYTHONUNBUFFERED="1",
    )
    env[metadata_variable] = str(folders.metadata)
    return env


def server_arguments(port: int, folders: InstanceFolders) -> list[str]:
    """JupyterLab's options: loopback only, our identity provider, no calls to the internet."""
    arguments = [
        "--no-browser",
        f"--ServerApp.ip={LOOPBACK}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={folders.notebooks}",
        f"--ServerApp.identity_provider_class={IDENTITY_PROVIDER}",
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        arguments.append("--allow-root")  # Jupyter refuses root without it
    return arguments


def launch_server(
    command: Sequence[str], port: int, folders: InstanceFolders, env: Mapping[str, str]
) -> subprocess.Popen[bytes]:
    with folders.server_log.open("ab") as log:
        process = subprocess.Popen(
            [*command, *server_arguments(port, folders)],
            cwd=folders.notebooks,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    folders.server_pid.write_text(f"{process.pid}\n", encoding="utf-8")
    return process


def end_leftover_server(folders: InstanceFolders) -> bool:
    """Stop a server a crashed platform left running (its pid file names a live process
    group whose command line serves this instance's folder); True if there was one."""
    try:
        pid = int(folders.server_pid.read_text(encoding="utf-8").split()[0])
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return False
    if f"--ServerApp.root_dir={folders.notebooks}" not in command.split("\0"):
        return False  # the pid was reused by something else
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    folders.server_pid.unlink(missing_ok=True)
    return True


def last_log_line(path: Path, window: int = 8192) -> str:
    try:
        with path.open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - window))
            lines = log.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return next((line.strip() for line in reversed(lines) if line.strip()), "")


class ScriptRun:
    """A lifecycle script running as `/bin/bash <file>` in the instance's home; `stop()` from
    another thread ends it (its whole process group)."""

    def __init__(
        self, folders: InstanceFolders, script: bytes, env: Mapping[str, str], name: str
    ) -> None:
        path = folders.state / name
        path.write_bytes(script)
        self._lines: list[tuple[int, str]] = []
        self._process = subprocess.Popen(
            ["/bin/bash", str(path)],
            cwd=folders.home,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True, name="lifecycle-output")
        self._reader.start()

    def _read(self) -> None:
        stream = self._process.stdout
        if stream is None:
            return
        for raw in stream:
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            self._lines.append((int(time.time() * 1000), text))

    def wait(self, timeout: float) -> ScriptOutcome:
        try:
            code: int | None = self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
            self.stop()
        # A script may leave `nohup ... &` work running, as SageMaker's examples do; its output
        # is not waited for (the reader is a daemon thread).
        self._reader.join(1)
        return ScriptOutcome(exit_code=code, lines=list(self._lines))

    def stop(self) -> None:
        kill_group(self._process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(2)
        kill_group(self._process, signal.SIGKILL)
        self._process.wait()
