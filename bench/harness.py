"""What every benchmark shares: a throw-away platform, clients, a stopwatch and the result lines.

A benchmark module exposes `main() -> bool` (True when every target was met) and prints one line
per figure through `Report`, so `python -m bench` output reads the same for every benchmark and
can be pasted into `bench/RESULTS.md` as is. Platforms are started exactly as the tests start
them (`tests/harness.py`: the real `tsukuru up` process on a free port) in a temporary home
that is removed afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from tests.harness import REGION, RunningPlatform, free_port, start_platform

__all__ = [
    "LocalServer",
    "Report",
    "RunningPlatform",
    "best_time",
    "client",
    "moto_server",
    "process_cpu_seconds",
    "running_platform",
]


@contextmanager
def running_platform() -> Iterator[RunningPlatform]:
    """A fresh `tsukuru up` in a temporary home, stopped and removed on exit (`client(platform)`
    signs with the keys it generated)."""
    with tempfile.TemporaryDirectory(prefix="tsukuru-bench-") as tmp:
        platform = start_platform(Path(tmp) / "home")
        try:
            yield platform
        finally:
            platform.stop()


@dataclass(frozen=True)
class LocalServer:
    """A baseline server process started for a benchmark."""

    url: str
    pid: int


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc; NaN elsewhere).

    On a busy machine wall-clock rates swing with the neighbours; CPU time per operation
    barely moves, so benchmarks print both.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def moto_server(timeout: float = 60) -> Iterator[LocalServer]:
    """moto in server mode on a free loopback port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto server exited with {process.returncode}")
            try:
                httpx.get(f"{url}/moto-api/", timeout=0.5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start in time") from None
                time.sleep(0.1)
        yield LocalServer(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def client(target: RunningPlatform | str, service: str = "s3") -> Any:
    """A boto3 client as a user would make it: default config apart from no retries.

    `target` is a tsukuru platform (signed with its generated keys) or the URL of a server
    that accepts any key (moto).
    """
    if isinstance(target, RunningPlatform):
        endpoint_url = target.endpoint_url
        keys = target.credentials
        key_id, secret = keys.access_key_id, keys.secret_access_key
    else:
        endpoint_url, key_id, secret = target, "testing", "testing"
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def best_time(action: Callable[[], object], repeat: int) -> float:
    """The fastest of `repeat` runs, in seconds (the least disturbed by the rest of the machine)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


class Report:
    """Prints a benchmark's figures and ratios, and remembers whether each target was met."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.missed: list[str] = []

    def figure(self, label: str, value: float, unit: str, precision: int = 1) -> None:
        print(f"{self.name}: {label:<44} {value:>10.{precision}f} {unit}", flush=True)

    def ratio(self, label: str, value: float, target: float) -> None:
        verdict = "ok" if value >= target else "MISSED"
        if value < target:
            self.missed.append(label)
        print(
            f"{self.name}: {label:<44} {value:>10.2f}x (target >= {target}x: {verdict})",
            flush=True,
        )

    @property
    def ok(self) -> bool:
        return not self.missed
