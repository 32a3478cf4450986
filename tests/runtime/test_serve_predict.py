"""The C-API prediction path answers exactly what `Booster.inplace_predict` answers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse  # type: ignore[import-untyped]
import xgboost as xgb

from tests.runtime.serve_support import synthetic_booster
from tsukuru.runtime.algorithms.xgboost_serving_predict import (
    DensePredictor,
    PredictionError,
    xgboost_library,
)

ROWS = np.random.default_rng(11).normal(size=(40, 6))


def _reference(booster: object, features: object, span: tuple[int, int] = (0, 0)) -> object:
    return booster.inplace_predict(  # type: ignore[attr-defined]
        features, iteration_range=span, missing=np.nan, validate_features=False
    )


@pytest.mark.parametrize(
    "objective", ["binary:logistic", "reg:squarederror", "multi:softprob", "multi:softmax"]
)
def test_dense_predictions_equal_inplace_predict(objective: str) -> None:
    booster = synthetic_booster(objective)
    predictor = DensePredictor(booster, (0, 0), xgboost_library(xgb))
    got = predictor.predict(ROWS)
    expected = _reference(booster, ROWS)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    one = predictor.predict(ROWS[:1])
    np.testing.assert_array_equal(one, _reference(booster, ROWS[:1]))


def test_iteration_range_and_missing_values_are_honoured() -> None:
    booster = synthetic_booster("reg:squarederror", rounds=10)
    holes = ROWS.copy()
    holes[::3, 1] = np.nan
    predictor = DensePredictor(booster, (0, 4), xgboost_library(xgb))
    np.testing.assert_array_equal(predictor.predict(holes), _reference(booster, holes, (0, 4)))


def test_other_inputs_take_the_wrapper() -> None:
    booster = synthetic_booster("binary:logistic")
    predictor = DensePredictor(booster, (0, 0), xgboost_library(xgb))
    sparse = scipy.sparse.csr_matrix(ROWS)
    np.testing.assert_array_equal(predictor.predict(sparse), _reference(booster, sparse))
    strided = np.asfortranarray(ROWS)
    np.testing.assert_array_equal(predictor.predict(strided), _reference(booster, ROWS))
    as_float32 = ROWS.astype(np.float32)
    np.testing.assert_array_equal(predictor.predict(as_float32), _reference(booster, as_float32))
    without_library = DensePredictor(booster, (0, 0), None)
    np.testing.assert_array_equal(without_library.predict(ROWS), _reference(booster, ROWS))


def test_predictions_are_copied_out_of_xgboosts_buffer() -> None:
    booster = synthetic_booster("binary:logistic")
    predictor = DensePredictor(booster, (0, 0), xgboost_library(xgb))
    first = predictor.predict(ROWS[:5])
    kept = first.copy()
    predictor.predict(ROWS[5:])
    np.testing.assert_array_equal(first, kept)


def test_xgboost_errors_carry_xgboosts_message() -> None:
    booster = synthetic_booster("binary:logistic", features=6)
    predictor = DensePredictor(booster, (0, 0), xgboost_library(xgb))
    too_wide = np.zeros((2, 9))
    with pytest.raises(xgb.core.XGBoostError) as expected:
        _reference(booster, too_wide)
    with pytest.raises(PredictionError) as got:
        predictor.predict(too_wide)
    assert str(got.value) == str(expected.value)
