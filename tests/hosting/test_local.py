"""LocalModelHost with the real model server (`tsukuru.runtime.serve`) and a real XGBoost model.

One two-instance deployment is shared by the tests that only read from it (starting the XGBoost
server costs seconds); the tests that break things deploy their own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from tests.hosting.support import LoopThread, process_gone
from tsukuru.domain.ports import Deployment, DeploymentFailed, Invocation
from tsukuru.hosting.local import LocalModelHost

ENV = {"TSUKURU_ALGORITHM": "xgboost", "TSUKURU_ALGORITHM_VERSION": "1.7-1"}
FEATURES = 6


def train_booster() -> Any:
    rng = np.random.default_rng(7)
    features = rng.normal(size=(300, FEATURES)).astype(np.float32)
    labels = (features[:, 0] + 0.5 * features[:, 1] > 0).astype(np.float32)
    train = xgb.DMatrix(features, label=labels)
    return xgb.train({"objective": "binary:logistic", "max_depth": 3}, train, num_boost_round=8)


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    """The gateway runs under uvicorn, on uvloop: invoke there."""
    runner = LoopThread(use_uvloop=True)
    yield runner
    runner.stop()


@pytest.fixture(scope="module")
def booster() -> Any:
    return train_booster()


@pytest.fixture(scope="module")
def root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tsk-x") as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def model_dir(root: Path, booster: Any) -> str:
    folder = root / "model"
    folder.mkdir()
    booster.save_model(str(folder / "model.ubj"))  # XGBoost's own format, as 1.3+ writes it
    (folder / "model.ubj").rename(folder / "xgboost-model")
    return str(folder)


@pytest.fixture(scope="module")
def host(root: Path) -> Iterator[LocalModelHost]:
    running = LocalModelHost(root / "run", grace_seconds=3.0)
    yield running
    running.close()


@pytest.fixture(scope="module")
def pair(host: LocalModelHost, model_dir: str) -> str:
    host.deploy(Deployment("xgb-pair", model_dir, ENV, instance_count=2), timeout=90)
    return "xgb-pair"


def csv_rows(rows: np.ndarray[Any, Any]) -> bytes:
    return "\n".join(",".join(f"{v:.9g}" for v in row) for row in rows).encode()


def test_predictions_equal_xgboost(
    host: LocalModelHost, pair: str, booster: Any, loop_thread: LoopThread
) -> None:
    rows = np.random.default_rng(11).normal(size=(50, FEATURES)).astype(np.float32)
    body = csv_rows(rows)
    answer = loop_thread.run(
        host.invoke(pair, Invocation(body, content_type="text/csv", accept="text/csv"))
    )
    assert answer.status == 200, answer.body
    assert answer.content_type is not None
    assert answer.content_type.startswith("text/csv")
    served = np.array([float(v) for v in answer.body.decode().split()])
    parsed = np.array([[float(v) for v in line.split(b",")] for line in body.split(b"\n")])
    expected = booster.inplace_predict(parsed.astype(np.float32))
    assert served.shape == expected.shape
    assert np.allclose(served, expected, atol=1e-6, rtol=0)


def test_load_spreads_over_both_instances(
    host: LocalModelHost, pair: str, loop_thread: LoopThread
) -> None:
    before = [s.served for s in host.instances(pair)]
    invocation = Invocation(b"0.1,0.2,0.3,0.4,0.5,0.6", content_type="text/csv")

    async def burst() -> set[int]:
        answers = await asyncio.gather(*(host.invoke(pair, invocation) for _ in range(40)))
        return {a.status for a in answers}

    assert loop_thread.run(burst()) == {200}
    after = [s.served for s in host.instances(pair)]
    gained = [a - b for a, b in zip(after, before, strict=True)]
    assert sum(gained) == 40
    assert min(gained) >= 10, gained


def test_bad_request_status_comes_through(
    host: LocalModelHost, pair: str, loop_thread: LoopThread
) -> None:
    answer = loop_thread.run(
        host.invoke(pair, Invocation(b"1,2", content_type="application/x-recordio-protobuf"))
    )
    assert answer.status == 415


def test_corrupt_model_fails_fast_with_the_servers_reason(root: Path) -> None:
    folder = root / "corrupt"
    folder.mkdir()
    (folder / "xgboost-model").write_bytes(b"\x00 this is not a model")
    host = LocalModelHost(root / "run-corrupt")
    started = time.monotonic()
    try:
        with pytest.raises(DeploymentFailed) as failed:
            host.deploy(Deployment("xgb-bad", str(folder), ENV, instance_count=2), timeout=90)
    finally:
        host.close()
    assert "xgboost-model" in failed.value.reason
    assert "\n" not in failed.value.reason
    assert time.monotonic() - started < 30


def test_kill_during_load_is_hidden_and_the_instance_restarts(
    host: LocalModelHost, model_dir: str, loop_thread: LoopThread
) -> None:
    host.deploy(Deployment("xgb-kill", model_dir, ENV, instance_count=2), timeout=90)
    victim = host.instances("xgb-kill")[1]
    assert victim.pid is not None
    invocation = Invocation(b"0.3,0.1,0.0,1.0,2.0,0.5", content_type="text/csv")

    async def worker() -> list[int]:
        return [(await host.invoke("xgb-kill", invocation, 5)).status for _ in range(50)]

    async def load() -> list[int]:
        workers = [asyncio.ensure_future(worker()) for _ in range(4)]
        await asyncio.sleep(0.05)
        os.kill(victim.pid or 0, signal.SIGKILL)
        return [status for statuses in await asyncio.gather(*workers) for status in statuses]

    assert set(loop_thread.run(load(), timeout=60)) == {200}
    # the load may end before the supervisor has even seen the death: wait for the restart
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        host.instances("xgb-kill")[1].restarts >= 1 and host.healthy_instances("xgb-kill") == 2
    ):
        time.sleep(0.05)
    restarted = host.instances("xgb-kill")[1]
    assert restarted.healthy
    assert restarted.restarts == 1
    assert process_gone(victim.pid)
    host.undeploy("xgb-kill")
    assert restarted.pid is not None
    assert process_gone(restarted.pid)


def test_single_instance_undeploy_and_close_leave_no_process(
    model_dir: str, root: Path, loop_thread: LoopThread
) -> None:
    host = LocalModelHost(root / "run-single", grace_seconds=3.0)
    host.deploy(Deployment("xgb-one", model_dir, ENV, instance_count=1), timeout=90)
    [only] = host.instances("xgb-one")
    answer = loop_thread.run(
        host.invoke("xgb-one", Invocation(b"1,1,1,1,1,1", content_type="text/csv"))
    )
    assert answer.status == 200
    host.undeploy("xgb-one")
    assert only.pid is not None
    assert process_gone(only.pid)
    host.close()
    host.close()
