"""`make demo`: the SageMaker tutorial's whole loop on this machine, in about a minute.

Walks the steps of AWS's "Build, train, and deploy a machine learning model" article with plain
boto3 against tsukuru: create a bucket, prepare and upload the UCI bank-marketing data, train
with the built-in XGBoost algorithm (a progress bar per boosting round, fed by the job's
CloudWatch log lines), deploy a real-time endpoint, predict the held-out 30%, evaluate (ROC AUC,
confusion matrix, an HTML report), show what would be billing on AWS, and clean up.

    python examples/demo.py [--data bank-additional-full.csv] [--home DIR] [--port N]

Data: `--data` if given, else a local copy (the project's shared data, or
`bank-additional*.csv` in the working directory), else a download from the UCI archive.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import re
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bank_data import labelled_features

from tsukuru.config import Settings, load_settings
from tsukuru.evaluation import AwsOptions, evaluate_endpoint, write_report

UCI_URL = "https://archive.ics.uci.edu/static/public/222/bank+marketing.zip"
REPO = Path(__file__).resolve().parents[1]
LOCAL_COPIES = (
    REPO.parent / "shared" / "data" / "bank-additional" / "bank-additional.csv",
    Path("bank-additional-full.csv"),
    Path("bank-additional.csv"),
)
BUCKET = "tsukuru-demo"
PREFIX = "sagemaker/DEMO-xgboost-dm"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
INSTANCE = "ml.m4.xlarge"
NUM_ROUND = 300
ROUND_LINE = re.compile(r"^\[(\d+)\]")

console = Console()
phases: list[tuple[str, float]] = []


@contextmanager
def phase(name: str) -> Iterator[None]:
    console.rule(f"[bold]{name}")
    started = time.perf_counter()
    yield
    phases.append((name, time.perf_counter() - started))


# ---------------------------------------------------------------------- platform


def healthy(settings: Settings) -> bool:
    try:
        return httpx.get(f"{settings.endpoint_url}/_tsukuru/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def ensure_platform(settings: Settings) -> bool:
    """Start tsukuru in the background unless it already runs; True if this demo started it."""
    if healthy(settings):
        console.print(f"Using the tsukuru already running at {settings.endpoint_url}")
        return False
    command = [
        sys.executable,
        "-m",
        "tsukuru",
        "up",
        "--detach",
        "--home",
        str(settings.home),
        "--port",
        str(settings.port),
    ]
    subprocess.run(command, check=True)
    return True


def clients(settings: Settings) -> dict[str, Any]:
    session = boto3.session.Session(
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
        region_name=settings.region,
    )
    config = Config(retries={"max_attempts": 3})
    made: dict[str, Any] = {
        name: session.client(name, endpoint_url=settings.endpoint_url, config=config)
        for name in ("s3", "sagemaker", "sagemaker-runtime", "logs")
    }
    made["bucket"] = session.resource("s3", endpoint_url=settings.endpoint_url).Bucket(BUCKET)
    return made


# ---------------------------------------------------------------------- data


def source_csv(given: str | None) -> tuple[str, str]:
    """The bank data as text, and where it came from."""
    if given:
        return Path(given).read_text(), given
    for path in LOCAL_COPIES:
        if path.is_file():
            return path.read_text(), str(path)
    console.print(f"No local copy found; downloading {UCI_URL}")
    with urllib.request.urlopen(UCI_URL, timeout=60) as response:
        outer = zipfile.ZipFile(io.BytesIO(response.read()))
    inner = zipfile.ZipFile(io.BytesIO(outer.read("bank-additional.zip")))
    return inner.read("bank-additional/bank-additional-full.csv").decode(), UCI_URL


def prepare(text: str, workdir: Path) -> dict[str, Path]:
    """One-hot encode as the tutorial does (plus the economic indicators), label first, and
    split 70/30 stratified by the label so both parts keep the data's share of buyers.

    The held-out 30% doubles as the training job's `validation` channel: XGBoost only reports
    its AUC each round (there is no early stopping), so the bar shows the number the
    evaluation step then confirms from the endpoint's answers.
    """
    records = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    rows = [labelled_features(record) for record in records]
    rng = random.Random(1729)
    buyers = [row for row in rows if row[0] == 1]
    others = [row for row in rows if row[0] == 0]
    rng.shuffle(buyers)
    rng.shuffle(others)
    cut_buyers, cut_others = int(0.7 * len(buyers)), int(0.7 * len(others))
    parts = {
        "train": buyers[:cut_buyers] + others[:cut_others],
        "test": buyers[cut_buyers:] + others[cut_others:],
    }
    rng.shuffle(parts["train"])
    paths = {}
    for name, part in parts.items():
        path = workdir / f"{name}.csv"
        with path.open("w", newline="") as handle:
            csv.writer(handle).writerows(part)
        paths[name] = path
    paths["validation"] = paths["test"]
    console.print(
        f"{len(rows)} customers, {len(rows[0]) - 1} features; train {len(parts['train'])}, "
        f"held out {len(parts['test'])} ({len(buyers)} buyers in all)"
    )
    return paths


# ---------------------------------------------------------------------- steps


def train(aws: dict[str, Any], job: str, role: str) -> dict[str, Any]:
    sm, logs = aws["sagemaker"], aws["logs"]
    sm.create_training_job(
        TrainingJobName=job,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=role,
        InputDataConfig=[
            {
                "ChannelName": channel,
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{BUCKET}/{PREFIX}/{channel}",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
            for channel in ("train", "validation")
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/{PREFIX}/output"},
        ResourceConfig={"InstanceType": INSTANCE, "InstanceCount": 1, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        HyperParameters={
            "max_depth": "2",
            "eta": "0.05",
            "gamma": "4",
            "min_child_weight": "6",
            "subsample": "0.8",
            "colsample_bytree": "0.8",
            "objective": "binary:logistic",
            "eval_metric": "auc",
            "num_round": str(NUM_ROUND),
        },
    )
    group, token, stream = "/aws/sagemaker/TrainingJobs", None, None
    last_line = ""
    with Progress(
        TextColumn("boosting rounds"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[metric]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("train", total=NUM_ROUND, metric="")
        while True:
            status = sm.describe_training_job(TrainingJobName=job)
            if stream is None:
                try:
                    found = logs.describe_log_streams(
                        logGroupName=group, logStreamNamePrefix=f"{job}/"
                    )
                except logs.exceptions.ResourceNotFoundException:
                    found = {}  # the job has not written its first line yet
                if found.get("logStreams"):
                    stream = found["logStreams"][0]["logStreamName"]
            while stream is not None:
                kwargs = {"nextToken": token} if token else {"startFromHead": True}
                page = logs.get_log_events(logGroupName=group, logStreamName=stream, **kwargs)
                for event in page["events"]:
                    match = ROUND_LINE.match(event["message"])
                    if match:
                        last_line = event["message"].split("#011", 1)[-1].replace("#011", "  ")
                        bar.update(task, completed=int(match.group(1)) + 1, metric=last_line)
                if page["nextForwardToken"] == token or not page["events"]:
                    token = page["nextForwardToken"]
                    break
                token = page["nextForwardToken"]
            if status["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
                break
            time.sleep(0.1)
    if status["TrainingJobStatus"] != "Completed":
        raise SystemExit(f"Training failed: {status.get('FailureReason')}")
    for metric in status.get("FinalMetricDataList", []):
        console.print(f"  {metric['MetricName']}: {metric['Value']:.4f}")
    return status


def deploy(aws: dict[str, Any], name: str, role: str, artifact: str) -> None:
    sm = aws["sagemaker"]
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": artifact},
    )
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": INSTANCE,
                "InitialVariantWeight": 1.0,
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    started = time.perf_counter()
    while True:
        status = sm.describe_endpoint(EndpointName=name)
        if status["EndpointStatus"] != "Creating":
            break
        time.sleep(0.1)
    if status["EndpointStatus"] != "InService":
        raise SystemExit(f"Endpoint failed: {status.get('FailureReason')}")
    console.print(f"Endpoint {name} InService after {time.perf_counter() - started:.1f} s")


def billable(settings: Settings) -> None:
    """What would be billing on AWS right now: the platform's own cost ledger (`tsukuru cost`)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tsukuru",
            "cost",
            "--home",
            str(settings.home),
            "--port",
            str(settings.port),
        ],
        check=False,
    )


def clean_up(aws: dict[str, Any], name: str) -> None:
    sm = aws["sagemaker"]
    sm.delete_endpoint(EndpointName=name)
    sm.delete_endpoint_config(EndpointConfigName=name)
    sm.delete_model(ModelName=name)
    bucket = aws["bucket"]
    bucket.objects.all().delete()
    bucket.delete()
    console.print("Deleted the endpoint, its config, the model and the bucket's objects.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="the UCI bank-additional CSV (semicolon-separated)")
    parser.add_argument("--home", help="tsukuru's data folder (default ~/.tsukuru)")
    parser.add_argument("--port", type=int, help="tsukuru's port (default 4590)")
    parser.add_argument("--report-dir", default="tsukuru-demo-report")
    args = parser.parse_args(argv)
    settings = load_settings(home=args.home, port=args.port)
    started_here = False
    workdir = Path(args.report_dir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"demo-xgboost-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        with phase("1. Start tsukuru"):
            started_here = ensure_platform(settings)
            aws = clients(settings)
        with phase("2. Create a bucket, prepare and upload the data"):
            aws["s3"].create_bucket(Bucket=BUCKET)
            text, origin = source_csv(args.data)
            console.print(f"Data: {origin}")
            paths = prepare(text, workdir)
            for channel in ("train", "validation"):
                aws["s3"].upload_file(
                    str(paths[channel]), BUCKET, f"{PREFIX}/{channel}/{channel}.csv"
                )
        with phase("3. Train with the built-in XGBoost algorithm"):
            job = train(aws, name, settings.role_arn)
        with phase("4. Deploy a real-time endpoint"):
            deploy(aws, name, settings.role_arn, job["ModelArtifacts"]["S3ModelArtifacts"])
        with phase("5. Predict the held-out 30% and evaluate"):
            options = AwsOptions(
                endpoint_url=settings.endpoint_url,
                region=settings.region,
                access_key_id=settings.access_key_id,
                secret_access_key=settings.secret_access_key,
            )
            result = evaluate_endpoint(paths["test"], name, options=options)
            report = write_report(result, workdir)
            metrics: Any = result.metrics
            console.print(
                f"Confusion matrix (rows: observed no/yes; columns: predicted "
                f"no/yes): {metrics.confusion_matrix}"
            )
        with phase("6. What is billable"):
            billable(settings)
        with phase("7. Clean up"):
            clean_up(aws, name)
    finally:
        if started_here:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tsukuru",
                    "down",
                    "--home",
                    str(settings.home),
                    "--port",
                    str(settings.port),
                ],
                check=False,
            )
    timing = Table(title="Wall time per phase")
    timing.add_column("phase")
    timing.add_column("seconds", justify="right")
    for label, seconds in phases:
        timing.add_row(label, f"{seconds:.1f}")
    timing.add_row("[bold]total", f"[bold]{sum(s for _, s in phases):.1f}")
    console.print(timing)
    console.print(
        f"[bold]AUC[/bold] {metrics.roc_auc:.4f}   "
        f"[bold]classification rate[/bold] {100 * metrics.accuracy:.1f}%   "
        f"[bold]report[/bold] {report}"
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    raise SystemExit(main())
