"""Big-object throughput: boto3 `upload_file`/`download_file` of 256 MiB vs a local file copy.

The question a user asks is "is keeping my data in tsukuru much slower than keeping it on disk?",
so the baseline is `shutil.copyfile` of the same file on the same disk in the same run (Linux
makes that an in-kernel `sendfile`, the fastest copy there is). boto3 runs with its default
TransferConfig (8 MiB parts, 10 threads), as a user's code would. Targets: GET at least 0.5x
and PUT at least 0.3x the copy's speed. Each figure is the best of a few runs; the server's CPU
time per transfer is printed too, since it moves far less than wall time on a busy machine.

The same transfers also run against `bench/_null_s3.py`, a server that stores nothing and
serves GETs from the page cache: what boto3 reaches there is the client's own ceiling on this
machine, which bounds what any S3 server could score against `copyfile`; the last lines say how
close tsukuru comes to it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.harness import Report, best_time, client, process_cpu_seconds, running_platform
from tests.harness import free_port

MIB = 1024 * 1024
SIZE = 256 * MIB
REPEAT = 3
GET_TARGET = 0.5
PUT_TARGET = 0.3


def _write_random(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        for _ in range(size // (16 * MIB)):
            handle.write(os.urandom(16 * MIB))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(8 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


def _best_with_cpu(action: Callable[[], object], pid: int) -> tuple[float, float]:
    """The fastest of REPEAT runs in seconds, and the least server CPU seconds one took."""
    wall, cpu = float("inf"), float("inf")
    for _ in range(REPEAT):
        used = process_cpu_seconds(pid)
        wall = min(wall, best_time(action, 1))
        cpu = min(cpu, process_cpu_seconds(pid) - used)
    return wall, cpu


@contextmanager
def null_server(served: Path, timeout: float = 30) -> Iterator[str]:
    """`bench/_null_s3.py` on a free loopback port, serving `served` to GETs; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench._null_s3", "--port", str(port), "--file", str(served)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.head(f"{url}/b/k", timeout=0.5)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the null S3 server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def main() -> bool:
    report = Report("s3_throughput")
    with tempfile.TemporaryDirectory(prefix="tsukuru-bench-") as tmp, running_platform() as tsk:
        source, copied, downloaded = (Path(tmp) / n for n in ("src.bin", "copy.bin", "down.bin"))
        _write_random(source, SIZE)
        s3 = client(tsk)
        s3.create_bucket(Bucket="bench")

        pid = tsk.process.pid
        copy_s = best_time(lambda: shutil.copyfile(source, copied), REPEAT)
        put_s, put_cpu = _best_with_cpu(
            lambda: s3.upload_file(str(source), "bench", "big.bin"), pid
        )
        get_s, get_cpu = _best_with_cpu(
            lambda: s3.download_file("bench", "big.bin", str(downloaded)), pid
        )
        if _sha256(downloaded) != _sha256(source):
            raise AssertionError("the downloaded object differs from the uploaded file")
        with null_server(source) as url:
            null = client(url)
            null_put_s = best_time(lambda: null.upload_file(str(source), "b", "k"), REPEAT)
            null_get_s = best_time(lambda: null.download_file("b", "k", str(downloaded)), REPEAT)

    mib = SIZE / MIB
    report.figure("shutil.copyfile 256 MiB", mib / copy_s, "MiB/s")
    report.figure("boto3 upload_file (PUT) 256 MiB", mib / put_s, "MiB/s")
    report.figure("boto3 download_file (GET) 256 MiB", mib / get_s, "MiB/s")
    report.figure("tsukuru server CPU per PUT 256 MiB", put_cpu, "s", precision=2)
    report.figure("tsukuru server CPU per GET 256 MiB", get_cpu, "s", precision=2)
    report.figure("boto3 PUT to a server that stores nothing", mib / null_put_s, "MiB/s")
    report.figure("boto3 GET from a server that stores nothing", mib / null_get_s, "MiB/s")
    report.figure("client ceiling: PUT vs copyfile", copy_s / null_put_s, "x", precision=2)
    report.figure("client ceiling: GET vs copyfile", copy_s / null_get_s, "x", precision=2)
    report.figure("tsukuru PUT vs the client ceiling", null_put_s / put_s, "x", precision=2)
    report.figure("tsukuru GET vs the client ceiling", null_get_s / get_s, "x", precision=2)
    report.ratio("GET vs copyfile", copy_s / get_s, GET_TARGET)
    report.ratio("PUT vs copyfile", copy_s / put_s, PUT_TARGET)
    return report.ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
