"""The SageMaker-style tree a job runs in, found from TSUKURU_JOB_ROOT instead of /opt/ml.

The platform prepares the tree (config JSONs, materialized channels) and the runtime only reads
and writes inside it, so the same job runs anywhere the tree can be built. Paths mirror
/opt/ml exactly, which keeps the `SM_*` environment (env.py) and user scripts familiar.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tsukuru.runtime.algorithms.errors import AlgorithmError, ClientError

JOB_ROOT_ENV = "TSUKURU_JOB_ROOT"


@dataclass(frozen=True)
class JobLayout:
    root: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> JobLayout:
        root = environ.get(JOB_ROOT_ENV)
        if not root:
            raise AlgorithmError(f"{JOB_ROOT_ENV} is not set: the platform must name the job tree")
        return cls(Path(root))

    # ------------------------------------------------------------------ paths

    @property
    def input_dir(self) -> Path:
        return self.root / "input"

    @property
    def config_dir(self) -> Path:
        return self.input_dir / "config"

    @property
    def data_dir(self) -> Path:
        return self.input_dir / "data"

    @property
    def hyperparameters_file(self) -> Path:
        return self.config_dir / "hyperparameters.json"

    @property
    def input_data_config_file(self) -> Path:
        return self.config_dir / "inputdataconfig.json"

    @property
    def resource_config_file(self) -> Path:
        return self.config_dir / "resourceconfig.json"

    @property
    def checkpoint_config_file(self) -> Path:
        return self.config_dir / "checkpointconfig.json"

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def output_data_dir(self) -> Path:
        return self.output_dir / "data"

    @property
    def output_intermediate_dir(self) -> Path:
        return self.output_dir / "intermediate"

    @property
    def failure_file(self) -> Path:
        return self.output_dir / "failure"

    @property
    def success_file(self) -> Path:
        return self.output_dir / "success"

    @property
    def checkpoints_dir(self) -> Path:
        return self.root / "checkpoints"

    @property
    def code_dir(self) -> Path:
        return self.root / "code"

    def channel_dir(self, channel: str) -> Path:
        return self.data_dir / channel

    # ------------------------------------------------------------------ config files

    def hyperparameters(self) -> dict[str, str]:
        """hyperparameters.json as strings (SageMaker passes every value as a string)."""
        raw = _read_object(self.hyperparameters_file, required=False)
        return {str(key): _as_text(value) for key, value in raw.items()}

    def input_data_config(self) -> dict[str, dict[str, Any]]:
        raw = _read_object(self.input_data_config_file, required=False)
        return {str(name): dict(value or {}) for name, value in raw.items()}

    def resource_config(self) -> dict[str, Any]:
        raw = _read_object(self.resource_config_file, required=False)
        return raw or {"current_host": "algo-1", "hosts": ["algo-1"]}

    def checkpoint_config(self) -> dict[str, Any] | None:
        """checkpointconfig.json, present only when the job asked for checkpoints."""
        if not self.checkpoint_config_file.is_file():
            return None
        return _read_object(self.checkpoint_config_file, required=True)

    # ------------------------------------------------------------------ outcome files

    def write_failure(self, reason: str) -> None:
        _write_atomically(self.failure_file, reason)

    def write_success(self) -> None:
        _write_atomically(self.success_file, "")


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _read_object(path: Path, *, required: bool) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise AlgorithmError(f"Missing configuration file {path}") from None
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ClientError(f"{path.name} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ClientError(f"{path.name} must hold a JSON object")
    return value


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
