"""Start real tsukuru processes for tests: the same `tsukuru up` a user runs, on a free port.

The platform signs nothing with fixed keys: each home generates its own access key on first
start. `RunningPlatform.credentials` reads it (or the TSUKURU_ACCESS_KEY_ID/SECRET override the
process was started with), and `make_client` / `client_env()` use it, so tests never spell keys.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from tsukuru import credentials
from tsukuru.credentials import Credentials

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
    environment: dict[str, str] = field(default_factory=dict)  # what the process started with

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def credentials(self) -> Credentials:
        """The key pair the platform verifies signatures against."""
        key_id = self.environment.get("TSUKURU_ACCESS_KEY_ID")
        secret = self.environment.get("TSUKURU_SECRET_ACCESS_KEY")
        if key_id and secret:
            return Credentials(access_key_id=key_id, secret_access_key=secret)
        stored = credentials.read(self.home)
        if stored is None:
            raise RuntimeError(f"{credentials.credentials_path(self.home)} does not exist")
        return stored

    def client_env(self) -> dict[str, str]:
        keys = self.credentials
        env = dict(os.environ)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint_url,
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
            AWS_ACCESS_KEY_ID=keys.access_key_id,
            AWS_SECRET_ACCESS_KEY=keys.secret_access_key,
            TSUKURU_HOME=str(self.home),
            TSUKURU_PORT=str(self.port),
        )
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_SESSION_TOKEN", None)
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


def make_client(platform: RunningPlatform, service: str, **config: Any) -> Any:
    """A boto3 client of `service` signed with the platform's own keys (no retries)."""
    keys = platform.credentials
    return boto3.session.Session().client(
        service,
        endpoint_url=platform.endpoint_url,
        region_name=REGION,
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
        config=Config(retries={"max_attempts": 1}, **config),
    )


def start_platform(
    home: Path,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60,
    args: Sequence[str] = (),
) -> RunningPlatform:
    """`tsukuru up --home HOME --port PORT [ARGS...]`, once it answers its health check."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(extra_env or {})
    log = (home / "test-gateway.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "tsukuru", "up", "--home", str(home), "--port", str(port), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    platform = RunningPlatform(home=home, port=port, process=process, environment=env)
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
