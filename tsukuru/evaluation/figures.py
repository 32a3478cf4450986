"""The report's figures, drawn with matplotlib's object API on the Agg canvas into PNG bytes.

`matplotlib.figure.Figure` is used directly instead of pyplot: no global figure registry to leak
memory in a long-lived notebook, no dependence on the user's backend, and nothing that needs a
display. Each function returns PNG bytes; `figures_for` picks the set for an evaluation kind.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from tsukuru.evaluation.metrics import (
    BinaryReport,
    FloatArray,
    MulticlassReport,
    RegressionReport,
)
from tsukuru.evaluation.result import EvaluationResult

DPI = 110
# Scatter plots of more rows than this show a fixed random sample (the PNG stays quick and small).
MAX_SCATTER_POINTS = 20_000
BLUE, ORANGE, GREY = "#1f77b4", "#d95f02", "#888888"


def _figure(width: float = 6.0, height: float = 4.6) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _tidy(axes: Axes) -> None:
    axes.grid(True, color="#e5e5e5", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def roc_figure(report: BinaryReport) -> bytes:
    figure = _figure(5.6, 5.0)
    axes = figure.add_subplot()
    auc = "n/a" if report.roc_auc is None else f"{report.roc_auc:.4f}"
    axes.plot(report.roc.x, report.roc.y, color=BLUE, linewidth=2, label=f"ROC (AUC = {auc})")
    axes.plot([0, 1], [0, 1], linestyle="--", color=GREY, linewidth=1, label="Chance")
    axes.plot(
        report.false_positive_rate,
        report.recall,
        "o",
        color=ORANGE,
        markersize=8,
        label=(
            f"Threshold {report.threshold:.3g}: FPR {report.false_positive_rate:.3f}, "
            f"TPR {report.recall:.3f}"
        ),
    )
    axes.set(xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), aspect="equal")
    axes.set_xlabel("False positive rate (1 - specificity)")
    axes.set_ylabel("True positive rate (recall)")
    axes.set_title("ROC curve")
    axes.legend(loc="lower right", fontsize=9)
    _tidy(axes)
    return _png(figure)


def precision_recall_figure(report: BinaryReport) -> bytes:
    figure = _figure(5.6, 5.0)
    axes = figure.add_subplot()
    ap = "n/a" if report.average_precision is None else f"{report.average_precision:.4f}"
    axes.step(
        report.precision_recall.x,
        report.precision_recall.y,
        where="post",
        color=BLUE,
        linewidth=2,
        label=f"Precision-recall (AP = {ap})",
    )
    prevalence = report.positives / report.rows if report.rows else 0.0
    axes.axhline(prevalence, linestyle="--", color=GREY, linewidth=1, label="Chance (prevalence)")
    axes.plot(
        report.recall,
        report.precision,
        "o",
        color=ORANGE,
        markersize=8,
        label=(
            f"Threshold {report.threshold:.3g}: recall {report.recall:.3f}, "
            f"precision {report.precision:.3f}"
        ),
    )
    axes.set(xlim=(-0.01, 1.01), ylim=(-0.01, 1.05))
    axes.set_xlabel("Recall")
    axes.set_ylabel("Precision")
    axes.set_title("Precision-recall curve")
    axes.legend(loc="lower left", fontsize=9)
    _tidy(axes)
    return _png(figure)


def confusion_figure(matrix: list[list[int]], labels: list[str], title: str) -> bytes:
    counts = np.asarray(matrix, dtype=np.int64)
    size = max(4.6, 1.0 + 0.55 * len(labels))
    figure = _figure(size + 0.8, size)
    axes = figure.add_subplot()
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    colorbar = figure.colorbar(image, ax=axes, shrink=0.8)
    colorbar.set_label("Share of the actual class")
    small = len(labels) > 8
    for (row, column), count in np.ndenumerate(counts):
        text = f"{count:,}" if small else f"{count:,}\n{shares[row, column]:.1%}"
        colour = "white" if shares[row, column] > 0.55 else "black"
        axes.text(
            column, row, text, ha="center", va="center", color=colour, fontsize=8 if small else 11
        )
    axes.set_xticks(range(len(labels)), labels)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("Predicted")
    axes.set_ylabel("Actual")
    axes.set_title(title)
    return _png(figure)


def score_histogram_figure(y_true: FloatArray, scores: FloatArray, threshold: float) -> bytes:
    figure = _figure(6.4, 4.4)
    axes = figure.add_subplot()
    low, high = float(scores.min()), float(scores.max())
    bins = np.linspace(low, high if high > low else low + 1.0, 41)
    for label, colour, name in ((0, BLUE, "Actual 0 (negative)"), (1, ORANGE, "Actual 1")):
        selected = scores[y_true == label]
        if selected.size:
            weights = np.full(selected.shape, 1.0 / selected.size)
            axes.hist(
                selected,
                bins=bins.tolist(),
                weights=weights,
                alpha=0.55,
                color=colour,
                label=f"{name} ({selected.size:,} rows)",
            )
    axes.axvline(threshold, color="black", linestyle="--", linewidth=1.2, label="Threshold")
    axes.set_xlabel("Score")
    axes.set_ylabel("Share of the class's rows")
    axes.set_title("Scores by actual class")
    axes.legend(fontsize=9, loc="upper center")
    _tidy(axes)
    return _png(figure)


def _sample(*arrays: FloatArray) -> tuple[FloatArray, ...]:
    rows = len(arrays[0])
    if rows <= MAX_SCATTER_POINTS:
        return arrays
    picked = np.random.default_rng(0).choice(rows, MAX_SCATTER_POINTS, replace=False)
    return tuple(array[picked] for array in arrays)


def predicted_vs_actual_figure(y_true: FloatArray, predicted: FloatArray) -> bytes:
    actual, guess = _sample(y_true, predicted)
    figure = _figure(5.6, 5.0)
    axes = figure.add_subplot()
    axes.scatter(actual, guess, s=8, alpha=0.35, color=BLUE, edgecolors="none")
    low = float(min(actual.min(), guess.min()))
    high = float(max(actual.max(), guess.max()))
    axes.plot([low, high], [low, high], linestyle="--", color=GREY, label="Perfect prediction")
    axes.set_xlabel("Actual")
    axes.set_ylabel("Predicted")
    shown = "" if len(actual) == len(y_true) else f" ({len(actual):,} of {len(y_true):,} rows)"
    axes.set_title(f"Predicted vs actual{shown}")
    axes.legend(loc="upper left", fontsize=9)
    _tidy(axes)
    return _png(figure)


def residuals_figure(y_true: FloatArray, predicted: FloatArray) -> bytes:
    actual, guess = _sample(y_true, predicted)
    figure = _figure()
    axes = figure.add_subplot()
    axes.scatter(guess, actual - guess, s=8, alpha=0.35, color=BLUE, edgecolors="none")
    axes.axhline(0.0, color=GREY, linestyle="--")
    axes.set_xlabel("Predicted")
    axes.set_ylabel("Residual (actual - predicted)")
    axes.set_title("Residuals vs predicted")
    _tidy(axes)
    return _png(figure)


def residual_histogram_figure(y_true: FloatArray, predicted: FloatArray) -> bytes:
    figure = _figure()
    axes = figure.add_subplot()
    axes.hist(y_true - predicted, bins=40, color=BLUE, alpha=0.8)
    axes.axvline(0.0, color=GREY, linestyle="--")
    axes.set_xlabel("Residual (actual - predicted)")
    axes.set_ylabel("Rows")
    axes.set_title("Residual distribution")
    _tidy(axes)
    return _png(figure)


def per_class_figure(report: MulticlassReport) -> bytes:
    labels = [str(entry.label) for entry in report.per_class]
    positions = np.arange(len(labels))
    width = 0.27
    figure = _figure(max(6.0, 1.2 + 0.7 * len(labels)), 4.2)
    axes = figure.add_subplot()
    for offset, (name, colour, values) in enumerate(
        (
            ("Precision", BLUE, [c.precision for c in report.per_class]),
            ("Recall", ORANGE, [c.recall for c in report.per_class]),
            ("F1", "#7570b3", [c.f1 for c in report.per_class]),
        )
    ):
        axes.bar(positions + (offset - 1) * width, values, width, label=name, color=colour)
    axes.set_xticks(positions, labels)
    axes.set(ylim=(0, 1.15))
    axes.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    axes.set_xlabel("Class")
    axes.set_title("Per-class precision, recall and F1")
    axes.legend(fontsize=9, ncols=3, loc="upper center", frameon=False)
    _tidy(axes)
    return _png(figure)


def figures_for(result: EvaluationResult) -> dict[str, bytes]:
    """File name → PNG bytes for every figure of this evaluation, in reading order."""
    metrics: Any = result.metrics
    if isinstance(metrics, BinaryReport):
        title = f"Confusion matrix (threshold {metrics.threshold:.3g})"
        figures = {
            "confusion_matrix.png": confusion_figure(metrics.confusion_matrix, ["0", "1"], title),
            "score_histogram.png": score_histogram_figure(
                result.y_true, result.predictions, metrics.threshold
            ),
        }
        if metrics.roc_auc is not None:
            figures = {
                "roc_curve.png": roc_figure(metrics),
                "precision_recall_curve.png": precision_recall_figure(metrics),
                **figures,
            }
        return figures
    if isinstance(metrics, RegressionReport):
        return {
            "predicted_vs_actual.png": predicted_vs_actual_figure(
                result.y_true, result.predictions
            ),
            "residuals.png": residuals_figure(result.y_true, result.predictions),
            "residual_histogram.png": residual_histogram_figure(result.y_true, result.predictions),
        }
    report: MulticlassReport = metrics
    return {
        "confusion_matrix.png": confusion_figure(
            report.confusion_matrix, [str(c) for c in report.classes], "Confusion matrix"
        ),
        "per_class_metrics.png": per_class_figure(report),
    }
