"""WarmStarter with the real fork server: jobs and model servers forked warm behave as cold ones.

One helper (the real preload: xgboost, pyarrow, uvicorn) is shared by the module; each test checks
one thing a caller relies on: output, exit status, sessions and signals, model files, the
fall-back to a fresh interpreter, and that only the runtime's entry points can be started.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from tests.runtime.jobtree import bank_matrix, job_environment, make_job, write_csv
from tsukuru.domain.ports import Deployment, Invocation, Launch
from tsukuru.executors.local import LocalExecutor
from tsukuru.executors.warm import HelperMessages, WarmChild, WarmStarter
from tsukuru.hosting.local import LocalModelHost
from tsukuru.hosting.process import Address, ping

HYPERPARAMETERS = {"max_depth": "3", "eta": "0.3", "objective": "binary:logistic", "num_round": "5"}


@pytest.fixture(scope="module")
def starter() -> Iterator[WarmStarter]:
    with tempfile.TemporaryDirectory(prefix="tsk-w") as folder:
        warm = WarmStarter(log_path=Path(folder) / "forkserver.log")
        warm.start()
        assert warm.ready(timeout=120), (Path(folder) / "forkserver.log").read_text()
        yield warm
        warm.close()


@pytest.fixture
def short_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tsk-w") as folder:
        yield Path(folder)


def test_a_training_job_runs_warm_through_the_executor(
    starter: WarmStarter, tmp_path: Path
) -> None:
    job = make_job(tmp_path / "job", HYPERPARAMETERS)
    write_csv(job.channel("train") / "train.csv", bank_matrix()[:600])
    env = job_environment(job, "1.7-1")
    process = LocalExecutor(starter=starter).launch(Launch("warm", "train", str(job.root), env))

    lines = [text for _, text in process.lines()]

    assert process.wait(30) == 0, "\n".join(lines)
    assert isinstance(process._process, WarmChild)
    assert any("train-logloss" in line for line in lines)
    assert not any("found in sys.modules" in line for line in lines)
    booster = xgb.Booster()
    booster.load_model(bytearray(job.model_file.read_bytes()))
    assert booster.num_boosted_rounds() == 5
    assert (job.root / "output" / "success").exists()


def test_a_failing_job_reports_its_exit_status_and_reason(
    starter: WarmStarter, tmp_path: Path
) -> None:
    job = make_job(tmp_path / "job", {"num_round": "2"})
    write_csv(job.channel("train") / "train.csv", bank_matrix()[:50])
    env = job_environment(job, "1.7-1")
    del env["TSUKURU_ALGORITHM_VERSION"]
    child = starter.spawn("tsukuru.runtime.train", [], env=env, cwd=job.root, output=None)

    assert child.stdout is not None
    output = child.stdout.read().decode()
    assert child.wait(30) == 1
    assert child.poll() == 1
    assert "TSUKURU_ALGORITHM_VERSION is not set" in output
    assert "TSUKURU_ALGORITHM_VERSION is not set" in job.failure


def test_an_exit_sent_right_behind_the_pid_is_not_lost() -> None:
    """A child that fails at once has its exit status sent right behind its pid; both can
    arrive in one read, and the status must still reach `wait` (it once failed the spawn)."""
    ours, helpers = socket.socketpair()
    with helpers:
        helpers.sendall(b'{"pid": 4242}\n{"exit": 2}\n')
    messages = HelperMessages(ours)
    assert messages.next() == {"pid": 4242}
    child = WarmChild(messages, 4242, None)
    assert child.wait(5) == 2


def test_many_jobs_that_fail_at_once_all_report_their_status(
    starter: WarmStarter, tmp_path: Path
) -> None:
    children = []
    for index in range(12):
        job = make_job(tmp_path / f"job{index}", {"num_round": "2"})
        env = job_environment(job, "1.7-1")
        del env["TSUKURU_ALGORITHM_VERSION"]
        children.append(
            starter.spawn("tsukuru.runtime.train", [], env=env, cwd=job.root, output=None)
        )
    for child in children:
        assert isinstance(child, WarmChild)
        assert child.stdout is not None
        child.stdout.read()
        assert child.wait(30) == 1


def model_dir(root: Path) -> Path:
    rng = np.random.default_rng(3)
    features = rng.normal(size=(200, 4))
    labels = (features[:, 0] > 0).astype(float)
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(features, labels), 4)
    folder = root / "model"
    folder.mkdir()
    (folder / "xgboost-model").write_bytes(bytes(booster.save_raw("ubj")))
    return folder


def serve(starter: WarmStarter, root: Path, **extra: str) -> tuple[Any, Address]:
    address = Address(uds=str(root / "s.sock"))
    env = dict(os.environ, TSUKURU_ALGORITHM="xgboost", **extra)
    args = ["--model-dir", str(model_dir(root)), "--uds", str(address.uds)]
    with (root / "server.log").open("ab") as log:
        child = starter.spawn("tsukuru.runtime.serve", args, env=env, cwd=root, output=log.fileno())
    deadline = time.monotonic() + 60
    while not ping(address, 0.5):
        assert child.poll() is None, (root / "server.log").read_text()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return child, address


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()


def forked_warm(pid: int) -> bool:
    """A warm child keeps the helper's initial environment block; an exec'd one has its own."""
    return b"TSUKURU_ALGORITHM=" not in Path(f"/proc/{pid}/environ").read_bytes()


def test_a_model_server_runs_warm_in_its_own_session_and_stops_on_sigterm(
    starter: WarmStarter, short_root: Path
) -> None:
    child, _ = serve(starter, short_root)

    assert forked_warm(child.pid)
    assert command_line(child.pid).startswith(f"{sys.executable} -m tsukuru.runtime.serve --model")
    assert os.getsid(child.pid) == child.pid
    os.killpg(child.pid, signal.SIGTERM)
    assert child.wait(30) == 0
    assert "Traceback" not in (short_root / "server.log").read_text()


def test_a_different_import_time_environment_gets_a_fresh_interpreter(
    starter: WarmStarter, short_root: Path
) -> None:
    child, _ = serve(starter, short_root, OMP_NUM_THREADS="1")

    assert not forked_warm(child.pid)
    assert "-m tsukuru.runtime.serve" in command_line(child.pid)
    assert os.getsid(child.pid) == child.pid
    os.killpg(child.pid, signal.SIGTERM)
    assert child.wait(30) == 0


def test_the_model_host_deploys_and_invokes_through_the_starter(
    starter: WarmStarter, short_root: Path
) -> None:
    import asyncio

    host = LocalModelHost(short_root / "run", starter=starter, grace_seconds=3.0)
    try:
        env = {"TSUKURU_ALGORITHM": "xgboost", "TSUKURU_ALGORITHM_VERSION": "1.7-1"}
        host.deploy(Deployment("warm", str(model_dir(short_root)), env, 1), timeout=60)
        [status] = host.instances("warm")
        assert status.pid is not None
        assert forked_warm(status.pid)
        assert "tsukuru.runtime.serve" in command_line(status.pid)
        invocation = Invocation(b"0.5,0.1,0.2,0.3\n-2,0,0,0\n", "text/csv")
        result = asyncio.run(host.invoke("warm", invocation))
        assert result.status == 200
        scores = [float(v) for v in result.body.decode().replace(",", "\n").split()]
        assert len(scores) == 2
        assert scores[0] > scores[1]
    finally:
        host.close()
    assert not host.instances("warm")


def test_before_the_helper_is_ready_a_start_is_cold(tmp_path: Path) -> None:
    starter = WarmStarter(python="/bin/false")  # a helper that never comes up
    try:
        child = starter.spawn("tsukuru.runtime.train", [], env={}, cwd=tmp_path, output=None)
        assert isinstance(child, subprocess.Popen)
        child.wait(30)  # /bin/false -m ...: exits 1, but it was started the cold way
        assert child.returncode == 1
        assert not starter.ready(timeout=1)
    finally:
        starter.close()


def raw_request(path: str, request: dict[str, Any]) -> dict[str, Any]:
    payload = json.dumps(request).encode()
    read_end, write_end = os.pipe()
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(10)
            conn.connect(path)
            socket.send_fds(conn, [struct.pack("!I", len(payload)) + payload], [write_end] * 2)
            reply: dict[str, Any] = json.loads(conn.makefile("rb").readline())
            return reply
    finally:
        os.close(read_end)
        os.close(write_end)


def test_only_runtime_entry_points_can_be_started(starter: WarmStarter, tmp_path: Path) -> None:
    assert starter.socket_path is not None
    request = {"module": "http.server", "args": [], "env": {}, "cwd": str(tmp_path)}

    reply = raw_request(starter.socket_path, request)

    assert "not a runtime entry point" in reply["error"]
    assert oct(os.stat(os.path.dirname(starter.socket_path)).st_mode & 0o777) == "0o700"
