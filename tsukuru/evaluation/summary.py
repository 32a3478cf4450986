"""The metrics a person reads, in order, with a one-line meaning each: for the page and the CLI.

The HTML report and `tsukuru evaluate`'s table show the same rows from this one list, and every
row names the key of its number in metrics.json, so what a person reads can always be traced to
(and is tested against) the exact value written for programs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tsukuru.evaluation.metrics import BinaryReport, MulticlassReport, RegressionReport
from tsukuru.evaluation.result import EvaluationResult


@dataclass(frozen=True)
class MetricRow:
    name: str
    value: str  # formatted for display
    key: str  # the number's field under "metrics" in metrics.json
    meaning: str


def format_number(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4f}"


_BINARY: tuple[tuple[str, str, str], ...] = (
    ("ROC AUC", "roc_auc", "Chance that a random positive scores above a random negative."),
    ("Average precision", "average_precision", "Area under the precision-recall curve."),
    ("Log loss", "log_loss", "Mean negative log-likelihood of the labels; lower is better."),
    ("Brier score", "brier_score", "Mean squared error of the probabilities; lower is better."),
    ("Accuracy", "accuracy", "Share of rows classified correctly at the threshold."),
    ("Precision", "precision", "Of the rows predicted positive, the share that are positive."),
    ("Recall (TPR)", "recall", "Of the positive rows, the share predicted positive."),
    ("Specificity (TNR)", "specificity", "Of the negative rows, the share predicted negative."),
    ("F1", "f1", "Harmonic mean of precision and recall."),
    ("Balanced accuracy", "balanced_accuracy", "Mean of recall and specificity."),
    ("False positive rate", "false_positive_rate", "Of the negative rows, the share flagged."),
    ("True positives", "true_positives", "Positive rows predicted positive."),
    ("False positives", "false_positives", "Negative rows predicted positive."),
    ("True negatives", "true_negatives", "Negative rows predicted negative."),
    ("False negatives", "false_negatives", "Positive rows predicted negative."),
)
_REGRESSION: tuple[tuple[str, str, str], ...] = (
    ("RMSE", "rmse", "Root mean squared error, in the label's unit."),
    ("MAE", "mae", "Mean absolute error, in the label's unit."),
    ("R²", "r2", "Share of the label's variance explained (1 is perfect, 0 is the mean)."),
    ("MSE", "mse", "Mean squared error."),
    ("Median absolute error", "median_absolute_error", "Half the errors are smaller than this."),
    ("Max error", "max_error", "The largest absolute error."),
    ("Explained variance", "explained_variance", "Like R² but ignores a constant bias."),
    ("Mean actual", "mean_actual", "Average label."),
    ("Mean predicted", "mean_predicted", "Average prediction."),
)
_MULTICLASS: tuple[tuple[str, str, str], ...] = (
    ("Accuracy", "accuracy", "Share of rows whose predicted class is the actual class."),
    ("Macro F1", "macro_f1", "Unweighted mean of the per-class F1 scores."),
    ("Macro precision", "macro_precision", "Unweighted mean of the per-class precisions."),
    ("Macro recall", "macro_recall", "Unweighted mean of the per-class recalls."),
    ("Weighted F1", "weighted_f1", "Per-class F1 weighted by each class's row count."),
    ("Log loss", "log_loss", "Mean negative log-likelihood (needs probabilities)."),
    ("ROC AUC (one-vs-rest)", "roc_auc_ovr", "Mean of each class's AUC against the others."),
)


def metric_rows(result: EvaluationResult) -> list[MetricRow]:
    metrics = result.metrics
    if isinstance(metrics, BinaryReport):
        table = _BINARY
    elif isinstance(metrics, RegressionReport):
        table = _REGRESSION
    else:
        table = _MULTICLASS
    values = metrics.to_dict()
    return [
        MetricRow(name=name, value=format_number(values[key]), key=key, meaning=meaning)
        for name, key, meaning in table
    ]


def data_rows(result: EvaluationResult) -> list[tuple[str, str]]:
    """The page's "Data" box: what was evaluated, how many rows, the threshold."""
    metrics = result.metrics
    rows = [
        ("Predictions", result.source),
        ("Labels", result.data),
        ("Rows", format_number(metrics.rows)),
    ]
    if isinstance(metrics, BinaryReport):
        share = metrics.positives / metrics.rows if metrics.rows else 0.0
        rules = {"fixed": "fixed", "f1": "F1-best", "youden": "Youden's J best"}
        rule = rules.get(metrics.threshold_rule, metrics.threshold_rule)
        rows += [
            ("Positives", f"{metrics.positives:,} ({share:.1%})"),
            ("Negatives", f"{metrics.negatives:,}"),
            (
                "Threshold",
                f"{metrics.threshold:.4g} ({rule}; a score at or above it is positive)",
            ),
        ]
    elif isinstance(metrics, MulticlassReport):
        rows += [
            ("Classes", ", ".join(map(str, metrics.classes))),
            ("Predictions are", "probabilities" if metrics.from_probabilities else "labels"),
        ]
    return rows
