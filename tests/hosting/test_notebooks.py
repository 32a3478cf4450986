"""LocalNotebookHost with a stand-in server (tests/hosting/tiny_jupyter.py): starting, the
environment and folders an instance gets, presigned URLs, lifecycle scripts, stopping,
restarting a server that dies, and removing an instance."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tsukuru.domain.ports import NotebookServer, NotebookStartFailed
from tsukuru.hosting.instance import RestartPolicy
from tsukuru.hosting.notebooks import LocalNotebookHost
from tsukuru.hosting.notebooks_server import instance_folders

TINY = [sys.executable, str(Path(__file__).with_name("tiny_jupyter.py"))]
SERVER = NotebookServer(
    "123456789012/us-east-1/nb-1",
    "nb-1",
    "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb-1",
)
CLIENT_ENV = {
    "PATH": os.environ.get("PATH", ""),
    "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    "AWS_ENDPOINT_URL": "http://127.0.0.1:4590",
    "JUPYTER_CONFIG_DIR": "/somewhere/else",
}


def make_host(root: Path, **env: str) -> LocalNotebookHost:
    return LocalNotebookHost(
        root,
        {**CLIENT_ENV, **env},
        server_command=TINY,
        metadata_variable="TSUKURU_SAGEMAKER_METADATA_FILE",
        restart_policy=RestartPolicy(first_delay=0.1, max_delay=0.4, stable_after=5.0),
        supervise_interval=0.05,
        stop_grace=2.0,
    )


@pytest.fixture
def host(tmp_path: Path) -> Iterator[LocalNotebookHost]:
    made = make_host(tmp_path / "notebooks")
    yield made
    made.close()


def get(url: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def presigned(host: LocalNotebookHost, login_seconds: float = 300) -> str:
    now = datetime.now(UTC)
    url = host.authorized_url(
        SERVER.instance_id, now + timedelta(seconds=login_seconds), now + timedelta(hours=1)
    )
    assert url is not None
    return url


def token_of(url: str) -> str:
    return url.split("token=", 1)[1]


def test_a_started_server_answers_only_with_a_token(host: LocalNotebookHost) -> None:
    address = host.start(SERVER, timeout=30)
    assert address.startswith("127.0.0.1:")
    url = presigned(host)
    assert url.startswith(f"http://{address}/lab?token=")
    base = f"http://{address}"
    assert get(f"{base}/api/status")[0] == 403
    assert get(f"{base}/api/status", "not-the-token")[0] == 403
    assert get(f"{base}/api/status", token_of(url))[0] == 200
    assert get(f"{base}/api/status?token={token_of(url)}")[0] == 200


def test_an_expired_url_no_longer_logs_in(host: LocalNotebookHost) -> None:
    address = host.start(SERVER, timeout=30)
    stale = presigned(host, login_seconds=-1)
    assert get(f"http://{address}/api/status", token_of(stale))[0] == 403


def test_the_server_gets_the_client_environment_and_its_own_home(
    host: LocalNotebookHost, tmp_path: Path
) -> None:
    address = host.start(SERVER, timeout=30)
    status, env = get(f"http://{address}/env", token_of(presigned(host)))
    assert status == 200
    home = tmp_path / "notebooks" / "123456789012" / "us-east-1" / "nb-1"
    assert env["HOME"] == str(home)
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4590"
    assert env["JUPYTER_CONFIG_DIR"] == str(home / ".jupyter")  # never the user's own
    assert env["JUPYTER_PATH"] == str(tmp_path / "notebooks" / "jupyter")
    metadata = json.loads(Path(env["TSUKURU_SAGEMAKER_METADATA_FILE"]).read_text())
    assert metadata == {"ResourceArn": SERVER.arn, "ResourceName": "nb-1"}
    assert (home / "SageMaker").is_dir()
    assert home.stat().st_mode & 0o077 == 0


def test_each_start_has_a_new_secret_that_retires_old_urls(host: LocalNotebookHost) -> None:
    host.start(SERVER, timeout=30)
    old = presigned(host)
    host.stop(SERVER.instance_id)
    assert host.authorized_url(SERVER.instance_id, datetime.now(UTC), datetime.now(UTC)) is None
    address = host.start(SERVER, timeout=30)
    assert get(f"http://{address}/api/status", token_of(old))[0] == 403
    assert get(f"http://{address}/api/status", token_of(presigned(host)))[0] == 200


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    failing = make_host(tmp_path / "notebooks", TINY_JUPYTER_FAIL="3")
    try:
        with pytest.raises(NotebookStartFailed, match=r"exited with code 3.*asked to fail"):
            failing.start(SERVER, timeout=30)
    finally:
        failing.close()


def test_a_server_that_dies_is_restarted_on_the_same_port(host: LocalNotebookHost) -> None:
    address = host.start(SERVER, timeout=30)
    token = token_of(presigned(host))
    first = host.status(SERVER.instance_id)
    assert first is not None
    assert first.pid is not None
    os.kill(first.pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = host.status(SERVER.instance_id)
        if now is not None and now.restarts >= 1 and now.healthy:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"not restarted: {host.status(SERVER.instance_id)}")
    assert now.pid != first.pid
    assert now.last_exit is not None
    assert "exited with code -9" in now.last_exit
    assert get(f"http://{address}/api/status", token)[0] == 200  # same port, same secret


def test_a_stopped_server_is_not_restarted(host: LocalNotebookHost) -> None:
    host.start(SERVER, timeout=30)
    host.stop(SERVER.instance_id)
    time.sleep(0.5)
    status = host.status(SERVER.instance_id)
    assert status is not None
    assert status.pid is None
    assert status.restarts == 0


def test_lifecycle_scripts_run_in_the_home_with_their_output(host: LocalNotebookHost) -> None:
    script = b'echo "in $PWD"\necho "endpoint $AWS_ENDPOINT_URL"\necho oops >&2\nexit 4\n'
    outcome = host.run_script(SERVER, script, timeout=30)
    home = host.home(SERVER.instance_id)
    assert outcome.exit_code == 4
    assert [text for _, text in outcome.lines] == [
        f"in {home}",
        "endpoint http://127.0.0.1:4590",
        "oops",
    ]
    assert all(stamp > 1_600_000_000_000 for stamp, _ in outcome.lines)


def test_a_script_past_its_time_limit_is_ended(host: LocalNotebookHost) -> None:
    started = time.monotonic()
    outcome = host.run_script(SERVER, b"echo begin\nsleep 30\necho never\n", timeout=1)
    assert outcome.exit_code is None
    assert [text for _, text in outcome.lines] == ["begin"]
    assert time.monotonic() - started < 10


def test_remove_deletes_the_home(host: LocalNotebookHost) -> None:
    host.start(SERVER, timeout=30)
    home = host.home(SERVER.instance_id)
    (home / "SageMaker" / "work.txt").write_text("mine")
    host.remove(SERVER.instance_id)
    assert not home.exists()
    assert host.status(SERVER.instance_id) is None


def test_instance_ids_cannot_leave_the_root(tmp_path: Path) -> None:
    for bad in ("../x", "a//b", "a/../../b", ""):
        with pytest.raises(ValueError, match="not a notebook instance id"):
            instance_folders(tmp_path, bad)


def test_a_server_left_by_a_crashed_platform_is_ended(tmp_path: Path) -> None:
    crashed = make_host(tmp_path / "notebooks")
    crashed.start(SERVER, timeout=30)
    status = crashed.status(SERVER.instance_id)
    assert status is not None
    assert status.pid is not None
    leftover = status.pid  # the platform dies without closing its host
    successor = make_host(tmp_path / "notebooks")
    try:
        successor.start(SERVER, timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Path(f"/proc/{leftover}").exists():
            time.sleep(0.05)
        assert (
            not Path(f"/proc/{leftover}/cmdline").exists()
            or not Path(f"/proc/{leftover}/cmdline").read_bytes()
        )
    finally:
        successor.close()
        crashed.close()
