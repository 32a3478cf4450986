"""Each round's elementwise metrics, scored from the margins XGBoost already keeps.

The container evaluates the training set (and validation) after every round, for the log line
users watch and `FinalMetricDataList`. XGBoost's own evaluation copies its cached margins,
transforms them and scores them: on 1,000,000 rows about 15 ms a round, a sixth of what the
round's tree costs. The margins themselves come out of XGBoost's prediction cache for the price
of a copy, so the common elementwise metrics (logloss, error, rmse, mae) are scored here with
numpy on every core instead: row by row in float32 as XGBoost defines them, summed in float64,
which gives XGBoost's value to about 1e-8 (the line prints five decimals) in a fifth of the
time. Anything else (other metrics, the container's own metrics, multi-output objectives, dart,
the `%g` lines of the oldest versions) is left to XGBoost's evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from tsukuru.runtime.algorithms.xgboost_lib import xgb
from tsukuru.runtime.algorithms.xgboost_versions import XGBoostVersion

Floats = npt.NDArray[np.float32]
Truth = tuple[Floats, Floats | None, float]  # labels, weights (None: all 1), weight total
RowLoss = Callable[[Floats, Floats], Floats]  # (transformed predictions, labels) -> per row

_ONE = np.float32(1.0)
_EPS = np.float32(1e-16)
_SIGMOID_OBJECTIVES = ("binary:logistic", "reg:logistic")
_IDENTITY_OBJECTIVES = ("reg:squarederror", "reg:linear")
# What XGBoost scores when no metric is named (the versions' older defaults are set by the plan).
_XGBOOST_DEFAULT_METRIC = {
    "binary:logistic": "logloss",
    "reg:logistic": "rmse",
    "reg:squarederror": "rmse",
    "reg:linear": "rmse",
}
_PARALLEL_FROM_ROWS = 65_536  # below this a second thread costs more than it saves
_BLOCK_ROWS = 32_768


def _sigmoid(margin: Floats) -> Floats:
    """XGBoost's `Sigmoid`: 1 / (1 + exp(min(-x, 88.7))) in float32."""
    out = np.minimum(-margin, np.float32(88.7))
    np.exp(out, out=out)
    out += _ONE
    return np.reciprocal(out, out=out)


def _identity(margin: Floats) -> Floats:
    return margin


def _logloss(p: Floats, y: Floats) -> Floats:
    positive = np.maximum(p, _EPS)
    negative = np.maximum(_ONE - p, _EPS)
    np.log(positive, out=positive)
    np.log(negative, out=negative)
    positive *= y
    negative *= _ONE - y
    positive += negative
    return np.negative(positive, out=positive)


def _error(p: Floats, y: Floats) -> Floats:
    return np.where(p > np.float32(0.5), _ONE - y, y)


def _squared(p: Floats, y: Floats) -> Floats:
    diff: Floats = y - p
    np.multiply(diff, diff, out=diff)
    return diff


def _absolute(p: Floats, y: Floats) -> Floats:
    diff: Floats = y - p
    np.abs(diff, out=diff)
    return diff


# metric -> (per-row loss, final value from (weighted sum, weight sum))
_METRICS: dict[str, tuple[RowLoss, Callable[[float, float], float]]] = {
    "logloss": (_logloss, lambda total, weight: total / weight),
    "error": (_error, lambda total, weight: total / weight),
    "rmse": (_squared, lambda total, weight: math.sqrt(total / weight)),
    "mae": (_absolute, lambda total, weight: total / weight),
}
_FOR_SIGMOID: tuple[str, ...] = ("logloss", "error", "rmse", "mae")
_FOR_IDENTITY: tuple[str, ...] = ("error", "rmse", "mae")


class RoundScorer:
    """Scores `metrics` on margins of a model whose objective transforms them with
    `transform`, splitting the rows over `threads` threads (numpy lets go of the GIL)."""

    def __init__(
        self, metrics: Sequence[str], transform: Callable[[Floats], Floats], threads: int
    ) -> None:
        self.metrics = tuple(metrics)
        self._transform = transform
        self._threads = max(1, threads)
        self._pool: ThreadPoolExecutor | None = None

    def score(self, margin: Floats, truth: Truth) -> list[tuple[str, float]]:
        """(metric, value) in `metrics` order, as XGBoost's evaluation would give them."""
        label, weight, weight_sum = truth
        rows = len(margin)
        parts = self._threads if rows >= _PARALLEL_FROM_ROWS else 1
        bounds = [rows * i // parts for i in range(parts + 1)]
        pieces = [
            (margin[a:b], label[a:b], None if weight is None else weight[a:b])
            for a, b in pairwise(bounds)
        ]
        if parts == 1:
            sums = [self._sums(*pieces[0])]
        else:
            pool = self._executor()
            pending = [pool.submit(self._sums, *piece) for piece in pieces[1:]]
            sums = [self._sums(*pieces[0]), *(future.result() for future in pending)]
        results = []
        for index, name in enumerate(self.metrics):
            total = math.fsum(part[index] for part in sums)
            final = _METRICS[name][1]
            results.append((name, final(total, weight_sum or 1.0)))
        return results

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._threads - 1, thread_name_prefix="round-score")
        return self._pool

    def _sums(self, margin: Floats, label: Floats, weight: Floats | None) -> list[float]:
        """Sums of each metric's per-row values over these rows, a block at a time: numpy's
        temporaries for a whole million-row column are fresh pages to fault in and spill the
        cache, and scoring in 32,768-row blocks takes a third of the CPU."""
        sums = [0.0] * len(self.metrics)
        for start in range(0, len(margin), _BLOCK_ROWS):
            end = start + _BLOCK_ROWS
            predictions = self._transform(margin[start:end])
            y = label[start:end]
            w = None if weight is None else weight[start:end].astype(np.float64)
            for index, name in enumerate(self.metrics):
                rows = _METRICS[name][0](predictions, y)
                if w is None:
                    sums[index] += float(np.sum(rows, dtype=np.float64))
                else:
                    sums[index] += float(np.dot(rows.astype(np.float64), w))
        return sums


def round_scorer(
    params: Mapping[str, Any], custom_metrics: Sequence[str], version: XGBoostVersion
) -> RoundScorer | None:
    """A scorer for this training's per-round metrics, or None where XGBoost must score them."""
    if custom_metrics or version.metric_format != ".5f":
        return None
    if params.get("booster", "gbtree") != "gbtree" or "num_class" in params:
        return None
    if params.get("multi_strategy") not in (None, "one_output_per_tree"):
        return None
    objective = params.get("objective", "reg:squarederror")
    metrics = params.get("eval_metric") or [_XGBOOST_DEFAULT_METRIC.get(objective, "")]
    if isinstance(metrics, str):
        metrics = [metrics]
    if objective in _SIGMOID_OBJECTIVES:
        transform, allowed = _sigmoid, _FOR_SIGMOID
    elif objective in _IDENTITY_OBJECTIVES:
        transform, allowed = _identity, _FOR_IDENTITY
    else:
        return None
    if any(name not in allowed for name in metrics):
        return None
    return RoundScorer(list(metrics), transform, int(params.get("nthread") or 1))


class ScoreEachRound(xgb.callback.TrainingCallback):  # type: ignore[misc]
    """Fills the round's `evals_log` entries (data-major, metrics in order, as XGBoost's own
    evaluation does) before the callbacks after it (the log line, early stopping) read them;
    `xgb.train` then gets no `evals` of its own."""

    def __init__(self, scorer: RoundScorer, sets: Sequence[tuple[Any, str]]) -> None:
        super().__init__()
        self._scorer = scorer
        self._sets = list(sets)
        self._truth: list[Truth] = []

    def before_training(self, model: Any) -> Any:
        self._truth = []
        for matrix, _ in self._sets:
            label = np.ascontiguousarray(matrix.get_label(), dtype=np.float32)
            weight = np.asarray(matrix.get_weight(), dtype=np.float32)
            if weight.size:  # the same every round: summed once
                self._truth.append((label, weight, float(np.sum(weight, dtype=np.float64))))
            else:
                self._truth.append((label, None, float(label.shape[0])))
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        for (matrix, name), truth in zip(self._sets, self._truth, strict=True):
            margin = model.predict(matrix, output_margin=True, validate_features=False)
            scores = evals_log.setdefault(name, {})
            values = np.asarray(margin, dtype=np.float32)
            for metric, value in self._scorer.score(values, truth):
                scores.setdefault(metric, []).append(value)
        return False

    def after_training(self, model: Any) -> Any:
        self._scorer.close()
        return model
