"""What the SDK acceptance tests share: the bank data on the platform, and a way to run a client
script inside a real SageMaker SDK virtualenv.

The tests act as a new user would: a script in `sdk_scripts/` runs under the SDK's own Python
(v2 or v3, installed by `scripts/client-venvs.sh`) through `tsukuru exec`, with nothing but the
client environment of the session platform and no way out to the internet, and reports what it
saw as JSON. The data is the UCI bank-marketing sample as the
AWS tutorial prepares it (examples/bank_data.py): one-hot encoded, label first, no header.
"""

from __future__ import annotations

import io
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from examples.bank_data import clean_columns, clean_row, read_bank_additional
from tests.acceptance.client_support import tsukuru_exec, user_environ
from tests.conftest import BANK_CSV
from tests.harness import RunningPlatform

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "sdk_scripts"
ROLE = "arn:aws:iam::123456789012:role/service-role/SageMakerRole"
XGBOOST_17 = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
XGBOOST_LEGACY = "811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:latest"
FAST_HYPERPARAMETERS = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "max_depth": "4",
    "eta": "0.3",
    "num_round": "20",
}
TUTORIAL_HYPERPARAMETERS = {
    "max_depth": "5",
    "eta": "0.2",
    "gamma": "4",
    "min_child_weight": "6",
    "subsample": "0.8",
    "silent": "0",
    "objective": "binary:logistic",
    "num_round": "100",
}


# ----------------------------------------------------------------------------- bank data


@dataclass(frozen=True)
class BankData:
    bucket: str
    prefix: str
    train_uri: str
    validation_uri: str
    test_features: np.ndarray[Any, np.dtype[np.float64]]
    test_labels: np.ndarray[Any, np.dtype[np.float64]]

    @property
    def output_uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}/output"

    def test_csv(self, rows: int | None = None) -> str:
        """Test features as the SDK's CSVSerializer sends them: one row per line, no header."""
        features = self.test_features if rows is None else self.test_features[:rows]
        return "\n".join(",".join(_number(v) for v in row) for row in features)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def split_bank(seed: int = 1729) -> tuple[list[list[float]], list[list[float]]]:
    """The tutorial's data (examples/bank_data.py), label `y_yes` first and `y_no` dropped,
    shuffled and split 70/30 into (train, test)."""
    columns = clean_columns()
    label, negative = columns.index("y_yes"), columns.index("y_no")
    table = []
    for record in read_bank_additional(BANK_CSV):
        row = clean_row(record)
        features = [float(v) for i, v in enumerate(row) if i not in (label, negative)]
        table.append([float(row[label]), *features])
    random.Random(seed).shuffle(table)
    cut = int(0.7 * len(table))
    return table[:cut], table[cut:]


def to_csv(rows: list[list[float]]) -> bytes:
    out = io.StringIO()
    for row in rows:
        out.write(",".join(_number(v) for v in row))
        out.write("\n")
    return out.getvalue().encode()


def upload_bank_data(s3: Any, bucket: str, prefix: str = "bank") -> BankData:
    train, test = split_bank()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/train/train.csv", Body=to_csv(train))
    s3.put_object(Bucket=bucket, Key=f"{prefix}/validation/validation.csv", Body=to_csv(test))
    matrix = np.asarray(test, dtype=np.float64)
    return BankData(
        bucket=bucket,
        prefix=prefix,
        train_uri=f"s3://{bucket}/{prefix}/train",
        validation_uri=f"s3://{bucket}/{prefix}/validation",
        test_features=matrix[:, 1:],
        test_labels=matrix[:, 0],
    )


# ----------------------------------------------------------------------------- SDK venvs


def sdk_python(major: int) -> Path:
    """The SDK's interpreter: `<repo>/.venv-sdk<major>` (made by scripts/client-venvs.sh).

    `TSUKURU_SDK<major>_PYTHON` points at another interpreter. A missing venv fails the test,
    unless TSUKURU_SKIP_SDK=1 says this machine has none.
    """
    override = os.environ.get(f"TSUKURU_SDK{major}_PYTHON")
    python = Path(override) if override else REPO / f".venv-sdk{major}" / "bin" / "python"
    if python.exists():
        return python
    reason = (
        f"SageMaker SDK v{major} virtualenv not found at {python}; create it with "
        "scripts/client-venvs.sh"
    )
    if os.environ.get("TSUKURU_SKIP_SDK") == "1":
        pytest.skip(reason + " (skipped because TSUKURU_SKIP_SDK=1)")
    pytest.fail(reason + " (or set TSUKURU_SKIP_SDK=1 to skip the SDK tests)")


@dataclass(frozen=True)
class ScriptRun:
    returncode: int
    output: str
    result: dict[str, Any]
    seconds: float


def run_sdk_script(
    platform: RunningPlatform,
    major: int,
    script: str,
    workdir: Path,
    *args: str,
    timeout: float = 240,
) -> ScriptRun:
    """Run `sdk_scripts/<script>` under SDK v<major> through `tsukuru exec`, as a user would
    (offline: the internet is unreachable); its JSON report is read back."""
    python = sdk_python(major)
    workdir.mkdir(parents=True, exist_ok=True)
    result_path = workdir / f"{Path(script).stem}-result.json"
    result_path.unlink(missing_ok=True)
    started = time.monotonic()
    completed = tsukuru_exec(
        platform.home,
        platform.port,
        [str(python), str(SCRIPTS / script), "--result", str(result_path), *args],
        cwd=workdir,
        env=user_environ(workdir, {"SAGEMAKER_SUPPRESS_V2_WARNING": "1"}),
        timeout=timeout,
    )
    seconds = time.monotonic() - started
    output = completed.stdout + completed.stderr
    result = json.loads(result_path.read_text()) if result_path.exists() else {}
    return ScriptRun(completed.returncode, output, result, seconds)


def expect_success(run: ScriptRun) -> dict[str, Any]:
    assert run.returncode == 0, f"client script failed ({run.returncode}):\n{run.output[-6000:]}"
    return run.result


def poll(check: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """The first truthy value of `check()` within `timeout` seconds, else AssertionError."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value {last!r})")
