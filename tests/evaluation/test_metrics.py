"""Every metric equals scikit-learn's on the same predictions; thresholds pick what they claim."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm

from tsukuru.evaluation.metrics import (
    Kind,
    binary_metrics,
    detect_kind,
    multiclass_metrics,
    parse_threshold,
    regression_metrics,
)


def _binary_data(seed: int, rows: int = 500, ties: bool = False) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    labels = (rng.random(rows) < 0.3).astype(float)
    scores = np.clip(labels * 0.35 + rng.normal(0.35, 0.2, rows), 0, 1)
    if ties:
        scores = np.round(scores, 1)  # many equal scores: the >= rule matters
    return labels, scores


@pytest.mark.parametrize(("seed", "ties"), [(0, False), (1, True), (2, False), (3, True)])
@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.72])
def test_binary_metrics_equal_sklearn(seed: int, ties: bool, threshold: float) -> None:
    y, s = _binary_data(seed, ties=ties)
    report = binary_metrics(y, s, threshold)
    predicted = (s >= threshold).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, predicted, labels=[0, 1]).ravel()
    assert (report.true_negatives, report.false_positives) == (tn, fp)
    assert (report.false_negatives, report.true_positives) == (fn, tp)
    assert report.confusion_matrix == skm.confusion_matrix(y, predicted).tolist()
    assert report.rows == len(y)
    assert report.positives == int(y.sum())
    assert report.threshold == threshold
    assert report.threshold_rule == "fixed"
    assert report.accuracy == pytest.approx(skm.accuracy_score(y, predicted), abs=1e-12)
    assert report.precision == pytest.approx(skm.precision_score(y, predicted, zero_division=0))
    assert report.recall == pytest.approx(skm.recall_score(y, predicted))
    assert report.f1 == pytest.approx(skm.f1_score(y, predicted, zero_division=0), abs=1e-12)
    assert report.specificity == pytest.approx(skm.recall_score(y, predicted, pos_label=0))
    assert report.balanced_accuracy == pytest.approx(skm.balanced_accuracy_score(y, predicted))
    assert report.roc_auc == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    assert report.average_precision == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)
    assert report.log_loss == pytest.approx(skm.log_loss(y, s), abs=1e-12)
    assert report.brier_score == pytest.approx(skm.brier_score_loss(y, s), abs=1e-12)
    fpr, tpr, _ = skm.roc_curve(y, s)
    np.testing.assert_allclose(report.roc.x, fpr)
    np.testing.assert_allclose(report.roc.y, tpr)
    precision, recall, cuts = skm.precision_recall_curve(y, s)
    np.testing.assert_allclose(report.precision_recall.y, precision)
    np.testing.assert_allclose(report.precision_recall.x, recall)
    np.testing.assert_allclose(np.array(report.precision_recall.thresholds, dtype=float), cuts)


def test_the_auc_is_the_area_under_the_reported_curve() -> None:
    y, s = _binary_data(7)
    report = binary_metrics(y, s)
    assert report.roc_auc == pytest.approx(float(np.trapezoid(report.roc.y, report.roc.x)))


def _rates_at_every_cut(y: Any, s: Any) -> tuple[Any, Any, Any, Any]:
    """Brute force: (cuts, precision, recall, fpr) for every distinct score as threshold."""
    cuts = np.unique(s)
    predicted = s[None, :] >= cuts[:, None]
    tp = (predicted & (y == 1)).sum(axis=1)
    fp = (predicted & (y == 0)).sum(axis=1)
    precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)
    return cuts, precision, tp / (y == 1).sum(), fp / (y == 0).sum()


@pytest.mark.parametrize(("seed", "ties"), [(0, False), (1, True), (5, False)])
def test_f1_threshold_maximises_f1_over_every_candidate(seed: int, ties: bool) -> None:
    y, s = _binary_data(seed, ties=ties)
    report = binary_metrics(y, s, "f1")
    cuts, precision, recall, _ = _rates_at_every_cut(y, s)
    with np.errstate(invalid="ignore"):
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    assert report.threshold_rule == "f1"
    assert report.f1 == pytest.approx(f1.max(), abs=1e-12)
    assert report.f1 == pytest.approx(skm.f1_score(y, (s >= report.threshold).astype(int)))
    assert report.threshold in set(cuts.tolist())


@pytest.mark.parametrize(("seed", "ties"), [(0, False), (1, True), (6, False)])
def test_youden_threshold_maximises_tpr_minus_fpr(seed: int, ties: bool) -> None:
    y, s = _binary_data(seed, ties=ties)
    report = binary_metrics(y, s, "youden")
    cuts, _, tpr, fpr = _rates_at_every_cut(y, s)
    best = float((tpr - fpr).max())
    predicted = (s >= report.threshold).astype(int)
    sensitivity = skm.recall_score(y, predicted)
    specificity = skm.recall_score(y, predicted, pos_label=0)
    assert report.threshold_rule == "youden"
    assert report.recall - report.false_positive_rate == pytest.approx(best, abs=1e-12)
    assert sensitivity + specificity - 1 == pytest.approx(best, abs=1e-12)
    assert report.threshold in set(cuts.tolist())


def test_scores_that_are_not_probabilities_have_no_log_loss() -> None:
    y, s = _binary_data(3)
    margins = np.log(np.clip(s, 1e-3, 1 - 1e-3) / (1 - np.clip(s, 1e-3, 1 - 1e-3)))
    report = binary_metrics(y, margins, 0.0)
    assert report.log_loss is None
    assert report.brier_score is None
    assert report.roc_auc == pytest.approx(skm.roc_auc_score(y, margins))


def test_one_class_only_has_no_auc_and_refuses_chosen_thresholds() -> None:
    report = binary_metrics([1, 1, 1], [0.2, 0.6, 0.9])
    assert report.roc_auc is None
    assert report.average_precision is None
    assert report.roc.x == []
    assert (report.true_positives, report.false_negatives) == (2, 1)
    with pytest.raises(ValueError, match="needs both classes"):
        binary_metrics([1, 1, 1], [0.2, 0.6, 0.9], "f1")


def test_nothing_predicted_positive_gives_zero_precision_not_an_error() -> None:
    report = binary_metrics([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], 0.9)
    assert (report.precision, report.recall, report.f1) == (0.0, 0.0, 0.0)
    assert report.accuracy == 0.5


@pytest.mark.parametrize(
    ("labels", "scores", "message"),
    [
        ([0, 2, 1], [0.1, 0.2, 0.3], "must be 0 and 1"),
        ([0, 1], [0.1], "2 labels but 1 predictions"),
        ([0, 1], [0.1, float("nan")], "missing or infinite"),
        ([], [], "nothing to evaluate"),
    ],
)
def test_bad_binary_inputs_are_refused(labels: Any, scores: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        binary_metrics(labels, scores)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.5", 0.5), (" F1 ", "f1"), ("youden", "youden"), (0.25, 0.25), ("1e-1", 0.1)],
)
def test_parse_threshold(text: Any, expected: Any) -> None:
    assert parse_threshold(text) == expected


@pytest.mark.parametrize("text", ["best", "nan", "inf", ""])
def test_parse_threshold_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="threshold"):
        parse_threshold(text)


def test_regression_metrics_equal_sklearn() -> None:
    rng = np.random.default_rng(11)
    y = rng.normal(10, 3, 400)
    p = y + rng.normal(0.5, 1.5, 400)
    report = regression_metrics(y, p)
    assert report.rows == 400
    assert report.mse == pytest.approx(skm.mean_squared_error(y, p), abs=1e-12)
    assert report.rmse == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)), abs=1e-12)
    assert report.mae == pytest.approx(skm.mean_absolute_error(y, p), abs=1e-12)
    assert report.median_absolute_error == pytest.approx(skm.median_absolute_error(y, p))
    assert report.max_error == pytest.approx(skm.max_error(y, p))
    assert report.r2 == pytest.approx(skm.r2_score(y, p), abs=1e-12)
    assert report.explained_variance == pytest.approx(skm.explained_variance_score(y, p))
    assert report.mean_actual == pytest.approx(y.mean())
    assert report.mean_predicted == pytest.approx(p.mean())


def _softprob(seed: int, rows: int = 300, classes: int = 3) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, rows).astype(float)
    logits = rng.normal(size=(rows, classes))
    logits[np.arange(rows), y.astype(int)] += 1.2
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, probabilities.astype(np.float32).astype(np.float64)  # as a float32 server sends


@pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one")
def test_multiclass_probabilities_equal_sklearn() -> None:
    y, probabilities = _softprob(4)
    report = multiclass_metrics(y, probabilities)
    predicted = probabilities.argmax(axis=1)
    assert report.classes == [0, 1, 2]
    assert report.from_probabilities
    assert report.confusion_matrix == skm.confusion_matrix(y, predicted).tolist()
    assert report.accuracy == pytest.approx(skm.accuracy_score(y, predicted))
    assert report.macro_f1 == pytest.approx(skm.f1_score(y, predicted, average="macro"))
    assert report.macro_precision == pytest.approx(
        skm.precision_score(y, predicted, average="macro")
    )
    assert report.macro_recall == pytest.approx(skm.recall_score(y, predicted, average="macro"))
    assert report.weighted_f1 == pytest.approx(skm.f1_score(y, predicted, average="weighted"))
    assert report.log_loss == pytest.approx(skm.log_loss(y, probabilities), abs=1e-12)
    assert report.roc_auc_ovr == pytest.approx(
        skm.roc_auc_score(y, probabilities, multi_class="ovr"), abs=1e-12
    )
    per_class_f1 = skm.f1_score(y, predicted, average=None)
    assert [c.f1 for c in report.per_class] == pytest.approx(per_class_f1.tolist())
    assert [c.support for c in report.per_class] == np.bincount(y.astype(int)).tolist()


def test_multiclass_labels_equal_sklearn_and_have_no_probability_metrics() -> None:
    y, probabilities = _softprob(5, classes=4)
    labels = probabilities.argmax(axis=1).astype(float)
    labels[:7] = 3  # some wrong on purpose
    report = multiclass_metrics(y, labels)
    assert not report.from_probabilities
    assert report.log_loss is None
    assert report.roc_auc_ovr is None
    assert report.confusion_matrix == skm.confusion_matrix(y, labels).tolist()
    assert report.macro_f1 == pytest.approx(skm.f1_score(y, labels, average="macro"))
    assert report.accuracy == pytest.approx(skm.accuracy_score(y, labels))


def test_multiclass_probabilities_need_a_column_per_label() -> None:
    with pytest.raises(ValueError, match="the labels include 3"):
        multiclass_metrics([0, 1, 3], np.full((3, 3), 1 / 3))


@pytest.mark.parametrize(
    ("labels", "predictions", "kind"),
    [
        ([0, 1, 1, 0], [0.2, 0.7, 0.9, 0.1], Kind.BINARY),
        ([0, 1, 1, 0], [-2.0, 1.5, 3.1, -0.1], Kind.BINARY),  # margins are still binary
        ([0, 1], [[0.8, 0.2], [0.3, 0.7]], Kind.BINARY),  # [1 - p, p] rows
        ([0, 2, 1], [[0.8, 0.1, 0.1], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]], Kind.MULTICLASS),
        ([0, 2, 1, 2], [0.0, 2.0, 2.0, 1.0], Kind.MULTICLASS),  # softmax labels
        ([1.5, 2.25, 7.0], [1.4, 2.0, 6.5], Kind.REGRESSION),
        ([3, 10, 25, 7], [2.7, 11.2, 20.1, 7.9], Kind.REGRESSION),  # counts, real predictions
    ],
)
def test_detect_kind_from_the_data(labels: Any, predictions: Any, kind: Kind) -> None:
    assert detect_kind(labels, predictions) is kind


def test_detect_kind_honours_an_override_and_refuses_unknown_kinds() -> None:
    assert detect_kind([0, 1], [0.1, 0.9], "regression") is Kind.REGRESSION
    with pytest.raises(ValueError, match="kind must be one of auto, binary"):
        detect_kind([0, 1], [0.1, 0.9], "ranking")
