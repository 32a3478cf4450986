"""CreateTransformJob's rules, and describing, listing and stopping jobs, on the memory store."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest

from tsukuru.domain.clock import ManualClock
from tsukuru.domain.errors import AlreadyExists, Invalid, NotFound
from tsukuru.domain.models import DefinitionService
from tsukuru.domain.paging import Listing
from tsukuru.domain.scope import Scope
from tsukuru.domain.transforms import TransformService
from tsukuru.domain.transforms_validation import jsonpath_problem, resolved_settings
from tsukuru.store.memory import MemoryMetadata, MemoryResourceStore

SCOPE = Scope("123456789012", "us-east-1")
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
REQUEST: dict[str, Any] = {
    "TransformJobName": "job-1",
    "ModelName": "model-1",
    "TransformInput": {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/in"}},
        "ContentType": "text/csv",
        "SplitType": "Line",
    },
    "TransformOutput": {"S3OutputPath": "s3://data/out", "AssembleWith": "Line"},
    "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
}


@dataclass
class World:
    service: TransformService
    clock: ManualClock
    resources: MemoryResourceStore
    submitted: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)

    def create(self, **changes: Any) -> str:
        request = copy.deepcopy(REQUEST)
        for key, value in changes.items():
            if value is None:
                request.pop(key, None)
            else:
                request[key] = value
        return self.service.create(SCOPE, request)


@pytest.fixture
def world() -> World:
    metadata = MemoryMetadata()
    clock = ManualClock()
    buckets = {"data"}
    definitions = DefinitionService(metadata.resources, metadata.tags, clock, buckets.__contains__)
    definitions.create_model(
        SCOPE,
        {"ModelName": "model-1", "PrimaryContainer": {"Image": IMAGE}, "ExecutionRoleArn": "r"},
    )
    submitted: list[str] = []
    stopped: list[str] = []
    service = TransformService(
        metadata.resources,
        metadata.tags,
        clock,
        definitions,
        buckets.__contains__,
        lambda scope, name: submitted.append(name),
        lambda scope, name: stopped.append(name),
    )
    return World(service, clock, metadata.resources, submitted, stopped)


def test_a_valid_job_is_stored_in_progress_and_submitted(world: World) -> None:
    arn = world.create(Tags=[{"Key": "team", "Value": "ml"}])
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:transform-job/job-1"
    view = world.service.describe(SCOPE, "job-1")
    assert view.doc["TransformJobStatus"] == "InProgress"
    assert "Tags" not in view.doc["Request"]
    assert world.submitted == ["job-1"]


def test_names_are_unique(world: World) -> None:
    world.create()
    with pytest.raises(AlreadyExists, match="transform job with this name already exists"):
        world.create()


def test_a_missing_model_is_named_by_its_arn(world: World) -> None:
    with pytest.raises(Invalid) as caught:
        world.create(ModelName="nope")
    assert caught.value.message == (
        'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/nope".'
    )
    assert world.submitted == []


def _input(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = copy.deepcopy(REQUEST["TransformInput"])
    value.update(changes)
    return value


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"TransformJobName": "bad_name"}, "at 'transformJobName' failed to satisfy"),
        ({"TransformInput": _input(SplitType="RecordIO")}, "SplitType RecordIO is not supported"),
        ({"TransformInput": _input(SplitType="TFRecord")}, "SplitType TFRecord is not supported"),
        ({"TransformInput": _input(CompressionType="Zip")}, "compressionType"),
        (
            {"TransformInput": _input(DataSource={"S3DataSource": {"S3DataType": "S3Prefix"}})},
            "must be an S3 URI",
        ),
        (
            {
                "TransformInput": _input(
                    DataSource={
                        "S3DataSource": {"S3DataType": "AugmentedManifestFile", "S3Uri": "s3://x/y"}
                    }
                )
            },
            "AugmentedManifestFile is not supported",
        ),
        (
            {"TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 2}},
            "InstanceCount is 2, but this platform runs a transform job on one machine",
        ),
        (
            {"TransformResources": {"InstanceType": "m5.large", "InstanceCount": 1}},
            "instanceType",
        ),
        ({"MaxPayloadInMB": 101}, "Member must have value between 0 and 100"),
        (
            {"MaxPayloadInMB": 20, "MaxConcurrentTransforms": 6},
            "MaxConcurrentTransforms (6) x MaxPayloadInMB (20) must not exceed 100 MB",
        ),
        ({"BatchStrategy": "Everything"}, "batchStrategy"),
        ({"DataProcessing": {"InputFilter": "$..x"}}, "is not a supported JSONPath"),
        ({"DataProcessing": {"OutputFilter": "$[" + "1," * 40 + "1]"}}, "length less than"),
        ({"DataProcessing": {"JoinSource": "Output"}}, "joinSource"),
        (
            {
                "DataProcessing": {"JoinSource": "Input"},
                "TransformInput": _input(ContentType="text/libsvm"),
            },
            "work on CSV and JSON records only",
        ),
        ({"ModelClientConfig": {"InvocationsMaxRetries": 4}}, "between 0 and 3"),
        ({"ModelClientConfig": {"InvocationsTimeoutInSeconds": 0}}, "between 1 and 3600"),
        ({"DataCaptureConfig": {"DestinationS3Uri": "s3://data/cap"}}, "DataCaptureConfig"),
        (
            {"TransformOutput": {"S3OutputPath": "s3://elsewhere/out"}},
            "Could not find the S3 bucket 'elsewhere' named in TransformOutput.S3OutputPath",
        ),
    ],
)
def test_requests_aws_refuses_are_refused_with_the_reason(
    world: World, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(Invalid) as caught:
        world.create(**changes)
    assert message in caught.value.message
    assert world.submitted == []


@pytest.mark.parametrize(
    ("path", "supported"),
    [
        ("$", True),
        ("$[1:]", True),
        ("$[0,-1]", True),
        ("$[0,5:]", True),
        ("$.features", True),
        ("$['id','SageMakerOutput']", True),
        ("$.a.b[2]", True),
        ("$.a.['x','y']", True),
        ("$.*", True),
        ("features", False),
        ("$..a", False),
        ("$[?(@.a)]", False),
        ("$[0,'a']", False),
        ("$[1:].a", False),
        ("$.a[", False),
    ],
)
def test_the_jsonpath_subset(path: str, supported: bool) -> None:
    assert (jsonpath_problem(path) is None) is supported


def test_defaults_are_filled_in_for_the_runtime() -> None:
    settings = resolved_settings(REQUEST)
    assert settings["BatchStrategy"] == "MultiRecord"
    assert settings["MaxPayloadInMB"] == 6
    assert settings["MaxConcurrentTransforms"] == 0
    assert settings["InputFilter"] == settings["OutputFilter"] == "$"
    assert settings["JoinSource"] == "None"
    assert settings["CompressionType"] == "None"
    assert settings["InvocationsTimeoutInSeconds"] == 600
    assert settings["InvocationsMaxRetries"] == 3


def test_stop_moves_an_in_progress_job_to_stopping_once(world: World) -> None:
    world.create()
    world.service.stop(SCOPE, "job-1")
    world.service.stop(SCOPE, "job-1")  # already stopping: accepted, nothing changes
    assert world.service.describe(SCOPE, "job-1").doc["TransformJobStatus"] == "Stopping"
    assert world.stopped == ["job-1", "job-1"]


def test_stop_of_a_finished_job_is_refused(world: World) -> None:
    world.create()
    record = world.resources.get("TransformJob", SCOPE, "job-1")
    record.doc["TransformJobStatus"] = "Completed"
    world.resources.update(record)
    with pytest.raises(Invalid, match="the transform job is in status Completed"):
        world.service.stop(SCOPE, "job-1")


def test_unknown_jobs_are_not_found(world: World) -> None:
    with pytest.raises(NotFound, match="Could not find requested job with name ghost"):
        world.service.describe(SCOPE, "ghost")
    with pytest.raises(NotFound):
        world.service.stop(SCOPE, "ghost")


def test_list_filters_sorts_and_pages(world: World) -> None:
    for name in ("alpha", "beta", "gamma"):
        world.create(TransformJobName=name)
        world.clock.advance(1)
    page, token = world.service.find(SCOPE, Listing(max_results=2))
    assert [v.doc["Request"]["TransformJobName"] for v in page] == ["gamma", "beta"]
    assert token
    rest, token = world.service.find(SCOPE, Listing(max_results=2, next_token=token))
    assert [v.doc["Request"]["TransformJobName"] for v in rest] == ["alpha"]
    assert token is None
    found, _ = world.service.find(SCOPE, Listing(name_contains="amm", sort_by="Name"))
    assert [v.doc["Request"]["TransformJobName"] for v in found] == ["gamma"]
    with pytest.raises(Invalid):
        world.service.find(SCOPE, Listing(max_results=2, next_token=token or "bogus"))
