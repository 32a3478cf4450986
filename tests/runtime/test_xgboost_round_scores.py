"""Per-round metrics scored from cached margins equal XGBoost's own evaluation, round by round:
the values to 1e-6, the printed five decimals exactly, and early stopping picks the same round."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tsukuru.runtime.algorithms.xgboost_lib import xgb
from tsukuru.runtime.algorithms.xgboost_round_scores import ScoreEachRound, round_scorer
from tsukuru.runtime.algorithms.xgboost_versions import get_version

V17 = get_version("1.7-1")


def _data(rows: int, *, regression: bool, seed: int = 3) -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 8)).astype(np.float32)
    signal = features[:, 0] - 0.5 * features[:, 1] + rng.normal(scale=0.7, size=rows)
    label = (signal * 3 + 10) if regression else (signal > 0).astype(np.float32)
    weight = rng.uniform(0.5, 2.0, size=rows).astype(np.float32)
    return features, label.astype(np.float32), weight


def _matrices(rows: int, *, regression: bool, weighted: bool) -> list[tuple[Any, str]]:
    features, label, weight = _data(rows, regression=regression)
    cut = rows * 4 // 5
    train = xgb.QuantileDMatrix(
        features[:cut], label=label[:cut], weight=weight[:cut] if weighted else None
    )
    validation = xgb.QuantileDMatrix(
        features[cut:],
        label=label[cut:],
        weight=weight[cut:] if weighted else None,
        ref=train,
    )
    return [(train, "train"), (validation, "validation")]


def _both(params: dict[str, Any], sets: list[tuple[Any, str]], rounds: int, **extra: Any) -> Any:
    """(XGBoost's history, the scorer's history, the two boosters)."""
    native: dict[str, Any] = {}
    ours: dict[str, Any] = {}
    stop = extra.get("early_stop")
    native_booster = xgb.train(
        params,
        sets[0][0],
        rounds,
        evals=sets,
        evals_result=native,
        verbose_eval=False,
        callbacks=[stop()] if stop else None,
    )
    scorer = round_scorer(params, [], V17)
    assert scorer is not None
    our_booster = xgb.train(
        params,
        sets[0][0],
        rounds,
        evals=[],
        evals_result=ours,
        verbose_eval=False,
        callbacks=[ScoreEachRound(scorer, sets), *([stop()] if stop else [])],
    )
    return native, ours, native_booster, our_booster


def _assert_same(native: dict[str, Any], ours: dict[str, Any]) -> None:
    assert list(ours) == list(native)
    for data, metrics in native.items():
        assert list(ours[data]) == list(metrics)
        for metric, values in metrics.items():
            got = ours[data][metric]
            assert len(got) == len(values)
            assert np.allclose(got, values, rtol=1e-6, atol=1e-7), (data, metric)
            assert [f"{v:.5f}" for v in got] == [f"{v:.5f}" for v in values], (data, metric)


@pytest.mark.parametrize("rows", [2_000, 100_000])  # one thread, then split over threads
@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_metrics_equal_xgboosts(rows: int, weighted: bool) -> None:
    params = {
        "objective": "binary:logistic",
        "eval_metric": ["logloss", "error", "rmse", "mae"],
        "max_depth": 4,
        "eta": 0.3,
        "subsample": 0.8,
        "nthread": 2,
        "seed": 7,
    }
    sets = _matrices(rows, regression=False, weighted=weighted)
    native, ours, _, _ = _both(params, sets, 15)
    _assert_same(native, ours)


def test_squared_error_metrics_equal_xgboosts() -> None:
    params = {
        "objective": "reg:squarederror",
        "eval_metric": ["rmse", "mae", "error"],
        "max_depth": 3,
        "nthread": 2,
    }
    native, ours, _, _ = _both(params, _matrices(100_000, regression=True, weighted=False), 10)
    _assert_same(native, ours)


@pytest.mark.parametrize("objective", ["binary:logistic", "reg:squarederror"])
def test_no_metric_named_scores_xgboosts_default(objective: str) -> None:
    params = {"objective": objective, "max_depth": 3, "nthread": 2}
    native, ours, _, _ = _both(params, _matrices(5_000, regression=False, weighted=False), 5)
    _assert_same(native, ours)
    assert list(ours["train"]) == ["logloss" if objective == "binary:logistic" else "rmse"]


def test_early_stopping_picks_the_same_round() -> None:
    params = {"objective": "binary:logistic", "eval_metric": ["logloss"], "eta": 0.9, "nthread": 2}
    sets = _matrices(3_000, regression=False, weighted=False)

    def stop() -> Any:
        return xgb.callback.EarlyStopping(rounds=3, data_name="validation", save_best=True)

    native, ours, native_booster, our_booster = _both(params, sets, 200, early_stop=stop)
    _assert_same(native, ours)
    assert len(native["validation"]["logloss"]) < 200  # it did stop early
    assert our_booster.best_iteration == native_booster.best_iteration
    assert our_booster.num_boosted_rounds() == native_booster.num_boosted_rounds()


@pytest.mark.parametrize(
    ("params", "custom", "version"),
    [
        ({"objective": "binary:logistic", "eval_metric": ["auc"]}, [], "1.7-1"),
        ({"objective": "binary:logistic", "eval_metric": ["logloss", "auc"]}, [], "1.7-1"),
        ({"objective": "binary:logistic", "eval_metric": ["logloss"]}, ["f1"], "1.7-1"),
        ({"objective": "binary:logistic", "eval_metric": ["error@0.3"]}, [], "1.7-1"),
        ({"objective": "binary:logistic", "eval_metric": ["error"]}, [], "0.90-1"),  # `%g`
        ({"objective": "reg:squarederror", "eval_metric": ["logloss"]}, [], "1.7-1"),
        ({"objective": "multi:softprob", "num_class": 3, "eval_metric": ["mlogloss"]}, [], "1.7-1"),
        ({"objective": "count:poisson", "eval_metric": ["rmse"]}, [], "1.7-1"),
        ({"booster": "dart", "objective": "reg:logistic", "eval_metric": ["mae"]}, [], "1.7-1"),
    ],
)
def test_other_metrics_are_left_to_xgboost(
    params: dict[str, Any], custom: list[str], version: str
) -> None:
    assert round_scorer(params, custom, get_version(version)) is None
