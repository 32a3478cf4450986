"""What the fault-injection tests share: platforms killed and restarted on one home, uploads
paced so a kill lands mid-stream, and the checks of what a crash may leave behind.

Every process a platform starts carries its home and run id in its initial environment
(`tsukuru.hosting.orphans`), so "no orphan" means: no live process marked with this home and
an earlier run.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.harness import REGION, RunningPlatform, make_client, start_platform
from tsukuru.hosting.orphans import Orphan, marked_processes

MIB = 1024 * 1024
T = TypeVar("T")


def wait_for(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.05) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def kill_and_restart(platform: RunningPlatform) -> tuple[RunningPlatform, float]:
    """SIGKILL the platform, start it again on the same home and port; returns the new one and
    the seconds from the kill until it answered its health check."""
    killed_at = time.monotonic()
    assert platform.stop(signal.SIGKILL) == -signal.SIGKILL
    again = start_platform(platform.home, port=platform.port, timeout=120)
    return again, time.monotonic() - killed_at


def processes(home: Path) -> list[Orphan]:
    """Live processes any platform run on `home` started (the platforms themselves excepted)."""
    return marked_processes(home)


def runs_of(home: Path) -> set[str]:
    return {found.run for found in processes(home)}


def temporary_leftovers(home: Path) -> list[str]:
    """What interrupted writes left in the blob store's temporary folder."""
    folder = home / "blobs" / "tmp"
    return sorted(os.listdir(folder)) if folder.exists() else []


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot(s3: Any, bucket: str) -> dict[str, tuple[str, str]]:
    """key → (sha256 of the bytes, ETag) of every object in `bucket`."""
    state = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            got = s3.get_object(Bucket=bucket, Key=item["Key"])
            state[item["Key"]] = (digest(got["Body"].read()), got["ETag"])
    return state


@dataclass
class PacedUpload:
    """A signed S3 PUT (PutObject, or UploadPart with `query`) whose body is sent in pieces,
    `pause` seconds apart, on a thread: slow enough for a test to kill the platform while the
    body is still arriving. `sent` counts the bytes handed to the socket; `outcome` is the HTTP
    status line, or the error the connection ended with."""

    platform: RunningPlatform
    path: str
    size: int
    query: str = ""
    piece: int = MIB
    pause: float = 0.01
    sent: int = 0
    outcome: str | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> PacedUpload:
        self._thread = threading.Thread(target=self._run, daemon=True, name="paced-upload")
        self._thread.start()
        return self

    def join(self, timeout: float = 30) -> None:
        assert self._thread is not None
        self._thread.join(timeout)

    def _headers(self) -> dict[str, str]:
        url = f"{self.platform.endpoint_url}{self.path}" + (f"?{self.query}" if self.query else "")
        request = AWSRequest(
            "PUT",
            url,
            headers={"Content-Length": str(self.size), "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
        )
        keys = self.platform.credentials
        credentials = Credentials(keys.access_key_id, keys.secret_access_key)
        S3SigV4Auth(credentials, "s3", REGION).add_auth(request)
        return {name: str(value) for name, value in request.headers.items()}

    def _run(self) -> None:
        target = self.path + (f"?{self.query}" if self.query else "")
        lines = [f"PUT {target} HTTP/1.1", f"Host: 127.0.0.1:{self.platform.port}"]
        lines += [f"{name}: {value}" for name, value in self._headers().items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        piece = os.urandom(self.piece)
        try:
            with socket.create_connection(("127.0.0.1", self.platform.port), timeout=30) as sock:
                sock.sendall(head)
                while self.sent < self.size:
                    chunk = piece[: min(self.piece, self.size - self.sent)]
                    sock.sendall(chunk)
                    self.sent += len(chunk)
                    time.sleep(self.pause)
                self.outcome = sock.recv(4096).split(b"\r\n", 1)[0].decode()
        except OSError as exc:
            self.outcome = f"{type(exc).__name__}: {exc}"


def s3_of(platform: RunningPlatform) -> Any:
    return make_client(platform, "s3")


def working_in(home: Path, folder: Path) -> list[Orphan]:
    """This home's marked processes whose working directory is `folder` or inside it (a job
    process runs in its job folder, a model server in its deployment's run folder)."""
    inside = []
    root = folder.resolve()
    for found in processes(home):
        try:
            cwd = Path(os.readlink(f"/proc/{found.pid}/cwd"))
        except OSError:
            continue
        if cwd == root or root in cwd.parents:
            inside.append(found)
    return inside


def model_archive(max_depth: int, rows: int = 400) -> tuple[bytes, Any, Any]:
    """(model.tar.gz, the Booster, test features): a small XGBoost model of the bank data as
    the built-in algorithm packs it (`xgboost-model` at the archive root)."""
    import io
    import tarfile

    import numpy as np
    import xgboost as xgb

    from tests.acceptance.sdk_support import split_bank

    train, test = split_bank()
    matrix = np.asarray(train[:rows], dtype=np.float64)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": max_depth, "nthread": 1},
        xgb.DMatrix(matrix[:, 1:], label=matrix[:, 0]),
        num_boost_round=5,
    )
    raw = bytes(booster.save_raw("ubj"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    features = np.asarray(test[:20], dtype=np.float64)[:, 1:]
    return buffer.getvalue(), booster, features


def csv_rows(features: Any) -> str:
    return "\n".join(",".join(repr(float(v)) for v in row) for row in features)
