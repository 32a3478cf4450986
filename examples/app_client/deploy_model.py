"""Train the bank-marketing model and leave it serving, for the application examples to call.

`make demo` cleans up after itself; an application needs an endpoint that stays. This script
does the tutorial's steps with boto3 (upload the UCI data encoded by `examples/bank_data.py`,
train the built-in XGBoost, create the model, the endpoint configuration and the endpoint) and
waits until the endpoint is InService. It reads the platform's address and keys from the
environment, so run it after `eval "$(tsukuru env)"`:

    python examples/app_client/deploy_model.py                  # endpoint "bank-marketing"
    python examples/app_client/deploy_model.py --delete         # remove it again

An endpoint of that name that is already InService is left as it is.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

if __package__ in (None, ""):  # run as a file: make the repository's `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples.bank_data import DEFAULT_SOURCE, labelled_features, read_bank_additional

ENDPOINT = "bank-marketing"
BUCKET = "tsukuru-app-client"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
INSTANCE = "ml.m5.large"
HYPERPARAMETERS = {
    "max_depth": "3",
    "eta": "0.1",
    "min_child_weight": "6",
    "subsample": "0.8",
    "objective": "binary:logistic",
    "num_round": "60",
}


def role_arn(sts: Any) -> str:
    """The platform's SageMaker execution role, in the caller's account."""
    account = sts.get_caller_identity()["Account"]
    return f"arn:aws:iam::{account}:role/service-role/SageMakerRole"


def training_csv(source: Path) -> bytes:
    """Label first, no header: the built-in XGBoost's CSV format."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for record in read_bank_additional(source):
        writer.writerow(f"{value:g}" for value in labelled_features(record))
    return out.getvalue().encode()


def wait(describe: Any, status_key: str, busy: tuple[str, ...], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = describe()
        if described[status_key] not in busy:
            return described
        if time.monotonic() > deadline:
            raise SystemExit(f"still {described[status_key]} after {timeout:.0f} s")
        time.sleep(0.5)


def in_service(sm: Any, name: str) -> bool:
    try:
        return bool(sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService")
    except ClientError:
        return False


def deploy(name: str, source: Path, timeout: float) -> None:
    s3, sm = boto3.client("s3"), boto3.client("sagemaker")
    if in_service(sm, name):
        print(f"endpoint {name} is already InService")
        return
    role = role_arn(boto3.client("sts"))
    try:
        s3.create_bucket(Bucket=BUCKET)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    s3.put_object(Bucket=BUCKET, Key=f"{name}/train/train.csv", Body=training_csv(source))
    job = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    sm.create_training_job(
        TrainingJobName=job,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=role,
        InputDataConfig=[
            {
                "ChannelName": "train",
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{BUCKET}/{name}/train/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/{name}/output"},
        ResourceConfig={"InstanceType": INSTANCE, "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 1800},
        HyperParameters=HYPERPARAMETERS,
    )
    print(f"training {job} ...", flush=True)
    done = wait(
        lambda: sm.describe_training_job(TrainingJobName=job),
        "TrainingJobStatus",
        ("InProgress", "Stopping"),
        timeout,
    )
    if done["TrainingJobStatus"] != "Completed":
        raise SystemExit(f"training failed: {done.get('FailureReason')}")
    artifacts = done["ModelArtifacts"]["S3ModelArtifacts"]
    _remove(sm, name)  # a failed or half-made endpoint of that name from an earlier try
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": artifacts},
    )
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": INSTANCE,
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    print(f"deploying endpoint {name} ...", flush=True)
    described = wait(
        lambda: sm.describe_endpoint(EndpointName=name), "EndpointStatus", ("Creating",), timeout
    )
    if described["EndpointStatus"] != "InService":
        raise SystemExit(f"the endpoint failed: {described.get('FailureReason')}")
    print(f"endpoint {name} is InService")


def _remove(sm: Any, name: str) -> None:
    for call, member in (
        (sm.delete_endpoint, "EndpointName"),
        (sm.delete_endpoint_config, "EndpointConfigName"),
        (sm.delete_model, "ModelName"),
    ):
        with contextlib.suppress(ClientError):  # not there
            call(**{member: name})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=ENDPOINT, help=f"name (default {ENDPOINT})")
    parser.add_argument("--data", type=Path, default=DEFAULT_SOURCE, help="bank-additional.csv")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait per step")
    parser.add_argument("--delete", action="store_true", help="delete the endpoint instead")
    args = parser.parse_args(argv)
    if args.delete:
        _remove(boto3.client("sagemaker"), args.endpoint)
        print(f"deleted endpoint {args.endpoint}, its configuration and its model")
        return 0
    deploy(args.endpoint, args.data, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
