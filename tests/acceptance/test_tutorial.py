"""The AWS "Build, train, and deploy" tutorial, run unchanged against the platform.

`shared/reference/tutorial_sdk_v2.py` runs under `tsukuru exec` with the SageMaker SDK v2's own
Python, offline, with only what the SDK itself broke removed: the `csv_serializer` import, gone
since SDK 2.154 and never used. Its data download fails offline, so `bank_clean.csv` (built from
the UCI sample by examples/bank_data.py) waits in the working directory, where the tutorial then
reads it. What the user would see is checked: the split, the confusion matrix, the overall
classification rate, and that the clean-up cells removed the endpoint and the bucket's objects.

The SDK sleeps 30 s before each DescribeEndpoint poll, so this takes a little over a minute.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from examples.bank_data import build_bank_clean
from tests.acceptance.client_support import tsukuru_exec, user_environ
from tests.acceptance.sdk_support import sdk_python
from tests.conftest import SHARED, make_client
from tests.harness import RunningPlatform

TUTORIAL = SHARED / "reference" / "tutorial_sdk_v2.py"
BROKEN_IMPORT = "from sagemaker.predictor import csv_serializer"
TUTORIAL_BUCKET = "your-s3-bucket-name"
TEST_ROWS = 1236  # 30% of the 4,119-row sample


def prepare_tutorial(workdir: Path) -> Path:
    """The tutorial minus exactly one line, next to its data."""
    lines = TUTORIAL.read_text().splitlines(keepends=True)
    kept = [line for line in lines if line.strip() != BROKEN_IMPORT]
    assert len(kept) == len(lines) - 1, "the tutorial's csv_serializer import line moved"
    script = workdir / "tutorial.py"
    script.write_text("".join(kept))
    build_bank_clean(workdir / "bank_clean.csv")
    return script


def confusion_matrix(output: str) -> dict[str, int]:
    """The counts from the tutorial's printed table (cell 10)."""
    no_purchase = re.search(r"^No Purchase\s+\d+% \((\d+)\)\s+\d+% \((\d+)\)", output, re.M)
    purchase = re.search(r"^Purchase\s+\d+% \((\d+)\)\s+\d+% \((\d+)\)", output, re.M)
    assert no_purchase, output[-3000:]
    assert purchase, output[-3000:]
    return {
        "tn": int(no_purchase[1]),
        "fp": int(no_purchase[2]),
        "fn": int(purchase[1]),
        "tp": int(purchase[2]),
    }


@pytest.mark.slow
@pytest.mark.sdk
@pytest.mark.timeout(240)
def test_tutorial_runs_unchanged(platform: RunningPlatform, tmp_path: Path) -> None:
    python = sdk_python(2)
    workdir = tmp_path / "notebook"
    workdir.mkdir()
    script = prepare_tutorial(workdir)
    done = tsukuru_exec(
        platform.home,
        platform.port,
        [str(python), script.name],
        cwd=workdir,
        env=user_environ(tmp_path),
        timeout=180,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]

    assert "Success - the MySageMakerInstance is in the us-east-1 region" in output
    assert "xgboost:latest container" in output
    assert "S3 bucket created successfully" in output
    assert "Success: Data loaded into dataframe." in output
    assert "(2883, 61) (1236, 61)" in output
    assert f"({TEST_ROWS},)" in output
    assert "Completed - Training job completed" in output

    counts = confusion_matrix(output)
    assert sum(counts.values()) == TEST_ROWS
    assert counts["tp"] > 0
    assert counts["fp"] + counts["tp"] > 0
    rate = re.search(r"Overall Classification Rate: +([\d.]+)%", output)
    assert rate, output[-3000:]
    assert float(rate[1]) == pytest.approx(
        100 * (counts["tp"] + counts["tn"]) / TEST_ROWS, abs=0.05
    )
    assert float(rate[1]) >= 85.0

    endpoint = re.search(r"Creating endpoint with name (\S+)", output)
    assert endpoint, output[-3000:]
    sagemaker = make_client(platform, "sagemaker")
    with pytest.raises(ClientError, match="Could not find endpoint"):
        sagemaker.describe_endpoint(EndpointName=endpoint[1])
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        sagemaker.describe_endpoint_config(EndpointConfigName=endpoint[1])
    s3 = make_client(platform, "s3")
    assert s3.list_objects_v2(Bucket=TUTORIAL_BUCKET)["KeyCount"] == 0
    shutil.rmtree(workdir, ignore_errors=True)
