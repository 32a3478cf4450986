"""Start real tsukuru processes for tests: the same `tsukuru up` a user runs, on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ACCESS_KEY = "tsukuru"
SECRET_KEY = "tsukuru-secret"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningPlatform:
    home: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint_url,
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            TSUKURU_HOME=str(self.home),
            TSUKURU_PORT=str(self.port),
        )
        env.pop("AWS_PROFILE", None)
        return env

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_platform(
    home: Path,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60,
) -> RunningPlatform:
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(extra_env or {})
    log = (home / "test-gateway.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "tsukuru", "up", "--home", str(home), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    platform = RunningPlatform(home=home, port=port, process=process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"tsukuru exited with {process.returncode}:\n"
                + (home / "test-gateway.log").read_text(errors="replace")[-4000:]
            )
        try:
            if (
                httpx.get(f"{platform.endpoint_url}/_tsukuru/health", timeout=0.5).status_code
                == 200
            ):
                return platform
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    platform.stop()
    raise RuntimeError("tsukuru did not become healthy in time")
