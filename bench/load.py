"""Sustained mixed load: 32 clients for 60 s on one platform, with zero errors and flat memory.

The question is not "how fast" (the other benchmarks answer that) but "does it hold": many
clients at once mixing the calls an application and a notebook make — InvokeEndpoint on a
deployed XGBoost model, PutObject/GetObject of small objects, DescribeTrainingJob polling — for a
minute, after which every call must have succeeded and the platform's memory must not be
creeping up. Each client is a thread with its own boto3 clients (as separate application
threads would be), calls are picked at random by weight, and every answer is checked (the
object's bytes, a probability, the job's status).

Printed: per operation the count, p50 and p99 latency; the errors (target: 0); the resident
memory of the gateway process and, separately, of its children (the fork helper and the model
servers), sampled every second. Target: the RSS at the end within 10% of the RSS at the 10th
second, for both. `BENCH_LOAD_CLIENTS` and `BENCH_LOAD_SECONDS` resize the run (32 and 60).
A short run of the same code is part of `make test` (`tests/bench/test_load_short.py`).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from botocore import xform_name

from bench._common import (
    ROLE,
    XGBOOST_IMAGE,
    at_most,
    bank_matrix,
    load_note,
    poll_until,
    write_labelled_csv,
)
from bench.harness import Report, RunningPlatform, client, process_cpu_seconds, running_platform

CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "32"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
WEIGHTS = {"InvokeEndpoint": 4, "GetObject": 3, "PutObject": 2, "DescribeTrainingJob": 2}
BUCKET = "load"
OBJECTS = 16
OBJECT_SIZE = 4096
KEYS_PER_WRITER = 4  # PutObject overwrites a few keys per client: storage stays bounded
JOB = "load-job"
ENDPOINT = "load-endpoint"
RSS_FROM = 10.0  # memory is compared from this second on (start-up and warm-up are over)
RSS_GROWTH_LIMIT = 10.0  # percent
MAX_ERROR_SAMPLES = 5


@dataclass(frozen=True)
class Target:
    """What the clients call: seeded objects, a finished job, an InService endpoint."""

    objects: dict[str, bytes]
    job: str
    endpoint: str
    row: str  # one CSV line of features


@dataclass(frozen=True)
class RssSample:
    second: float
    gateway_kib: int
    children_kib: int
    children: int


@dataclass
class LoadResult:
    clients: int
    seconds: float
    counts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    rss: list[RssSample] = field(default_factory=list)
    alive: bool = True
    gateway_cpu_s: float = float("nan")  # CPU the gateway process used during the run
    clients_cpu_s: float = float("nan")  # CPU this process (the client threads) used

    @property
    def total_errors(self) -> int:
        return sum(self.errors.values())


# --------------------------------------------------------------------------- set-up


def prepare(platform: RunningPlatform, work: Path) -> Target:
    """A bucket with small objects, a trained bank-marketing model and its endpoint."""
    s3, sm = client(platform), client(platform, "sagemaker")
    s3.create_bucket(Bucket=BUCKET)
    rng = random.Random(7)
    objects = {f"seed/{i:03d}": rng.randbytes(OBJECT_SIZE) for i in range(OBJECTS)}
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    labels, features = bank_matrix()
    data = work / "train.csv"
    write_labelled_csv(data, labels, features)
    s3.upload_file(str(data), BUCKET, "train/train.csv")
    sm.create_training_job(
        TrainingJobName=JOB,
        AlgorithmSpecification={"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        HyperParameters={"objective": "binary:logistic", "num_round": "20", "max_depth": "4"},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{BUCKET}/train/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    done = poll_until(
        lambda: sm.describe_training_job(TrainingJobName=JOB),
        "TrainingJobStatus",
        ("InProgress",),
        0.2,
        timeout=600,
    )
    if done["TrainingJobStatus"] != "Completed":
        raise RuntimeError(f"the load benchmark's model did not train: {done.get('FailureReason')}")
    sm.create_model(
        ModelName=ENDPOINT,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": XGBOOST_IMAGE,
            "ModelDataUrl": done["ModelArtifacts"]["S3ModelArtifacts"],
        },
    )
    sm.create_endpoint_config(
        EndpointConfigName=ENDPOINT,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": ENDPOINT,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=ENDPOINT)
    described = poll_until(
        lambda: sm.describe_endpoint(EndpointName=ENDPOINT),
        "EndpointStatus",
        ("Creating",),
        0.1,
        timeout=300,
    )
    if described["EndpointStatus"] != "InService":
        raise RuntimeError(f"the load benchmark's endpoint failed: {described}")
    row = ",".join(f"{value:g}" for value in features[0])
    return Target(objects, JOB, ENDPOINT, row)


# --------------------------------------------------------------------------- memory


def rss_kib(pid: int) -> int:
    """Resident set size of one process in KiB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren...), from /proc."""
    parents: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        parents[parent].append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def sample_memory(pid: int, started: float) -> RssSample:
    children = descendants(pid)
    return RssSample(
        second=time.monotonic() - started,
        gateway_kib=rss_kib(pid),
        children_kib=sum(rss_kib(child) for child in children),
        children=len(children),
    )


# --------------------------------------------------------------------------- the load


class _Client(threading.Thread):
    """One application thread: its own boto3 clients, calls picked at random by weight."""

    def __init__(self, index: int, platform: RunningPlatform, target: Target) -> None:
        super().__init__(name=f"load-client-{index}", daemon=True)
        self.index = index
        self.target = target
        self.deadline = 0.0  # set just before start, once every client is built
        self.s3 = client(platform)
        self.sm = client(platform, "sagemaker")
        self.runtime = client(platform, "sagemaker-runtime")
        self.rng = random.Random(index)
        self.counts: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.samples: list[str] = []
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.writes = 0

    def run(self) -> None:
        operations, weights = list(WEIGHTS), list(WEIGHTS.values())
        while time.monotonic() < self.deadline:
            operation = self.rng.choices(operations, weights)[0]
            started = time.perf_counter()
            try:
                getattr(self, xform_name(operation))()
            except Exception as exc:
                self.errors[operation] += 1
                if len(self.samples) < MAX_ERROR_SAMPLES:
                    self.samples.append(f"{operation}: {type(exc).__name__}: {exc}")
                continue
            self.latencies[operation].append(1000 * (time.perf_counter() - started))
            self.counts[operation] += 1

    def invoke_endpoint(self) -> None:
        response = self.runtime.invoke_endpoint(
            EndpointName=self.target.endpoint, ContentType="text/csv", Body=self.target.row
        )
        probability = float(response["Body"].read())
        if not 0.0 <= probability <= 1.0:
            raise AssertionError(f"not a probability: {probability}")

    def get_object(self) -> None:
        key = self.rng.choice(list(self.target.objects))
        body = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        if body != self.target.objects[key]:
            raise AssertionError(f"{key} came back different ({len(body)} bytes)")

    def put_object(self) -> None:
        key = f"clients/{self.index:02d}/{self.writes % KEYS_PER_WRITER}"
        self.writes += 1
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=self.rng.randbytes(OBJECT_SIZE))

    def describe_training_job(self) -> None:
        described = self.sm.describe_training_job(TrainingJobName=self.target.job)
        if described["TrainingJobStatus"] != "Completed":
            raise AssertionError(f"job status {described['TrainingJobStatus']}")


def run_load(platform: RunningPlatform, target: Target, clients: int, seconds: float) -> LoadResult:
    """`clients` threads for `seconds`; memory sampled every second meanwhile."""
    result = LoadResult(clients=clients, seconds=seconds)
    pid = platform.process.pid
    workers = [_Client(i, platform, target) for i in range(clients)]  # boto3 clients take a while
    gateway_cpu, own_cpu = process_cpu_seconds(pid), time.process_time()
    started = time.monotonic()
    for worker in workers:
        worker.deadline = started + seconds
        worker.start()
    next_sample = started
    while any(worker.is_alive() for worker in workers):
        if time.monotonic() >= next_sample:
            result.rss.append(sample_memory(pid, started))
            next_sample += 1.0
        time.sleep(0.05)
    result.rss.append(sample_memory(pid, started))
    result.gateway_cpu_s = process_cpu_seconds(pid) - gateway_cpu
    result.clients_cpu_s = time.process_time() - own_cpu
    for worker in workers:
        worker.join()
        result.counts.update(worker.counts)
        result.errors.update(worker.errors)
        result.error_samples += worker.samples[: MAX_ERROR_SAMPLES - len(result.error_samples)]
        for operation, values in worker.latencies.items():
            result.latencies_ms[operation].extend(values)
    result.alive = platform.process.poll() is None
    return result


# --------------------------------------------------------------------------- report


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def rss_growth(samples: list[RssSample], attribute: str) -> tuple[float, float, float]:
    """(KiB at RSS_FROM, KiB at the end, growth in percent) for `gateway_kib`/`children_kib`."""
    base = next((s for s in samples if s.second >= RSS_FROM), samples[0])
    end = samples[-1]
    first, last = float(getattr(base, attribute)), float(getattr(end, attribute))
    return first, last, (100.0 * (last - first) / first) if first else 0.0


def report(result: LoadResult, out: Report) -> None:
    print(f"load: {result.clients} clients for {result.seconds:.0f} s, {load_note()}", flush=True)
    total = sum(result.counts.values())
    out.figure("requests (all operations)", total, "")
    out.figure("throughput (all operations)", total / result.seconds, "req/s")
    out.figure("gateway CPU per request", 1000 * result.gateway_cpu_s / max(total, 1), "ms")
    out.figure("client threads' CPU per request", 1000 * result.clients_cpu_s / max(total, 1), "ms")
    for operation in WEIGHTS:
        values = result.latencies_ms.get(operation, [])
        out.figure(f"{operation} count", result.counts[operation], "")
        out.figure(f"{operation} p50", percentile(values, 0.50), "ms")
        out.figure(f"{operation} p99", percentile(values, 0.99), "ms")
    for sample in result.error_samples:
        print(f"load: error: {sample}", flush=True)
    at_most(out, "errors", result.total_errors, 0, "")
    if not result.alive:
        out.missed.append("platform alive")
        print("load: the platform process died", flush=True)
    if result.seconds < 2 * RSS_FROM:
        return  # too short to judge memory: printed for information only
    for attribute, label in (("gateway_kib", "gateway"), ("children_kib", "model servers+helper")):
        first, last, growth = rss_growth(result.rss, attribute)
        peak = max(getattr(s, attribute) for s in result.rss if s.second >= RSS_FROM)
        out.figure(f"{label} RSS at {RSS_FROM:.0f} s", first / 1024, "MiB")
        out.figure(f"{label} RSS peak after {RSS_FROM:.0f} s", peak / 1024, "MiB")
        out.figure(f"{label} RSS at the end", last / 1024, "MiB")
        at_most(out, f"{label} RSS growth", growth, RSS_GROWTH_LIMIT, "%")


def main() -> bool:
    out = Report("load")
    with running_platform() as platform:
        target = prepare(platform, platform.home)
        result = run_load(platform, target, CLIENTS, SECONDS)
    report(result, out)
    return out.ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
