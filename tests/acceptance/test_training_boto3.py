"""Training jobs through plain boto3, as the "Training jobs" issue lists them: the failures a user
will hit end Failed with the container's message within seconds, StopTrainingJob stops a long job
at once and still uploads the model, ten jobs submitted together all finish, and
ListTrainingJobs filters, sorts and pages; tags stick to jobs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.exceptions
import pytest

from tests.acceptance.platform_support import (
    read_model,
    training_request,
    unique,
    wait_for_jobs,
)
from tests.acceptance.sdk_support import XGBOOST_LEGACY, BankData, poll, upload_bank_data
from tests.conftest import make_client
from tests.harness import RunningPlatform

BASE = {"objective": "binary:logistic", "num_round": "5"}


@pytest.fixture(scope="module")
def sm(platform: RunningPlatform) -> Any:
    return make_client(platform, "sagemaker")


@pytest.fixture(scope="module")
def s3_module(platform: RunningPlatform) -> Any:
    return make_client(platform, "s3")


@pytest.fixture(scope="module")
def bank(s3_module: Any) -> BankData:
    return upload_bank_data(s3_module, unique("training-boto3"))


@pytest.mark.slow
def test_failures_end_failed_with_the_containers_message(
    sm: Any, s3_module: Any, bank: BankData
) -> None:
    s3_module.put_object(
        Bucket=bank.bucket, Key="bad-label/train.csv", Body=b"2,1,2\n0,3,4\n1,5,6\n0,7,8\n"
    )
    train = {"train": bank.train_uri}
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "no-num-round": (
            training_request("x", {"objective": "binary:logistic"}, train, bank.output_uri),
            "Missing required hyperparameter: num_round",
        ),
        "silent-on-17": (
            training_request("x", {**BASE, "silent": "0"}, train, bank.output_uri),
            "Extraneous hyperparameter found: silent",
        ),
        "eta-2": (
            training_request("x", {**BASE, "eta": "2"}, train, bank.output_uri),
            "Hyperparameter eta: 2.0 is not in [0, 1]",
        ),
        "unknown-channel": (
            training_request("x", BASE, {**train, "test": bank.validation_uri}, bank.output_uri),
            "Extraneous channel found: test",
        ),
        "empty-prefix": (
            training_request("x", BASE, {"train": f"s3://{bank.bucket}/nothing/"}, bank.output_uri),
            f'No S3 objects found under S3 URL "s3://{bank.bucket}/nothing/"',
        ),
        "label-out-of-range": (
            training_request(
                "x", BASE, {"train": f"s3://{bank.bucket}/bad-label"}, bank.output_uri
            ),
            "label must be in [0,1] for logistic regression",
        ),
    }
    names = {}
    started = time.monotonic()
    for case, (request, _) in cases.items():
        name = unique(case)
        request["TrainingJobName"] = name
        sm.create_training_job(**request)
        names[case] = name
    done = wait_for_jobs(sm, names.values(), timeout=60)
    elapsed = time.monotonic() - started
    for case, (_, expected) in cases.items():
        description = done[names[case]]
        assert description["TrainingJobStatus"] == "Failed", case
        assert description["SecondaryStatus"] == "Failed", case
        reason = description["FailureReason"]
        assert reason.startswith("ClientError: "), (case, reason)
        assert expected in reason, (case, reason)
        assert "ModelArtifacts" not in description or not description["ModelArtifacts"].get(
            "S3ModelArtifacts"
        ), case
        lasted = description["TrainingEndTime"] - description["CreationTime"]
        assert lasted < timedelta(seconds=20), (case, lasted)
    assert elapsed < 45, f"six failing jobs took {elapsed:.1f} s"


def test_failure_is_in_the_job_log(sm: Any, platform: RunningPlatform, bank: BankData) -> None:
    name = unique("eta-log")
    sm.create_training_job(
        **training_request(name, {**BASE, "eta": "2"}, {"train": bank.train_uri}, bank.output_uri)
    )
    assert wait_for_jobs(sm, [name])[name]["TrainingJobStatus"] == "Failed"
    logs = make_client(platform, "logs")
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{name}/"
    )["logStreams"]
    assert len(streams) == 1
    assert streams[0]["logStreamName"].startswith(f"{name}/algo-1-")
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs",
        logStreamName=streams[0]["logStreamName"],
        startFromHead=True,
    )["events"]
    assert any("Hyperparameter eta: 2.0 is not in [0, 1]" in e["message"] for e in events)


@pytest.mark.parametrize("where", ["input", "output"])
def test_nonexistent_bucket_is_refused_at_create(sm: Any, bank: BankData, where: str) -> None:
    missing = unique("no-such-bucket")
    channels = {"train": f"s3://{missing}/train" if where == "input" else bank.train_uri}
    output = f"s3://{missing}/out" if where == "output" else bank.output_uri
    name = unique("no-bucket")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sm.create_training_job(**training_request(name, BASE, channels, output))
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert missing in error["Message"]
    with pytest.raises(botocore.exceptions.ClientError):
        sm.describe_training_job(TrainingJobName=name)


def test_legacy_image_accepts_silent(sm: Any, bank: BankData) -> None:
    name = unique("legacy-silent")
    sm.create_training_job(
        **training_request(
            name,
            {**BASE, "silent": "0"},
            {"train": bank.train_uri},
            bank.output_uri,
            image=XGBOOST_LEGACY,
        )
    )
    assert wait_for_jobs(sm, [name])[name]["TrainingJobStatus"] == "Completed"


def logged_rounds(logs: Any, job: str) -> int:
    """How many per-round metric lines the job has logged so far (what a user watches)."""
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{job}/"
    )["logStreams"]
    if not streams:
        return 0
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/TrainingJobs",
        logStreamName=streams[0]["logStreamName"],
        startFromHead=True,
    )["events"]
    return sum(1 for e in events if e["message"].startswith("[") and "#011train-" in e["message"])


def test_stop_a_long_job_within_two_seconds(
    sm: Any, s3_module: Any, platform: RunningPlatform, bank: BankData
) -> None:
    logs = make_client(platform, "logs")
    name = unique("stop-me")
    hyperparameters = {"objective": "binary:logistic", "num_round": "10000", "max_depth": "6"}
    sm.create_training_job(
        **training_request(name, hyperparameters, {"train": bank.train_uri}, bank.output_uri)
    )
    rounds = poll(lambda: logged_rounds(logs, name) >= 20, timeout=60, interval=0.1)
    assert rounds
    asked = time.monotonic()
    sm.stop_training_job(TrainingJobName=name)
    while True:
        description = sm.describe_training_job(TrainingJobName=name)
        if description["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            break
        assert time.monotonic() - asked < 2.0, f"still {description['TrainingJobStatus']}"
        time.sleep(0.05)
    took = time.monotonic() - asked
    assert description["TrainingJobStatus"] == "Stopped", description.get("FailureReason")
    assert took < 2.0
    statuses = [t["Status"] for t in description["SecondaryStatusTransitions"]]
    assert statuses[-2:] == ["Stopping", "Stopped"]
    artifacts = description["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifacts == f"{bank.output_uri}/{name}/output/model.tar.gz"
    booster = read_model(s3_module, artifacts)
    assert 20 <= booster.num_boosted_rounds() < 10000
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sm.stop_training_job(TrainingJobName=name)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


@pytest.fixture(scope="module")
def ten_jobs(sm: Any, bank: BankData) -> tuple[str, list[str], datetime]:
    """Ten jobs submitted at once (more than the platform's slots), some tagged."""
    prefix = unique("ten")
    names = [f"{prefix}-{index:02d}" for index in range(10)]
    before = datetime.now(UTC) - timedelta(seconds=1)
    for index, name in enumerate(names):
        tags = [{"Key": "team", "Value": "even" if index % 2 == 0 else "odd"}]
        sm.create_training_job(
            **training_request(
                name,
                {"objective": "binary:logistic", "num_round": "3"},
                {"train": bank.train_uri},
                bank.output_uri,
                Tags=tags,
            )
        )
    return prefix, names, before


@pytest.mark.slow
def test_ten_jobs_at_once_all_finish(sm: Any, ten_jobs: tuple[str, list[str], datetime]) -> None:
    _, names, _ = ten_jobs
    waiting = [sm.describe_training_job(TrainingJobName=name)["SecondaryStatus"] for name in names]
    done = wait_for_jobs(sm, names, timeout=120)
    assert {d["TrainingJobStatus"] for d in done.values()} == {"Completed"}, {
        n: d.get("FailureReason") for n, d in done.items()
    }
    for name, description in done.items():
        assert description["ModelArtifacts"]["S3ModelArtifacts"].endswith(
            f"/{name}/output/model.tar.gz"
        )
    # right after submission the slots were full: some jobs had to wait their turn
    assert waiting.count("Starting") >= 1, waiting


@pytest.mark.slow
def test_list_training_jobs_filters_sorts_and_pages(
    sm: Any, ten_jobs: tuple[str, list[str], datetime]
) -> None:
    prefix, names, before = ten_jobs
    wait_for_jobs(sm, names, timeout=120)
    listed = sm.list_training_jobs(NameContains=prefix, MaxResults=100)["TrainingJobSummaries"]
    assert sorted(s["TrainingJobName"] for s in listed) == names
    creation = [s["CreationTime"] for s in listed]
    assert creation == sorted(creation, reverse=True)  # default: CreationTime, Descending
    summary = listed[0]
    assert summary["TrainingJobStatus"] == "Completed"
    assert summary["TrainingJobArn"].endswith(f":training-job/{summary['TrainingJobName']}")

    pages, token = [], None
    while True:
        kwargs: dict[str, Any] = {
            "NameContains": prefix,
            "SortBy": "Name",
            "SortOrder": "Ascending",
            "MaxResults": 3,
        }
        if token:
            kwargs["NextToken"] = token
        page = sm.list_training_jobs(**kwargs)
        pages.append([s["TrainingJobName"] for s in page["TrainingJobSummaries"]])
        token = page.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert [n for p in pages for n in p] == names

    paginator = sm.get_paginator("list_training_jobs")
    descending = [
        s["TrainingJobName"]
        for page in paginator.paginate(
            NameContains=prefix,
            SortBy="Name",
            SortOrder="Descending",
            PaginationConfig={"PageSize": 4},
        )
        for s in page["TrainingJobSummaries"]
    ]
    assert descending == names[::-1]

    assert not sm.list_training_jobs(NameContains=prefix, StatusEquals="Failed")[
        "TrainingJobSummaries"
    ]
    completed = sm.list_training_jobs(NameContains=prefix, StatusEquals="Completed")
    assert len(completed["TrainingJobSummaries"]) == 10
    assert (
        len(
            sm.list_training_jobs(NameContains=prefix, CreationTimeAfter=before)[
                "TrainingJobSummaries"
            ]
        )
        == 10
    )
    assert not sm.list_training_jobs(NameContains=prefix, CreationTimeBefore=before)[
        "TrainingJobSummaries"
    ]


def test_tags_on_training_jobs(sm: Any, ten_jobs: tuple[str, list[str], datetime]) -> None:
    _, names, _ = ten_jobs
    arn = sm.describe_training_job(TrainingJobName=names[0])["TrainingJobArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "even"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "ana"}])
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "even", "owner": "ana"}
    sm.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "ana"}]
    other = sm.describe_training_job(TrainingJobName=names[1])["TrainingJobArn"]
    assert sm.list_tags(ResourceArn=other)["Tags"] == [{"Key": "team", "Value": "odd"}]


def test_describe_unknown_job(sm: Any) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sm.describe_training_job(TrainingJobName=unique("never-created"))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Requested resource not found" in caught.value.response["Error"]["Message"]
