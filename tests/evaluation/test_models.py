"""Evaluating XGBoost models trained on the real bank-marketing data, in-process."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb
from sklearn import metrics as skm

from tests.evaluation.conftest import TrainedModel, train
from tsukuru.evaluation import Kind, SourceError, Threshold, evaluate_model, write_report
from tsukuru.evaluation.metrics import BinaryReport, MulticlassReport, RegressionReport


def test_binary_model_metrics_equal_sklearn(bank_binary: TrainedModel) -> None:
    result = evaluate_model(bank_binary.test_csv, bank_binary.tarball)
    scores = bank_binary.predict()
    labels = bank_binary.test_labels
    assert result.kind is Kind.BINARY
    assert isinstance(result.metrics, BinaryReport)
    np.testing.assert_allclose(result.predictions, scores, rtol=1e-6)
    assert result.metrics.roc_auc == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-9)
    assert result.metrics.log_loss == pytest.approx(skm.log_loss(labels, scores), rel=1e-6)
    assert result.metrics.average_precision == pytest.approx(
        skm.average_precision_score(labels, scores), abs=1e-9
    )
    predicted = (scores >= 0.5).astype(int)
    assert result.metrics.confusion_matrix == skm.confusion_matrix(labels, predicted).tolist()
    assert result.metrics.f1 == pytest.approx(skm.f1_score(labels, predicted))
    assert result.metrics.roc_auc is not None
    assert result.metrics.roc_auc > 0.85  # a real model on real data, not noise
    assert "Model objective: binary:logistic." in result.notes


def test_the_tutorials_confusion_matrix_and_classification_rate(bank_binary: TrainedModel) -> None:
    """Cell 10 of the tutorial rounds the predictions and cross-tabulates them."""
    result = evaluate_model(bank_binary.test_csv, bank_binary.tarball, threshold=0.5)
    scores = bank_binary.predict()
    labels = bank_binary.test_labels
    assert not np.any(scores == 0.5)
    rounded = np.round(scores)
    tn = int(np.sum((labels == 0) & (rounded == 0)))
    tp = int(np.sum((labels == 1) & (rounded == 1)))
    assert isinstance(result.metrics, BinaryReport)
    assert (result.metrics.true_negatives, result.metrics.true_positives) == (tn, tp)
    assert result.metrics.accuracy == pytest.approx((tp + tn) / len(labels))


@pytest.mark.parametrize("threshold", ["f1", "youden"])
def test_chosen_thresholds_on_real_data(bank_binary: TrainedModel, threshold: Threshold) -> None:
    result = evaluate_model(bank_binary.test_csv, bank_binary.tarball, threshold=threshold)
    fixed = evaluate_model(bank_binary.test_csv, bank_binary.tarball, threshold=0.5)
    assert isinstance(result.metrics, BinaryReport)
    assert isinstance(fixed.metrics, BinaryReport)
    assert result.metrics.threshold_rule == threshold
    if threshold == "f1":
        assert result.metrics.f1 >= fixed.metrics.f1
    else:
        youden = result.metrics.recall - result.metrics.false_positive_rate
        assert youden >= fixed.metrics.recall - fixed.metrics.false_positive_rate


def test_regression_model_from_a_pickled_booster(bank_regression: TrainedModel) -> None:
    result = evaluate_model(bank_regression.test_csv, bank_regression.tarball)
    predicted = bank_regression.predict()
    labels = bank_regression.test_labels
    assert result.kind is Kind.REGRESSION
    assert isinstance(result.metrics, RegressionReport)
    assert result.metrics.rmse == pytest.approx(
        np.sqrt(skm.mean_squared_error(labels, predicted)), rel=1e-6
    )
    assert result.metrics.r2 == pytest.approx(skm.r2_score(labels, predicted), rel=1e-6)
    assert result.metrics.mae == pytest.approx(skm.mean_absolute_error(labels, predicted), rel=1e-6)


@pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one")
def test_softprob_model_gives_a_multiclass_report(
    bank_softprob: TrainedModel, tmp_path: Path
) -> None:
    result = evaluate_model(bank_softprob.test_csv, bank_softprob.tarball)
    probabilities = bank_softprob.predict()
    labels = bank_softprob.test_labels
    assert result.kind is Kind.MULTICLASS
    assert isinstance(result.metrics, MulticlassReport)
    assert result.metrics.classes == [0, 1, 2]
    predicted = probabilities.argmax(axis=1)
    assert result.metrics.confusion_matrix == skm.confusion_matrix(labels, predicted).tolist()
    assert result.metrics.macro_f1 == pytest.approx(
        skm.f1_score(labels, predicted, average="macro")
    )
    assert result.metrics.log_loss == pytest.approx(skm.log_loss(labels, probabilities), rel=1e-5)
    page = write_report(result, tmp_path)
    assert {p.name for p in tmp_path.glob("*.png")} == {
        "confusion_matrix.png",
        "per_class_metrics.png",
    }
    assert "Multiclass evaluation" in page.read_text()


def test_softmax_labels_give_a_multiclass_report(
    bank_softprob: TrainedModel, tmp_path: Path
) -> None:
    booster = train(bank_softprob.split, {"objective": "multi:softmax", "num_class": 3}, 10)
    (tmp_path / "xgboost-model").write_bytes(bytes(booster.save_raw("ubj")))
    result = evaluate_model(bank_softprob.test_csv, tmp_path)  # an extracted folder
    assert isinstance(result.metrics, MulticlassReport)
    assert not result.metrics.from_probabilities
    assert result.metrics.log_loss is None
    labels = booster.predict(xgb.DMatrix(bank_softprob.test_features))
    np.testing.assert_array_equal(result.predictions, labels)
    assert result.metrics.accuracy == pytest.approx(
        skm.accuracy_score(bank_softprob.test_labels, labels)
    )


def test_a_bare_model_file_and_a_pickle(bank_binary: TrainedModel, tmp_path: Path) -> None:
    bare = tmp_path / "model.bin"
    bare.write_bytes(pickle.dumps(bank_binary.booster))
    result = evaluate_model(bank_binary.test_csv, bare)
    np.testing.assert_allclose(result.predictions, bank_binary.predict(), rtol=1e-6)


def test_model_problems_are_reported_plainly(bank_binary: TrainedModel, tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a model")
    with pytest.raises(SourceError, match="neither a pickled Booster nor an XGBoost JSON"):
        evaluate_model(bank_binary.test_csv, junk)
    wide = tmp_path / "wide.csv"
    shutil.copy(bank_binary.test_csv, wide)
    rows = np.loadtxt(wide, delimiter=",")
    np.savetxt(wide, np.column_stack([rows, rows[:, :3]]), delimiter=",", fmt="%.10g")
    with pytest.raises(SourceError, match="66 feature columns but the model was trained on 63"):
        evaluate_model(wide, bank_binary.tarball)
