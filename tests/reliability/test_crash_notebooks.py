"""kill -9 with a notebook instance InService and a kernel running: after a restart the instance
is InService again without user action (a fresh JupyterLab, its files kept), and neither the old
server nor its kernel is left running."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import botocore.exceptions
import httpx
import pytest

from tests.acceptance.notebooks_support import Jupyter, server_pid
from tests.harness import make_client, start_platform
from tests.reliability.support import kill_and_restart, processes, wait_for
from tsukuru.hosting.orphans import is_alive

ROLE = "arn:aws:iam::123456789012:role/service-role/SageMakerRole"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("jupyterlab") is None, reason="JupyterLab is not installed"
)


def in_service(sm: Any, name: str, timeout: float = 240) -> dict[str, Any]:
    def described() -> dict[str, Any] | None:
        found: dict[str, Any] = sm.describe_notebook_instance(NotebookInstanceName=name)
        assert found["NotebookInstanceStatus"] != "Failed", found.get("FailureReason")
        return found if found["NotebookInstanceStatus"] == "InService" else None

    return wait_for(described, timeout=timeout, what=f"{name} InService", every=0.5)


def jupyter(sm: Any, name: str) -> Jupyter:
    url = sm.create_presigned_notebook_instance_url(NotebookInstanceName=name)["AuthorizedUrl"]
    return Jupyter.from_url(url)


def kept_file(sm: Any) -> str | None:
    try:
        return jupyter(sm, "kept").get_text("work.txt")
    except (httpx.HTTPError, botocore.exceptions.ClientError):
        return None


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_notebook_instance_comes_back_after_a_kill(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = start_platform(home)
    try:
        sm = make_client(first, "sagemaker")
        sm.create_notebook_instance(
            NotebookInstanceName="kept", InstanceType="ml.t3.medium", RoleArn=ROLE
        )
        in_service(sm, "kept")
        server = jupyter(sm, "kept")
        server.put_text("work.txt", "written before the crash\n")
        server.start_session("work.ipynb", "python3")
        old = processes(home)
        old_server = server_pid(first, "kept")
        assert len(old) >= 3, old  # the fork server, JupyterLab and the kernel at least
        again, _ = kill_and_restart(first)
    except BaseException:
        first.stop()
        raise
    try:
        sm = make_client(again, "sagemaker")
        for found in old:
            assert not is_alive(found.pid), f"{found.command} outlived the restart"
        # The record says InService throughout; the new server answers once it has started.
        text = wait_for(lambda: kept_file(sm), timeout=240, what="the new JupyterLab", every=0.5)
        assert text == "written before the crash\n"
        assert in_service(sm, "kept")["Url"].startswith("127.0.0.1:")
        assert server_pid(again, "kept") != old_server
        assert {found.run for found in processes(home)}.isdisjoint({f.run for f in old})
    finally:
        again.stop()
