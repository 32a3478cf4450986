"""Build SageMaker-style job trees for runtime tests, and run the runtime on them.

The bank-marketing sample is one-hot encoded with the standard library and numpy (label first,
no header), the layout the built-in XGBoost expects for text/csv.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[2]
BANK_CSV = REPO.parent / "shared" / "data" / "bank-additional" / "bank-additional.csv"


@cache
def bank_matrix() -> npt.NDArray[np.float64]:
    """The bank sample as floats: column 0 is y (1 = yes), then numeric and one-hot columns."""
    with BANK_CSV.open(newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header, body = rows[0], rows[1:]
    columns: list[list[float]] = []
    label = [1.0 if row[header.index("y")] == "yes" else 0.0 for row in body]
    for index, name in enumerate(header):
        if name == "y":
            continue
        values = [row[index] for row in body]
        try:
            columns.append([float(value) for value in values])
        except ValueError:
            for category in sorted(set(values)):
                columns.append([1.0 if value == category else 0.0 for value in values])
    return np.column_stack([label, *columns])


def write_csv(path: Path, matrix: npt.NDArray[np.float64]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, matrix, delimiter=",", fmt="%.10g")
    return path


@dataclass
class Job:
    root: Path
    hyperparameters: dict[str, str]
    channels: dict[str, dict[str, str]] = field(default_factory=dict)

    def channel(self, name: str) -> Path:
        return self.root / "input" / "data" / name

    @property
    def model_file(self) -> Path:
        return self.root / "model" / "xgboost-model"

    @property
    def failure(self) -> str:
        path = self.root / "output" / "failure"
        return path.read_text() if path.exists() else ""


def make_job(
    root: Path,
    hyperparameters: Mapping[str, str],
    channels: Mapping[str, str] | None = None,
    *,
    checkpoints: bool = False,
) -> Job:
    """A job tree whose channels (name -> ContentType) are empty folders to fill in."""
    channels = dict(channels if channels is not None else {"train": "text/csv"})
    config = root / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    data_config = {
        name: {
            "ContentType": content_type,
            "TrainingInputMode": "File",
            "S3DistributionType": "FullyReplicated",
            "RecordWrapperType": "None",
        }
        for name, content_type in channels.items()
    }
    (config / "hyperparameters.json").write_text(json.dumps(dict(hyperparameters)))
    (config / "inputdataconfig.json").write_text(json.dumps(data_config))
    (config / "resourceconfig.json").write_text(
        json.dumps(
            {"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"}
        )
    )
    if checkpoints:
        (config / "checkpointconfig.json").write_text(
            json.dumps({"LocalPath": "/opt/ml/checkpoints", "S3Uri": "s3://bucket/checkpoints"})
        )
    for name in channels:
        (root / "input" / "data" / name).mkdir(parents=True, exist_ok=True)
    for folder in ("model", "output/data", "checkpoints", "code"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    return Job(root, dict(hyperparameters), data_config)


def job_environment(job: Job, version: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "TSUKURU_JOB_ROOT": str(job.root),
            "TSUKURU_ALGORITHM": "xgboost",
            "TSUKURU_ALGORITHM_VERSION": version,
            "TSUKURU_NUM_CPUS": "2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def run_job(
    job: Job, version: str = "1.7-1", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m tsukuru.runtime.train` on the job, as the platform starts it."""
    return subprocess.run(
        [sys.executable, "-m", "tsukuru.runtime.train"],
        cwd=job.root,
        env=job_environment(job, version),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_in_process(job: Job, version: str = "1.7-1") -> int:
    """The same job through `tsukuru.runtime.train.run` in this process (faster for checks)."""
    from tsukuru.runtime.train import run

    return run(job_environment(job, version))
