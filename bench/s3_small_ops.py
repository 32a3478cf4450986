"""Small-object operation rate: 1,000 PUTs and 1,000 GETs of 1 KiB objects, tsukuru vs moto.

Training jobs and notebooks do many small reads and writes (manifests, configs, model
metadata), where per-request overhead is all that counts. moto in server mode is the usual
local stand-in for S3, so it is the baseline, measured side by side in the same run with the
same single boto3 client settings, one request at a time. Target: tsukuru at least 2x moto's
operations per second, for PUT and for GET.
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench.harness import Report, client, moto_server, running_platform

COUNT = 1000
SIZE = 1024
TARGET = 2.0


def _rates(s3: Any, bucket: str, bodies: list[bytes]) -> tuple[float, float]:
    """(PUTs per second, GETs per second) over `bodies`, one request at a time."""
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="warm-up", Body=b"x")  # connection and first-call costs
    s3.get_object(Bucket=bucket, Key="warm-up")["Body"].read()

    started = time.perf_counter()
    for index, body in enumerate(bodies):
        s3.put_object(Bucket=bucket, Key=f"small/{index:05d}", Body=body)
    put_rate = len(bodies) / (time.perf_counter() - started)

    started = time.perf_counter()
    for index, body in enumerate(bodies):
        got = s3.get_object(Bucket=bucket, Key=f"small/{index:05d}")["Body"].read()
        if got != body:
            raise AssertionError(f"small/{index:05d} came back different")
    get_rate = len(bodies) / (time.perf_counter() - started)
    return put_rate, get_rate


def main() -> bool:
    report = Report("s3_small_ops")
    bodies = [os.urandom(SIZE) for _ in range(COUNT)]
    with running_platform() as tsk, moto_server() as moto_url:
        # Alternate the two servers so a busy moment on the machine hits both alike.
        moto_put, moto_get = _rates(client(moto_url), "bench-moto", bodies)
        tsk_put, tsk_get = _rates(client(tsk), "bench-tsukuru", bodies)
        moto_put2, moto_get2 = _rates(client(moto_url), "bench-moto-2", bodies)
        tsk_put2, tsk_get2 = _rates(client(tsk), "bench-tsukuru-2", bodies)

    tsk_put, tsk_get = max(tsk_put, tsk_put2), max(tsk_get, tsk_get2)
    moto_put, moto_get = max(moto_put, moto_put2), max(moto_get, moto_get2)
    report.figure(f"tsukuru PUT {COUNT} x 1 KiB", tsk_put, "ops/s")
    report.figure(f"moto    PUT {COUNT} x 1 KiB", moto_put, "ops/s")
    report.figure(f"tsukuru GET {COUNT} x 1 KiB", tsk_get, "ops/s")
    report.figure(f"moto    GET {COUNT} x 1 KiB", moto_get, "ops/s")
    report.ratio("PUT tsukuru vs moto", tsk_put / moto_put, TARGET)
    report.ratio("GET tsukuru vs moto", tsk_get / moto_get, TARGET)
    return report.ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
