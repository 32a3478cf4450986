"""LocalModelHost behaviour with a quick-starting echo server: routing, failures, restarts."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hosting.support import ECHO_COMMAND, LoopThread, process_gone
from tsukuru.domain.ports import Deployment, DeploymentFailed, Invocation, InvocationTimeout
from tsukuru.hosting.local import LocalModelHost


def make_host(root: Path, **options: object) -> LocalModelHost:
    return LocalModelHost(root, server_command=ECHO_COMMAND, grace_seconds=2.0, **options)  # type: ignore[arg-type]


def model_dir(root: Path, **files: str) -> str:
    folder = root / "model"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return str(folder)


@pytest.fixture
def host(short_root: Path) -> Iterator[LocalModelHost]:
    running = make_host(short_root)
    yield running
    running.close()


def pid_of(body: bytes) -> int:
    return int(body.split(b":", 1)[0])


def test_two_instances_share_the_load_and_pass_headers_through(
    host: LocalModelHost, short_root: Path, loop_thread: LoopThread
) -> None:
    host.deploy(Deployment("d-spread", model_dir(short_root), {}, instance_count=2), timeout=30)
    assert host.healthy_instances("d-spread") == 2
    statuses = host.instances("d-spread")
    assert all(s.address.startswith("unix:") for s in statuses)

    invocation = Invocation(
        b"1,2,3",
        content_type="text/csv",
        accept="application/json",
        custom_attributes="trace=abc",
        inference_id="inf-1",
    )
    results = [loop_thread.run(host.invoke("d-spread", invocation)) for _ in range(10)]
    assert {r.status for r in results} == {200}
    assert {r.content_type for r in results} == {"application/json"}
    assert {r.custom_attributes for r in results} == {"trace=abc"}
    assert {r.body.split(b":", 1)[1] for r in results} == {b"1,2,3"}
    # Sequential calls tie on outstanding requests (zero), so they alternate.
    served = [s.served for s in host.instances("d-spread")]
    assert served == [5, 5]
    assert {pid_of(r.body) for r in results} == {s.pid for s in statuses}


def test_a_busy_instance_is_skipped(
    host: LocalModelHost, short_root: Path, loop_thread: LoopThread
) -> None:
    host.deploy(Deployment("d-busy", model_dir(short_root), {}, instance_count=2), timeout=30)

    async def scenario() -> tuple[int, list[int]]:
        slow = asyncio.ensure_future(
            host.invoke("d-busy", Invocation(b"slow", custom_attributes="sleep=0.5"))
        )
        await asyncio.sleep(0.1)
        quick = [pid_of((await host.invoke("d-busy", Invocation(b"q"))).body) for _ in range(6)]
        return pid_of((await slow).body), quick

    slow_pid, quick_pids = loop_thread.run(scenario())
    assert slow_pid not in quick_pids
    assert len(set(quick_pids)) == 1


def test_status_and_timeout(
    host: LocalModelHost, short_root: Path, loop_thread: LoopThread
) -> None:
    host.deploy(Deployment("d-time", model_dir(short_root), {}, instance_count=1), timeout=30)
    answer = loop_thread.run(
        host.invoke("d-time", Invocation(b"x", custom_attributes="status=415"))
    )
    assert answer.status == 415

    started = time.monotonic()
    with pytest.raises(InvocationTimeout):
        loop_thread.run(host.invoke("d-time", Invocation(b"x", custom_attributes="sleep=1"), 0.3))
    assert time.monotonic() - started < 2

    # A caller that gives up (a client disconnecting from the gateway) frees its slot.
    async def abandon() -> None:
        call = asyncio.ensure_future(
            host.invoke("d-time", Invocation(b"x", custom_attributes="sleep=1"))
        )
        await asyncio.sleep(0.1)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    loop_thread.run(abandon())
    assert host.instances("d-time")[0].outstanding == 0
    # Timed-out and abandoned connections are dropped; the instance keeps serving.
    assert loop_thread.run(host.invoke("d-time", Invocation(b"again"))).status == 200
    assert host.healthy_instances("d-time") == 1


def test_failure_file_reason_and_cleanup(host: LocalModelHost, short_root: Path) -> None:
    folder = model_dir(short_root, fail="Model file xgboost-model is corrupt.\n")
    started = time.monotonic()
    with pytest.raises(DeploymentFailed) as failed:
        host.deploy(Deployment("d-fail", folder, {}, instance_count=2), timeout=30)
    assert failed.value.reason == "Model file xgboost-model is corrupt."
    assert time.monotonic() - started < 10
    assert host.healthy_instances("d-fail") == 0
    assert not list((short_root / ".sockets").glob("*.sock"))


def test_crash_without_failure_file_reports_the_log_tail(
    host: LocalModelHost, short_root: Path
) -> None:
    with pytest.raises(DeploymentFailed) as failed:
        host.deploy(Deployment("d-crash", model_dir(short_root, crash=""), {}, 1), timeout=30)
    assert failed.value.reason == (
        "model server exited with code 5: RuntimeError: echo server crashed"
    )


def test_deploy_times_out_and_stops_the_server(host: LocalModelHost, short_root: Path) -> None:
    started = time.monotonic()
    with pytest.raises(DeploymentFailed, match="did not answer /ping within 1s"):
        host.deploy(Deployment("d-hang", model_dir(short_root, hang=""), {}, 1), timeout=1)
    assert time.monotonic() - started < 6
    # the hung server was killed and reaped: its log file is the only thing left
    assert (short_root / "d-hang" / "instance-0.log").exists()


def test_long_run_root_falls_back_to_loopback_tcp(tmp_path: Path, loop_thread: LoopThread) -> None:
    root = tmp_path / ("x" * 90)
    host = make_host(root)
    try:
        host.deploy(Deployment("d-tcp", model_dir(tmp_path), {}, 1), timeout=30)
        assert host.instances("d-tcp")[0].address.startswith("127.0.0.1:")
        assert loop_thread.run(host.invoke("d-tcp", Invocation(b"t"))).status == 200
    finally:
        host.close()


def test_killed_instance_is_restarted_and_calls_keep_succeeding(
    host: LocalModelHost, short_root: Path, loop_thread: LoopThread
) -> None:
    host.deploy(Deployment("d-kill", model_dir(short_root), {}, instance_count=2), timeout=30)
    victim = host.instances("d-kill")[0]
    assert victim.pid is not None

    async def load() -> list[int]:
        statuses = []
        for index in range(60):
            if index == 10:
                os.kill(victim.pid or 0, signal.SIGKILL)
            statuses.append((await host.invoke("d-kill", Invocation(b"x"), 5)).status)
            await asyncio.sleep(0.005)
        return statuses

    assert set(loop_thread.run(load())) == {200}
    deadline = time.monotonic() + 15
    while host.healthy_instances("d-kill") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    restarted = host.instances("d-kill")[0]
    assert restarted.healthy
    assert restarted.restarts == 1
    assert restarted.pid != victim.pid
    assert process_gone(victim.pid)
    assert restarted.last_exit == "model server exited with code -9"


def test_single_instance_waits_for_its_restart(short_root: Path, loop_thread: LoopThread) -> None:
    host = make_host(short_root, recovery_wait=10.0)
    try:
        host.deploy(Deployment("d-one", model_dir(short_root), {}, instance_count=1), timeout=30)
        pid = host.instances("d-one")[0].pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        answer = loop_thread.run(host.invoke("d-one", Invocation(b"after"), 15))
        assert answer.status == 200
        assert pid_of(answer.body) != pid
    finally:
        host.close()


def test_no_instance_coming_back_raises_deployment_failed(
    short_root: Path, loop_thread: LoopThread
) -> None:
    host = make_host(short_root, recovery_wait=0.3, restart_backoff=30.0)
    try:
        host.deploy(Deployment("d-gone", model_dir(short_root), {}, instance_count=1), timeout=30)
        pid = host.instances("d-gone")[0].pid
        os.kill(pid or 0, signal.SIGKILL)
        with pytest.raises(DeploymentFailed, match="no model-server instance"):
            loop_thread.run(host.invoke("d-gone", Invocation(b"x"), 5))
    finally:
        host.close()


def test_undeploy_waits_for_in_flight_then_leaves_no_process(
    host: LocalModelHost, short_root: Path, loop_thread: LoopThread
) -> None:
    host.deploy(Deployment("d-drain", model_dir(short_root), {}, instance_count=2), timeout=30)
    pids = [s.pid for s in host.instances("d-drain")]
    in_flight = asyncio.run_coroutine_threadsafe(
        host.invoke("d-drain", Invocation(b"late", custom_attributes="sleep=0.4")),
        loop_thread.loop,
    )
    time.sleep(0.1)
    host.undeploy("d-drain")
    assert in_flight.result(5).status == 200
    assert all(pid is not None and process_gone(pid) for pid in pids)
    assert host.healthy_instances("d-drain") == 0
    assert not list((short_root / ".sockets").glob("*.sock"))
    with pytest.raises(DeploymentFailed, match="not running"):
        loop_thread.run(host.invoke("d-drain", Invocation(b"x")))
    host.undeploy("d-drain")  # a second undeploy is a no-op


def test_close_is_idempotent_and_refuses_new_deployments(
    short_root: Path, loop_thread: LoopThread
) -> None:
    host = make_host(short_root)
    host.deploy(Deployment("d-a", model_dir(short_root), {}, instance_count=1), timeout=30)
    host.deploy(Deployment("d-b", model_dir(short_root), {}, instance_count=1), timeout=30)
    with pytest.raises(ValueError, match="already exists"):
        host.deploy(Deployment("d-b", model_dir(short_root), {}, instance_count=1))
    pids = [s.pid for d in ("d-a", "d-b") for s in host.instances(d)]
    host.close()
    host.close()
    assert all(pid is not None and process_gone(pid) for pid in pids)
    with pytest.raises(DeploymentFailed, match="shut down"):
        host.deploy(Deployment("d-c", model_dir(short_root), {}, instance_count=1))
