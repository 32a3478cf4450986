"""Talking to a notebook instance the way a browser and JupyterLab do, for acceptance tests.

A `Jupyter` is one instance's server reached through a presigned URL from the API (never the
server's own secret): the contents API for files, the sessions API to start a kernel for a
notebook. `run_notebook` executes a notebook with nbclient *in a kernel the server started*:
nbclient connects to that kernel over the connection file the server wrote in the instance's
runtime folder, instead of launching a kernel of its own.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbformat import NotebookNode

from tests.harness import RunningPlatform

ACCOUNT_REGION = "123456789012/us-east-1"


@dataclass(frozen=True)
class Jupyter:
    base: str
    token: str

    @classmethod
    def from_url(cls, url: str) -> Jupyter:
        parsed = urlparse(url)
        token = parse_qs(parsed.query)["token"][0]
        return cls(f"{parsed.scheme}://{parsed.netloc}", token)

    def request(self, method: str, path: str, *, token: bool = True, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"token {self.token}"} if token else {}
        return httpx.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kw)

    def put_text(self, path: str, text: str) -> None:
        body = {"type": "file", "format": "text", "content": text}
        self.request("PUT", f"/api/contents/{path}", json=body).raise_for_status()

    def put_bytes(self, path: str, data: bytes) -> None:
        body = {"type": "file", "format": "base64", "content": base64.b64encode(data).decode()}
        self.request("PUT", f"/api/contents/{path}", json=body).raise_for_status()

    def put_notebook(self, path: str, notebook: NotebookNode) -> None:
        body = {"type": "notebook", "content": json.loads(json.dumps(notebook))}
        self.request("PUT", f"/api/contents/{path}", json=body).raise_for_status()

    def get_text(self, path: str) -> str:
        response = self.request("GET", f"/api/contents/{path}", params={"format": "text"})
        response.raise_for_status()
        return str(response.json()["content"])

    def start_session(self, notebook_path: str, kernel: str) -> str:
        """Open a notebook as JupyterLab does (POST /api/sessions); returns the kernel id."""
        body = {
            "path": notebook_path,
            "name": notebook_path,
            "type": "notebook",
            "kernel": {"name": kernel},
        }
        response = self.request("POST", "/api/sessions", json=body)
        response.raise_for_status()
        return str(response.json()["kernel"]["id"])


def instance_home(platform: RunningPlatform, name: str) -> Path:
    return platform.home / "notebooks" / ACCOUNT_REGION / name


def server_pid(platform: RunningPlatform, name: str) -> int:
    """The JupyterLab server's pid, from the server info file it writes in its runtime folder."""
    runtime = instance_home(platform, name) / ".local" / "share" / "jupyter" / "runtime"
    infos = sorted(runtime.glob("jpserver-*.json"), key=lambda p: p.stat().st_mtime)
    assert infos, f"no server info file in {runtime}"
    return int(json.loads(infos[-1].read_text())["pid"])


class ServerKernel(AsyncKernelManager):
    """A kernel manager for a kernel someone else (the Jupyter server) started and owns."""

    @property
    def has_kernel(self) -> bool:
        return True


def run_notebook(
    platform: RunningPlatform, name: str, notebook: NotebookNode, kernel_id: str, timeout: int
) -> NotebookNode:
    runtime = instance_home(platform, name) / ".local" / "share" / "jupyter" / "runtime"
    connection = runtime / f"kernel-{kernel_id}.json"
    deadline = time.monotonic() + 30
    while not connection.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    manager = ServerKernel(connection_file=str(connection), owns_kernel=False)
    manager.load_connection_file()
    client = NotebookClient(notebook, km=manager, timeout=timeout, allow_errors=False)
    executed: NotebookNode = client.execute()
    return executed


def cell_output(cell: NotebookNode) -> str:
    """Everything a code cell printed (streams and results, as text)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(str(output.get("text", "")))
        elif output.get("output_type") in ("execute_result", "display_data"):
            parts.append(str(output.get("data", {}).get("text/plain", "")))
        elif output.get("output_type") == "error":
            parts.append("\n".join(output.get("traceback", [])))
    return "".join(parts)
