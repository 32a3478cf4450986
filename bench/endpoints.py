"""Real-time endpoints: InvokeEndpoint through the gateway vs two servers of the same booster.

The question a user asks is "what does the platform's front door cost me over serving the model
myself?", so one run measures, on the same machine and the same model (the tutorial's: bank data,
59 one-hot features, 100 rounds of depth 5):

* the platform: `POST /endpoints/{name}/invocations` on the gateway, which parses the request
  against botocore's model, routes it and relays it to the endpoint's model server;
* baseline (a): `bench/baseline_app.py`, a one-file Starlette + uvicorn app that parses the CSV
  with numpy and calls `inplace_predict` — the floor for a Python model server;
* baseline (b): `mlflow models serve --env-manager local` of the same booster (saved with
  `mlflow.xgboost.save_model`), from `.venv-mlflow` (`scripts/bench-venvs.sh`). MLflow reads CSV
  with pandas, which takes the first line as the header, so its bodies carry one.

Each server runs one worker. Load comes from `wrk` (closed loop, 4 connections, one thread) with
a 1-row and a 1,000-row CSV body; every round runs the three servers one after the other and the
ratio is the median of the per-round ratios, so a change in the machine's load hits all three
alike. The platform runs with `--auth off`: wrk cannot compute a SigV4 signature per request, so
it sends a fixed, well-formed Authorization header whose credential scope routes the request to
the runtime service (signature checking is the one step this leaves out). CreateEndpoint →
InService is timed too, polling DescribeEndpoint every 0.05 s, for three endpoints one after the
other right after start-up (the first may start before the platform's warm fork server is up).

Throughput on a shared machine swings with the neighbours, so each server's CPU time per request
is printed too (from /proc, summed over the server's process tree during the timed rounds; the
platform's is split into the gateway process and the model server), which barely moves with the
load and says which process to make cheaper.

Needs `wrk` (`apt-get install wrk`) and `.venv-mlflow`; without the latter baseline (b) is
skipped and said so. `BENCH_SECONDS` (default 8) and `BENCH_ROUNDS` (default 3) size the run.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import xgboost as xgb

from bench._common import (
    ROLE,
    TUTORIAL_HYPERPARAMETERS,
    XGBOOST_IMAGE,
    at_most,
    bank_matrix,
    booster_params,
    load_note,
    median,
    poll_until,
)
from bench.harness import Report, client, process_cpu_seconds
from tests.harness import RunningPlatform, free_port, start_platform

REPO = Path(__file__).resolve().parents[1]
MLFLOW_PYTHON = REPO / ".venv-mlflow" / "bin" / "python"
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = 4
DEPLOYS = 3
ENDPOINT = "bench-endpoint"
# A well-formed SigV4 header for the runtime's credential scope; with --auth off it is routed,
# not verified (see the module docstring).
FIXED_AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK/20260101/us-east-1/sagemaker/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64
)
# The platform's model servers run with OpenMP threads that sleep rather than spin while idle
# (tsukuru.executors.warm.DEFAULT_ENV); on a shared 2-core machine a spinning policy alone makes
# a 1-row prediction ~10x slower, so the baselines get the same setting.
SERVER_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}
TARGETS = {  # payload → (minimum vs baseline (a), minimum vs MLflow)
    "1-row CSV": (0.8, 5.0),
    "1,000-row CSV": (1.0, 4.0),
}


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    headers: dict[str, str]
    pid: int  # the server's process; its descendants (workers, model servers) count as its CPU
    header_row: bool = False  # MLflow's pandas reader wants one


@dataclass(frozen=True)
class LoadResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int = 0
    cpu_s: dict[str, float] | None = None  # CPU seconds by process role during the run


def train_booster() -> Any:
    labels, features = bank_matrix()
    params = booster_params(TUTORIAL_HYPERPARAMETERS)
    rounds = int(TUTORIAL_HYPERPARAMETERS["num_round"])
    return xgb.train(params, xgb.DMatrix(features, label=labels), num_boost_round=rounds)


def csv_body(features: np.ndarray[Any, Any], header_row: bool) -> bytes:
    lines = [",".join(f"{value:g}" for value in row) for row in features]
    if header_row:
        lines.insert(0, ",".join(f"f{i}" for i in range(features.shape[1])))
    return ("\n".join(lines) + "\n").encode()


def model_archive(model_file: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(model_file, arcname="xgboost-model")
    return buffer.getvalue()


# ------------------------------------------------------------------ servers


def wait_ready(url: str, process: subprocess.Popen[bytes] | None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


@contextmanager
def background(
    argv: list[str], ready_url: str, cwd: Path, log: Path, env: dict[str, str] | None = None
) -> Iterator[int]:
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_ready(ready_url, process)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def baseline_app(model_file: Path, tmp: Path) -> Iterator[Server]:
    port = free_port()
    argv = [sys.executable, "-m", "bench.baseline_app", "--model", str(model_file)]
    argv += ["--port", str(port), "--workers", "1"]
    env = dict(os.environ, **SERVER_ENV)
    with background(argv, f"http://127.0.0.1:{port}/ping", REPO, tmp / "baseline.log", env) as pid:
        yield Server("baseline app", f"http://127.0.0.1:{port}/invocations", {}, pid)


@contextmanager
def mlflow_server(model_file: Path, tmp: Path) -> Iterator[Server | None]:
    if not MLFLOW_PYTHON.exists():
        print("endpoints: .venv-mlflow is missing (scripts/bench-venvs.sh): MLflow skipped")
        yield None
        return
    saved = tmp / "mlflow-model"
    script = (
        "import sys, xgboost, mlflow.xgboost\n"
        "booster = xgboost.Booster()\n"
        "booster.load_model(sys.argv[1])\n"
        "mlflow.xgboost.save_model(booster, sys.argv[2])\n"
    )
    subprocess.run([str(MLFLOW_PYTHON), "-c", script, str(model_file), str(saved)], check=True)
    port = free_port()
    mlflow = str(MLFLOW_PYTHON.parent / "mlflow")
    argv = [mlflow, "models", "serve", "-m", str(saved), "--env-manager", "local"]
    argv += ["-h", "127.0.0.1", "-p", str(port), "-w", "1"]
    # `mlflow models serve` execs `uvicorn` from PATH, as in an activated virtualenv.
    path = f"{MLFLOW_PYTHON.parent}{os.pathsep}{os.environ['PATH']}"
    env = dict(os.environ, PATH=path, **SERVER_ENV)
    with background(argv, f"http://127.0.0.1:{port}/ping", tmp, tmp / "mlflow.log", env) as pid:
        url = f"http://127.0.0.1:{port}/invocations"
        yield Server("mlflow models serve", url, {}, pid, header_row=True)


@contextmanager
def platform_endpoint(model_file: Path, tmp: Path, report: Report) -> Iterator[Server]:
    tsk = start_platform(tmp / "home", args=("--auth", "off"))
    try:
        s3, sm = client(tsk), client(tsk, "sagemaker")
        s3.create_bucket(Bucket="bench")
        s3.put_object(Bucket="bench", Key="model/model.tar.gz", Body=model_archive(model_file))
        sm.create_model(
            ModelName="bench-model",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={
                "Image": XGBOOST_IMAGE,
                "ModelDataUrl": "s3://bench/model/model.tar.gz",
            },
        )
        sm.create_endpoint_config(
            EndpointConfigName="bench-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "bench-model",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        deploys = [time_deploy(sm, f"{ENDPOINT}-{i}") for i in range(DEPLOYS)]
        for i in range(1, DEPLOYS):
            sm.delete_endpoint(EndpointName=f"{ENDPOINT}-{i}")
        for index, seconds in enumerate(deploys):
            report.figure(f"CreateEndpoint to InService, endpoint {index}", seconds, "s")
        report.figure(f"CreateEndpoint to InService (median of {DEPLOYS})", median(deploys), "s")
        at_most(report, "CreateEndpoint to InService", median(deploys), 2.0, "s")
        yield gateway_server(tsk, f"{ENDPOINT}-0")
    finally:
        tsk.stop()


def time_deploy(sm: Any, name: str) -> float:
    started = time.perf_counter()
    sm.create_endpoint(EndpointName=name, EndpointConfigName="bench-config")
    described = poll_until(
        lambda: sm.describe_endpoint(EndpointName=name), "EndpointStatus", ("Creating",), 0.05
    )
    seconds = time.perf_counter() - started
    if described["EndpointStatus"] != "InService":
        raise AssertionError(f"{name} ended {described['EndpointStatus']}: {described}")
    return seconds


def gateway_server(tsk: RunningPlatform, endpoint: str) -> Server:
    headers = {
        "Authorization": FIXED_AUTHORIZATION,
        "X-Amz-Date": "20260101T000000Z",
    }
    url = f"{tsk.endpoint_url}/endpoints/{endpoint}/invocations"
    return Server("gateway", url, headers, tsk.process.pid)


# ------------------------------------------------------------------ CPU per request

MODEL_SERVER_ROLE = "model server"
OTHER_ROLE = "other processes"


def process_roles(root: int) -> dict[int, str]:
    """The process `root` and its descendants, each with its role: "server" for `root`, the
    model server for a `tsukuru.runtime.serve` process, OTHER_ROLE for the rest (uvicorn
    workers of MLflow, the platform's fork server)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    roles = {root: "server"}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in roles and pid not in roles:
                roles[pid] = _role_of(pid)
                grew = True
    return roles


def _role_of(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return OTHER_ROLE
    return MODEL_SERVER_ROLE if b"tsukuru.runtime.serve" in command else OTHER_ROLE


def cpu_by_role(roles: dict[int, str]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for pid, role in roles.items():
        seconds = process_cpu_seconds(pid)
        if not math.isnan(seconds):  # NaN: the process is gone
            totals[role] = totals.get(role, 0.0) + seconds
    return totals


# ------------------------------------------------------------------ load


def predictions(server: Server, body: bytes) -> np.ndarray[Any, Any]:
    headers = {"Content-Type": "text/csv", **server.headers}
    response = httpx.post(server.url, content=body, headers=headers, timeout=30)
    response.raise_for_status()
    if response.text.lstrip().startswith("{"):  # MLflow: {"predictions": [...]}
        return np.array(json.loads(response.text)["predictions"], dtype=np.float64)
    return np.array(response.text.replace(",", " ").split(), dtype=np.float64)


def wrk_script(tmp: Path, server: Server, body: bytes) -> Path:
    body_file = tmp / f"body-{abs(hash((server.name, body)))}.csv"
    body_file.write_bytes(body)
    headers = {"Content-Type": "text/csv", **server.headers}
    lines = [
        f'local f = assert(io.open([==[{body_file}]==], "rb"))',
        'wrk.method = "POST"',
        'wrk.body = f:read("*a")',
        "f:close()",
        *(f"wrk.headers[ [==[{k}]==] ] = [==[{v}]==]" for k, v in headers.items()),
        "done = function(summary, latency, requests)",
        "  local e = summary.errors",
        '  io.write(string.format("WRK %d %d %.0f %.0f %d\\n", summary.requests,',
        "    summary.duration, latency:percentile(50), latency:percentile(99),",
        "    e.connect + e.read + e.write + e.status + e.timeout))",
        "end",
    ]
    script = tmp / f"{body_file.stem}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def run_wrk_measured(script: Path, server: Server, seconds: int) -> LoadResult:
    """`run_wrk` plus the CPU time each process of the server used meanwhile."""
    roles = process_roles(server.pid)
    before = cpu_by_role(roles)
    result = run_wrk(script, server.url, seconds)
    after = cpu_by_role(roles)
    used = {role: after[role] - before.get(role, 0.0) for role in after}
    return LoadResult(result.requests_per_s, result.p50_ms, result.p99_ms, result.requests, used)


def run_wrk(script: Path, url: str, seconds: int) -> LoadResult:
    argv = [
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    output = subprocess.run([*argv, url], check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    requests, duration_us, p50_us, p99_us, errors = (float(x) for x in line.split()[1:])
    if errors:
        raise AssertionError(f"{int(errors)} failed requests against {url}:\n{output}")
    return LoadResult(requests / (duration_us / 1e6), p50_us / 1000, p99_us / 1000, int(requests))


def compare(
    report: Report, payload: str, servers: list[Server], features: np.ndarray[Any, Any], tmp: Path
) -> None:
    bodies = {s.name: csv_body(features, s.header_row) for s in servers}
    expected = predictions(servers[0], bodies[servers[0].name])
    for server in servers[1:]:
        got = predictions(server, bodies[server.name])
        if got.shape != expected.shape or not np.allclose(got, expected, rtol=0, atol=1e-6):
            raise AssertionError(f"{server.name} predicts differently from {servers[0].name}")
    scripts = {s.name: wrk_script(tmp, s, bodies[s.name]) for s in servers}
    for server in servers:  # warm-up: connections, caches, first-call costs
        run_wrk(scripts[server.name], server.url, 2)
    results: dict[str, list[LoadResult]] = {s.name: [] for s in servers}
    for _ in range(ROUNDS):
        for server in servers:
            results[server.name].append(run_wrk_measured(scripts[server.name], server, SECONDS))
    print(f"endpoints: {payload}: {ROUNDS} rounds of {SECONDS} s, {load_note()}", flush=True)
    for server in servers:
        runs = results[server.name]
        label = f"{payload}, {server.name}"
        report.figure(f"{label} throughput", median([r.requests_per_s for r in runs]), "req/s")
        report.figure(f"{label} p50", median([r.p50_ms for r in runs]), "ms")
        report.figure(f"{label} p99", median([r.p99_ms for r in runs]), "ms")
        report_cpu(report, label, runs)
    gateway = results[servers[0].name]
    for server, target in zip(servers[1:], TARGETS[payload], strict=False):
        ratios = [
            g.requests_per_s / b.requests_per_s
            for g, b in zip(gateway, results[server.name], strict=True)
        ]
        report.ratio(f"{payload}: gateway vs {server.name}", median(ratios), target)


def report_cpu(report: Report, label: str, runs: list[LoadResult]) -> None:
    """CPU milliseconds per request, all rounds together, over the server's whole process tree;
    for the platform also split into the gateway process and the model server."""
    requests = sum(r.requests for r in runs)
    if not requests:
        return
    totals: dict[str, float] = {}
    for run in runs:
        for role, seconds in (run.cpu_s or {}).items():
            totals[role] = totals.get(role, 0.0) + seconds
    report.figure(f"{label} CPU/request", sum(totals.values()) * 1000 / requests, "ms", 2)
    if MODEL_SERVER_ROLE in totals:
        for role, name in (("server", "gateway"), (MODEL_SERVER_ROLE, MODEL_SERVER_ROLE)):
            per_request = totals.get(role, 0.0) * 1000 / requests
            report.figure(f"{label} CPU in {name}", per_request, "ms", 2)


def main() -> bool:
    report = Report("endpoints")
    if shutil.which("wrk") is None:
        print("endpoints: wrk is not installed (apt-get install wrk)")
        return False
    booster = train_booster()
    _, features = bank_matrix()
    with tempfile.TemporaryDirectory(prefix="tsukuru-bench-") as folder:
        tmp = Path(folder)
        model_file = tmp / "xgboost-model"
        model_file.write_bytes(bytes(booster.save_raw("ubj")))
        with (
            platform_endpoint(model_file, tmp, report) as gateway,
            baseline_app(model_file, tmp) as baseline,
            mlflow_server(model_file, tmp) as mlflow,
        ):
            servers = [gateway, baseline] + ([mlflow] if mlflow is not None else [])
            compare(report, "1-row CSV", servers, features[:1], tmp)
            compare(report, "1,000-row CSV", servers, features[:1000], tmp)
    return report.ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
