"""Predictions of the built-in XGBoost model server, written the way each image version writes them.

Clients parse these bytes (the AWS tutorial does `np.fromstring(body, sep=",")`), so the format
is part of the API: the legacy image and 0.90-1 to 1.2-1 answer one comma-joined line whatever
the Accept; 1.2-2 and later honour Accept with one prediction per CSV line, or
`{"predictions": [{"score": ...}]}`; `SAGEMAKER_INFERENCE_OUTPUT` (1.0-1 and later) selects
labels, probabilities and raw scores per objective; batch transform (`SAGEMAKER_BATCH`) gets one
line per record. Numbers are Python's `str()` of each float32 prediction, as in the container.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from typing import Any

import numpy as np

from tsukuru.runtime.algorithms.xgboost_serving_text import joined_floats
from tsukuru.runtime.serve import InvocationError

CSV = "text/csv"
JSON = "application/json"
JSONLINES = "application/jsonlines"
SUPPORTED_ACCEPTS = (JSON, JSONLINES, CSV)
_RESPONSE_TYPES = {CSV: "text/csv; charset=utf-8", JSON: JSON, JSONLINES: JSONLINES}

PREDICTED_LABEL = "predicted_label"
LABELS = "labels"
PROBABILITY = "probability"
PROBABILITIES = "probabilities"
RAW_SCORE = "raw_score"
RAW_SCORES = "raw_scores"
PREDICTED_SCORE = "predicted_score"
_KEY_ORDER = (
    PREDICTED_LABEL,
    LABELS,
    PROBABILITY,
    PROBABILITIES,
    RAW_SCORE,
    RAW_SCORES,
    PREDICTED_SCORE,
)
_REGRESSION = (PREDICTED_SCORE,)
_LABELS_ONLY = (PREDICTED_LABEL, LABELS, RAW_SCORE, RAW_SCORES)
_PROBABILISTIC = (PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES, RAW_SCORE, RAW_SCORES)
VALID_KEYS_BY_OBJECTIVE: dict[str, tuple[str, ...]] = {
    "reg:squarederror": _REGRESSION,
    "reg:logistic": _REGRESSION,
    "reg:gamma": _REGRESSION,
    "reg:absoluteerror": _REGRESSION,
    "reg:tweedie": _REGRESSION,
    "binary:logistic": _PROBABILISTIC,
    "binary:logitraw": _LABELS_ONLY,
    "binary:hinge": _LABELS_ONLY,
    "multi:softmax": _LABELS_ONLY,
    "multi:softprob": _PROBABILISTIC,
}


def selected_keys(setting: str | None) -> tuple[str, ...] | None:
    """`SAGEMAKER_INFERENCE_OUTPUT` → keys (spaces dropped, lower-cased); None when not set."""
    if setting is None or not setting.strip():
        return None
    return tuple(setting.replace(" ", "").lower().split(","))


@lru_cache(maxsize=256)
def resolve_accept(accept: str | None, default: str) -> str:
    """The response type for an Accept header: the first supported type it lists."""
    for part in (accept or "").split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media in SUPPORTED_ACCEPTS:
            return media
        if media == "text/*":
            return CSV
        if media == "*/*":
            return default
    if not (accept or "").strip():
        return default
    raise InvocationError(
        HTTPStatus.NOT_ACCEPTABLE,
        f"Accept type {accept} is not supported. Please use supported accept types: "
        f"{sorted(SUPPORTED_ACCEPTS)}.",
    )


@dataclass(frozen=True)
class ResponseEncoder:
    """Turns a prediction array into (body, Content-Type) for one endpoint's settings."""

    comma_joined: bool  # legacy image and 0.90-1 ... 1.2-1
    selection: tuple[str, ...] | None  # SAGEMAKER_INFERENCE_OUTPUT, where the version has it
    objective: str
    num_class: int
    batch: bool  # SAGEMAKER_BATCH
    default_accept: str  # SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT

    def encode(self, predictions: np.ndarray[Any, Any], accept: str | None) -> tuple[bytes, str]:
        if self.comma_joined and self.selection is None:
            separator, end = ("\n", "\n") if self.batch else (",", "")
            return records_text(predictions, separator, end), _RESPONSE_TYPES[CSV]
        media = resolve_accept(accept, self.default_accept)
        if self.selection is not None:
            return self._selected(predictions, media), _RESPONSE_TYPES.get(media, media)
        if self.batch:
            return records_text(predictions, "\n", "\n"), _RESPONSE_TYPES[media]
        if media == CSV:
            return csv_lines(predictions), _RESPONSE_TYPES[CSV]
        scores = [{"score": value} for value in predictions.tolist()]
        if media == JSON:
            return json.dumps({"predictions": scores}).encode(), JSON
        return "".join(json.dumps(s) + "\n" for s in scores).encode(), JSONLINES

    def _selected(self, predictions: np.ndarray[Any, Any], media: str) -> bytes:
        valid = VALID_KEYS_BY_OBJECTIVE.get(self.objective)
        if valid is None:
            raise InvocationError(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                f"Objective `{self.objective}` unsupported for selectable inference predictions.",
            )
        assert self.selection is not None
        rows = [self._select(prediction, valid) for prediction in predictions]
        if media == JSON:
            return json.dumps({"predictions": rows}).encode()
        if media == JSONLINES:
            return "".join(json.dumps(row) + "\n" for row in rows).encode()
        lines = "\n".join(",".join(_csv_field(row[key]) for key in self.selection) for row in rows)
        return (lines + "\n" if self.batch else lines).encode()

    def _select(self, raw: np.ndarray[Any, Any], valid: Sequence[str]) -> dict[str, Any]:
        assert self.selection is not None
        row: dict[str, Any] = {}
        for key in _KEY_ORDER:
            if key in self.selection and key in valid:
                row[key] = _selected_value(key, self.objective, self.num_class, raw)
        for key in self.selection:
            if key not in row:
                row[key] = float("nan")  # a key this objective cannot answer, as the container
        return row


def records_text(predictions: np.ndarray[Any, Any], separator: str, end: str) -> bytes:
    """Each record's `str` (a list for a record with several outputs), joined by `separator`."""
    if predictions.ndim == 1:
        fast = joined_floats(predictions, ",", separator, end)
        if fast is not None:
            return fast
    return (separator.join(map(str, predictions.tolist())) + end).encode()


def csv_lines(predictions: np.ndarray[Any, Any]) -> bytes:
    """One record per line with a trailing newline; a record with several outputs is a row."""
    if not predictions.size:
        return b""
    if predictions.ndim == 1:
        return records_text(predictions, "\n", "\n")
    fast = joined_floats(predictions, ",", "\n", "\n")
    if fast is not None:
        return fast
    return "".join(",".join(map(str, row)) + "\n" for row in predictions.tolist()).encode()


def _csv_field(value: Any) -> str:
    return f'"{value}"' if isinstance(value, list) else str(value)


def _selected_value(key: str, objective: str, num_class: int, raw: np.ndarray[Any, Any]) -> Any:
    """One selectable-output value for one record's raw prediction (scalar or class vector)."""
    softprob = objective == "multi:softprob"
    if key == PREDICTED_LABEL:
        if objective in ("binary:hinge", "multi:softmax"):
            return raw.item()
        if objective == "binary:logistic":
            return int(raw > 0.5)
        if objective == "binary:logitraw":
            return int(raw > 0)
        return int(np.argmax(raw))
    if key == LABELS:
        if objective.startswith("binary:"):
            return [0, 1]
        return list(range(num_class)) if num_class else float("nan")
    if key in (PROBABILITY, RAW_SCORE) and softprob:
        return max(raw.tolist())
    if key in (PROBABILITIES, RAW_SCORES):
        if softprob:
            return raw.tolist()
        positive = raw.item()
        return [1.0 - positive, positive]
    return raw.item()  # probability / raw_score of a binary or softmax model, predicted_score
