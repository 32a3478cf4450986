"""A training job over its memory share ends Failed with a reason that says so, through the whole
training path (object store → job tree → a job process forked from the warm helper → status),
and the next job on the same runner trains normally. The executor-level cases (disk share, one
file over it, a job within its shares) are in tests/executors/test_limits.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.script_mode_support import sdk_hyperparameters, source_archive
from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.domain.clock import SystemClock
from tsukuru.domain.job_run import job_slots
from tsukuru.domain.logs import LogService
from tsukuru.domain.object_access import ObjectAccess
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.scope import Scope
from tsukuru.domain.training import TrainingService
from tsukuru.domain.training_run import TrainingRunner
from tsukuru.executors.limits import MIB
from tsukuru.executors.local import LocalExecutor
from tsukuru.executors.warm import WarmStarter
from tsukuru.store.memory import MemoryMetadata

SCOPE = Scope("123456789012", "us-east-1")
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
SHARE = 400 * MIB
GREEDY = """
import time
hoard = []
for _ in range(40):
    hoard.append(bytearray(b"x" * (64 * 1024 * 1024)))
    time.sleep(0.05)
"""
MODEST = """
import os
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w") as out:
    out.write("small")
"""

pytestmark = pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")


@pytest.fixture
def training(tmp_path: Path) -> Iterator[TrainingService]:
    clock = SystemClock()
    metadata = MemoryMetadata()
    objects = ObjectService(metadata.objects, FilesystemBlobStore(tmp_path / "blobs"), clock)
    objects.create_bucket("data", account_id=SCOPE.account_id)
    for name, script in (("greedy", GREEDY), ("modest", MODEST)):
        objects.put_object("data", f"{name}/sourcedir.tar.gz", source_archive({"train.py": script}))
    objects.put_object("data", "train/rows.csv", b"1,2\n3,4\n")
    access = ObjectAccess(objects)
    starter = WarmStarter(log_path=tmp_path / "forkserver.log")
    starter.start()
    runner = TrainingRunner(
        metadata.resources,
        access,
        LogService(metadata.logs, clock),
        LocalExecutor(grace_seconds=1, starter=starter, memory_limit=SHARE),
        clock,
        tmp_path / "jobs",
        job_slots(1),
    )
    yield TrainingService(
        metadata.resources,
        metadata.tags,
        clock,
        access.bucket_exists,
        runner.submit,
        runner.request_stop,
    )
    runner.shutdown()
    starter.close()


def request(name: str, source: str) -> dict[str, Any]:
    hyperparameters = sdk_hyperparameters("train.py", {})
    hyperparameters["sagemaker_submit_directory"] = f'"s3://data/{source}/sourcedir.tar.gz"'
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": "arn:aws:iam::123456789012:role/test",
        "OutputDataConfig": {"S3OutputPath": "s3://data/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        "HyperParameters": hyperparameters,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/train"}
                },
            }
        ],
    }


def finished(service: TrainingService, name: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc: dict[str, Any] = service.describe(SCOPE, name).doc
        if doc["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return doc
        time.sleep(0.1)
    raise AssertionError(f"{name} did not finish")


def test_a_job_over_its_memory_share_fails_saying_so(training: TrainingService) -> None:
    training.create(SCOPE, request("greedy", "greedy"))
    doc = finished(training, "greedy")
    assert doc["TrainingJobStatus"] == "Failed"
    assert doc["FailureReason"].startswith(
        "AlgorithmError: the job exceeded its memory share (400 MiB) and was stopped"
    )
    training.create(SCOPE, request("modest", "modest"))
    doc = finished(training, "modest")
    assert doc["TrainingJobStatus"] == "Completed", doc.get("FailureReason")
