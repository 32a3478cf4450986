"""`tsukuru ls | describe | logs | invoke` against a real platform process.

Resources are made with boto3 (a real XGBoost training job on a small synthetic CSV, a model,
an endpoint config and an endpoint), then the CLI is run either as a subprocess
(`python -m tsukuru ...`, exactly what a user runs) or through typer's CliRunner where that is
enough and faster. The platform is shared by the whole test session, so every name here carries
a per-module prefix and listings filter on it.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import make_client
from tests.harness import RunningPlatform, free_port
from tsukuru.cli import app
from tsukuru.cli_client import PlatformClients
from tsukuru.cli_logs import TRAINING_LOG_GROUP, JobLogReader
from tsukuru.config import load_settings

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/CliTests"
ROUNDS = 8
PREFIX = f"cli-{uuid.uuid4().hex[:8]}"


def synthetic_rows(count: int, seed: int) -> list[list[float]]:
    """Label first, then four features; the label depends on the first two features."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        features = [round(rng.random(), 4) for _ in range(4)]
        label = 1.0 if features[0] + 0.5 * features[1] + rng.gauss(0, 0.1) > 0.8 else 0.0
        rows.append([label, *features])
    return rows


def as_csv(rows: list[list[float]]) -> bytes:
    return "".join(",".join(str(v) for v in row) + "\n" for row in rows).encode()


@dataclass
class World:
    platform: RunningPlatform
    sm: Any
    bucket: str
    job: str
    model: str
    config: str
    endpoint: str

    def args(self) -> list[str]:
        return ["--home", str(self.platform.home), "--port", str(self.platform.port)]


def start_job(sm: Any, bucket: str, name: str, objective: str = "binary:logistic") -> None:
    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
        HyperParameters={
            "objective": objective,
            "num_round": str(ROUNDS),
            "max_depth": "3",
            "eval_metric": "auc",
        },
        InputDataConfig=[
            {
                "ChannelName": channel,
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{bucket}/{channel}/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
            for channel in ("train", "validation")
        ],
    )


def wait_for(check: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def job_status(sm: Any, name: str) -> str:
    return str(sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"])


@pytest.fixture(scope="module")
def world(platform: RunningPlatform) -> Iterator[World]:
    s3 = make_client(platform, "s3")
    sm = make_client(platform, "sagemaker")
    bucket = f"{PREFIX}-data"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="train/train.csv", Body=as_csv(synthetic_rows(200, 1)))
    s3.put_object(Bucket=bucket, Key="validation/v.csv", Body=as_csv(synthetic_rows(80, 2)))
    job = f"{PREFIX}-job"
    start_job(sm, bucket, job)
    wait_for(lambda: job_status(sm, job) != "InProgress")
    described = sm.describe_training_job(TrainingJobName=job)
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    model, config, endpoint = job, f"{PREFIX}-config", f"{PREFIX}-endpoint"
    sm.create_model(
        ModelName=model,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": IMAGE,
            "ModelDataUrl": described["ModelArtifacts"]["S3ModelArtifacts"],
        },
    )
    sm.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1,
            }
        ],
    )
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    status = wait_for(
        lambda: (
            (s := sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"]) != "Creating" and s
        )
    )
    assert status == "InService"
    yield World(platform, sm, bucket, job, model, config, endpoint)
    sm.delete_endpoint(EndpointName=endpoint)
    sm.delete_endpoint_config(EndpointConfigName=config)
    sm.delete_model(ModelName=model)


runner = CliRunner()


def cli(world: World, *args: str, input: bytes | None = None) -> Any:
    return runner.invoke(app, [*args, *world.args()], input=input, env={"COLUMNS": "200"})


def run_tsukuru(
    args: list[str], *, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "tsukuru", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=timeout,
        check=False,
    )


# ls


def test_ls_jobs_shows_the_job_with_status_and_filters(world: World) -> None:
    result = run_tsukuru(["ls", "jobs", "--name-contains", PREFIX, *world.args()])
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert world.job in out
    assert "Completed" in out
    assert "Duration" in out

    completed = cli(world, "ls", "jobs", "--name-contains", PREFIX, "--status", "completed")
    assert completed.exit_code == 0
    assert world.job in completed.stdout
    failed = cli(world, "ls", "jobs", "--name-contains", PREFIX, "--status", "Stopped")
    assert failed.exit_code == 0
    assert world.job not in failed.stdout
    assert "No training jobs." in failed.stdout


def test_ls_rejects_an_unknown_status_with_the_choices(world: World) -> None:
    result = cli(world, "ls", "jobs", "--status", "Done")
    assert result.exit_code == 2
    assert "InProgress, Completed, Failed" in result.stderr
    models = cli(world, "ls", "models", "--status", "InService")
    assert models.exit_code == 2
    assert "--status does not apply to models" in models.stderr


def test_ls_endpoints_shows_status_and_instances(world: World) -> None:
    result = cli(world, "ls", "endpoints", "--name-contains", PREFIX)
    assert result.exit_code == 0, result.output
    assert world.endpoint in result.stdout
    assert "InService" in result.stdout
    assert "AllTraffic (1/1)" in result.stdout


def test_ls_models_and_configs_newest_first_with_limit(world: World) -> None:
    for suffix in ("older", "newer"):
        world.sm.create_model(
            ModelName=f"{PREFIX}-extra-{suffix}",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"Image": IMAGE},
        )
        time.sleep(0.01)
    try:
        both = cli(world, "ls", "models", "--name-contains", f"{PREFIX}-extra")
        assert both.stdout.index("-extra-newer") < both.stdout.index("-extra-older")
        newest = cli(world, "ls", "models", "--name-contains", f"{PREFIX}-extra", "--limit", "1")
        assert newest.exit_code == 0
        assert "-extra-newer" in newest.stdout
        assert "-extra-older" not in newest.stdout
        assert "use --limit to see more" in newest.stderr
    finally:
        for suffix in ("older", "newer"):
            world.sm.delete_model(ModelName=f"{PREFIX}-extra-{suffix}")
    configs = cli(world, "ls", "endpoint-configs", "--name-contains", PREFIX)
    assert configs.exit_code == 0
    assert world.config in configs.stdout


def test_ls_buckets(world: World) -> None:
    result = cli(world, "ls", "buckets", "--name-contains", PREFIX)
    assert result.exit_code == 0
    assert world.bucket in result.stdout
    missing = cli(world, "ls", "buckets", "--name-contains", f"{PREFIX}-nothing")
    assert "No buckets." in missing.stdout


def test_ls_transforms_answers_without_a_traceback(world: World) -> None:
    result = cli(world, "ls", "transforms", "--name-contains", PREFIX)
    if result.exit_code == 0:
        assert "No transform jobs." in result.stdout
    else:  # the platform does not serve transform jobs yet: the AWS error, one line
        assert result.exit_code == 1
        assert result.stderr.startswith("error: NotImplementedException: ListTransformJobs")
        assert result.exception is None or isinstance(result.exception, SystemExit)


# describe


def test_describe_job_summarises_the_run(world: World) -> None:
    result = cli(world, "describe", world.job)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        f"Training job {world.job}",
        "Status timeline",
        "Downloading",
        "Training",
        "Uploading",
        "num_round",
        f"s3://{world.bucket}/train/",
        "validation:auc",
        "model.tar.gz",
    ):
        assert expected in out, expected
    # the model carries the job's name, as the SDK does: the CLI says so
    assert "also a model" in result.stderr


def test_describe_json_is_the_raw_response(world: World) -> None:
    result = cli(world, "describe", world.job, "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["TrainingJobName"] == world.job
    assert document["TrainingJobStatus"] == "Completed"
    assert "ResponseMetadata" not in document
    assert {m["MetricName"] for m in document["FinalMetricDataList"]} >= {"validation:auc"}


def test_describe_endpoint_model_and_config(world: World) -> None:
    endpoint = cli(world, "describe", world.endpoint)
    assert endpoint.exit_code == 0, endpoint.output
    assert "InService" in endpoint.stdout
    assert "AllTraffic" in endpoint.stdout
    assert world.model in endpoint.stdout  # from the endpoint config's variant
    model = cli(world, "describe", world.model, "--kind", "model")
    assert f"Model {world.model}" in model.stdout
    assert "model.tar.gz" in model.stdout
    config = cli(world, "describe", world.config)
    assert f"Endpoint config {world.config}" in config.stdout


def test_describe_unknown_name_prints_the_aws_error(world: World) -> None:
    result = run_tsukuru(["describe", f"{PREFIX}-no-such-job", *world.args()])
    assert result.returncode == 1
    stderr = result.stderr.decode()
    # `error: <AWS code>: <AWS message>`, one line (SageMaker says ValidationException here)
    assert re.fullmatch(rf"error: \w+: .*not found.*{PREFIX}-no-such-job.*\n", stderr)


# logs


def test_logs_print_metric_lines_with_tabs(world: World) -> None:
    result = run_tsukuru(["logs", world.job, *world.args()])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    rounds = [line for line in lines if line.startswith("[")]
    assert len(rounds) == ROUNDS
    assert rounds[0].startswith("[0]\ttrain-auc:")
    assert "\tvalidation-auc:" in rounds[-1]
    assert "#011" not in result.stdout.decode()


def test_logs_of_unknown_job_is_an_aws_error(world: World) -> None:
    result = cli(world, "logs", f"{PREFIX}-missing")
    assert result.exit_code == 1
    assert re.fullmatch(rf"error: \w+: .*not found.*{PREFIX}-missing.*\n", result.stderr)


def test_logs_follow_streams_until_the_job_completes(world: World) -> None:
    job = f"{PREFIX}-follow"
    start_job(world.sm, world.bucket, job)
    assert job_status(world.sm, job) == "InProgress"
    result = run_tsukuru(["logs", job, "--follow", *world.args()])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    rounds = [line for line in lines if line.startswith("[")]
    assert [line.split("\t")[0] for line in rounds] == [f"[{i}]" for i in range(ROUNDS)]
    assert lines[-1].startswith(f"Training job {job} Completed after ")


def test_logs_follow_of_a_failing_job_exits_non_zero(world: World) -> None:
    job = f"{PREFIX}-fails"
    start_job(world.sm, world.bucket, job, objective="reg:nonsense")
    result = run_tsukuru(["logs", job, "-f", *world.args()])
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert f"Training job {job} Failed after " in stderr
    assert "reg:nonsense" in stderr
    described = cli(world, "describe", job)
    assert "Failure reason" in described.stdout


def test_log_reader_pages_every_stream_and_stops_at_the_same_token(world: World) -> None:
    logs = make_client(world.platform, "logs")
    job = f"{PREFIX}-paged"
    streams = [f"{job}/algo-1-1", f"{job}/algo-2-1"]
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=TRAINING_LOG_GROUP)
    now = int(time.time() * 1000)
    for offset, stream in enumerate(streams):
        logs.create_log_stream(logGroupName=TRAINING_LOG_GROUP, logStreamName=stream)
        logs.put_log_events(
            logGroupName=TRAINING_LOG_GROUP,
            logStreamName=stream,
            logEvents=[
                {"timestamp": now + 2 * i + offset, "message": f"{stream} line {i}"}
                for i in range(7)
            ],
        )
    settings = load_settings(home=world.platform.home, port=world.platform.port)
    reader = JobLogReader(PlatformClients(settings).logs, job, page_size=3)
    first = reader.read_new()
    assert reader.stream_count == 2
    assert len(first) == 14
    assert [line.timestamp for line in first] == sorted(line.timestamp for line in first)
    assert reader.read_new() == []  # caught up: nothing is read twice
    logs.put_log_events(
        logGroupName=TRAINING_LOG_GROUP,
        logStreamName=streams[1],
        logEvents=[{"timestamp": now + 100, "message": "late line"}],
    )
    assert [line.message for line in reader.read_new()] == ["late line"]


# invoke


def test_invoke_with_a_file_and_with_stdin(world: World, tmp_path: Path) -> None:
    rows = synthetic_rows(3, 9)
    features = "".join(",".join(str(v) for v in row[1:]) + "\n" for row in rows)
    path = tmp_path / "rows.csv"
    path.write_text(features)
    from_file = run_tsukuru(["invoke", world.endpoint, "--file", str(path), *world.args()])
    assert from_file.returncode == 0, from_file.stderr
    scores = from_file.stdout.decode().split()
    assert len(scores) == 3
    assert all(0.0 <= float(score) <= 1.0 for score in scores)
    assert "variant AllTraffic" in from_file.stderr.decode()

    from_stdin = run_tsukuru(
        ["invoke", world.endpoint, "--file", "-", *world.args()], stdin=features.encode()
    )
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == from_file.stdout


def test_invoke_with_body_accept_and_variant(world: World) -> None:
    body = ",".join(str(v) for v in synthetic_rows(1, 3)[0][1:])
    result = cli(
        world,
        "invoke",
        world.endpoint,
        "--body",
        body,
        "--accept",
        "application/json",
        "--variant",
        "AllTraffic",
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["predictions"]) == 1
    wrong = cli(world, "invoke", world.endpoint, "--body", body, "--variant", "Nope")
    assert wrong.exit_code == 1
    assert wrong.stderr.startswith("error: ")
    neither = cli(world, "invoke", world.endpoint)
    assert neither.exit_code == 2
    assert "--body" in neither.stderr


# platform not running


def test_not_running_prints_a_hint_and_exits_1(tmp_path: Path) -> None:
    port = free_port()
    result = run_tsukuru(["ls", "jobs", "--home", str(tmp_path), "--port", str(port)])
    assert result.returncode == 1
    assert result.stderr.decode().strip() == (
        f"tsukuru is not running at http://127.0.0.1:{port}; start it with tsukuru up --detach"
    )
    assert result.stdout == b""
