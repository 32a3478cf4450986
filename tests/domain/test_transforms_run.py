"""Transform jobs run end to end in-process: object store in, a real job process, outputs out."""

from __future__ import annotations

import contextlib
import io
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.transform_support import booster, csv_text, predictions, rows
from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.domain.clock import SystemClock
from tsukuru.domain.errors import NotFound
from tsukuru.domain.job_run import job_slots
from tsukuru.domain.logs import LogService
from tsukuru.domain.models import DefinitionService
from tsukuru.domain.object_access import ObjectAccess
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.ports import Record
from tsukuru.domain.scope import Scope
from tsukuru.domain.transforms import KIND, LOG_GROUP, TransformService
from tsukuru.domain.transforms_run import TransformRunner
from tsukuru.executors.local import LocalExecutor
from tsukuru.executors.warm import WarmStarter
from tsukuru.store.memory import MemoryMetadata

SCOPE = Scope("123456789012", "us-east-1")
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
TERMINAL = ("Completed", "Failed", "Stopped")


@dataclass
class Platform:
    metadata: MemoryMetadata
    objects: ObjectService
    definitions: DefinitionService
    runner: TransformRunner
    service: TransformService
    slots: threading.Semaphore

    def put(self, key: str, body: bytes) -> None:
        self.objects.put_object("data", key, iter([body]))

    def get(self, key: str) -> bytes:
        with self.objects.open_object("data", key) as handle:
            return handle.read()

    def create(self, name: str, prefix: str = "in", **extra: Any) -> None:
        request = {
            "TransformJobName": name,
            "ModelName": "model-1",
            "TransformInput": {
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://data/{prefix}"}
                },
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            "TransformOutput": {"S3OutputPath": f"s3://data/out-{name}", "AssembleWith": "Line"},
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            **extra,
        }
        self.service.create(SCOPE, request)

    def wait(self, name: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            doc = self.service.describe(SCOPE, name).doc
            if doc["TransformJobStatus"] in TERMINAL:
                return doc
            time.sleep(0.05)
        raise AssertionError(f"{name} did not finish")

    def log_lines(self, name: str) -> list[str]:
        streams = self.metadata.logs.list_streams(SCOPE, LOG_GROUP, prefix=f"{name}/")
        assert len(streams) == 1
        events = self.metadata.logs.get_events(SCOPE, LOG_GROUP, streams[0].name)
        return [event.message for event in events]


def model_archive() -> bytes:
    buffer = io.BytesIO()
    raw = bytes(booster().save_raw("ubj"))
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarmStarter]:
    """Job processes forked from the warm helper, as the platform starts them."""
    warm = WarmStarter(log_path=tmp_path_factory.mktemp("warm") / "forkserver.log")
    warm.start()
    warm.ready(timeout=60)
    yield warm
    warm.close()


@pytest.fixture
def platform(tmp_path: Path, starter: WarmStarter) -> Iterator[Platform]:
    clock = SystemClock()
    metadata = MemoryMetadata()
    objects = ObjectService(metadata.objects, FilesystemBlobStore(tmp_path / "blobs"), clock)
    objects.create_bucket("data", account_id=SCOPE.account_id)
    access = ObjectAccess(objects)
    definitions = DefinitionService(metadata.resources, metadata.tags, clock, access.bucket_exists)
    slots = job_slots(1)
    runner = TransformRunner(
        metadata.resources,
        access,
        definitions,
        LogService(metadata.logs, clock),
        LocalExecutor(grace_seconds=1, starter=starter),
        clock,
        tmp_path / "jobs",
        slots,
    )
    service = TransformService(
        metadata.resources,
        metadata.tags,
        clock,
        definitions,
        access.bucket_exists,
        runner.submit,
        runner.request_stop,
    )
    world = Platform(metadata, objects, definitions, runner, service, slots)
    world.put("model/model.tar.gz", model_archive())
    definitions.create_model(
        SCOPE,
        {
            "ModelName": "model-1",
            "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r",
            "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://data/model/model.tar.gz"},
        },
    )
    yield world
    runner.shutdown()


def test_a_job_writes_one_out_object_per_input_and_logs(platform: Platform) -> None:
    first, second = rows(200, seed=1), rows(30, seed=2)
    platform.put("in/part1.csv", csv_text(first).encode())
    platform.put("in/sub/part2.csv", csv_text(second).encode())
    platform.put("in/folder/", b"")  # a folder marker is not an input
    platform.create("job-ok")
    doc = platform.wait("job-ok")
    assert doc["TransformJobStatus"] == "Completed", doc.get("FailureReason")
    assert doc["TransformStartTime"] <= doc["TransformEndTime"]
    assert platform.get("out-job-ok/part1.csv.out").decode().splitlines() == predictions(first)
    assert platform.get("out-job-ok/sub/part2.csv.out").decode().splitlines() == predictions(second)
    lines = platform.log_lines("job-ok")
    assert lines[0].startswith("[sagemaker logs]: Model loaded in")
    assert any("s3://data/in/part1.csv: 200 records transformed" in line for line in lines)


def test_a_bad_record_fails_the_job_and_keeps_finished_outputs(platform: Platform) -> None:
    platform.put("in/a.csv", csv_text(rows(5)).encode())
    bad = csv_text(rows(5)).splitlines()
    bad[2] = "x,y,z,1,2,3"
    platform.put("in/b.csv", ("\n".join(bad) + "\n").encode())
    platform.create("job-bad")
    doc = platform.wait("job-bad")
    assert doc["TransformJobStatus"] == "Failed"
    assert doc["FailureReason"].startswith("ClientError: s3://data/in/b.csv, line 3: ")
    assert platform.get("out-job-bad/a.csv.out")
    assert platform.objects.find_object("data", "out-job-bad/b.csv.out") is None


def test_an_empty_prefix_fails_saying_no_objects_were_found(platform: Platform) -> None:
    platform.create("job-empty", prefix="nothing-here")
    doc = platform.wait("job-empty")
    assert doc["TransformJobStatus"] == "Failed"
    assert doc["FailureReason"].startswith(
        'ClientError: No S3 objects found under S3 URL "s3://data/nothing-here"'
    )


def test_a_model_deleted_before_the_job_starts_fails_it(platform: Platform) -> None:
    platform.put("in/a.csv", csv_text(rows(5)).encode())
    platform.slots.acquire()  # every slot busy: the job waits
    try:
        platform.create("job-orphan")
        platform.definitions.delete_model(SCOPE, "model-1")
    finally:
        platform.slots.release()
    doc = platform.wait("job-orphan")
    assert doc["TransformJobStatus"] == "Failed"
    assert doc["FailureReason"] == (
        'ClientError: Could not find model "arn:aws:sagemaker:us-east-1:123456789012:'
        'model/model-1".'
    )


def test_a_job_stopped_while_waiting_for_a_slot_never_runs(platform: Platform) -> None:
    platform.put("in/a.csv", csv_text(rows(5)).encode())
    platform.slots.acquire()
    try:
        platform.create("job-waiting")
        platform.service.stop(SCOPE, "job-waiting")
        doc = platform.wait("job-waiting")
    finally:
        platform.slots.release()
    assert doc["TransformJobStatus"] == "Stopped"
    assert "TransformStartTime" not in doc


def test_a_running_job_stops_on_request(platform: Platform) -> None:
    platform.put("in/a.csv", csv_text(rows(50_000)).encode())
    platform.create("job-long", BatchStrategy="SingleRecord")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the job process has written its first line
        with contextlib.suppress(NotFound):
            if platform.metadata.logs.list_streams(SCOPE, LOG_GROUP, prefix="job-long/"):
                break
        time.sleep(0.05)
    platform.service.stop(SCOPE, "job-long")
    doc = platform.wait("job-long", timeout=30)
    assert doc["TransformJobStatus"] == "Stopped"
    assert platform.objects.find_object("data", "out-job-long/a.csv.out") is None


def test_jobs_left_running_by_a_previous_process_end_failed(platform: Platform) -> None:
    now = SystemClock().now()
    for name, status in (("old-1", "InProgress"), ("old-2", "Stopping"), ("old-3", "Completed")):
        doc = {"Request": {"TransformJobName": name}, "TransformJobStatus": status}
        platform.metadata.resources.insert(Record(KIND, SCOPE, name, name, status, now, now, doc))
    assert platform.runner.recover() == 2
    for name, status in (("old-1", "Failed"), ("old-2", "Failed"), ("old-3", "Completed")):
        doc = platform.metadata.resources.get(KIND, SCOPE, name).doc
        assert doc["TransformJobStatus"] == status
    assert (
        "platform restarted"
        in platform.metadata.resources.get(KIND, SCOPE, "old-1").doc["FailureReason"]
    )


def test_a_manifest_and_a_single_object_uri_name_outputs_by_their_keys(
    platform: Platform,
) -> None:
    first, second = rows(4, seed=5), rows(6, seed=6)
    platform.put("m/x/a.csv", csv_text(first).encode())
    platform.put("m/y/b.csv", csv_text(second).encode())
    platform.put("lists/manifest.json", b'[{"prefix": "s3://data/m/"}, "x/a.csv", "y/b.csv"]')
    platform.create(
        "job-manifest",
        TransformInput={
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "ManifestFile",
                    "S3Uri": "s3://data/lists/manifest.json",
                }
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
    )
    platform.create("job-single", prefix="m/y/b.csv")
    for name in ("job-manifest", "job-single"):
        doc = platform.wait(name)
        assert doc["TransformJobStatus"] == "Completed", doc.get("FailureReason")
    assert platform.get("out-job-manifest/x/a.csv.out").decode().splitlines() == predictions(first)
    assert platform.get("out-job-manifest/y/b.csv.out").decode().splitlines() == predictions(second)
    assert platform.get("out-job-single/b.csv.out").decode().splitlines() == predictions(second)
