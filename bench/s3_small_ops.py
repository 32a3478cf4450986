"""Small-object operation rate: 1,000 PUTs and 1,000 GETs of 1 KiB objects, tsukuru vs moto.

Training jobs and notebooks do many small reads and writes (manifests, configs, model
metadata), where per-request overhead is all that counts. moto in server mode is the usual
local stand-in for S3, so it is the baseline, measured side by side in the same run with the
same boto3 client settings, one request at a time. Target: tsukuru at least 2x moto's
operations per second, for PUT and for GET.

Besides the rates it prints each server's CPU time per operation, which a busy machine
disturbs far less than wall-clock rates. Note what the two servers promise: tsukuru's PUT
returns once the bytes are fsynced to disk; moto keeps everything in memory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.harness import Report, client, moto_server, process_cpu_seconds, running_platform

COUNT = 1000
SIZE = 1024
TARGET = 2.0


@dataclass(frozen=True)
class Rates:
    put_per_s: float
    get_per_s: float
    put_cpu_ms: float  # server CPU per operation
    get_cpu_ms: float

    def best(self, other: Rates) -> Rates:
        return Rates(
            max(self.put_per_s, other.put_per_s),
            max(self.get_per_s, other.get_per_s),
            min(self.put_cpu_ms, other.put_cpu_ms),
            min(self.get_cpu_ms, other.get_cpu_ms),
        )


def _timed(count: int, pid: int, action: Callable[[int], None]) -> tuple[float, float]:
    """(operations per second, server CPU milliseconds per operation) for `count` calls."""
    cpu, started = process_cpu_seconds(pid), time.perf_counter()
    for index in range(count):
        action(index)
    elapsed, used = time.perf_counter() - started, process_cpu_seconds(pid) - cpu
    return count / elapsed, 1000 * used / count


def _rates(s3: Any, pid: int, bucket: str, bodies: list[bytes]) -> Rates:
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="warm-up", Body=b"x")  # connection and first-call costs
    s3.get_object(Bucket=bucket, Key="warm-up")["Body"].read()

    def put(index: int) -> None:
        s3.put_object(Bucket=bucket, Key=f"small/{index:05d}", Body=bodies[index])

    def get(index: int) -> None:
        got = s3.get_object(Bucket=bucket, Key=f"small/{index:05d}")["Body"].read()
        if got != bodies[index]:
            raise AssertionError(f"small/{index:05d} came back different")

    put_rate, put_cpu = _timed(len(bodies), pid, put)
    get_rate, get_cpu = _timed(len(bodies), pid, get)
    return Rates(put_rate, get_rate, put_cpu, get_cpu)


def main() -> bool:
    report = Report("s3_small_ops")
    bodies = [os.urandom(SIZE) for _ in range(COUNT)]
    with running_platform() as tsk, moto_server() as moto:
        tsk_pid = tsk.process.pid
        # Alternate the two servers so a busy moment on the machine hits both alike.
        moto_rates = _rates(client(moto.url), moto.pid, "bench-moto", bodies)
        tsk_rates = _rates(client(tsk), tsk_pid, "bench-tsukuru", bodies)
        moto_rates = moto_rates.best(_rates(client(moto.url), moto.pid, "bench-moto-2", bodies))
        tsk_rates = tsk_rates.best(_rates(client(tsk), tsk_pid, "bench-tsukuru-2", bodies))

    for op in ("PUT", "GET"):
        attr = op.lower()
        for name, rates in (("tsukuru", tsk_rates), ("moto", moto_rates)):
            report.figure(
                f"{name:<7} {op} {COUNT} x 1 KiB", getattr(rates, f"{attr}_per_s"), "ops/s"
            )
        for name, rates in (("tsukuru", tsk_rates), ("moto", moto_rates)):
            cpu_ms = getattr(rates, f"{attr}_cpu_ms")
            report.figure(f"{name:<7} server CPU per {op}", cpu_ms, "ms", precision=2)
    report.ratio("PUT tsukuru vs moto", tsk_rates.put_per_s / moto_rates.put_per_s, TARGET)
    report.ratio("GET tsukuru vs moto", tsk_rates.get_per_s / moto_rates.get_per_s, TARGET)
    return report.ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
