"""One evaluation: the labels, the predictions, what kind of problem it is and its metrics.

Wherever predictions came from (an endpoint, a batch-transform output, a local model or a
notebook array), they meet the labels here, so the choice of metrics and the small conversions
between prediction shapes happen in one place and every source gets the same report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from tsukuru.evaluation.metrics import (
    BinaryReport,
    FloatArray,
    Kind,
    MulticlassReport,
    RegressionReport,
    Threshold,
    binary_metrics,
    detect_kind,
    multiclass_metrics,
    regression_metrics,
)

Metrics = BinaryReport | RegressionReport | MulticlassReport


@dataclass(frozen=True)
class EvaluationResult:
    """Metrics plus the arrays they came from (the report's figures need the arrays)."""

    kind: Kind
    metrics: Metrics
    y_true: FloatArray
    predictions: FloatArray  # binary: positive-class scores; else as given
    source: str = "predictions"  # where predictions came from, for the report's summary
    data: str = "labels"  # where the labels came from
    notes: tuple[str, ...] = ()
    created: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def title(self) -> str:
        return f"{self.kind.value.capitalize()} evaluation of {self.source}"

    def to_dict(self) -> dict[str, Any]:
        """Every number of the report, JSON-ready (the arrays themselves are left out)."""
        return {
            "kind": self.kind.value,
            "source": self.source,
            "data": self.data,
            "created": self.created.isoformat(timespec="seconds"),
            "notes": list(self.notes),
            "metrics": self.metrics.to_dict(),
        }


def evaluate(
    y_true: Any,
    predictions: Any,
    *,
    kind: str | Kind = "auto",
    threshold: Threshold = 0.5,
    source: str = "predictions",
    data: str = "labels",
    notes: tuple[str, ...] = (),
) -> EvaluationResult:
    """Compare predictions with labels and compute the metrics for the (detected) kind.

    `predictions` is one number per row (a score, a value or a label) or one row per record of
    class probabilities. A two-column probability matrix of a binary problem (`[1 - p, p]`, as
    selectable inference output answers) is reduced to its positive column.
    """
    actual = np.asarray(y_true, dtype=np.float64).reshape(-1)
    predicted = np.asarray(predictions, dtype=np.float64)
    if predicted.ndim == 2 and predicted.shape[1] == 1:
        predicted = predicted.reshape(-1)
    if predicted.ndim not in (1, 2):
        raise ValueError(f"predictions must be a vector or a matrix, got shape {predicted.shape}")
    resolved = detect_kind(actual, predicted, kind)
    extra: list[str] = []
    metrics: Metrics
    if resolved is Kind.BINARY:
        if predicted.ndim == 2:
            if predicted.shape[1] != 2:
                raise ValueError(
                    f"binary evaluation needs one score per row, got {predicted.shape[1]} columns"
                )
            predicted = predicted[:, 1]
            extra.append("Two probabilities per row: the second (class 1) is the score.")
        metrics = binary_metrics(actual, predicted, threshold)
        if metrics.log_loss is None:
            extra.append(
                "Scores fall outside [0, 1], so they are not probabilities: "
                "log loss and Brier score are not computed."
            )
        if metrics.roc_auc is None:
            extra.append("Only one class among the labels: ROC AUC and curves are undefined.")
    elif resolved is Kind.REGRESSION:
        metrics = regression_metrics(actual, predicted)
    else:
        metrics = multiclass_metrics(actual, predicted)
    return EvaluationResult(
        kind=resolved,
        metrics=metrics,
        y_true=actual,
        predictions=predicted,
        source=source,
        data=data,
        notes=(*notes, *extra),
    )
