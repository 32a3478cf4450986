"""`python -m bench reliability`: the fault-injection tests at full length, with figures.

* uploads killed at random moments: rounds of concurrent PutObjects (1 KiB to 40 MiB, some
  spooled to disk, some multipart) on a few keys, the platform SIGKILLed at a random moment,
  restarted, and every key checked: it must hold the last acknowledged version or one that was
  in flight at the kill, byte for byte — never anything else — and no temporary file may be
  left. Target: no violation.
* a model server SIGKILLed under concurrent load: 8 client threads invoke a 2-instance endpoint
  while one server is killed. Target: no failed call. The same with a single instance (no
  target: the calls that arrive while it restarts wait for it, up to 2 s, or fail).
* a training job and an endpoint across a kill: seconds from the kill until the platform
  answers, until the endpoint serves again, and the number of processes the killed run left
  (target: 0).
* a job over its memory share: how far past the share it got before it was stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import signal
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3.s3.transfer
import botocore.exceptions

from bench._common import at_most
from bench.harness import Report, client
from tests.acceptance.platform_support import (
    create_model,
    model_server_pids,
    training_request,
    wait_for_endpoint,
)
from tests.acceptance.sdk_support import upload_bank_data
from tests.harness import RunningPlatform, start_platform
from tests.reliability.support import (
    csv_rows,
    kill_and_restart,
    model_archive,
    processes,
    temporary_leftovers,
    wait_for,
)

MIB = 1024 * 1024
UPLOAD_ROUNDS = 6
WRITERS = 4
KEYS = 6
SIZES = (1024, 256 * 1024, 6 * MIB, 20 * MIB, 40 * MIB)
LOAD_THREADS = 8
LOAD_SECONDS = 8.0


@contextlib.contextmanager
def platform_in(home: Path) -> Iterator[list[RunningPlatform]]:
    """A platform on `home`; the list holds the current one (a kill replaces it)."""
    holder = [start_platform(home, timeout=180)]
    try:
        yield holder
    finally:
        holder[0].stop()


# ---------------------------------------------------------------------- uploads killed


@dataclass
class KeyHistory:
    acknowledged: str | None = None  # sha256 of the last version the client saw succeed
    in_flight: set[str] = field(default_factory=set)


def writer(
    s3: Any,
    keys: dict[str, KeyHistory],
    lock: threading.Lock,
    stop: threading.Event,
    results: list[int],
) -> None:
    """PutObject (half of those over 8 MiB multipart, through s3transfer) until stopped or
    failed; appends the number of acknowledged writes to `results`."""
    transfer = boto3.s3.transfer.S3Transfer(s3)
    done = 0
    rng = random.Random()
    while not stop.is_set():
        key = f"key-{rng.randrange(KEYS)}"
        data = os.urandom(rng.choice(SIZES))
        digest = hashlib.sha256(data).hexdigest()
        with lock:
            keys[key].in_flight.add(digest)
        try:
            if len(data) > 8 * MIB and rng.random() < 0.5:
                with tempfile.NamedTemporaryFile() as source:
                    source.write(data)
                    source.flush()
                    transfer.upload_file(source.name, "crash", key)
            else:
                s3.put_object(Bucket="crash", Key=key, Body=data)
        except Exception:  # the kill: the outcome of this write is unknown
            break
        with lock:
            keys[key].in_flight.discard(digest)
            keys[key].acknowledged = digest
        done += 1
    results.append(done)


def uploads_killed(report: Report, root: Path) -> None:
    violations = writes = 0
    recoveries: list[float] = []
    with platform_in(root / "uploads") as holder:
        s3 = client(holder[0])
        s3.create_bucket(Bucket="crash")
        keys = {f"key-{i}": KeyHistory() for i in range(KEYS)}
        for _ in range(UPLOAD_ROUNDS):
            s3 = client(holder[0])
            lock, stop = threading.Lock(), threading.Event()
            results: list[int] = []
            threads = [
                threading.Thread(target=writer, args=(s3, keys, lock, stop, results))
                for _ in range(WRITERS)
            ]
            for thread in threads:
                thread.start()
            time.sleep(random.uniform(0.5, 4.0))
            holder[0], recovery = kill_and_restart(holder[0])
            recoveries.append(recovery)
            stop.set()
            for thread in threads:
                thread.join(120)
            writes += sum(results)
            violations += len(temporary_leftovers(holder[0].home))
            s3 = client(holder[0])
            for key, history in keys.items():
                try:
                    body = s3.get_object(Bucket="crash", Key=key)["Body"].read()
                    found: str | None = hashlib.sha256(body).hexdigest()
                except botocore.exceptions.ClientError:
                    found = None
                allowed = {history.acknowledged, *history.in_flight}
                if found not in allowed:
                    violations += 1
                    print(f"reliability: {key} holds {found}, expected one of {allowed}")
                history.acknowledged, history.in_flight = found, set()
    report.figure("upload rounds killed at a random moment", UPLOAD_ROUNDS, "rounds", 0)
    report.figure("writes acknowledged before the kills", writes, "writes", 0)
    at_most(report, "torn, lost or leftover after restart", violations, 0, "cases")
    report.figure("kill -9 -> healthy again (median)", statistics.median(recoveries), "s", 2)


# ---------------------------------------------------------------------- model server killed


def invoke_under_load(
    platform: RunningPlatform, endpoint: str, rows: str, victim: int
) -> tuple[int, int, list[float]]:
    """(calls, failures, latencies in s) of LOAD_THREADS threads for LOAD_SECONDS, with the
    model server `victim` SIGKILLed a quarter of the way in."""
    runtime = client(platform, "sagemaker-runtime")
    stop = threading.Event()
    latencies: list[float] = []
    failures: list[str] = []

    def caller() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                runtime.invoke_endpoint(EndpointName=endpoint, Body=rows, ContentType="text/csv")
                latencies.append(time.perf_counter() - started)
            except Exception as exc:
                failures.append(str(exc)[:200])

    threads = [threading.Thread(target=caller) for _ in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    time.sleep(LOAD_SECONDS / 4)
    os.kill(victim, signal.SIGKILL)
    time.sleep(LOAD_SECONDS * 3 / 4)
    stop.set()
    for thread in threads:
        thread.join(60)
    if failures:
        print(f"reliability: first failure: {failures[0]}")
    return len(latencies) + len(failures), len(failures), latencies


def servers_killed(report: Report, root: Path) -> None:
    with platform_in(root / "servers") as holder:
        platform = holder[0]
        s3, sm = client(platform), client(platform, "sagemaker")
        s3.create_bucket(Bucket="models")
        archive, _, features = model_archive(4)
        s3.put_object(Bucket="models", Key="model.tar.gz", Body=archive)
        create_model(sm, "bench-model", "s3://models/model.tar.gz")
        rows = csv_rows(features[:10])
        for instances in (2, 1):
            name = f"killed-{instances}"
            sm.create_endpoint_config(
                EndpointConfigName=name,
                ProductionVariants=[
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": "bench-model",
                        "InitialInstanceCount": instances,
                        "InstanceType": "ml.m5.large",
                    }
                ],
            )
            sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
            wait_for_endpoint(sm, name, timeout=120)
            pids = model_server_pids(platform.home, name)
            calls, failed, latencies = invoke_under_load(platform, name, rows, pids[0])
            deadline = time.monotonic() + 60
            while len(model_server_pids(platform.home, name)) < instances:
                assert time.monotonic() < deadline, "the killed model server was not replaced"
                time.sleep(0.1)
            label = f"{instances} instance{'s' if instances > 1 else ''}"
            report.figure(f"{label}: calls during the kill", calls, "calls", 0)
            p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else 0.0
            report.figure(f"{label}: p99 latency around the kill", p99 * 1000, "ms", 0)
            if instances > 1:
                at_most(report, f"{label}: failed calls", failed, 0, "calls")
            else:
                report.figure(f"{label}: failed calls (no target)", failed, "calls", 0)


# ---------------------------------------------------------------------- jobs and endpoints


def platform_killed(report: Report, root: Path) -> None:
    with platform_in(root / "restart") as holder:
        platform = holder[0]
        s3, sm = client(platform), client(platform, "sagemaker")
        bank = upload_bank_data(s3, "restart-bench")
        archive, _, features = model_archive(4)
        s3.put_object(Bucket="restart-bench", Key="model.tar.gz", Body=archive)
        create_model(sm, "serving", "s3://restart-bench/model.tar.gz")
        sm.create_endpoint_config(
            EndpointConfigName="serving",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "serving",
                    "InitialInstanceCount": 2,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        sm.create_endpoint(EndpointName="serving", EndpointConfigName="serving")
        endless = {"objective": "binary:logistic", "num_round": "1000000"}
        request = training_request("endless", endless, {"train": bank.train_uri}, bank.output_uri)
        sm.create_training_job(**request)
        wait_for(
            lambda: (
                sm.describe_training_job(TrainingJobName="endless")["SecondaryStatus"] == "Training"
                and sm.describe_endpoint(EndpointName="serving")["EndpointStatus"] == "InService"
            ),
            timeout=180,
            what="the job training and the endpoint serving",
        )
        before = {found.run for found in processes(platform.home)}
        killed_at = time.monotonic()
        holder[0], healthy = kill_and_restart(platform)
        runtime = client(holder[0], "sagemaker-runtime")
        rows = csv_rows(features[:5])

        def serves() -> bool:
            try:
                runtime.invoke_endpoint(EndpointName="serving", Body=rows, ContentType="text/csv")
            except Exception:
                return False
            return True

        wait_for(serves, timeout=120, what="the endpoint serving again", every=0.02)
        serving = time.monotonic() - killed_at
        sm = client(holder[0], "sagemaker")
        status = sm.describe_training_job(TrainingJobName="endless")["TrainingJobStatus"]
        left = [found for found in processes(holder[0].home) if found.run in before]
        report.figure("kill -9 -> platform healthy", healthy, "s", 2)
        report.figure("kill -9 -> endpoint serving again", serving, "s", 2)
        at_most(report, "processes left by the killed run", len(left), 0, "processes")
        at_most(report, "running job not Failed after restart", int(status != "Failed"), 0, "jobs")


# ---------------------------------------------------------------------- memory share


def memory_overshoot(report: Report, root: Path) -> None:
    from tests.runtime.script_mode_support import script_environment, script_job
    from tsukuru.domain.ports import Launch
    from tsukuru.executors.local import LocalExecutor

    greedy = (
        "import time\nhoard = []\n"
        "for _ in range(64):\n"
        "    hoard.append(bytearray(b'x' * (32 * 1024 * 1024)))\n"
        "    time.sleep(0.02)\n"
        "    print(len(hoard) * 32, flush=True)\n"
    )
    share = 512 * MIB
    job = script_job(root / "greedy", {"train.py": greedy})
    process = LocalExecutor(memory_limit=share).launch(
        Launch("greedy", "train", str(job.root), script_environment(job))
    )
    reached = 0
    for _, line in process.lines():
        if line.strip().isdigit():
            reached = int(line.strip())
    process.wait(60)
    report.figure("memory share of the greedy job", share / MIB, "MiB", 0)
    report.figure("allocated when it was stopped (32 MiB/20 ms)", reached, "MiB", 0)
    at_most(report, "job still running past twice its share", int(reached > 2 * share / MIB), 0, "")


def main() -> bool:
    report = Report("reliability")
    with tempfile.TemporaryDirectory(prefix="tsukuru-bench-") as folder:
        root = Path(folder)
        uploads_killed(report, root)
        servers_killed(report, root)
        platform_killed(report, root)
        memory_overshoot(report, root)
    return report.ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
