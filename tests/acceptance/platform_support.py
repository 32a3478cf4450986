"""Helpers for the boto3 acceptance tests: submit training jobs, deploy endpoints, read models.

Everything here goes through the public API (boto3 against the session platform) except
`model_server_pids`, which looks for an endpoint's model-server processes the way a user with a
shell would (`ps`), so a test can kill one.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import tarfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from tests.acceptance.sdk_support import ROLE, XGBOOST_17

TERMINAL = ("Completed", "Failed", "Stopped")
INSTANCE = "ml.m5.large"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def training_request(
    name: str,
    hyperparameters: dict[str, str],
    channels: dict[str, str],
    output: str,
    image: str = XGBOOST_17,
    **extra: Any,
) -> dict[str, Any]:
    """A CreateTrainingJob request as the SDKs send it (CSV channels, File mode)."""
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": output},
        "ResourceConfig": {"InstanceType": "ml.m4.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "HyperParameters": hyperparameters,
        "InputDataConfig": [
            {
                "ChannelName": channel,
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": uri,
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
            for channel, uri in channels.items()
        ],
        **extra,
    }


def wait_for_jobs(sm: Any, names: Iterable[str], timeout: float = 90) -> dict[str, Any]:
    """Poll until every job is terminal; their last descriptions by name."""
    pending = set(names)
    done: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while pending:
        assert time.monotonic() < deadline, f"jobs still running after {timeout} s: {pending}"
        for name in sorted(pending):
            description = sm.describe_training_job(TrainingJobName=name)
            if description["TrainingJobStatus"] in TERMINAL:
                done[name] = description
                pending.discard(name)
        if pending:
            time.sleep(0.2)
    return done


def create_model(sm: Any, name: str, artifacts: str, image: str = XGBOOST_17) -> None:
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": image, "ModelDataUrl": artifacts},
    )


def create_endpoint(
    sm: Any, name: str, variants: list[tuple[str, str, int, float]], wait: bool = True
) -> dict[str, Any]:
    """Config `name` with (variant, model, instance count, weight) rows, and endpoint `name`."""
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": model,
                "InitialInstanceCount": count,
                "InstanceType": INSTANCE,
                "InitialVariantWeight": weight,
            }
            for variant, model, count, weight in variants
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return wait_for_endpoint(sm, name) if wait else {}


def wait_for_endpoint(sm: Any, name: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        description: dict[str, Any] = sm.describe_endpoint(EndpointName=name)
        if description["EndpointStatus"] not in ("Creating", "Updating"):
            return description
        assert time.monotonic() < deadline, f"endpoint {name} still {description['EndpointStatus']}"
        time.sleep(0.1)


def delete_endpoint(sm: Any, name: str) -> None:
    for call, key in (
        (sm.delete_endpoint, "EndpointName"),
        (sm.delete_endpoint_config, "EndpointConfigName"),
    ):
        with contextlib.suppress(sm.exceptions.ClientError):
            call(**{key: name})


def read_model(s3: Any, artifacts: str) -> Any:
    """The Booster inside a job's model.tar.gz, loaded with plain xgboost as the runtime wrote
    it: a pickle for the legacy image, XGBoost's own format for 1.3-1 and later."""
    bucket, key = artifacts.removeprefix("s3://").split("/", 1)
    raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as archive:
        member = archive.extractfile("xgboost-model")
        assert member is not None, f"{artifacts} holds no xgboost-model file"
        model = member.read()
    if model[:1] == b"\x80":
        booster = pickle.loads(model)
    else:
        booster = xgb.Booster()
        booster.load_model(bytearray(model))
    return booster


def predict_locally(booster: Any, features: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.asarray(booster.predict(xgb.DMatrix(features)), dtype=np.float64)


def parse_predictions(body: bytes) -> np.ndarray[Any, Any]:
    """CSV predictions, one per line (1.2-2 and later) or comma-joined (legacy image)."""
    text = body.decode()
    return np.asarray([float(v) for v in text.replace(",", "\n").split()], dtype=np.float64)


def model_server_pids(home: Path, endpoint: str) -> list[int]:
    """Pids of the model-server processes serving `endpoint` (found in /proc, like `ps`)."""
    marker = f"/endpoints/123456789012/us-east-1/{endpoint}/"
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        text = " ".join(part.decode(errors="replace") for part in argv)
        if "tsukuru.runtime.serve" in text and marker in text and str(home.resolve()) in text:
            pids.append(int(proc.name))
    return sorted(pids)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")
