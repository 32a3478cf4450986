"""Inference for a scikit-learn model trained anywhere, saved as `model.joblib` in model.tar.gz.

Deployed with `SKLearnModel(model_data=..., entry_point="inference.py")`. Requests are JSON:
a list of rows, one row, or `{"instances": [...]}`; answers are `{"probabilities": [...]}`.
"""

from __future__ import annotations

import json
import os
from typing import Any

import joblib
import numpy as np


def model_fn(model_dir: str) -> Any:
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(body: str | bytes, content_type: str) -> np.ndarray:
    if not content_type.startswith("application/json"):
        raise ValueError(f"send application/json, not {content_type}")
    document = json.loads(body)
    if isinstance(document, dict):
        document = document["instances"]
    return np.atleast_2d(np.asarray(document, dtype=np.float64))


def predict_fn(rows: np.ndarray, model: Any) -> np.ndarray:
    return model.predict_proba(rows)[:, 1]


def output_fn(probabilities: np.ndarray, accept: str) -> tuple[str, str]:
    return json.dumps({"probabilities": probabilities.round(6).tolist()}), "application/json"
