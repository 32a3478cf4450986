"""One model-server instance of a deployment, and the policy that keeps it running.

An instance owns its current process and its channel. `supervise()` is called over and over by
the host's supervisor thread: it notices a process that exited, restarts it after an
exponential backoff (reset once a server has stayed up a while, so a crash loop slows down but a
rare crash restarts fast), and marks the channel healthy again once the new server answers
/ping. A lock per instance keeps a restart from racing a stop.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tsukuru.hosting.channel import InstanceChannel
from tsukuru.hosting.process import (
    Address,
    ServerProcess,
    failure_reason,
    kill_group,
    ping,
    stop_servers,
)

Launcher = Callable[["Instance", Address], ServerProcess]


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 0.1
    max_delay: float = 5.0
    stable_after: float = 10.0  # up this long → the next crash restarts after first_delay
    ping_timeout: float = 0.5


@dataclass(frozen=True)
class InstanceStatus:
    """What an operator (or a test) may want to know about one instance."""

    index: int
    pid: int | None
    address: str
    healthy: bool
    outstanding: int
    served: int
    restarts: int
    log_path: str
    last_exit: str | None


class Instance:
    def __init__(
        self,
        index: int,
        *,
        log_path: Path,
        failure_path: Path,
        choose_address: Callable[[], Address],
        launch: Launcher,
        policy: RestartPolicy,
    ) -> None:
        self.index = index
        self.log_path = log_path
        self.failure_path = failure_path
        self._choose_address = choose_address
        self._launch = launch
        self._policy = policy
        self._lock = threading.Lock()
        self.channel = InstanceChannel(choose_address())
        self.process: ServerProcess | None = None
        self.restarts = 0
        self.last_exit: str | None = None
        self._stopped = False
        self._delay = policy.first_delay
        self._restart_at: float | None = None
        self._up_since: float | None = None

    def start(self) -> None:
        with self._lock:
            if not self._stopped:
                self.process = self._launch(self, self.channel.address)

    def exit_reason(self) -> str | None:
        """Why the current process exited, or None while it runs."""
        process = self.process
        if process is None:
            return "model server is not running"
        code = process.poll()
        if code is None:
            return None
        return failure_reason(self.failure_path, self.log_path, code)

    def mark_up(self) -> None:
        self.channel.healthy = True
        self._up_since = time.monotonic()

    def supervise(self) -> None:
        """One look at the instance: restart a dead server, re-admit a recovered one."""
        with self._lock:
            if self._stopped:
                return
            now = time.monotonic()
            process = self.process
            if process is not None and process.poll() is not None:
                self._on_exit(process, now)
            elif process is None and self._restart_at is not None and now >= self._restart_at:
                self._restart()
            elif (
                process is not None
                and not self.channel.healthy
                and ping(self.channel.address, self._policy.ping_timeout)
            ):
                self.mark_up()

    def stop(self) -> ServerProcess | None:
        """Stop supervising; returns the process for the caller to stop (with others)."""
        with self._lock:
            self._stopped = True
            self.channel.healthy = False
            process, self.process = self.process, None
        self.channel.close_idle()
        return process

    def status(self) -> InstanceStatus:
        process = self.process
        channel = self.channel
        return InstanceStatus(
            index=self.index,
            pid=process.pid if process is not None else None,
            address=str(channel.address),
            healthy=channel.healthy,
            outstanding=channel.outstanding,
            served=channel.served,
            restarts=self.restarts,
            log_path=str(self.log_path),
            last_exit=self.last_exit,
        )

    def _on_exit(self, process: ServerProcess, now: float) -> None:
        self.channel.healthy = False
        kill_group(process, signal.SIGKILL)  # workers that outlived their leader
        code = process.returncode if process.returncode is not None else -1
        self.last_exit = failure_reason(self.failure_path, self.log_path, code)
        self.process = None
        if self._up_since is not None and now - self._up_since >= self._policy.stable_after:
            self._delay = self._policy.first_delay
        self._up_since = None
        self._restart_at = now + self._delay
        self._delay = min(self._delay * 2, self._policy.max_delay)

    def _restart(self) -> None:
        self._restart_at = None
        address = self._choose_address()
        self.channel.move_to(address)
        self.restarts += 1
        self.process = self._launch(self, address)


def stop_instances(instances: list[Instance], grace: float) -> None:
    """Stop many instances at once: one grace period for all, not one each."""
    processes = [process for process in (i.stop() for i in instances) if process is not None]
    stop_servers(processes, grace)
