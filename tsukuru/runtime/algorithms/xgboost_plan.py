"""Turning validated SageMaker hyperparameters into an XGBoost training plan.

The container strips its own settings (`num_round`, `csv_weights`, `early_stopping_rounds`,
`save_model_on_termination`, `_tuning_objective_metric`, ...) before calling `xgb.train`, splits
`eval_metric` into metrics XGBoost computes and metrics it computes itself, and picks the
early-stopping metric. Settings that the installed XGBoost no longer knows (`silent`,
`predictor`, `gpu_hist`, ...) are translated or dropped so the job behaves as the user meant.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tsukuru.runtime.algorithms.errors import ClientError
from tsukuru.runtime.algorithms.xgboost_metrics import split_metrics
from tsukuru.runtime.algorithms.xgboost_versions import XGBoostVersion

log = logging.getLogger(__name__)

_CONTAINER_ONLY = (
    "num_round",
    "csv_weights",
    "early_stopping_rounds",
    "save_model_on_termination",
    "_tuning_objective_metric",
    "_kfold",
    "_nfold",
    "_num_cv_round",
    "use_dask_gpu_training",
    "silent",
)
# Accepted by old containers, unknown to (or ignored by) the XGBoost this platform runs.
_NO_LONGER_USED = (
    "predictor",
    "dsplit",
    "lambda_bias",
    "sketch_eps",
    "single_precision_histogram",
    "deterministic_histogram",
    "prob_buffer_row",
)
_LEGACY_MAXIMIZE = ("auc", "aucpr", "map", "ndcg")


@dataclass(frozen=True)
class EarlyStop:
    rounds: int
    data_name: str
    metric_name: str | None
    maximize: bool


@dataclass(frozen=True)
class TrainingPlan:
    params: dict[str, Any]
    num_round: int
    csv_weights: bool
    native_metrics: list[str] = field(default_factory=list)
    custom_metrics: list[str] = field(default_factory=list)
    early_stop: EarlyStop | None = None
    save_model_each_round: bool = False

    @property
    def objective(self) -> str | None:
        value = self.params.get("objective")
        return str(value) if value is not None else None

    @property
    def uses_histograms(self) -> bool:
        """Whether training can read a QuantileDMatrix (hist trees, no explicit updater)."""
        return (
            self.params.get("booster", "gbtree") in ("gbtree", "dart")
            and self.params.get("tree_method", "auto") in ("auto", "hist")
            and "updater" not in self.params
            and self.params.get("process_type", "default") == "default"
        )


def make_plan(
    hps: Mapping[str, Any],
    version: XGBoostVersion,
    *,
    num_cpus: int,
    num_gpus: int,
    has_validation: bool,
) -> TrainingPlan:
    for unsupported in ("_kfold", "_nfold"):
        if unsupported in hps:
            raise ClientError(
                f"Hyperparameter {unsupported}: k-fold cross-validation mode is not supported "
                "by this platform; train with a validation channel instead"
            )
    if hps.get("use_dask_gpu_training") == "true":
        raise ClientError("Dask GPU training (use_dask_gpu_training=true) is not supported")
    params = {k: v for k, v in hps.items() if k not in _CONTAINER_ONLY + _NO_LONGER_USED}
    for dropped in _NO_LONGER_USED:
        if dropped in hps:
            log.info("Hyperparameter %s is accepted but no longer used by XGBoost", dropped)
    if hps.get("silent") == 1 and "verbosity" not in hps:
        params["verbosity"] = 0
    if "updater" in params:
        params["updater"] = ",".join(params["updater"])
    if "monotone_constraints" in params:
        params["monotone_constraints"] = tuple(params["monotone_constraints"])
    if "interaction_constraints" in params:
        params["interaction_constraints"] = str(params["interaction_constraints"])
    if params.get("tree_method") == "gpu_hist":
        params["tree_method"] = "hist"
        if num_gpus > 0:
            params["device"] = "cuda"
        else:
            log.warning("tree_method=gpu_hist on an instance without GPUs: training on the CPU")
    params.setdefault("nthread", num_cpus)

    eval_metric = list(hps.get("eval_metric") or [])
    tuning = hps.get("_tuning_objective_metric")
    tuning_metric = [str(tuning).split(":", 1)[1]] if tuning else []
    if tuning_metric and eval_metric:
        requested = sorted(set(tuning_metric) | set(eval_metric))
    else:
        requested = tuning_metric or eval_metric
    native, custom = split_metrics(requested, version)
    params.pop("eval_metric", None)
    objective = str(params.get("objective", "reg:squarederror"))
    if native:
        params["eval_metric"] = native
    elif objective in version.default_metrics:
        params["eval_metric"] = [version.default_metrics[objective]]

    early_stop = _early_stop(
        hps, version, has_validation, tuning_metric or eval_metric, native, custom, params
    )
    return TrainingPlan(
        params=params,
        num_round=int(hps["num_round"]),
        csv_weights=hps.get("csv_weights", 0) == 1,
        native_metrics=native,
        custom_metrics=custom,
        early_stop=early_stop,
        save_model_each_round=hps.get("save_model_on_termination") == "true",
    )


def _early_stop(
    hps: Mapping[str, Any],
    version: XGBoostVersion,
    has_validation: bool,
    chosen: list[str],
    native: list[str],
    custom: list[str],
    params: Mapping[str, Any],
) -> EarlyStop | None:
    rounds = hps.get("early_stopping_rounds")
    if not rounds:
        return None
    if version.at_least((1, 3, 1)):
        # EarlyStopping(data_name="validation", metric_name=<last tuning or eval metric>)
        if not has_validation or not chosen:
            return None
        metric = chosen[-1]
        return EarlyStop(int(rounds), "validation", metric, metric in version.maximize_metrics)
    # xgb.train(early_stopping_rounds=...) of XGBoost <= 1.2: the last metric on the last
    # evaluation set, maximised only for auc/aucpr/map/ndcg (and their @n forms).
    data_name = "validation" if has_validation else "train"
    defaults = params.get("eval_metric") or ["rmse"]
    expected = custom[-1] if custom else (native[-1] if native else defaults[-1])
    maximize = expected in _LEGACY_MAXIMIZE or expected.startswith(
        tuple(f"{name}@" for name in _LEGACY_MAXIMIZE)
    )
    return EarlyStop(int(rounds), data_name, None, maximize)
