"""SageMaker Python SDK v2 against the platform, as a new user runs it (issues "Training jobs" and
"Models/endpoints"): `Estimator.fit` streams the job's log as on AWS and ends Completed with
metrics, `deploy` gives a predictor whose CSV and JSON predictions equal plain xgboost on the
same model, and `delete_endpoint` cleans up. A failing job surfaces the container's message.

The client scripts run in `.venv-sdk2` through `tsukuru exec` (see sdk_support.py). The SDK
sleeps 5 s before its first DescribeTrainingJob and 30 s before each DescribeEndpoint, so only one
test keeps the SDK's own endpoint wait; the others deploy with `wait=False` and poll quickly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.acceptance.platform_support import predict_locally, read_model, unique
from tests.acceptance.sdk_support import (
    FAST_HYPERPARAMETERS,
    ROLE,
    TUTORIAL_HYPERPARAMETERS,
    XGBOOST_17,
    XGBOOST_LEGACY,
    BankData,
    expect_success,
    run_sdk_script,
    sdk_python,
    upload_bank_data,
)
from tests.conftest import make_client
from tests.harness import RunningPlatform

pytestmark = [pytest.mark.sdk, pytest.mark.slow]

SCRIPT = "v2_train_deploy.py"
TEST_ROWS = 200
ROUND_LINE = re.compile(r"^\[(\d+)\]#011train-(\w+):[\d.]+#011validation-\2:[\d.]+$", re.M)


@pytest.fixture(scope="session", autouse=True)
def sdk_venv() -> Path:
    """Checked before the session platform starts, so a missing virtualenv fails (or skips)
    at once."""
    return sdk_python(2)


@pytest.fixture(scope="module")
def bank(platform: RunningPlatform) -> BankData:
    return upload_bank_data(make_client(platform, "s3"), unique("sdk-v2"))


def features_file(bank: BankData, workdir: Path) -> Path:
    path = workdir / "test-features.csv"
    path.write_text(bank.test_csv(TEST_ROWS) + "\n")
    return path


def script_args(bank: BankData, version: str, hyperparameters: dict[str, str]) -> list[str]:
    return [
        "--role",
        ROLE,
        "--version",
        version,
        "--train",
        bank.train_uri,
        "--validation",
        bank.validation_uri,
        "--output",
        bank.output_uri,
        "--hyperparameters",
        json.dumps(hyperparameters),
    ]


def expected_predictions(platform: RunningPlatform, bank: BankData, artifacts: str) -> Any:
    booster = read_model(make_client(platform, "s3"), artifacts)
    return predict_locally(booster, bank.test_features[:TEST_ROWS])


def test_fit_streams_logs_and_deploy_predicts_csv_and_json(
    platform: RunningPlatform, bank: BankData, tmp_path: Path
) -> None:
    features = features_file(bank, tmp_path)
    run = run_sdk_script(
        platform,
        2,
        SCRIPT,
        tmp_path,
        *script_args(bank, "1.7-1", FAST_HYPERPARAMETERS),
        "--logs",
        "All",
        "--deploy",
        "quick",
        "--test-csv",
        str(features),
        "--json-predict",
    )
    report = expect_success(run)
    assert report["image"] == XGBOOST_17
    assert report["status"] == "Completed", report
    assert "fit_error" not in report, report["fit_error"]
    # the streamed log, as on AWS: secondary statuses, then every round with TAB shown as #011
    assert "Starting - Preparing the instances for training" in run.output
    rounds = [int(m[0]) for m in ROUND_LINE.findall(run.output)]
    assert rounds == list(range(int(FAST_HYPERPARAMETERS["num_round"]))), run.output[-3000:]
    assert "[0]#011train-auc:" in run.output
    assert "Training seconds:" in run.output
    assert "Billable seconds:" in run.output
    assert set(report["final_metrics"]) >= {"train:auc", "validation:auc"}
    assert 0.5 < report["final_metrics"]["validation:auc"] <= 1.0

    assert report["endpoint_status"] == "InService"
    assert report["deploy_seconds"] < 30
    expected = expected_predictions(platform, bank, report["model_artifacts"])
    np.testing.assert_allclose(report["csv_predictions"], expected, rtol=0, atol=1e-6)
    assert report["json_answer_type"] == "dict"
    np.testing.assert_allclose(report["json_predictions"], expected, rtol=0, atol=1e-6)

    assert report["endpoint_listed_after_delete"] is False
    assert report["config_listed_after_delete"] is False
    # delete_endpoint leaves the model, as on AWS
    sm = make_client(platform, "sagemaker")
    model = sm.describe_model(ModelName=report["endpoint_name"])
    assert model["PrimaryContainer"]["ModelDataUrl"] == report["model_artifacts"]


def test_tutorial_hyperparameters_on_legacy_image_with_the_sdks_own_wait(
    platform: RunningPlatform, bank: BankData, tmp_path: Path
) -> None:
    """`image_uris.retrieve("xgboost", region, "latest")` with the tutorial's hyperparameters
    (`silent` included), deployed with the SDK's default waiting path, unchanged."""
    features = features_file(bank, tmp_path)
    run = run_sdk_script(
        platform,
        2,
        SCRIPT,
        tmp_path,
        *script_args(bank, "latest", TUTORIAL_HYPERPARAMETERS),
        "--logs",
        "All",
        "--deploy",
        "sdk-wait",
        "--test-csv",
        str(features),
    )
    report = expect_success(run)
    assert report["image"] == XGBOOST_LEGACY
    assert report["status"] == "Completed", report
    rounds = [int(m[0]) for m in ROUND_LINE.findall(run.output)]
    assert rounds == list(range(100)), run.output[-3000:]
    assert "[0]#011train-error:" in run.output  # binary:logistic's default metric
    assert set(report["final_metrics"]) >= {"train:error", "validation:error"}
    assert report["endpoint_status"] == "InService"
    expected = expected_predictions(platform, bank, report["model_artifacts"])
    np.testing.assert_allclose(report["csv_predictions"], expected, rtol=0, atol=1e-6)
    assert report["endpoint_listed_after_delete"] is False


def test_fit_of_a_failing_job_raises_with_the_containers_message(
    platform: RunningPlatform, bank: BankData, tmp_path: Path
) -> None:
    """`silent` is not a hyperparameter of the 1.7-1 container: fit() raises, and says why."""
    run = run_sdk_script(
        platform,
        2,
        SCRIPT,
        tmp_path,
        *script_args(bank, "1.7-1", {**FAST_HYPERPARAMETERS, "silent": "0"}),
        "--logs",
        "None",
    )
    report = expect_success(run)
    assert report["status"] == "Failed"
    assert report["failure_reason"] == "ClientError: Extraneous hyperparameter found: silent"
    assert report["fit_error"].startswith("UnexpectedStatusException: ")
    assert "Extraneous hyperparameter found: silent" in report["fit_error"]
    assert report["fit_seconds"] < 20
