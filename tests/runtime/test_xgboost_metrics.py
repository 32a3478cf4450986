"""Container-computed metrics agree with scikit-learn; per-round lines match each version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as sk

from tsukuru.runtime.algorithms.errors import ClientError
from tsukuru.runtime.algorithms.xgboost_metrics import (
    CUSTOM_METRICS,
    class_labels,
    custom_metric_function,
    format_round,
    split_metrics,
)
from tsukuru.runtime.algorithms.xgboost_versions import get_version

REFERENCE: dict[str, Callable[[Any, Any], float]] = {
    "accuracy": sk.accuracy_score,
    "balanced_accuracy": sk.balanced_accuracy_score,
    "f1": lambda y, p: sk.f1_score(y, p, average="macro", zero_division=0),
    "f1_macro": lambda y, p: sk.f1_score(y, p, average="macro", zero_division=0),
    "precision_macro": lambda y, p: sk.precision_score(y, p, average="macro", zero_division=0),
    "precision_micro": lambda y, p: sk.precision_score(y, p, average="micro", zero_division=0),
    "recall_macro": lambda y, p: sk.recall_score(y, p, average="macro", zero_division=0),
    "recall_micro": lambda y, p: sk.recall_score(y, p, average="micro", zero_division=0),
}
BINARY = {
    "f1_binary": lambda y, p: sk.f1_score(y, p, zero_division=0),
    "precision": lambda y, p: sk.precision_score(y, p, zero_division=0),
    "recall": lambda y, p: sk.recall_score(y, p, zero_division=0),
}
REGRESSION = {
    "mse": sk.mean_squared_error,
    "rmse": lambda y, p: float(np.sqrt(sk.mean_squared_error(y, p))),
    "mae": sk.mean_absolute_error,
    "r2": sk.r2_score,
}


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_classification_metrics_match_sklearn(name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, 200).astype(float)
    predicted = np.where(rng.random(200) < 0.6, labels, rng.integers(0, 5, 200)).astype(float)
    _, score = CUSTOM_METRICS[name]
    assert score(labels, predicted) == pytest.approx(REFERENCE[name](labels, predicted))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_metrics_match_sklearn(name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 100).astype(float)
    predicted = rng.integers(0, 2, 100).astype(float)
    _, score = CUSTOM_METRICS[name]
    assert score(labels, predicted) == pytest.approx(BINARY[name](labels, predicted))


def test_binary_metrics_refuse_multiclass_labels() -> None:
    _, score = CUSTOM_METRICS["f1_binary"]
    with pytest.raises(ClientError, match="Target is multiclass but average='binary'"):
        score(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 1.0]))


@pytest.mark.parametrize("name", sorted(REGRESSION))
def test_regression_metrics_match_sklearn(name: str) -> None:
    rng = np.random.default_rng(7)
    labels, predictions = rng.normal(size=300), rng.normal(size=300)
    _, score = CUSTOM_METRICS[name]
    assert score(labels, predictions) == pytest.approx(REGRESSION[name](labels, predictions))


def test_class_labels_per_objective_and_version() -> None:
    new, old = get_version("1.7-1"), get_version("1.0-1")
    probabilities = np.array([0.2, 0.5, 0.51, 0.9])
    assert class_labels(probabilities, "binary:logistic", new).tolist() == [0, 0, 1, 1]
    assert class_labels(np.array([0.4, 1.6]), "reg:squarederror", old).tolist() == [0, 2]
    assert class_labels(np.array([[0.1, 0.9], [0.8, 0.2]]), "multi:softprob", new).tolist() == [
        1,
        0,
    ]


def test_custom_metric_function_scores_a_dmatrix_like() -> None:
    class Labels:
        def get_label(self) -> Any:
            return np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32)

    evaluate = custom_metric_function(["accuracy", "f1"], "binary:logistic", get_version("1.7-1"))
    results = dict(evaluate(np.array([0.1, 0.8, 0.3, 0.2]), Labels()))
    assert results["accuracy"] == pytest.approx(0.75)
    assert results["f1"] == pytest.approx(sk.f1_score([0, 1, 1, 0], [0, 1, 0, 0], average="macro"))


def test_split_metrics_depends_on_version() -> None:
    assert split_metrics(["auc", "rmse", "accuracy"], get_version("1.7-1")) == (
        ["auc"],
        ["rmse", "accuracy"],
    )
    assert split_metrics(["auc", "rmse", "accuracy"], get_version("1.0-1")) == (
        ["auc", "rmse"],
        ["accuracy"],
    )


LOG = {
    "train": {"auc": [0.5, 0.812341], "accuracy": [0.9]},
    "validation": {"auc": [0.5, 0.8000123], "accuracy": [0.8]},
}


def test_round_line_of_1_3_and_later_groups_by_dataset() -> None:
    line = format_round(3, LOG, ["accuracy"], get_version("1.7-1"))
    assert line == (
        "[3]\ttrain-auc:0.81234\ttrain-accuracy:0.90000"
        "\tvalidation-auc:0.80001\tvalidation-accuracy:0.80000"
    )


def test_round_line_before_1_3_puts_container_metrics_last() -> None:
    line = format_round(3, LOG, ["accuracy"], get_version("1.2-2"))
    assert line == (
        "[3]\ttrain-auc:0.81234\tvalidation-auc:0.80001"
        "\ttrain-accuracy:0.90000\tvalidation-accuracy:0.80000"
    )


def test_round_line_of_the_legacy_image_uses_g_format() -> None:
    line = format_round(0, {"train": {"error": [0.100333333]}}, [], get_version("1"))
    assert line == "[0]\ttrain-error:0.100333"
