"""Predictions written through Arrow are byte for byte what Python's `str(float)` writes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tsukuru.runtime.algorithms.xgboost_serving_encode import csv_lines, records_text
from tsukuru.runtime.algorithms.xgboost_serving_text import MIN_VALUES, joined_floats

EDGES = [
    0.0,
    -0.0,
    1.0,
    -3.0,
    0.5,
    1e-4,
    9.99e-5,
    1.2345e-5,
    1e-7,
    5e-324,
    123456789.5,
    999999999.9,
    1e9 + 0.5,
    69861423931.97406,
    1e15,
    1e16 + 2,
    1.5e300,
    float("nan"),
    float("inf"),
    float("-inf"),
]


def _python_lines(values: np.ndarray[Any, Any]) -> bytes:
    rows = values.tolist()
    if values.ndim == 2:
        return "".join(",".join(map(str, row)) + "\n" for row in rows).encode()
    return ("\n".join(map(str, rows)) + "\n").encode()


def _random_values(seed: int, size: int) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(seed)
    scales = 10.0 ** rng.integers(-8, 18, size=size)
    values = rng.random(size) * scales * rng.choice([-1.0, 1.0], size=size)
    return np.concatenate([values, rng.random(size, dtype=np.float32).astype(np.float64)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_probabilities_are_written_as_python_writes_them(dtype: type) -> None:
    values: np.ndarray[Any, Any] = np.random.default_rng(1).random(5000).astype(dtype)
    assert joined_floats(values, ",", "\n", "\n") == _python_lines(values)


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_any_magnitude_is_written_as_python_writes_it(seed: int) -> None:
    values = _random_values(seed, 4000)
    assert joined_floats(values, ",", "\n", "\n") == _python_lines(values)


def test_values_arrow_writes_differently_are_patched() -> None:
    values = np.random.default_rng(5).random(400)
    values[: len(EDGES)] = EDGES
    assert joined_floats(values, ",", "\n", "\n") == _python_lines(values)
    assert joined_floats(values, ",", ",", "") == ",".join(map(str, values.tolist())).encode()


def test_rows_of_several_outputs() -> None:
    values = np.random.default_rng(6).random((300, 3)).astype(np.float32)
    values[7, 1] = 1e-6
    assert joined_floats(values, ",", "\n", "\n") == _python_lines(values)


def test_python_keeps_the_cases_it_is_better_at() -> None:
    assert joined_floats(np.random.default_rng(7).random(MIN_VALUES - 1), ",", "\n", "") is None
    labels = np.arange(500, dtype=np.float32) % 3  # multi:softmax: whole numbers
    assert joined_floats(labels, ",", "\n", "\n") is None
    assert joined_floats(np.arange(500), ",", "\n", "\n") is None
    assert csv_lines(labels) == _python_lines(labels)


@pytest.mark.parametrize("size", [1, MIN_VALUES - 1, MIN_VALUES, 1000])
def test_encoder_helpers_agree_with_python_at_every_size(size: int) -> None:
    values = np.random.default_rng(size).random(size).astype(np.float32)
    assert csv_lines(values) == _python_lines(values)
    assert records_text(values, ",", "") == ",".join(map(str, values.tolist())).encode()
    softprob = np.random.default_rng(size).random((size, 2)).astype(np.float32)
    assert csv_lines(softprob) == _python_lines(softprob)
    listed = "\n".join(map(str, softprob.tolist())) + "\n"
    assert records_text(softprob, "\n", "\n") == listed.encode()
    assert csv_lines(np.zeros((0,), dtype=np.float32)) == b""
