"""Evaluation metrics the SageMaker container computes itself, and the per-round log line.

The container adds metrics XGBoost lacks (accuracy, f1, precision, r2, ...) and, from 1.3-1,
also computes rmse/mae/mse itself; they are scored with scikit-learn's definitions (macro
averages, 0 when a ratio is undefined) on class labels derived from the predictions, and they
ignore instance weights. They are implemented here with numpy so a job never pays for importing
scikit-learn; the tests check them against scikit-learn.

The per-round line is what users watch and what metric definitions parse:
`[<round>]\\t<data>-<metric>:<value>...`, TAB-separated (CloudWatch renders TAB as `#011`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from tsukuru.runtime.algorithms.errors import ClientError
from tsukuru.runtime.algorithms.xgboost_versions import XGBoostVersion

FloatArray = npt.NDArray[np.floating[Any]]
Score = Callable[[FloatArray, FloatArray], float]

_LOGISTIC = ("binary:logistic", "reg:logistic")
_LOG_LINK = ("count:poisson", "reg:gamma", "reg:tweedie", "survival:cox")
MULTICLASS_BINARY_ERROR = (
    "Target is multiclass but average='binary'. Please choose another average setting, "
    "one of [None, 'micro', 'macro', 'weighted']."
)


def class_labels(
    predictions: FloatArray, objective: str | None, version: XGBoostVersion
) -> FloatArray:
    """Predicted classes from transformed predictions, as the container derives them."""
    if predictions.ndim == 2:
        winners: FloatArray = np.argmax(predictions, axis=1).astype(np.float64)
        return winners
    if version.labels_from_rounding:
        return np.round(predictions).astype(np.float64)
    if objective in _LOGISTIC:
        threshold = 0.5
    elif objective in _LOG_LINK:
        threshold = 1.0
    elif objective in ("multi:softmax", "binary:hinge"):
        return predictions.astype(np.float64)
    else:
        threshold = 0.0
    return (predictions > threshold).astype(np.float64)


def _confusion(labels: FloatArray, predicted: FloatArray) -> tuple[FloatArray, FloatArray]:
    classes = np.union1d(labels, predicted)
    true_idx = np.searchsorted(classes, labels)
    pred_idx = np.searchsorted(classes, predicted)
    matrix = np.zeros((len(classes), len(classes)), dtype=np.float64)
    np.add.at(matrix, (true_idx, pred_idx), 1.0)
    return classes, matrix


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    safe = np.where(denominator == 0, 1.0, denominator)
    result: FloatArray = np.where(denominator == 0, 0.0, numerator / safe)
    return result


def _per_class(labels: FloatArray, predicted: FloatArray) -> tuple[FloatArray, ...]:
    classes, matrix = _confusion(labels, predicted)
    hits = np.diag(matrix)
    predicted_totals = matrix.sum(axis=0)
    true_totals = matrix.sum(axis=1)
    precision = _ratio(hits, predicted_totals)
    recall = _ratio(hits, true_totals)
    f1 = _ratio(2 * hits, predicted_totals + true_totals)
    return classes, precision, recall, f1, true_totals


def _binary(labels: FloatArray, predicted: FloatArray, which: int) -> float:
    classes, *scores, _ = _per_class(labels, predicted)
    if len(classes) > 2 or not set(classes.tolist()) <= {0.0, 1.0}:
        raise ClientError(MULTICLASS_BINARY_ERROR)
    positive = np.nonzero(classes == 1.0)[0]
    return float(scores[which][positive[0]]) if positive.size else 0.0


def _macro(labels: FloatArray, predicted: FloatArray, which: int) -> float:
    _, *scores, _ = _per_class(labels, predicted)
    return float(np.mean(scores[which]))


def _micro(labels: FloatArray, predicted: FloatArray) -> float:
    return float(np.mean(labels == predicted)) if labels.size else 0.0


def _balanced_accuracy(labels: FloatArray, predicted: FloatArray) -> float:
    _, _, recall, _, true_totals = _per_class(labels, predicted)
    present = true_totals > 0
    return float(np.mean(recall[present])) if present.any() else 0.0


def _r2(labels: FloatArray, predictions: FloatArray) -> float:
    residual = float(np.sum((labels - predictions) ** 2))
    total = float(np.sum((labels - np.mean(labels)) ** 2))
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


# name -> (uses class labels, score)
CUSTOM_METRICS: dict[str, tuple[bool, Score]] = {
    "accuracy": (True, _micro),
    "balanced_accuracy": (True, _balanced_accuracy),
    "f1": (True, lambda y, p: _macro(y, p, 2)),
    "f1_macro": (True, lambda y, p: _macro(y, p, 2)),
    "f1_binary": (True, lambda y, p: _binary(y, p, 2)),
    "precision": (True, lambda y, p: _binary(y, p, 0)),
    "precision_macro": (True, lambda y, p: _macro(y, p, 0)),
    "precision_micro": (True, _micro),
    "recall": (True, lambda y, p: _binary(y, p, 1)),
    "recall_macro": (True, lambda y, p: _macro(y, p, 1)),
    "recall_micro": (True, _micro),
    "mse": (False, lambda y, p: float(np.mean((y - p) ** 2))),
    "rmse": (False, lambda y, p: float(np.sqrt(np.mean((y - p) ** 2)))),
    "mae": (False, lambda y, p: float(np.mean(np.abs(y - p)))),
    "r2": (False, _r2),
}


def split_metrics(requested: Sequence[str], version: XGBoostVersion) -> tuple[list[str], list[str]]:
    """(metrics XGBoost computes, metrics the container computes), each in request order."""
    custom = [name for name in requested if name in version.custom_metrics]
    native = [name for name in requested if name not in version.custom_metrics]
    return native, custom


def custom_metric_function(
    names: Sequence[str], objective: str | None, version: XGBoostVersion
) -> Callable[[FloatArray, Any], list[tuple[str, float]]]:
    """An xgboost `custom_metric` scoring every container-computed metric in `names`."""

    def evaluate(predictions: FloatArray, dmatrix: Any) -> list[tuple[str, float]]:
        labels = np.asarray(dmatrix.get_label(), dtype=np.float64)
        values = np.asarray(predictions, dtype=np.float64)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        classes = class_labels(values, objective, version) if values.size else values
        results = []
        for name in names:
            uses_classes, score = CUSTOM_METRICS[name]
            if values.size == 0:
                results.append((name, 0.0))
                continue
            results.append((name, score(labels, classes if uses_classes else values)))
        return results

    return evaluate


def format_round(
    epoch: int,
    evals_log: Mapping[str, Mapping[str, Sequence[Any]]],
    custom: Sequence[str],
    version: XGBoostVersion,
) -> str:
    """One per-round line in the version's format, e.g. `[3]\\ttrain-auc:0.91234`."""
    entries: list[tuple[str, str, float]] = []
    for data, metrics in evals_log.items():
        for metric, history in metrics.items():
            last = history[-1]
            score = float(last[0] if isinstance(last, tuple) else last)
            entries.append((data, metric, score))
    if not version.monitor_groups_by_dataset:
        entries = [e for e in entries if e[1] not in custom] + [
            e for e in entries if e[1] in custom
        ]
    spec = version.metric_format
    fields = "".join(f"\t{data}-{metric}:{score:{spec}}" for data, metric, score in entries)
    return f"[{epoch}]{fields}"
