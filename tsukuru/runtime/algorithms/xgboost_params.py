"""The built-in XGBoost's hyperparameter table for each container version.

The tables hold the names, types and ranges the SageMaker XGBoost container (open-source
aws/sagemaker-xgboost-container, one branch per image tag) declares, and its cross-parameter
rules with their exact messages. Notable differences users hit:

* `silent` exists up to 1.0-1 (and in the legacy `xgboost:1` image); from 1.2-1 it is
  `Extraneous hyperparameter found: silent`;
* aliases (`learning_rate`, `min_split_loss`, `reg_lambda`, `reg_alpha`) exist from 0.90-2;
* up to 1.0-1 `gpu_hist` / `gpu_predictor` fail with `GPU training is not supported yet.`;
* `eval_metric` without `objective` fails (the container indexes the missing objective).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tsukuru.runtime.algorithms.errors import ClientError
from tsukuru.runtime.algorithms.hyperparameter_specs import Choices, Interval, Spec, Table
from tsukuru.runtime.algorithms.xgboost_versions import XGBoostVersion

_BOOL_TEXT = Choices(("true", "false"))
_ALIASES = {
    "learning_rate": "eta",
    "min_split_loss": "gamma",
    "reg_lambda": "lambda",
    "reg_alpha": "alpha",
}
_OBJECTIVES_090 = (
    "binary:logistic binary:logitraw binary:hinge count:poisson multi:softmax multi:softprob "
    "rank:pairwise rank:ndcg rank:map reg:linear reg:squarederror reg:logistic reg:gamma "
    "{squaredlog}reg:tweedie survival:cox"
)


def _objectives(version: XGBoostVersion) -> tuple[str, ...]:
    if not version.at_least((1, 0, 1)):
        return tuple(_OBJECTIVES_090.format(squaredlog="").split())
    if not version.at_least((1, 2, 1)):
        return tuple(_OBJECTIVES_090.format(squaredlog="reg:squaredlogerror ").split())
    names = [
        "aft_loss_distribution",
        *("binary:logistic", "binary:logitraw", "binary:hinge", "count:poisson"),
        *("multi:softmax", "multi:softprob", "rank:pairwise", "rank:ndcg", "rank:map"),
        *("reg:linear", "reg:squarederror", "reg:logistic", "reg:gamma"),
        *("reg:pseudohubererror", "reg:squaredlogerror"),
        *(["reg:absoluteerror"] if version.at_least((1, 7, 1)) else []),
        *("reg:tweedie", "survival:aft", "survival:cox"),
    ]
    return tuple(names)


def _updaters(version: XGBoostVersion) -> tuple[str, ...]:
    """The declared range of `updater`, duplicates included (they show in the message)."""
    local = ["grow_local_histmaker"] if not version.at_least((1, 7, 1)) else []
    return (
        *("grow_colmaker", "distcol", "grow_histmaker", *local, "grow_skmaker", "sync"),
        *("refresh", "prune", "grow_colmaker", "distcol", "grow_histmaker", *local),
        *("grow_colmaker", "shotgun", "coord_descent", "refresh", "prune"),
    )


def _updater_rule(version: XGBoostVersion) -> Any:
    local = ["grow_local_histmaker"] if not version.at_least((1, 7, 1)) else []
    quantile = ["grow_quantile_histmaker"] if version.at_least((1, 0, 1)) else []
    tree_plugins = [
        *["grow_colmaker", "distcol", "grow_histmaker"],
        *local,
        *["grow_skmaker", "sync", "refresh", "prune"],
        *quantile,
    ]
    build_plugins = ["grow_colmaker", "distcol", "grow_histmaker", *local, *quantile]
    names = ", ".join(
        f"'{name}'"
        for name in (
            *("grow_colmaker", "distcol", "grow_histmaker", *local, "grow_skmaker", *quantile),
            *("sync", "refresh", "prune", "shortgun", "coord_descent"),
        )
    )
    grow_names = ", ".join(
        f"'{name}'" for name in ["grow_colmaker", "distcol", "grow_histmaker", *local]
    )

    def check(value: list[str], deps: Mapping[str, Any]) -> None:
        if deps.get("booster") == "gblinear":
            if not (len(value) == 1 and value[0] in ("shotgun", "coord_descent")):
                raise ClientError(
                    "Linear updater should be one of these options: 'shotgun', 'coord_descent'."
                )
        elif deps.get("process_type") == "update":
            if not all(item in ("refresh", "prune") for item in value):
                raise ClientError(
                    "process_type 'update' can only be used with updater 'refresh' and 'prune'"
                )
        else:
            if not all(item in tree_plugins for item in value):
                raise ClientError(f"Tree updater should be selected from these options: {names}.")
            if sum(1 for item in value if item in build_plugins) > 1:
                raise ClientError(
                    "Only one tree grow plugin can be selected. Choose one from the"
                    f"following: {grow_names}, 'grow_skmaker'"
                )

    return check


def _gpu_choice(values: tuple[str, ...], gpu_supported: bool) -> Choices:
    def accepts(value: object) -> bool:
        if not gpu_supported and isinstance(value, str) and "gpu" in value:
            raise ClientError("GPU training is not supported yet.")
        return value in values

    return Choices(values, accepts)


def _metric_choice(version: XGBoostVersion) -> Choices:
    def accepts(metric: object) -> bool:
        text = str(metric)
        if "<function" in text:
            raise ClientError(f"User defined evaluation metric {text} is not supported yet.")
        if "@" in text:
            name, threshold = text.split("@", maxsplit=1)[0].strip(), text.split("@")[1].strip()
            if name not in ("error", "ndcg", "map"):
                raise ClientError(
                    f"Metric '{text}' is not supported. Parameter 'eval_metric' with customized "
                    "threshold should be one of these options: 'error', 'ndcg', 'map'."
                )
            try:
                float(threshold)
            except ValueError:
                raise ClientError(
                    f"Threshold value 't' in '{name}@t' expects float input."
                ) from None
            return True
        return text in version.metrics

    return Choices(version.metrics, accepts)


def _eval_metric_rule(version: XGBoostVersion) -> Any:
    def check(value: list[str], deps: Mapping[str, Any]) -> None:
        objective = deps.get("objective")
        needs_objective = version.at_least((1, 2, 1)) or "auc" in value
        if needs_objective and objective is None:
            raise ClientError(
                "Hyperparameter eval_metric needs objective to be set as well (the SageMaker "
                "XGBoost container fails with KeyError: 'objective' without it)"
            )
        if "auc" in value and not str(objective).startswith(("binary:", "rank:")):
            raise ClientError(
                "Metric 'auc' can only be applied for classification and ranking problems."
            )
        if version.at_least((1, 2, 1)) and "aft-nloglik" in value and objective != "survival:aft":
            raise ClientError(
                "Metric 'aft-nloglik' can only be applied for 'survival:aft' objective."
            )

    return check


def _objective_rule(value: str, deps: Mapping[str, Any]) -> None:
    if value in ("multi:softmax", "multi:softprob") and deps.get("num_class") is None:
        raise ClientError("Require input for parameter 'num_class' for multi-classification")


def _constraint_rule(name: str, methods: tuple[str, ...], wording: str) -> Any:
    def check(value: Any, deps: Mapping[str, Any]) -> None:
        if value is not None and deps.get("tree_method") not in methods:
            raise ClientError(
                f"{name} can be used only when the tree_method parameter is set to either "
                f"{wording}."
            )

    return check


def _num(name: str, kind: str = "float", **bounds: int | float) -> Spec:
    return Spec(name, "int" if kind == "int" else "float", Interval(**bounds))


def _cat(name: str, *values: str) -> Spec:
    return Spec(name, "categorical", Choices(values))


def hyperparameter_table(version: XGBoostVersion) -> Table:
    """The table the container of `version` validates hyperparameters against."""
    gpu = version.at_least((1, 2, 1))
    tree_methods = ("auto", "exact", "approx", "hist") + (("gpu_hist",) if gpu else ())
    predictors = ("auto", "cpu_predictor", "gpu_predictor") if gpu else ("cpu_predictor",)
    tuning_names = tuple(f"validation:{metric}" for metric in version.metrics)
    specs: list[Spec] = [
        Spec("num_round", "int", Interval(min_closed=1), required=True),
        _num("csv_weights", "int", min_closed=0, max_closed=1),
        _num("early_stopping_rounds", "int", min_closed=1),
        _cat("booster", "gbtree", "gblinear", "dart"),
    ]
    if not version.at_least((1, 2, 1)):
        specs.append(_num("silent", "int", min_closed=0, max_closed=1))
    specs += [
        _num("verbosity", "int", min_closed=0, max_closed=3),
        _num("nthread", "int", min_closed=1),
        _num("eta", min_closed=0, max_closed=1),
        _num("gamma", min_closed=0),
        _num("max_depth", "int", min_closed=0),
        _num("min_child_weight", min_closed=0),
        _num("max_delta_step", min_closed=0),
        _num("subsample", min_open=0, max_closed=1),
        _num("colsample_bytree", min_open=0, max_closed=1),
        _num("colsample_bylevel", min_open=0, max_closed=1),
        _num("colsample_bynode", min_open=0, max_closed=1),
        _num("lambda", min_closed=0),
        _num("alpha", min_closed=0),
        Spec("tree_method", "categorical", _gpu_choice(tree_methods, gpu)),
        _num("sketch_eps", min_open=0, max_open=1),
        _num("scale_pos_weight", min_open=0),
        Spec(
            "updater",
            "list",
            Choices(_updaters(version)),
            depends_on=("booster", "process_type"),
            check_dependencies=_updater_rule(version),
        ),
        _cat("dsplit", "row", "col"),
        _num("refresh_leaf", "int", min_closed=0, max_closed=1),
        _cat("process_type", "default", "update"),
        _cat("grow_policy", "depthwise", "lossguide"),
        _num("max_leaves", "int", min_closed=0),
        _num("max_bin", "int", min_closed=0),
        Spec("predictor", "categorical", _gpu_choice(predictors, gpu)),
    ]
    if version.at_least((1, 0, 1)):
        specs += [
            Spec(
                "monotone_constraints",
                "tuple",
                Choices((-1, 0, 1)),
                depends_on=("tree_method",),
                check_dependencies=_constraint_rule(
                    "monotone_constraints", ("exact", "hist"), "'exact' or 'hist'"
                ),
            ),
            Spec(
                "interaction_constraints",
                "nested_list",
                Interval(min_closed=1),
                depends_on=("tree_method",),
                check_dependencies=_constraint_rule(
                    "interaction_constraints",
                    ("exact", "hist", "approx"),
                    "'exact', 'hist' or 'approx'",
                ),
            ),
        ]
    specs += [
        _cat("sample_type", "uniform", "weighted"),
        _cat("normalize_type", "tree", "forest"),
        _num("rate_drop", min_closed=0, max_closed=1),
        _num("one_drop", "int", min_closed=0, max_closed=1),
        _num("skip_drop", min_closed=0, max_closed=1),
        _num("lambda_bias", min_closed=0, max_closed=1),
        _num("tweedie_variance_power", min_open=1, max_open=2),
        Spec(
            "objective",
            "categorical",
            Choices(_objectives(version)),
            depends_on=("num_class",),
            check_dependencies=_objective_rule,
        ),
        _num("num_class", "int", min_closed=2),
        _num("base_score", min_closed=0),
    ]
    if version.name == "1.2-1":
        specs.append(_num("_nfold", "int", min_closed=2))
    elif version.at_least((1, 2, 2)):
        specs += [_num("_kfold", "int", min_closed=2), _num("_num_cv_round", "int", min_closed=1)]
    specs += [
        Spec("_tuning_objective_metric", "categorical", Choices(tuning_names)),
        Spec(
            "eval_metric",
            "list",
            _metric_choice(version),
            depends_on=("objective",),
            check_dependencies=_eval_metric_rule(version),
        ),
        _num("seed", "int", min_open=-(2**31), max_open=2**31 - 1),
    ]
    if version.at_least((0, 90, 2)):
        specs.append(_num("num_parallel_tree", "int", min_closed=1))
    if version.at_least((1, 0, 1)):
        specs.append(Spec("save_model_on_termination", "categorical", _BOOL_TEXT))
    if version.at_least((1, 2, 1)):
        specs += [
            _cat("aft_loss_distribution", "normal", "logistic", "extreme"),
            _num("aft_loss_distribution_scale", min_closed=0),
            Spec("deterministic_histogram", "categorical", _BOOL_TEXT),
        ]
        if not version.at_least((1, 7, 1)):
            specs.append(Spec("single_precision_histogram", "categorical", _BOOL_TEXT))
    if version.at_least((1, 3, 1)):
        specs += [
            _cat("sampling_method", "uniform", "gradient_based"),
            _num("prob_buffer_row", "int", min_open=1.0),
        ]
    if version.at_least((1, 5, 1)):
        specs.append(Spec("use_dask_gpu_training", "categorical", _BOOL_TEXT))
    aliases = _ALIASES if version.at_least((0, 90, 2)) else {}
    return Table(tuple(specs), aliases)
