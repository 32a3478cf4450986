"""Every user mistake fails fast with the container's message in output/failure."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.runtime.jobtree import Job, make_job, run_in_process, write_csv

BINARY = {"num_round": "3", "objective": "binary:logistic"}


def synthetic(rows: int = 60, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 3))
    label = (features[:, 0] > 0).astype(float)
    return np.column_stack([label, features])


def job_with_data(
    root: Path, hyperparameters: dict[str, str], channels: dict[str, str] | None = None
) -> Job:
    job = make_job(root, hyperparameters, channels or {"train": "text/csv"})
    for name in job.channels:
        write_csv(job.channel(name) / "data.csv", synthetic())
    return job


def failed(job: Job, version: str = "1.7-1") -> str:
    assert run_in_process(job, version) == 1
    assert not job.model_file.exists()
    assert not (job.root / "output" / "success").exists()
    return job.failure


def test_missing_num_round(tmp_path: Path) -> None:
    job = job_with_data(tmp_path, {"objective": "binary:logistic"})
    assert failed(job) == "ClientError: Missing required hyperparameter: num_round"


def test_silent_on_1_7(tmp_path: Path) -> None:
    job = job_with_data(tmp_path, {**BINARY, "silent": "0"})
    assert failed(job) == "ClientError: Extraneous hyperparameter found: silent"


def test_bad_value(tmp_path: Path) -> None:
    job = job_with_data(tmp_path, {**BINARY, "max_depth": "deep"})
    assert failed(job) == (
        "ClientError: Hyperparameter max_depth: could not parse value (caused by ValueError)"
    )


def test_value_out_of_range(tmp_path: Path) -> None:
    job = job_with_data(tmp_path, {**BINARY, "eta": "1.5"})
    assert failed(job) == "ClientError: Hyperparameter eta: 1.5 is not in [0, 1]"


def test_unknown_channel(tmp_path: Path) -> None:
    job = job_with_data(tmp_path, BINARY, {"train": "text/csv", "test": "text/csv"})
    assert failed(job) == "ClientError: Extraneous channel found: test"


def test_missing_train_channel(tmp_path: Path) -> None:
    job = job_with_data(tmp_path, BINARY, {"validation": "text/csv"})
    assert failed(job) == "ClientError: Missing required channel: train"


def test_empty_train_channel(tmp_path: Path) -> None:
    job = make_job(tmp_path, BINARY, {"train": "text/csv"})
    path = job.channel("train")
    assert failed(job) == f"ClientError: No data in training channel path {path}"


def test_empty_validation_channel(tmp_path: Path) -> None:
    job = make_job(tmp_path, BINARY, {"train": "text/csv", "validation": "text/csv"})
    write_csv(job.channel("train") / "data.csv", synthetic())
    path = job.channel("validation")
    assert failed(job) == f"ClientError: No data in validation channel path {path}"


def test_label_outside_0_1_for_binary_logistic(tmp_path: Path) -> None:
    job = make_job(tmp_path, BINARY)
    data = synthetic()
    data[5, 0] = 2.0
    write_csv(job.channel("train") / "data.csv", data)
    assert failed(job) == "ClientError: label must be in [0,1] for logistic regression"


def test_label_outside_num_class(tmp_path: Path) -> None:
    job = make_job(tmp_path, {"num_round": "2", "objective": "multi:softmax", "num_class": "2"})
    data = synthetic()
    data[0, 0] = 3
    write_csv(job.channel("train") / "data.csv", data)
    assert failed(job) == "ClientError: SoftmaxMultiClassObj: label must be in [0, num_class)."


def test_recordio_protobuf_is_not_supported_here(tmp_path: Path) -> None:
    job = make_job(tmp_path, BINARY, {"train": "application/x-recordio-protobuf"})
    (job.channel("train") / "data.rec").write_bytes(b"\x0a\xd5\xe8\xce")
    reason = failed(job)
    assert reason.startswith("ClientError: Content type application/x-recordio-protobuf")
    assert "text/csv" in reason


def test_hidden_file(tmp_path: Path) -> None:
    job = job_with_data(tmp_path, BINARY)
    (job.channel("train") / ".hidden").write_text("x")
    assert failed(job) == (
        "ClientError: Hidden file found in the data path! Remove that before training."
    )


def test_csv_with_a_header(tmp_path: Path) -> None:
    job = make_job(tmp_path, BINARY)
    (job.channel("train") / "data.csv").write_text("y,a,b\n1,2,3\n0,1,1\n")
    assert failed(job).startswith("ClientError: Failed to load csv data with exception:\n")


def test_unaccepted_content_type(tmp_path: Path) -> None:
    job = job_with_data(tmp_path, BINARY, {"train": "application/json"})
    assert failed(job).startswith(
        "ClientError: Channel configuration for 'train' channel is not supported: "
        "{'ContentType': 'application/json'"
    )


def test_training_failures_are_algorithm_errors(tmp_path: Path) -> None:
    job = job_with_data(tmp_path, {"num_round": "2", "objective": "reg:squaredlogerror"})
    data = synthetic()
    data[:, 0] = -5.0
    write_csv(job.channel("train") / "data.csv", data)
    reason = failed(job)
    assert reason.startswith("AlgorithmError: XGB train call failed with exception:\n ")
    assert "label must be greater than -1" in reason
    assert "Stack trace" not in reason


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (
            lambda env: env.pop("TSUKURU_ALGORITHM_VERSION"),
            "AlgorithmError: TSUKURU_ALGORITHM_VERSION",
        ),
        (lambda env: env.update(TSUKURU_ALGORITHM="kmeans"), "AlgorithmError: Unknown built-in"),
        (
            lambda env: env.update(TSUKURU_ALGORITHM_VERSION="9.9-9"),
            "AlgorithmError: Unknown XGBoost",
        ),
    ],
)
def test_platform_mistakes(
    tmp_path: Path, mutate: Callable[[dict[str, str]], object], reason: str
) -> None:
    from tests.runtime.jobtree import job_environment
    from tsukuru.runtime.train import run

    job = job_with_data(tmp_path, BINARY)
    env = job_environment(job, "1.7-1")
    mutate(env)
    assert run(env) == 1
    assert job.failure.startswith(reason)


def test_parquet_with_text_columns(tmp_path: Path) -> None:
    job = make_job(tmp_path, BINARY, {"train": "application/x-parquet"})
    pq.write_table(pa.table({"y": [0, 1], "x": ["a", "b"]}), job.channel("train") / "d.parquet")
    assert failed(job).startswith("ClientError: Failed to load parquet data with exception:\n")


def test_a_previous_failure_file_is_cleared(tmp_path: Path) -> None:
    job = job_with_data(tmp_path, BINARY)
    (job.root / "output" / "failure").write_text("ClientError: old")
    assert run_in_process(job) == 0
    assert job.failure == ""
    assert json.loads((job.root / "input/config/hyperparameters.json").read_text()) == BINARY


def test_validation_with_other_columns(tmp_path: Path) -> None:
    job = make_job(tmp_path, BINARY, {"train": "text/csv", "validation": "text/csv"})
    write_csv(job.channel("train") / "data.csv", synthetic())
    write_csv(job.channel("validation") / "data.csv", synthetic()[:, :3])
    assert failed(job) == (
        "ClientError: The validation data has 2 features but the training data has 3; "
        "both channels need the same columns"
    )
