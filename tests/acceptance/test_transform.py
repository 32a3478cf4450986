"""Batch transform through boto3 and SDK v2 (issue "The whole loop", item 5).

A model is trained on the platform first, then transform jobs run over S3 prefixes: 100,000 rows
with the label column filtered out and the input joined back give one line per input line with
the prediction appended; the API validates as AWS does; a bad record fails the job naming the
file and line; StopTransformJob stops a running job; the SDK's `Transformer.transform()` works.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.exceptions
import numpy as np
import pytest

from tests.acceptance.platform_support import (
    create_model,
    predict_locally,
    read_model,
    training_request,
    unique,
    wait_for_jobs,
)
from tests.acceptance.sdk_support import expect_success, run_sdk_script
from tests.conftest import make_client
from tests.harness import RunningPlatform

FEATURES = 8
TERMINAL = ("Completed", "Failed", "Stopped")


@dataclass(frozen=True)
class Trained:
    bucket: str
    model: str
    booster: Any


def labelled_csv(count: int, seed: int) -> tuple[str, np.ndarray[Any, Any]]:
    """`label,f1,...,f8` rows (label first, as the tutorial's data) and the feature matrix."""
    rng = np.random.default_rng(seed)
    features = np.round(rng.normal(size=(count, FEATURES)), 3)
    labels = (features[:, 0] + features[:, 1] > 0).astype(int)
    table = np.column_stack([labels, features])
    lines = [",".join([str(int(row[0]))] + [f"{v:.3f}" for v in row[1:]]) for row in table]
    return "\n".join(lines) + "\n", features


@pytest.fixture(scope="module")
def sm(platform: RunningPlatform) -> Any:
    return make_client(platform, "sagemaker")


@pytest.fixture(scope="module")
def s3m(platform: RunningPlatform) -> Any:
    return make_client(platform, "s3")


@pytest.fixture(scope="module")
def trained(sm: Any, s3m: Any) -> Trained:
    bucket = unique("transform")
    s3m.create_bucket(Bucket=bucket)
    train, _ = labelled_csv(200, seed=11)
    s3m.put_object(Bucket=bucket, Key="train/train.csv", Body=train.encode())
    job = unique("train")
    sm.create_training_job(
        **training_request(
            job,
            {"objective": "binary:logistic", "num_round": "10", "max_depth": "3"},
            {"train": f"s3://{bucket}/train"},
            f"s3://{bucket}/model",
        )
    )
    described = wait_for_jobs(sm, [job])[job]
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    artifacts = described["ModelArtifacts"]["S3ModelArtifacts"]
    model = unique("model")
    create_model(sm, model, artifacts)
    return Trained(bucket, model, read_model(s3m, artifacts))


def transform_request(trained: Trained, name: str, prefix: str, **extra: Any) -> dict[str, Any]:
    return {
        "TransformJobName": name,
        "ModelName": trained.model,
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://{trained.bucket}/{prefix}",
                }
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {
            "S3OutputPath": f"s3://{trained.bucket}/out/{name}",
            "AssembleWith": "Line",
            "Accept": "text/csv",
        },
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        **extra,
    }


def wait_for_transform(sm: Any, name: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sm.describe_transform_job(TransformJobName=name)
        if described["TransformJobStatus"] in TERMINAL:
            return described
        assert time.monotonic() < deadline, f"{name} still {described['TransformJobStatus']}"
        time.sleep(0.1)


def read_text(s3: Any, bucket: str, key: str) -> str:
    return str(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())


def test_100k_rows_with_the_label_filtered_and_the_input_joined(
    sm: Any, s3m: Any, trained: Trained
) -> None:
    text, features = labelled_csv(100_000, seed=12)
    s3m.put_object(Bucket=trained.bucket, Key="big/part-1.csv", Body=text.encode())
    name = unique("big")
    sm.create_transform_job(
        **transform_request(
            trained,
            name,
            "big",
            DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input"},
        )
    )
    described = wait_for_transform(sm, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    output = read_text(s3m, trained.bucket, f"out/{name}/part-1.csv.out")
    out_lines = output.splitlines()
    in_lines = text.splitlines()
    assert len(out_lines) == len(in_lines) == 100_000
    expected = predict_locally(trained.booster, features)
    predicted = np.empty(len(out_lines))
    for index, (line, source) in enumerate(zip(out_lines, in_lines, strict=True)):
        head, _, prediction = line.rpartition(",")
        assert head == source
        predicted[index] = float(prediction)
    np.testing.assert_allclose(predicted, expected, rtol=0, atol=1e-6)


def test_describe_list_tags_and_logs(sm: Any, s3m: Any, trained: Trained, platform: Any) -> None:
    text, _ = labelled_csv(50, seed=13)
    s3m.put_object(Bucket=trained.bucket, Key="small/a.csv", Body=text.encode())
    name = unique("small")
    arn = sm.create_transform_job(
        **transform_request(
            trained,
            name,
            "small",
            DataProcessing={
                "InputFilter": "$[1:]",
                "JoinSource": "Input",
                "OutputFilter": "$[0,-1]",
            },
            Environment={"EXTRA": "1"},
            Tags=[{"Key": "team", "Value": "ml"}],
        )
    )["TransformJobArn"]
    assert arn.endswith(f":transform-job/{name}")
    described = wait_for_transform(sm, name)
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert described["DataProcessing"] == {
        "InputFilter": "$[1:]",
        "OutputFilter": "$[0,-1]",
        "JoinSource": "Input",
    }
    assert described["TransformInput"]["CompressionType"] == "None"
    assert described["BatchStrategy"] == "MultiRecord"
    assert described["MaxPayloadInMB"] == 6
    assert described["Environment"] == {"EXTRA": "1"}
    assert described["TransformStartTime"] <= described["TransformEndTime"]
    lines = read_text(s3m, trained.bucket, f"out/{name}/a.csv.out").splitlines()
    assert [line.split(",")[0] for line in lines] == [
        row.split(",")[0] for row in text.splitlines()
    ]
    assert all(len(line.split(",")) == 2 for line in lines)

    listed = sm.list_transform_jobs(NameContains=name, StatusEquals="Completed")
    assert [s["TransformJobName"] for s in listed["TransformJobSummaries"]] == [name]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "test"}])
    assert len(sm.list_tags(ResourceArn=arn)["Tags"]) == 2

    logs = make_client(platform, "logs")
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TransformJobs", logStreamNamePrefix=name + "/"
    )["logStreams"]
    assert len(streams) == 1
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TransformJobs",
        logStreamName=streams[0]["logStreamName"],
        startFromHead=True,
    )["events"]
    messages = [event["message"] for event in events]
    assert any("50 records transformed" in message for message in messages), messages


def test_requests_are_validated_as_aws_does(sm: Any, trained: Trained) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sm.create_transform_job(
            **{**transform_request(trained, unique("x"), "big"), "ModelName": "ghost"}
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert (
        error["Message"]
        == 'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/ghost".'
    )
    request = transform_request(trained, unique("x"), "big")
    request["TransformInput"]["SplitType"] = "RecordIO"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sm.create_transform_job(**request)
    assert "SplitType RecordIO is not supported" in caught.value.response["Error"]["Message"]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sm.describe_transform_job(TransformJobName="never-created")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFound"


def test_a_bad_record_fails_the_job_naming_file_and_line(
    sm: Any, s3m: Any, trained: Trained
) -> None:
    text, _ = labelled_csv(40, seed=14)
    rows = text.splitlines()
    rows[22] = "1,0.1,not-a-number,0.3,0.4,0.5,0.6,0.7,0.8"
    s3m.put_object(
        Bucket=trained.bucket, Key="bad/data.csv", Body=("\n".join(rows) + "\n").encode()
    )
    name = unique("bad")
    sm.create_transform_job(
        **transform_request(trained, name, "bad", DataProcessing={"InputFilter": "$[1:]"})
    )
    described = wait_for_transform(sm, name)
    assert described["TransformJobStatus"] == "Failed"
    assert described["FailureReason"].startswith(
        f"ClientError: s3://{trained.bucket}/bad/data.csv, line 23: the model answered 415"
    )


def test_stop_transform_job(sm: Any, s3m: Any, trained: Trained) -> None:
    text, _ = labelled_csv(50_000, seed=15)
    s3m.put_object(Bucket=trained.bucket, Key="long/data.csv", Body=text.encode())
    name = unique("long")
    sm.create_transform_job(
        **transform_request(
            trained,
            name,
            "long",
            BatchStrategy="SingleRecord",
            DataProcessing={"InputFilter": "$[1:]"},
        )
    )
    time.sleep(1.0)
    sm.stop_transform_job(TransformJobName=name)
    assert sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"] in (
        "Stopping",
        "Stopped",
    )
    described = wait_for_transform(sm, name, timeout=60)
    assert described["TransformJobStatus"] == "Stopped"
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sm.stop_transform_job(TransformJobName=name)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.sdk
@pytest.mark.slow
def test_sdk_v2_transformer(
    platform: RunningPlatform, s3m: Any, trained: Trained, tmp_path: Path
) -> None:
    text, features = labelled_csv(300, seed=16)
    s3m.put_object(Bucket=trained.bucket, Key="sdk/in/one.csv", Body=text.encode())
    s3m.put_object(Bucket=trained.bucket, Key="sdk/in/two.csv", Body=text.encode())
    output = f"s3://{trained.bucket}/sdk/out"
    run = run_sdk_script(
        platform,
        2,
        "v2_transform.py",
        tmp_path,
        "--model-name",
        trained.model,
        "--data",
        f"s3://{trained.bucket}/sdk/in",
        "--output",
        output,
        "--input-filter",
        "$[1:]",
        "--join-source",
        "Input",
        "--output-filter",
        "$[0,-1]",
    )
    report = expect_success(run)
    assert "transform_error" not in report, report["transform_error"]
    assert report["status"] == "Completed"
    assert report["data_processing"]["InputFilter"] == "$[1:]"
    assert report["attached"]["model_name"] == trained.model
    assert report["attached"]["strategy"] == "MultiRecord"
    assert report["attached"]["assemble_with"] == "Line"
    assert report["output_keys"] == ["sdk/out/one.csv.out", "sdk/out/two.csv.out"]
    expected = predict_locally(trained.booster, features)
    for body in report["outputs"].values():
        pairs = [line.split(",") for line in body.splitlines()]
        assert [p[0] for p in pairs] == [row.split(",")[0] for row in text.splitlines()]
        np.testing.assert_allclose([float(p[1]) for p in pairs], expected, rtol=0, atol=1e-6)
    assert "records transformed" in run.output  # the job's log, printed by the SDK
