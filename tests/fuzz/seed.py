"""Resources the fuzzer aims at: a bucket with objects, a trained model behind an endpoint, logs.

Random names almost never exist, so without these nearly every request would stop at "not
found". Each seeded name becomes a hint for members of that name (`Hints`), which sends part of
the fuzz into real work: reading an object, describing a finished job, invoking a live model.

`seed(call)` works with any caller of the form `call(service, operation, **params) -> output`,
so the in-process and the HTTP fuzz layers seed the same world.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

Call = Callable[..., dict[str, Any]]

ROLE = "arn:aws:iam::123456789012:role/service-role/SageMakerRole"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
BUCKET = "fuzz-seed"
KEYS = ("a.txt", "dir/b.bin", "odd key ü %/../x", "train/train.csv")
JOB = "fuzz-job"
MODEL = "fuzz-model"
CONFIG = "fuzz-config"
ENDPOINT = "fuzz-endpoint"
LOG_GROUP = "fuzz-group"
LOG_STREAM = "fuzz-stream"
LIFECYCLE = "fuzz-lifecycle"


def training_csv(rows: int = 40) -> bytes:
    """Label first, two features; the label follows the first feature so the model learns."""
    lines = [f"{int(i % 4 < 2)},{i % 4},{(i * 7) % 5}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def seed(call: Call, timeout: float = 120) -> dict[str, list[str]]:
    """Create the seeded resources (waiting for the job and the endpoint); the hints."""
    call("s3", "CreateBucket", Bucket=BUCKET)
    bodies = {KEYS[0]: b"hello", KEYS[1]: bytes(range(256)), KEYS[2]: b"odd", KEYS[3]: b""}
    bodies[KEYS[3]] = training_csv()
    for key, body in bodies.items():
        call("s3", "PutObject", Bucket=BUCKET, Key=key, Body=body)
    upload = call("s3", "CreateMultipartUpload", Bucket=BUCKET, Key="pending/upload")
    call("logs", "CreateLogGroup", logGroupName=LOG_GROUP)
    call("logs", "CreateLogStream", logGroupName=LOG_GROUP, logStreamName=LOG_STREAM)
    call(
        "logs",
        "PutLogEvents",
        logGroupName=LOG_GROUP,
        logStreamName=LOG_STREAM,
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "seeded"}],
    )
    call(
        "sagemaker",
        "CreateNotebookInstanceLifecycleConfig",
        NotebookInstanceLifecycleConfigName=LIFECYCLE,
        OnStart=[{"Content": base64.b64encode(b"#!/bin/sh\necho hi\n").decode()}],
    )
    artifacts = _train(call, timeout)
    model_arn = call(
        "sagemaker",
        "CreateModel",
        ModelName=MODEL,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": artifacts},
        Tags=[{"Key": "seeded", "Value": "yes"}],
    )["ModelArn"]
    call(
        "sagemaker",
        "CreateEndpointConfig",
        EndpointConfigName=CONFIG,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": MODEL,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    call("sagemaker", "CreateEndpoint", EndpointName=ENDPOINT, EndpointConfigName=CONFIG)
    _wait(call, "DescribeEndpoint", "EndpointName", ENDPOINT, "EndpointStatus", timeout)
    return {
        "Bucket": [BUCKET],
        "Key": list(KEYS),
        "UploadId": [upload["UploadId"]],
        "TrainingJobName": [JOB],
        "ModelName": [MODEL],
        "EndpointConfigName": [CONFIG],
        "EndpointName": [ENDPOINT],
        "ResourceArn": [model_arn],
        "logGroupName": [LOG_GROUP],
        "logStreamName": [LOG_STREAM],
        "logGroupNamePrefix": ["fuzz"],
        "NotebookInstanceLifecycleConfigName": [LIFECYCLE],
        "RoleName": ["SageMakerRole"],
    }


def _train(call: Call, timeout: float) -> str:
    call(
        "sagemaker",
        "CreateTrainingJob",
        TrainingJobName=JOB,
        AlgorithmSpecification={"TrainingImage": XGBOOST, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        HyperParameters={"objective": "binary:logistic", "num_round": "2", "max_depth": "2"},
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
        StoppingCondition={"MaxRuntimeInSeconds": 300},
    )
    done = _wait(call, "DescribeTrainingJob", "TrainingJobName", JOB, "TrainingJobStatus", timeout)
    if done["TrainingJobStatus"] != "Completed":
        raise RuntimeError(f"the seed training job failed: {done.get('FailureReason')}")
    artifacts: str = done["ModelArtifacts"]["S3ModelArtifacts"]
    return artifacts


def _wait(call: Call, operation: str, member: str, name: str, status: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        described = call("sagemaker", operation, **{member: name})
        if described[status] not in ("InProgress", "Creating", "Updating", "Stopping"):
            if described[status] == "Failed":
                raise RuntimeError(f"{name} failed: {described.get('FailureReason')}")
            return described
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} still {described[status]} after {timeout} s")
        time.sleep(0.1)
