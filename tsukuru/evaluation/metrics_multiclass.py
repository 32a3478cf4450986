"""Multiclass metrics: for `multi:softmax` (one label per row) and `multi:softprob` models.

XGBoost numbers classes 0..num_class-1 and a softprob model answers one probability per class
in that order, so column i of a probability matrix is class i and the predicted label is the
column with the highest probability. With probabilities we can also give a log loss and a
one-vs-rest ROC AUC; from labels alone we cannot, and those are `None`.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn import metrics as skm

FloatArray = npt.NDArray[np.float64]
# A probability row may be off by float32 rounding; farther off it is not a distribution.
_SUM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class ClassMetrics:
    label: int | float
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class MulticlassReport:
    rows: int
    classes: list[int | float]
    confusion_matrix: list[list[int]]  # rows: actual class, columns: predicted class
    per_class: list[ClassMetrics]
    accuracy: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    weighted_f1: float
    from_probabilities: bool
    log_loss: float | None
    roc_auc_ovr: float | None  # macro average of one-vs-rest AUCs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _class_value(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def multiclass_metrics(y_true: Any, labels_or_probabilities: Any) -> MulticlassReport:
    """Confusion matrix, per-class and averaged precision/recall/F1, accuracy (+ log loss, AUC)."""
    actual = np.asarray(y_true, dtype=np.float64)
    predictions = np.asarray(labels_or_probabilities, dtype=np.float64)
    if len(actual) != len(predictions):
        raise ValueError(
            f"{len(actual)} labels but {len(predictions)} predictions: "
            "each labelled row needs exactly one prediction"
        )
    if len(actual) == 0:
        raise ValueError("there is nothing to evaluate: no labelled rows")
    if not (np.all(np.isfinite(actual)) and np.all(np.isfinite(predictions))):
        raise ValueError("the labels or predictions hold missing or infinite values")
    probabilities: FloatArray | None = None
    if predictions.ndim == 2 and predictions.shape[1] > 1:
        probabilities = predictions
        width = predictions.shape[1]
        outside = actual[(actual < 0) | (actual >= width) | (actual != np.round(actual))]
        if outside.size:
            raise ValueError(
                f"probability vectors have {width} columns (classes 0..{width - 1}), "
                f"but the labels include {_class_value(outside[0])}"
            )
        predicted = np.argmax(predictions, axis=1).astype(np.float64)
        classes = np.arange(width, dtype=np.float64)
    elif predictions.ndim == 1 or predictions.shape[1] == 1:
        predicted = predictions.reshape(-1)
        classes = np.union1d(actual, predicted)
    else:
        raise ValueError(
            f"multiclass predictions must be labels or vectors, got shape {predictions.shape}"
        )
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        actual, predicted, labels=classes, zero_division=0
    )
    per_class = [
        ClassMetrics(
            label=_class_value(label),
            precision=float(p),
            recall=float(r),
            f1=float(f),
            support=int(s),
        )
        for label, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)
    ]
    confusion = skm.confusion_matrix(actual, predicted, labels=classes)
    log_loss, auc = _probability_metrics(actual, probabilities)
    return MulticlassReport(
        rows=len(actual),
        classes=[_class_value(c) for c in classes],
        confusion_matrix=confusion.astype(int).tolist(),
        per_class=per_class,
        accuracy=float(skm.accuracy_score(actual, predicted)),
        macro_precision=float(np.mean(precision)),
        macro_recall=float(np.mean(recall)),
        macro_f1=float(np.mean(f1)),
        weighted_f1=float(
            skm.f1_score(actual, predicted, labels=classes, average="weighted", zero_division=0)
        ),
        from_probabilities=probabilities is not None,
        log_loss=log_loss,
        roc_auc_ovr=auc,
    )


def _probability_metrics(
    actual: FloatArray, probabilities: FloatArray | None
) -> tuple[float | None, float | None]:
    if probabilities is None:
        return None, None
    if probabilities.min() < 0 or probabilities.max() > 1:
        return None, None
    if not np.allclose(probabilities.sum(axis=1), 1.0, atol=_SUM_TOLERANCE):
        return None, None
    labels = list(range(probabilities.shape[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "do not sum to one" for float32 rounding
        log_loss = float(skm.log_loss(actual, probabilities, labels=labels))
        auc: float | None = None
        every_class_present = len(np.unique(actual)) == probabilities.shape[1]
        if every_class_present and np.allclose(1, probabilities.sum(axis=1)):  # sklearn's test
            auc = float(skm.roc_auc_score(actual, probabilities, multi_class="ovr", labels=labels))
    return log_loss, auc
