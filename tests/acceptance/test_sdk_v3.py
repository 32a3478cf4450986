"""SageMaker Python SDK v3 against the platform, as a new user runs it: `ModelTrainer` trains the
built-in XGBoost (after validating the role through IAM SimulatePrincipalPolicy and GetRole),
and the sagemaker-core resources `Model`, `EndpointConfig` and `Endpoint` deploy it, wait for
InService, invoke it and delete all three.

The client script runs in `.venv-sdk3` through `tsukuru exec` (see sdk_support.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.acceptance.platform_support import predict_locally, read_model, unique
from tests.acceptance.sdk_support import (
    FAST_HYPERPARAMETERS,
    ROLE,
    XGBOOST_17,
    BankData,
    expect_success,
    run_sdk_script,
    sdk_python,
    upload_bank_data,
)
from tests.conftest import make_client
from tests.harness import RunningPlatform

pytestmark = [pytest.mark.sdk, pytest.mark.slow]

TEST_ROWS = 200
ROUND_LINE = re.compile(r"^\[(\d+)\]#011train-auc:[\d.]+#011validation-auc:[\d.]+$", re.M)


@pytest.fixture(scope="session", autouse=True)
def sdk_venv() -> Path:
    """Checked before the session platform starts, so a missing virtualenv fails (or skips)
    at once."""
    return sdk_python(3)


@pytest.fixture(scope="module")
def bank(platform: RunningPlatform) -> BankData:
    return upload_bank_data(make_client(platform, "s3"), unique("sdk-v3"))


def test_model_trainer_then_core_resources_deploy_invoke_and_delete(
    platform: RunningPlatform, bank: BankData, tmp_path: Path
) -> None:
    features = tmp_path / "test-features.csv"
    features.write_text(bank.test_csv(TEST_ROWS) + "\n")
    run = run_sdk_script(
        platform,
        3,
        "v3_train_deploy.py",
        tmp_path,
        "--role",
        ROLE,
        "--train",
        bank.train_uri,
        "--validation",
        bank.validation_uri,
        "--output",
        bank.output_uri,
        "--hyperparameters",
        json.dumps(FAST_HYPERPARAMETERS),
        "--test-csv",
        str(features),
    )
    report = expect_success(run)
    assert report["image"] == XGBOOST_17
    assert "train_error" not in report, report["train_error"]
    assert report["status"] == "Completed", report
    assert report["job_name"].startswith("xgboost-v3-")
    # ModelTrainer tails the job's CloudWatch stream while it waits
    rounds = [int(m) for m in ROUND_LINE.findall(run.output)]
    assert rounds == list(range(int(FAST_HYPERPARAMETERS["num_round"]))), run.output[-3000:]
    assert set(report["final_metrics"]) >= {"train:auc", "validation:auc"}
    assert report["model_artifacts"] == (
        f"{bank.output_uri}/{report['job_name']}/output/model.tar.gz"
    )

    assert report["endpoint_status_at_create"] == "Creating"
    assert report["invoked_variant"] == "AllTraffic"
    assert report["content_type"].startswith("text/csv")
    booster = read_model(make_client(platform, "s3"), report["model_artifacts"])
    expected = predict_locally(booster, bank.test_features[:TEST_ROWS])
    np.testing.assert_allclose(report["predictions"], expected, rtol=0, atol=1e-6)
    assert report["leftover"] == {"endpoints": [], "configs": [], "models": []}
