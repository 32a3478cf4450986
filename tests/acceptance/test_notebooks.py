"""Notebook instances on a real platform with real JupyterLab servers, as a user meets them.

One platform for the module (cleanup stops everything, so not the session's shared one),
started offline: the internet is unreachable from it and from every notebook kernel. Tests run
in file order and walk one story: an instance serves JupyterLab only to holders of a presigned
URL, runs its lifecycle scripts, survives a server crash and keeps its files over Stop/Start; a
failing script fails an instance; the AWS tutorial, built into a notebook, runs unchanged in an
instance's kernel; the cost ledger shows what it all would have cost and cleanup stops it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
from nbformat import NotebookNode
from typer.testing import CliRunner

from examples.bank_data import build_bank_clean
from tests.acceptance.client_support import DEAD_PROXY, LOOPBACK
from tests.acceptance.notebooks_support import (
    Jupyter,
    cell_output,
    instance_home,
    run_notebook,
    server_pid,
)
from tests.acceptance.sdk_support import sdk_python
from tests.conftest import SHARED
from tests.harness import RunningPlatform, make_client, start_platform
from tsukuru.cli import app

ROLE = "arn:aws:iam::123456789012:role/service-role/NotebookRole"
TUTORIAL = SHARED / "reference" / "tutorial_sdk_v2.py"
BROKEN_IMPORT = "from sagemaker.predictor import csv_serializer"
TEST_ROWS = 1236
OFFLINE = {
    "http_proxy": DEAD_PROXY,
    "https_proxy": DEAD_PROXY,
    "HTTP_PROXY": DEAD_PROXY,
    "HTTPS_PROXY": DEAD_PROXY,
    "no_proxy": LOOPBACK,
    "NO_PROXY": LOOPBACK,
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    running = start_platform(tmp_path_factory.mktemp("tsukuru-notebooks"), extra_env=OFFLINE)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sm(platform: RunningPlatform) -> Any:
    return make_client(platform, "sagemaker")


def wait(check: Callable[[], Any], timeout: float, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value {last!r})")


def wait_status(sm: Any, name: str, *statuses: str, timeout: float = 240) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        found: dict[str, Any] = sm.describe_notebook_instance(NotebookInstanceName=name)
        return found if found["NotebookInstanceStatus"] in statuses else None

    result: dict[str, Any] = wait(settled, timeout)
    return result


def jupyter(sm: Any, name: str) -> Jupyter:
    url = sm.create_presigned_notebook_instance_url(NotebookInstanceName=name)["AuthorizedUrl"]
    return Jupyter.from_url(str(url))


def answers(server: Jupyter) -> bool:
    try:
        return server.request("GET", "/api/status").status_code == 200
    except httpx.HTTPError:
        return False


def b64(script: str) -> str:
    return base64.b64encode(script.encode()).decode()


def cli(platform: RunningPlatform, *args: str, port: bool = True) -> str:
    where = ["--home", str(platform.home)] + (["--port", str(platform.port)] if port else [])
    result = CliRunner().invoke(app, [*args, *where])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_instance_is_token_protected_survives_crashes_and_keeps_its_files(
    platform: RunningPlatform, sm: Any
) -> None:
    sm.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="hooks",
        OnCreate=[{"Content": b64('echo oncreate >> "$HOME/SageMaker/hooks.log"\necho made')}],
        OnStart=[{"Content": b64('echo onstart >> "$HOME/SageMaker/hooks.log"\necho "at $PWD"')}],
    )
    sm.create_notebook_instance(
        NotebookInstanceName="nb-files",
        InstanceType="ml.t3.medium",
        RoleArn=ROLE,
        LifecycleConfigName="hooks",
    )
    described = wait_status(sm, "nb-files", "InService", "Failed")
    assert described["NotebookInstanceStatus"] == "InService", described
    assert described["Url"].startswith("127.0.0.1:")
    server = jupyter(sm, "nb-files")
    opened = cli(platform, "notebook", "open", "nb-files", "--no-browser").strip()
    assert opened.startswith(f"http://{described['Url']}/lab?token=")
    [row] = [line for line in cli(platform, "notebook", "ls").splitlines() if "nb-files" in line]
    assert all(word in row for word in ("InService", "ml.t3.medium", "hooks")), row

    assert server.request("GET", "/api/status", token=False).status_code == 403
    assert server.request("GET", "/api/contents", token=False).status_code == 403
    forged = Jupyter(server.base, server.token[:-4] + "0000")
    assert forged.request("GET", "/api/status").status_code == 403
    assert server.request("GET", "/api/status").status_code == 200
    with httpx.Client(base_url=server.base, timeout=30) as browser:  # the URL logs a browser in
        assert browser.get(f"/lab?token={server.token}").status_code == 200
        assert browser.get("/api/status").status_code == 200  # by its session cookie now

    server.put_text("analysis.txt", "results worth keeping\n")

    first_pid = server_pid(platform, "nb-files")
    os.kill(first_pid, signal.SIGKILL)
    wait(lambda: server_pid(platform, "nb-files") != first_pid and answers(server), 120)
    assert server.get_text("analysis.txt") == "results worth keeping\n"

    sm.stop_notebook_instance(NotebookInstanceName="nb-files")
    stopped = wait_status(sm, "nb-files", "Stopped", timeout=60)
    assert "Url" not in stopped
    assert not answers(server)
    sm.start_notebook_instance(NotebookInstanceName="nb-files")
    wait_status(sm, "nb-files", "InService", timeout=240)
    again = jupyter(sm, "nb-files")
    assert again.get_text("analysis.txt") == "results worth keeping\n"
    assert again.get_text("hooks.log").split() == ["oncreate", "onstart", "onstart"]

    logs = make_client(platform, "logs")
    group = "/aws/sagemaker/NotebookInstances"
    events = logs.get_log_events(
        logGroupName=group, logStreamName="nb-files/LifecycleConfigOnStart"
    )
    home = instance_home(platform, "nb-files")
    assert [e["message"] for e in events["events"]] == [f"at {home}", f"at {home}"]
    events = logs.get_log_events(
        logGroupName=group, logStreamName="nb-files/LifecycleConfigOnCreate"
    )
    assert [e["message"] for e in events["events"]] == ["made"]


@pytest.mark.timeout(120)
def test_a_failing_lifecycle_script_fails_the_instance(platform: RunningPlatform, sm: Any) -> None:
    sm.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="broken",
        OnStart=[{"Content": b64("echo 'cannot set up' >&2\nexit 3")}],
    )
    sm.create_notebook_instance(
        NotebookInstanceName="nb-broken",
        InstanceType="ml.t3.medium",
        RoleArn=ROLE,
        LifecycleConfigName="broken",
    )
    failed = wait_status(sm, "nb-broken", "Failed", "InService", timeout=60)
    assert failed["NotebookInstanceStatus"] == "Failed"
    assert "notebook-instance-lifecycle-config/broken" in failed["FailureReason"]
    assert "failed. Please check your CloudWatch logs" in failed["FailureReason"]
    sm.delete_notebook_instance(NotebookInstanceName="nb-broken")
    with pytest.raises(sm.exceptions.ClientError, match="RecordNotFound"):
        sm.describe_notebook_instance(NotebookInstanceName="nb-broken")


def tutorial_notebook() -> NotebookNode:
    """The tutorial as a notebook: one cell per `# cell N` marker, the one broken import out."""
    lines = TUTORIAL.read_text().splitlines(keepends=True)
    kept = [line for line in lines if line.strip() != BROKEN_IMPORT]
    assert len(kept) == len(lines) - 1, "the tutorial's csv_serializer import line moved"
    _header, *cells = re.split(r"(?m)^(?=# cell \d+:)", "".join(kept))
    assert len(cells) == 12
    document = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (SageMaker SDK v2)",
                "language": "python",
            }
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"cell-{number}",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": cell.rstrip("\n"),
            }
            for number, cell in enumerate(cells, start=1)
        ],
    }
    notebook: NotebookNode = nbformat.from_dict(document)  # type: ignore[no-untyped-call]
    nbformat.validate(notebook)
    return notebook


@pytest.mark.slow
@pytest.mark.sdk
@pytest.mark.timeout(900)
def test_the_tutorial_runs_in_a_notebook_instance_then_cost_and_cleanup(
    platform: RunningPlatform, sm: Any, tmp_path: Path
) -> None:
    python = sdk_python(2)
    cli(platform, "notebook", "kernel", "add", str(python), "--name", "python3", port=False)
    sm.create_notebook_instance(
        NotebookInstanceName="tutorial", InstanceType="ml.t3.medium", RoleArn=ROLE
    )
    assert wait_status(sm, "tutorial", "InService", "Failed")["NotebookInstanceStatus"] == (
        "InService"
    )
    server = jupyter(sm, "tutorial")
    build_bank_clean(tmp_path / "bank_clean.csv")
    server.put_bytes("bank_clean.csv", (tmp_path / "bank_clean.csv").read_bytes())
    notebook = tutorial_notebook()
    server.put_notebook("tutorial.ipynb", notebook)

    kernel_id = server.start_session("tutorial.ipynb", "python3")
    executed = run_notebook(platform, "tutorial", notebook, kernel_id, timeout=400)
    server.put_notebook("tutorial.ipynb", executed)
    output = "\n".join(cell_output(cell) for cell in executed.cells)

    assert "Success - the MySageMakerInstance is in the us-east-1 region" in output
    assert "S3 bucket created successfully" in output
    assert "Success: Data loaded into dataframe." in output
    assert "(2883, 61) (1236, 61)" in output
    assert f"({TEST_ROWS},)" in output
    rate = re.search(r"Overall Classification Rate: +([\d.]+)%", output)
    assert rate, output[-3000:]
    assert float(rate[1]) >= 85.0

    [job] = sm.list_training_jobs()["TrainingJobSummaries"]
    described = sm.describe_training_job(TrainingJobName=job["TrainingJobName"])
    assert described["RoleArn"] == ROLE  # get_execution_role() asked the notebook instance
    assert sm.list_endpoints()["Endpoints"] == []  # the tutorial's clean-up cell ran

    report = json.loads(cli(platform, "cost", "--json"))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in report["items"]:
        by_kind.setdefault(item["kind"], []).append(item)
    assert "tutorial" in {i["name"] for i in by_kind["NotebookInstance"]}
    assert [i["name"] for i in by_kind["TrainingJob"]] == [job["TrainingJobName"]]
    assert len(by_kind["Endpoint"]) == 1
    notebook_line = next(i for i in by_kind["NotebookInstance"] if i["name"] == "tutorial")
    assert notebook_line["running"]
    assert notebook_line["estimated_usd"] > 0
    for kind in ("TrainingJob", "Endpoint"):  # ml.m4.xlarge: priced as an m5 estimate
        assert by_kind[kind][0]["elapsed_seconds"] > 0
        assert by_kind[kind][0]["estimated_usd"] > 0

    cli(platform, "cleanup", "--yes")
    for summary in sm.list_notebook_instances()["NotebookInstances"]:
        wait_status(sm, summary["NotebookInstanceName"], "Stopped", "Failed", timeout=60)
    assert wait_status(sm, "tutorial", "Stopped")["NotebookInstanceStatus"] == "Stopped"
    after = json.loads(cli(platform, "cost", "--json"))
    still = [f"{i['kind']} {i['name']}" for i in after["items"] if i["running"]]
    assert still == []
    assert not answers(server)
