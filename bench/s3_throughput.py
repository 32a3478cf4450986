"""Big-object throughput: boto3 PUTs and GETs of 256 MiB vs a local file copy.

The question a user asks is "is keeping my data in tsukuru much slower than keeping it on disk?",
so the baseline is `shutil.copyfile` of the same file on the same disk in the same run (Linux
makes that an in-kernel `sendfile`, the fastest copy there is). boto3 moves the object both ways
a user's code would: the transfer manager with its default TransferConfig (`upload_file`,
`download_file`: 8 MiB parts or ranges on 10 threads) and the plain operations (one PutObject
of the file, one GetObject streamed to a file). Targets: GET at least 0.5x and PUT at least 0.3x
the copy's speed, judged on the faster of the two ways (on 2 cores the thread pool often costs
more than it overlaps). Each figure is the best of a few runs; the server's CPU time per
transfer is printed too, since it moves far less than wall time on a busy machine.

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
from typing import Any

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


def _ways(s3: Any, bucket: str, source: Path, target: Path) -> dict[str, Callable[[], object]]:
    """boto3's two ways each direction: the transfer manager (multipart upload, ranged GETs on
    10 threads) and the plain operation (one PutObject, one GetObject streamed to a file)."""

    def put_object() -> None:
        with source.open("rb") as body:
            s3.put_object(Bucket=bucket, Key="big.bin", Body=body)

    def get_object() -> None:
        with target.open("wb") as out:
            shutil.copyfileobj(s3.get_object(Bucket=bucket, Key="big.bin")["Body"], out, 8 * MIB)

    return {
        "PUT upload_file": lambda: s3.upload_file(str(source), bucket, "big.bin"),
        "PUT put_object": put_object,
        "GET download_file": lambda: s3.download_file(bucket, "big.bin", str(target)),
        "GET get_object": get_object,
    }


def main() -> bool:
    report = Report("s3_throughput")
    with tempfile.TemporaryDirectory(prefix="tsukuru-bench-") as tmp, running_platform() as tsk:
        source, copied, downloaded = (Path(tmp) / n for n in ("src.bin", "copy.bin", "down.bin"))
        _write_random(source, SIZE)
        s3 = client(tsk)
        s3.create_bucket(Bucket="bench")
        pid = tsk.process.pid
        copy_s = best_time(lambda: shutil.copyfile(source, copied), REPEAT)
        ours: dict[str, tuple[float, float]] = {}
        for way, action in _ways(s3, "bench", source, downloaded).items():
            ours[way] = _best_with_cpu(action, pid)
            if way.startswith("GET") and _sha256(downloaded) != _sha256(source):
                raise AssertionError(f"{way}: the download differs from the uploaded file")
        with null_server(source) as url:
            null = {
                way: best_time(action, REPEAT)
                for way, action in _ways(client(url), "b", source, downloaded).items()
            }
        copy_s = min(copy_s, best_time(lambda: shutil.copyfile(source, copied), REPEAT))

    mib = SIZE / MIB
    report.figure("shutil.copyfile 256 MiB", mib / copy_s, "MiB/s")
    for way, (seconds, cpu) in ours.items():
        report.figure(f"tsukuru {way} 256 MiB", mib / seconds, "MiB/s")
        report.figure(f"tsukuru {way}: server CPU", cpu, "s", precision=2)
    for way, seconds in null.items():
        report.figure(f"null server {way} 256 MiB", mib / seconds, "MiB/s")
    for direction, target in (("GET", GET_TARGET), ("PUT", PUT_TARGET)):
        way = min((w for w in ours if w.startswith(direction)), key=lambda w: ours[w][0])
        ceiling = min(seconds for w, seconds in null.items() if w.startswith(direction))
        report.figure(f"client ceiling: {direction} vs copyfile", copy_s / ceiling, "x", 2)
        report.figure(f"tsukuru {direction} vs the client ceiling", ceiling / ours[way][0], "x", 2)
        report.ratio(f"{direction} ({way[4:]}) vs copyfile", copy_s / ours[way][0], target)
    return report.ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
