"""The default ModelHost: model-server processes on this machine, one per endpoint instance.

`deploy` and `undeploy` run on worker threads and block while processes start or stop; `invoke`
runs on the gateway's event loop and only touches in-memory state and sockets, so the hot path
never waits on a lock or a thread. A supervisor thread restarts servers that die, and `invoke`
hides a death from its caller by retrying once on another instance (or waiting briefly for the
restart when there is no other).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import hashlib
import os
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path

from tsukuru.domain.ports import (
    Deployment,
    DeploymentFailed,
    Invocation,
    InvocationResult,
    InvocationTimeout,
)
from tsukuru.hosting.channel import InstanceChannel, InstanceUnreachable
from tsukuru.hosting.instance import (
    Instance,
    InstanceStatus,
    RestartPolicy,
    stop_instances,
)
from tsukuru.hosting.process import (
    SERVER_MODULE,
    Address,
    ProcessStarter,
    ServerProcess,
    choose_address,
    ping,
    safe_name,
    start_server,
)
from tsukuru.hosting.wire import encode_request

WORKERS_VARIABLE = "SAGEMAKER_MODEL_SERVER_WORKERS"


class _Routed:
    """A deployment that receives traffic: its instances and the least-outstanding choice."""

    def __init__(self, deployment: Deployment, instances: list[Instance]) -> None:
        self.deployment = deployment
        self.instances = instances
        self.channels = [instance.channel for instance in instances]
        self.retired = False
        self._turn = 0

    def pick(self, avoid: InstanceChannel | None = None) -> InstanceChannel | None:
        """The healthy channel with the fewest outstanding requests; ties go round robin."""
        channels = self.channels
        count = len(channels)
        start = self._turn
        self._turn = (start + 1) % count
        best: InstanceChannel | None = None
        for offset in range(count):
            channel = channels[(start + offset) % count]
            if (
                channel.healthy
                and channel is not avoid
                and (best is None or channel.outstanding < best.outstanding)
            ):
                best = channel
        return best

    def outstanding(self) -> int:
        return sum(channel.outstanding for channel in self.channels)


class LocalModelHost:
    """Model servers as local subprocesses (see the module docstring).

    `run_root` holds one folder of logs per deployment and the Unix sockets; `grace_seconds`
    bounds both the wait for in-flight requests and a server's SIGTERM-to-SIGKILL time;
    `restart_backoff` is the first restart delay (doubling up to `max_restart_backoff`);
    `recovery_wait` is how long `invoke` waits for a restart when no instance is healthy.
    `server_command` replaces `python -m tsukuru.runtime.serve` (it gets the same arguments);
    `starter` starts that default server instead of a fresh interpreter (a warm fork server,
    `tsukuru.executors.warm.WarmStarter`, so an endpoint is not kept Creating by imports).
    """

    def __init__(
        self,
        run_root: Path,
        *,
        python: str = sys.executable,
        grace_seconds: float = 5.0,
        restart_backoff: float = 0.1,
        max_restart_backoff: float = 5.0,
        recovery_wait: float = 2.0,
        poll_interval: float = 0.02,
        supervise_interval: float = 0.05,
        unix_sockets: bool = True,
        server_command: Sequence[str] | None = None,
        starter: ProcessStarter | None = None,
    ) -> None:
        if server_command is not None and starter is not None:
            raise ValueError("server_command and starter are exclusive")
        self._run_root = Path(run_root)
        self._command = tuple(server_command or (python, "-m", SERVER_MODULE))
        self._starter = starter
        self._grace = grace_seconds
        self._policy = RestartPolicy(first_delay=restart_backoff, max_delay=max_restart_backoff)
        self._recovery_wait = recovery_wait
        self._poll_interval = poll_interval
        self._supervise_interval = supervise_interval
        self._unix_sockets = unix_sockets
        self._lock = threading.Lock()
        self._routed: dict[str, _Routed] = {}
        self._starting: dict[str, list[Instance]] = {}
        self._closed = False
        self._halt = threading.Event()
        self._supervisor: threading.Thread | None = None
        atexit.register(_close_if_alive, weakref.ref(self))

    # ------------------------------------------------------------------ ModelHost

    def deploy(self, deployment: Deployment, timeout: float = 120.0) -> None:
        if deployment.instance_count < 1:
            raise ValueError("a deployment needs at least one instance")
        key = deployment.deployment_id
        with self._lock:
            if self._closed:
                raise DeploymentFailed("the model host is shut down")
            if key in self._routed or key in self._starting:
                raise ValueError(f"deployment {key!r} already exists")
            instances = self._new_instances(deployment)
            self._starting[key] = instances
        try:
            for instance in instances:
                instance.start()
            self._await_ready(instances, timeout)
            with self._lock:
                if self._closed:
                    raise DeploymentFailed("the model host was shut down while deploying")
                self._routed[key] = _Routed(deployment, instances)
                self._ensure_supervisor()
        except BaseException:
            stop_instances(instances, self._grace)
            self._remove_sockets(instances)
            raise
        finally:
            with self._lock:
                self._starting.pop(key, None)

    def undeploy(self, deployment_id: str) -> None:
        with self._lock:
            routed = self._routed.pop(deployment_id, None)
        if routed is not None:
            self._retire([routed])

    def healthy_instances(self, deployment_id: str) -> int:
        routed = self._routed.get(deployment_id)
        if routed is None:
            return 0
        return sum(1 for channel in routed.channels if channel.healthy)

    async def invoke(
        self, deployment_id: str, invocation: Invocation, timeout: float = 60.0
    ) -> InvocationResult:
        routed = self._routed.get(deployment_id)
        if routed is None:
            raise DeploymentFailed(f"deployment {deployment_id!r} is not running")
        request = encode_request(invocation)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        failed: InstanceChannel | None = None
        for _ in range(2):
            channel = routed.pick(failed) or await self._await_instance(routed, deadline)
            try:
                return await channel.send(request, deadline)
            except InstanceUnreachable as error:
                channel.healthy = False  # the supervisor restarts it or re-admits it
                failed = channel
                reason = str(error)
        raise DeploymentFailed(f"no model-server instance could take the request: {reason}")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            routed = list(self._routed.values())
            self._routed.clear()
            starting = [i for instances in self._starting.values() for i in instances]
        self._halt.set()
        supervisor = self._supervisor
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join()
        stop_instances(starting, self._grace)
        self._retire(routed)

    # ------------------------------------------------------------------ inspection

    def instances(self, deployment_id: str) -> list[InstanceStatus]:
        """Per-instance pids, addresses, health, counters and log files (debugging, tests)."""
        routed = self._routed.get(deployment_id)
        return [] if routed is None else [instance.status() for instance in routed.instances]

    # ------------------------------------------------------------------ internals

    def _new_instances(self, deployment: Deployment) -> list[Instance]:
        folder = self._run_root / safe_name(deployment.deployment_id)
        folder.mkdir(parents=True, exist_ok=True)
        sockets = self._run_root / ".sockets"
        sockets.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha1(deployment.deployment_id.encode()).hexdigest()[:12]
        env = dict(os.environ)
        env.update(deployment.env)
        if WORKERS_VARIABLE not in deployment.env:
            env[WORKERS_VARIABLE] = str(deployment.workers)
        env["PYTHONUNBUFFERED"] = "1"

        def launch(instance: Instance, address: Address) -> ServerProcess:
            return start_server(
                self._command,
                model_dir=deployment.model_dir,
                address=address,
                env=env,
                cwd=folder,
                log_path=instance.log_path,
                failure_path=instance.failure_path,
                starter=self._starter,
            )

        def address_for(index: int) -> Address:
            return choose_address(sockets / f"{digest}-{index}.sock", self._unix_sockets)

        return [
            Instance(
                index,
                log_path=folder / f"instance-{index}.log",
                failure_path=folder / f"instance-{index}.failure",
                choose_address=functools.partial(address_for, index),
                launch=launch,
                policy=self._policy,
            )
            for index in range(deployment.instance_count)
        ]

    def _await_ready(self, instances: list[Instance], timeout: float) -> None:
        """Return once every instance answers /ping; DeploymentFailed as soon as one exits."""
        deadline = time.monotonic() + timeout
        pending = list(instances)
        while True:
            for instance in list(pending):
                if self._closed:
                    raise DeploymentFailed("the model host was shut down while deploying")
                reason = instance.exit_reason()
                if reason is not None:
                    raise DeploymentFailed(reason)
                wait = min(1.0, max(0.05, deadline - time.monotonic()))
                if ping(instance.channel.address, wait):
                    instance.mark_up()
                    pending.remove(instance)
            if not pending:
                return
            if time.monotonic() >= deadline:
                raise DeploymentFailed(f"the model server did not answer /ping within {timeout:g}s")
            time.sleep(self._poll_interval)

    async def _await_instance(self, routed: _Routed, deadline: float) -> InstanceChannel:
        """Wait briefly for the supervisor to bring an instance back."""
        loop = asyncio.get_running_loop()
        give_up = min(deadline, loop.time() + self._recovery_wait)
        while True:
            channel = routed.pick()
            if channel is not None:
                return channel
            if routed.retired:
                raise DeploymentFailed(f"deployment {routed.deployment.deployment_id!r} stopped")
            if loop.time() >= give_up:
                if give_up >= deadline:
                    raise InvocationTimeout("no model-server instance became ready in time")
                raise DeploymentFailed("no model-server instance is running")
            await asyncio.sleep(self._poll_interval)

    def _retire(self, routed: list[_Routed]) -> None:
        """Out of routing already: let in-flight requests finish (up to the grace), then stop."""
        for deployment in routed:
            deployment.retired = True
        deadline = time.monotonic() + self._grace
        while any(d.outstanding() for d in routed) and time.monotonic() < deadline:
            time.sleep(0.01)
        instances = [instance for deployment in routed for instance in deployment.instances]
        stop_instances(instances, self._grace)
        self._remove_sockets(instances)

    def _remove_sockets(self, instances: list[Instance]) -> None:
        for instance in instances:
            path = instance.channel.address.uds
            if path is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)

    def _ensure_supervisor(self) -> None:
        if self._supervisor is None:
            self._supervisor = threading.Thread(
                target=self._supervise, name="model-host-supervisor", daemon=True
            )
            self._supervisor.start()

    def _supervise(self) -> None:
        while not self._halt.wait(self._supervise_interval):
            with self._lock:
                instances = [i for routed in self._routed.values() for i in routed.instances]
            for instance in instances:
                instance.supervise()


def _close_if_alive(host: weakref.ref[LocalModelHost]) -> None:
    """At interpreter exit, stop the servers of a host nobody closed (they run in their own
    sessions, so they would otherwise outlive the platform)."""
    alive = host()
    if alive is not None:
        alive.close()
