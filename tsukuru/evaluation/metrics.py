"""The numbers of a model evaluation: binary, regression and multiclass metrics.

Users compare these numbers with what they compute in a notebook, so every metric is the one
scikit-learn computes on the same predictions (the tests assert equality), and every choice
scikit-learn leaves open is fixed here and documented: a score at or above the threshold is a
positive (the rule under which `roc_curve`/`precision_recall_curve` thresholds reproduce their
points), a ratio with a zero denominator is 0, and a metric that is undefined for the data (an
AUC with one class present, a log loss of scores outside [0, 1]) is `None` rather than a guess.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sklearn import metrics as skm

from tsukuru.evaluation.metrics_multiclass import (
    ClassMetrics,
    MulticlassReport,
    multiclass_metrics,
)

FloatArray = npt.NDArray[np.float64]
ThresholdRule = Literal["f1", "youden"]
Threshold = float | ThresholdRule

__all__ = [
    "BinaryReport",
    "ClassMetrics",
    "Curve",
    "Kind",
    "MulticlassReport",
    "RegressionReport",
    "Threshold",
    "binary_metrics",
    "detect_kind",
    "multiclass_metrics",
    "parse_threshold",
    "regression_metrics",
]

# A label column with more distinct integer values than this is a regression target.
MAX_CLASSES = 100


class Kind(StrEnum):
    BINARY = "binary"
    REGRESSION = "regression"
    MULTICLASS = "multiclass"


@dataclass(frozen=True)
class Curve:
    """Points of a ROC (x=FPR, y=TPR) or precision-recall (x=recall, y=precision) curve."""

    x: list[float]
    y: list[float]
    thresholds: list[float | None]  # None stands for roc_curve's +inf (nothing positive)


@dataclass(frozen=True)
class BinaryReport:
    rows: int
    positives: int
    negatives: int
    threshold: float
    threshold_rule: str  # "fixed", "f1" (F1-best) or "youden" (Youden's J = TPR - FPR)
    true_negatives: int
    false_positives: int
    false_negatives: int
    true_positives: int
    accuracy: float
    precision: float
    recall: float
    specificity: float
    f1: float
    balanced_accuracy: float
    false_positive_rate: float
    roc_auc: float | None
    average_precision: float | None
    log_loss: float | None
    brier_score: float | None
    roc: Curve
    precision_recall: Curve

    @property
    def confusion_matrix(self) -> list[list[int]]:
        """Rows: actual 0, 1; columns: predicted 0, 1 (scikit-learn's layout)."""
        return [
            [self.true_negatives, self.false_positives],
            [self.false_negatives, self.true_positives],
        ]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["confusion_matrix"] = self.confusion_matrix
        return data


@dataclass(frozen=True)
class RegressionReport:
    rows: int
    rmse: float
    mse: float
    mae: float
    median_absolute_error: float
    max_error: float
    r2: float
    explained_variance: float
    mean_actual: float
    mean_predicted: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _array(values: Any, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.size and not np.all(np.isfinite(array)):
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ValueError(f"{name} holds {bad} missing or infinite value(s)")
    return array


def _same_length(y_true: FloatArray, predictions: FloatArray) -> None:
    if len(y_true) != len(predictions):
        raise ValueError(
            f"{len(y_true)} labels but {len(predictions)} predictions: "
            "each labelled row needs exactly one prediction"
        )
    if len(y_true) == 0:
        raise ValueError("there is nothing to evaluate: no labelled rows")


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def parse_threshold(text: str | float) -> Threshold:
    """`0.5`, `"0.3"`, `"f1"` or `"youden"` → a threshold; anything else is a ValueError."""
    if isinstance(text, float | int):
        value = float(text)
    else:
        word = text.strip().lower()
        if word in ("f1", "youden"):
            return "f1" if word == "f1" else "youden"
        try:
            value = float(word)
        except ValueError:
            raise ValueError(
                f"threshold must be a number, 'f1' or 'youden', got {text!r}"
            ) from None
    if not math.isfinite(value):
        raise ValueError(f"threshold must be a finite number, got {value}")
    return value


def binary_metrics(y_true: Any, scores: Any, threshold: Threshold = 0.5) -> BinaryReport:
    """Metrics of positive-class scores against 0/1 labels at a fixed or chosen threshold."""
    labels = _array(y_true, "the labels")
    values = _array(scores, "the scores")
    if values.ndim != 1:
        raise ValueError(f"binary scores must be one number per row, got shape {values.shape}")
    _same_length(labels, values)
    if not np.all(np.isin(labels, (0.0, 1.0))):
        found = ", ".join(map(_label_text, np.unique(labels)[:10]))
        raise ValueError(f"binary labels must be 0 and 1, found {found}")
    actual = labels.astype(np.int64)
    positives = int(actual.sum())
    negatives = len(actual) - positives
    both_classes = positives > 0 and negatives > 0
    roc, pr = _curves(actual, values) if both_classes else (_EMPTY, _EMPTY)
    cut, rule = _resolve_threshold(threshold, actual, values, both_classes)
    predicted = (values >= cut).astype(np.int64)
    tp = int(np.count_nonzero((predicted == 1) & (actual == 1)))
    fp = int(np.count_nonzero((predicted == 1) & (actual == 0)))
    fn = positives - tp
    tn = negatives - fp
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, positives)
    specificity = _ratio(tn, negatives)
    probabilities = bool(values.min() >= 0.0 and values.max() <= 1.0)
    return BinaryReport(
        rows=len(actual),
        positives=positives,
        negatives=negatives,
        threshold=cut,
        threshold_rule=rule,
        true_negatives=tn,
        false_positives=fp,
        false_negatives=fn,
        true_positives=tp,
        accuracy=_ratio(tp + tn, len(actual)),
        precision=precision,
        recall=recall,
        specificity=specificity,
        f1=_ratio(2 * precision * recall, precision + recall),
        balanced_accuracy=(recall + specificity) / 2,
        false_positive_rate=_ratio(fp, negatives),
        roc_auc=float(skm.roc_auc_score(actual, values)) if both_classes else None,
        average_precision=(
            float(skm.average_precision_score(actual, values)) if both_classes else None
        ),
        log_loss=float(skm.log_loss(actual, values, labels=[0, 1])) if probabilities else None,
        brier_score=(
            float(skm.brier_score_loss(actual, values, labels=[0, 1])) if probabilities else None
        ),
        roc=roc,
        precision_recall=pr,
    )


_EMPTY = Curve(x=[], y=[], thresholds=[])


def _curves(actual: npt.NDArray[np.int64], values: FloatArray) -> tuple[Curve, Curve]:
    fpr, tpr, roc_thresholds = skm.roc_curve(actual, values)
    precision, recall, pr_thresholds = skm.precision_recall_curve(actual, values)
    # roc_curve's first threshold is +inf (nothing predicted positive); JSON has no infinity.
    finite: list[float | None] = [float(t) if math.isfinite(t) else None for t in roc_thresholds]
    roc = Curve(x=fpr.tolist(), y=tpr.tolist(), thresholds=finite)
    cuts: list[float | None] = [float(t) for t in pr_thresholds]
    pr = Curve(x=recall.tolist(), y=precision.tolist(), thresholds=cuts)
    return roc, pr


def _resolve_threshold(
    threshold: Threshold, actual: npt.NDArray[np.int64], values: FloatArray, both_classes: bool
) -> tuple[float, str]:
    if not isinstance(threshold, str):
        return float(threshold), "fixed"
    if threshold not in ("f1", "youden"):
        raise ValueError(f"threshold must be a number, 'f1' or 'youden', got {threshold!r}")
    if not both_classes:
        raise ValueError(
            f"the {threshold!r} threshold needs both classes among the labels; "
            "give a number instead"
        )
    if threshold == "f1":
        precision, recall, thresholds = skm.precision_recall_curve(actual, values)
        p, r = precision[:-1], recall[:-1]  # the last point (recall 0) has no threshold
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
        return float(thresholds[int(np.argmax(f1))]), "f1"
    fpr, tpr, thresholds = skm.roc_curve(actual, values)
    finite = np.isfinite(thresholds)
    youden = np.where(finite, tpr - fpr, -np.inf)
    return float(thresholds[int(np.argmax(youden))]), "youden"


def regression_metrics(y_true: Any, predictions: Any) -> RegressionReport:
    actual = _array(y_true, "the labels")
    predicted = _array(predictions, "the predictions")
    if predicted.ndim != 1:
        raise ValueError(
            f"regression predictions must be one number per row, got shape {predicted.shape}"
        )
    _same_length(actual, predicted)
    mse = float(skm.mean_squared_error(actual, predicted))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # R² of a one-row or constant target is undefined
        r2 = float(skm.r2_score(actual, predicted))
        explained = float(skm.explained_variance_score(actual, predicted))
    return RegressionReport(
        rows=len(actual),
        rmse=float(skm.root_mean_squared_error(actual, predicted)),
        mse=mse,
        mae=float(skm.mean_absolute_error(actual, predicted)),
        median_absolute_error=float(skm.median_absolute_error(actual, predicted)),
        max_error=float(skm.max_error(actual, predicted)),
        r2=r2,
        explained_variance=explained,
        mean_actual=float(actual.mean()),
        mean_predicted=float(predicted.mean()),
    )


def _label_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _whole_numbers(values: FloatArray) -> bool:
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def detect_kind(y_true: Any, predictions: Any, kind: str | Kind = "auto") -> Kind:
    """Binary, regression or multiclass, from an explicit choice or else from the data.

    Probability vectors (one column per class) are multiclass unless there are two columns and
    the labels are 0/1; 0/1 labels with one score per row are binary; whole-number labels with
    more than two values and whole-number predictions in the same range are softmax labels;
    anything else is regression.
    """
    if kind != "auto":
        try:
            return Kind(kind)
        except ValueError:
            choices = ", ".join(["auto", *(k.value for k in Kind)])
            raise ValueError(f"kind must be one of {choices}, got {kind!r}") from None
    labels = _array(y_true, "the labels")
    predicted = _array(predictions, "the predictions")
    binary_labels = bool(np.all(np.isin(labels, (0.0, 1.0))))
    if predicted.ndim == 2 and predicted.shape[1] > 1:
        if predicted.shape[1] == 2 and binary_labels:
            return Kind.BINARY
        return Kind.MULTICLASS
    if binary_labels:
        return Kind.BINARY
    distinct = np.unique(labels)
    if (
        _whole_numbers(labels)
        and 2 < len(distinct) <= MAX_CLASSES
        and distinct.min() >= 0
        and _whole_numbers(predicted)
        and predicted.min() >= 0
        and predicted.max() <= MAX_CLASSES
    ):
        return Kind.MULTICLASS
    return Kind.REGRESSION
