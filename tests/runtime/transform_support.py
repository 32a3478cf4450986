"""Helpers for the batch transform runtime tests: a real job folder, a real model, real runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tests.runtime.serve_support import synthetic_booster, write_model
from tsukuru.runtime import transform

FEATURES = 6

DEFAULTS: dict[str, Any] = {
    "ContentType": "text/csv",
    "CompressionType": "None",
    "SplitType": "Line",
    "BatchStrategy": "MultiRecord",
    "MaxPayloadInMB": 6,
    "MaxConcurrentTransforms": 2,
    "Accept": "text/csv",
    "AssembleWith": "Line",
    "InputFilter": "$",
    "OutputFilter": "$",
    "JoinSource": "None",
    "InvocationsTimeoutInSeconds": 600,
    "InvocationsMaxRetries": 3,
}


@lru_cache(maxsize=1)
def booster() -> Any:
    return synthetic_booster("binary:logistic", features=FEATURES)


def rows(count: int, seed: int = 3, features: int = FEATURES) -> np.ndarray[Any, Any]:
    return np.round(np.random.default_rng(seed).normal(size=(count, features)), 4)


def csv_text(matrix: np.ndarray[Any, Any], label: bool = False) -> str:
    """One row per line; with `label`, a leading 0/1 column like a labelled data set."""
    lines = []
    for index, row in enumerate(matrix):
        fields = [f"{value:.4f}" for value in row]
        if label:
            fields.insert(0, str(index % 2))
        lines.append(",".join(fields))
    return "\n".join(lines) + "\n"


def predictions(matrix: np.ndarray[Any, Any]) -> list[str]:
    """What the model server writes for each row: str() of the float32 prediction."""
    values = booster().inplace_predict(np.asarray(matrix, dtype=np.float64))
    return [str(value) for value in values.tolist()]


@dataclass(frozen=True)
class Job:
    root: Path
    environ: dict[str, str]

    def run(self) -> int:
        return transform.run(self.environ)

    def output(self, relative: str) -> bytes:
        return (self.root / "output" / "data" / (relative + ".out")).read_bytes()

    def has_output(self, relative: str) -> bool:
        return (self.root / "output" / "data" / (relative + ".out")).exists()

    @property
    def failure(self) -> str:
        path = self.root / "output" / "failure"
        return path.read_text().strip() if path.exists() else ""


def make_job(
    tmp_path: Path,
    files: dict[str, bytes],
    *,
    version: str = "1.7-1",
    environ: dict[str, str] | None = None,
    **settings: Any,
) -> Job:
    """A job folder holding `files` (relative key → bytes), the test model and the settings."""
    root = tmp_path / "job"
    data = root / "input" / "data"
    for relative, content in files.items():
        path = data / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    write_model(root / "model", booster())
    config = {**DEFAULTS, **settings}
    config["Files"] = [{"Path": name, "Uri": f"s3://bucket/in/{name}"} for name in files]
    (root / "input" / "config").mkdir(parents=True, exist_ok=True)
    (root / "input" / "config" / "transform.json").write_text(json.dumps(config))
    env = {
        "TSUKURU_JOB_ROOT": str(root),
        "TSUKURU_ALGORITHM": "xgboost",
        "TSUKURU_ALGORITHM_VERSION": version,
        "SAGEMAKER_BATCH": "true",
        "TSUKURU_NUM_CPUS": "2",
        **(environ or {}),
    }
    return Job(root, env)
