"""Runs each job as a child process of the platform, on this machine.

The child gets its own process group so stopping a job stops everything it started, and its
stdout and stderr are merged into one line stream (as a SageMaker container's are in CloudWatch).
A watcher keeps the group to its memory and disk shares (`tsukuru.executors.limits`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tsukuru.domain.ports import Launch
from tsukuru.executors.limits import JobLimits, LimitWatch, disk_share, limit_file_size
from tsukuru.executors.warm import ChildProcess, WarmStarter

ENTRY_MODULES = {"train": "tsukuru.runtime.train", "transform": "tsukuru.runtime.transform"}


class LocalProcess:
    def __init__(
        self,
        process: ChildProcess,
        grace_seconds: float,
        root: str | None = None,
        limits: JobLimits | None = None,
    ) -> None:
        self._process = process
        self._grace = grace_seconds
        self.pid = process.pid
        self._watch = LimitWatch(
            process.pid,
            Path(root or "."),
            limits or JobLimits(),
            running=lambda: process.poll() is None,
        )
        self._watch.start()

    @property
    def limit_reason(self) -> str | None:
        """Why the watcher stopped the job (a share exceeded), or None."""
        return self._watch.reason

    def lines(self) -> Iterator[tuple[int, str]]:
        stream = self._process.stdout
        if stream is None:
            return
        for raw in iter(stream.readline, b""):
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            yield int(time.time() * 1000), text
        stream.close()
        reason = self._watch.reason  # set before the kill that closed the stream
        if reason is not None:  # the last line of the job's log says why it ended
            yield int(time.time() * 1000), reason

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            code = self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._watch.finish()  # a failure reason it wrote is on disk before the runner reads it
        return code

    def terminate(self) -> None:
        """SIGTERM to the whole group; SIGKILL after the grace period if still alive."""
        self._signal(signal.SIGTERM)
        if self._process.poll() is None:
            timer = threading.Timer(self._grace, self.kill)
            timer.daemon = True
            timer.start()

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self._process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, sig)


class LocalExecutor:
    """`starter` (optional) forks job processes from a warm helper that has already imported
    the runtime (see `tsukuru.executors.warm`); without one each job starts a fresh Python.
    `memory_limit` is each job's memory share in bytes (None: unwatched); a job's disk share
    comes from its launch environment (`TSUKURU_VOLUME_SIZE_GB`, see `executors.limits`)."""

    def __init__(
        self,
        grace_seconds: float = 5.0,
        num_cpus: int | None = None,
        starter: WarmStarter | None = None,
        memory_limit: int | None = None,
    ) -> None:
        self._grace = grace_seconds
        self._num_cpus = num_cpus or os.cpu_count() or 1
        self._starter = starter
        self._memory_limit = memory_limit

    def launch(self, launch: Launch) -> LocalProcess:
        module = ENTRY_MODULES[launch.entry]
        env = dict(os.environ)
        env.update(launch.env)
        env.setdefault("TSUKURU_NUM_CPUS", str(self._num_cpus))
        env["PYTHONUNBUFFERED"] = "1"
        limits = JobLimits(memory_bytes=self._memory_limit, disk_bytes=disk_share(launch.env))
        if self._starter is not None:
            child = self._starter.spawn(module, [], env=env, cwd=launch.root, output=None)
            return self._watched(child, launch, limits)
        process = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=launch.root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self._watched(process, launch, limits)

    def _watched(self, child: ChildProcess, launch: Launch, limits: JobLimits) -> LocalProcess:
        if limits.disk_bytes is not None:
            limit_file_size(child.pid, limits.disk_bytes)
        return LocalProcess(child, self._grace, launch.root, limits)
