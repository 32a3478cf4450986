"""A notebook-instance world for domain tests: memory stores, the real local host running the
stand-in server (tests/hosting/tiny_jupyter.py), the real log service and usage meter."""

from __future__ import annotations

import base64
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tsukuru.domain.clock import SystemClock
from tsukuru.domain.ledger_usage import UsageMeter
from tsukuru.domain.logs import LogService
from tsukuru.domain.notebooks import NotebookService
from tsukuru.domain.notebooks_lifecycle import LifecycleConfigService
from tsukuru.domain.ports import Record
from tsukuru.domain.scope import Scope
from tsukuru.hosting.instance import RestartPolicy
from tsukuru.hosting.notebooks import LocalNotebookHost
from tsukuru.store.memory import MemoryMetadata

SCOPE = Scope("123456789012", "us-east-1")
ROLE = "arn:aws:iam::123456789012:role/service-role/SageMakerRole"
TINY = [sys.executable, str(Path(__file__).parents[1] / "hosting" / "tiny_jupyter.py")]


def b64(script: str) -> str:
    return base64.b64encode(script.encode()).decode()


def make_host(root: Path, **env: str) -> LocalNotebookHost:
    return LocalNotebookHost(
        root,
        {"PATH": os.environ.get("PATH", ""), "MARKER": "from-the-client-env", **env},
        server_command=TINY,
        restart_policy=RestartPolicy(first_delay=0.1, max_delay=0.4, stable_after=5.0),
        supervise_interval=0.05,
        stop_grace=2.0,
    )


@dataclass
class World:
    metadata: MemoryMetadata
    clock: SystemClock
    logs: LogService
    meter: UsageMeter
    lifecycle: LifecycleConfigService
    host: LocalNotebookHost
    service: NotebookService
    root: Path

    def create(self, name: str = "nb-1", **fields: Any) -> str:
        request = {"NotebookInstanceName": name, "InstanceType": "ml.t3.medium", "RoleArn": ROLE}
        request.update(fields)
        return self.service.create(SCOPE, request)

    def config(
        self, name: str = "lc", on_create: str | None = None, on_start: str | None = None
    ) -> str:
        request: dict[str, Any] = {"NotebookInstanceLifecycleConfigName": name}
        if on_create is not None:
            request["OnCreate"] = [{"Content": b64(on_create)}]
        if on_start is not None:
            request["OnStart"] = [{"Content": b64(on_start)}]
        return self.lifecycle.create(SCOPE, request)

    def wait_for(self, name: str, *statuses: str, timeout: float = 30) -> Record:
        record: Record = wait(lambda: self._status_in(name, statuses), timeout)
        return record

    def _status_in(self, name: str, statuses: tuple[str, ...]) -> Record | None:
        record = self.service.get(SCOPE, name)
        return record if record.status in statuses else None

    def home(self, name: str = "nb-1") -> Path:
        return self.host.home(f"{SCOPE.account_id}/{SCOPE.region}/{name}")

    def log_lines(self, stream: str) -> list[str]:
        events = self.metadata.logs.get_events(SCOPE, "/aws/sagemaker/NotebookInstances", stream)
        return [event.message for event in events]


def wait(check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


def make_world(root: Path, host: LocalNotebookHost | None = None, **kwargs: Any) -> World:
    metadata = MemoryMetadata()
    return world_on(metadata, root, host or make_host(root), **kwargs)


def world_on(metadata: MemoryMetadata, root: Path, host: LocalNotebookHost, **kwargs: Any) -> World:
    clock = SystemClock()
    logs = LogService(metadata.logs, clock)
    meter = UsageMeter(metadata.resources, clock)
    lifecycle = LifecycleConfigService(metadata.resources, metadata.tags, clock)
    service = NotebookService(
        metadata.resources,
        metadata.tags,
        clock,
        lifecycle,
        host,
        logs.write_lines,
        meter=meter,
        **kwargs,
    )
    return World(metadata, clock, logs, meter, lifecycle, host, service, root)
