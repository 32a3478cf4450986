"""Evaluating through a running platform: deployed endpoints, S3 data, models and outputs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm
from typer.testing import CliRunner

from tests.conftest import make_client
from tests.evaluation.conftest import TrainedModel
from tests.harness import REGION, RunningPlatform
from tsukuru.cli import app
from tsukuru.evaluation import (
    AwsOptions,
    evaluate_endpoint,
    evaluate_model,
    evaluate_predictions,
)
from tsukuru.evaluation.metrics import BinaryReport, MulticlassReport

BUCKET = "eval-endpoint-tests"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
LEGACY_IMAGE = "811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:1"
IMAGE_17 = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"

pytestmark = pytest.mark.slow


def _options(platform: RunningPlatform) -> AwsOptions:
    return AwsOptions(
        endpoint_url=platform.endpoint_url,
        region=REGION,
        access_key_id=platform.credentials.access_key_id,
        secret_access_key=platform.credentials.secret_access_key,
    )


def _deploy(sagemaker: Any, name: str, image: str, model_uri: str) -> None:
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": image, "ModelDataUrl": model_uri},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)


def _wait_in_service(sagemaker: Any, name: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sagemaker.describe_endpoint(EndpointName=name)
        if described["EndpointStatus"] == "InService":
            return
        if described["EndpointStatus"] == "Failed":
            raise AssertionError(f"{name} failed: {described.get('FailureReason')}")
        time.sleep(0.2)
    raise AssertionError(f"{name} did not come into service in {timeout} s")


@pytest.fixture(scope="module")
def deployed(
    platform: RunningPlatform, bank_binary: TrainedModel, bank_softprob: TrainedModel
) -> Iterator[dict[str, str]]:
    """A binary model on the tutorial's legacy image and a softprob model on 1.7-1."""
    s3 = make_client(platform, "s3")
    sagemaker = make_client(platform, "sagemaker")
    s3.create_bucket(Bucket=BUCKET)
    for key, model in (("binary", bank_binary), ("softprob", bank_softprob)):
        s3.upload_file(str(model.tarball), BUCKET, f"{key}/model.tar.gz")
        s3.upload_file(str(model.test_csv), BUCKET, f"{key}/test.csv")
        s3.upload_file(str(model.test_csv), BUCKET, f"{key}/test/test.csv")  # transform input
    names = {"binary": "eval-bank-legacy", "softprob": "eval-bank-softprob"}
    _deploy(sagemaker, names["binary"], LEGACY_IMAGE, f"s3://{BUCKET}/binary/model.tar.gz")
    _deploy(sagemaker, names["softprob"], IMAGE_17, f"s3://{BUCKET}/softprob/model.tar.gz")
    try:
        for name in names.values():
            _wait_in_service(sagemaker, name)
        yield names
    finally:
        for name in names.values():
            sagemaker.delete_endpoint(EndpointName=name)


def test_binary_endpoint_on_the_legacy_image_in_many_batches(
    platform: RunningPlatform, deployed: dict[str, str], bank_binary: TrainedModel
) -> None:
    seen: list[tuple[int, int]] = []
    result = evaluate_endpoint(
        bank_binary.test_csv,
        deployed["binary"],
        options=_options(platform),
        max_payload_bytes=40_000,  # forces several InvokeEndpoint calls
        progress=lambda done, total: seen.append((done, total)),
    )
    labels = bank_binary.test_labels
    assert len(seen) > 3
    assert seen[-1] == (len(labels), len(labels))
    np.testing.assert_allclose(result.predictions, bank_binary.predict(), rtol=1e-6)
    assert isinstance(result.metrics, BinaryReport)
    assert result.metrics.roc_auc == pytest.approx(skm.roc_auc_score(labels, result.predictions))
    assert result.metrics.log_loss == pytest.approx(skm.log_loss(labels, result.predictions))
    assert result.source == f"endpoint {deployed['binary']}"


@pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one")
def test_softprob_endpoint_with_json_answers(
    platform: RunningPlatform, deployed: dict[str, str], bank_softprob: TrainedModel
) -> None:
    for accept in ("text/csv", "application/json"):
        result = evaluate_endpoint(
            f"s3://{BUCKET}/softprob/test.csv",
            deployed["softprob"],
            options=_options(platform),
            accept=accept,
        )
        assert isinstance(result.metrics, MulticlassReport)
        np.testing.assert_allclose(result.predictions, bank_softprob.predict(), rtol=1e-5)
        labels = bank_softprob.test_labels
        assert result.metrics.log_loss == pytest.approx(
            skm.log_loss(labels, result.predictions), rel=1e-9
        )


def test_models_and_batch_outputs_on_s3(
    platform: RunningPlatform, deployed: dict[str, str], bank_binary: TrainedModel
) -> None:
    options = _options(platform)
    data = f"s3://{BUCKET}/binary/test.csv"
    from_model = evaluate_model(data, f"s3://{BUCKET}/binary/model.tar.gz", options=options)
    np.testing.assert_allclose(from_model.predictions, bank_binary.predict(), rtol=1e-6)
    s3 = make_client(platform, "s3")
    body = "".join(f"{p}\n" for p in bank_binary.predict().tolist())
    s3.put_object(Bucket=BUCKET, Key="binary/transform/test.csv.out", Body=body.encode())
    for location in (
        f"s3://{BUCKET}/binary/transform/test.csv.out",
        f"s3://{BUCKET}/binary/transform/",
    ):
        result = evaluate_predictions(data, location, options=options)
        assert result.metrics == from_model.metrics
        assert result.source == f"batch output s3://{BUCKET}/binary/transform/test.csv.out"


@pytest.mark.parametrize(
    "processing",
    [
        {"InputFilter": "$[1:]", "JoinSource": "Input"},
        {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    ],
)
def test_the_output_of_a_real_transform_job(
    platform: RunningPlatform,
    deployed: dict[str, str],
    bank_binary: TrainedModel,
    processing: dict[str, str],
) -> None:
    """The label is filtered out of the input, and joined back into the output."""
    sagemaker = make_client(platform, "sagemaker")
    name = f"eval-transform-{len(processing)}"
    sagemaker.create_transform_job(
        TransformJobName=name,
        ModelName=deployed["binary"],
        TransformInput={
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/binary/test/"}
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": f"s3://{BUCKET}/transform/{name}", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        DataProcessing=processing,
    )
    deadline = time.monotonic() + 120
    while (status := sagemaker.describe_transform_job(TransformJobName=name))[
        "TransformJobStatus"
    ] in ("InProgress", "Stopping"):
        assert time.monotonic() < deadline, "the transform job did not finish"
        time.sleep(0.2)
    assert status["TransformJobStatus"] == "Completed", status.get("FailureReason")
    result = evaluate_predictions(
        bank_binary.test_csv, f"s3://{BUCKET}/transform/{name}/", options=_options(platform)
    )
    np.testing.assert_allclose(result.predictions, bank_binary.predict(), rtol=1e-6)
    assert result.source == f"batch output s3://{BUCKET}/transform/{name}/test.csv.out"


def test_cli_against_the_platform_uploads_the_report(
    platform: RunningPlatform, deployed: dict[str, str], bank_binary: TrainedModel, tmp_path: Any
) -> None:
    outcome = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--data",
            str(bank_binary.test_csv),
            "--endpoint",
            deployed["binary"],
            "--home",
            str(platform.home),
            "--port",
            str(platform.port),
            "--out",
            str(tmp_path),
            "--s3-output",
            f"s3://{BUCKET}/reports/legacy",
            "--json",
        ],
        env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"},  # --home/--port win over it
    )
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.output)
    assert f"s3://{BUCKET}/reports/legacy/report.html" in document["uploaded"]
    s3 = make_client(platform, "s3")
    page = s3.get_object(Bucket=BUCKET, Key="reports/legacy/report.html")["Body"].read()
    assert page == (tmp_path / "report.html").read_bytes()
