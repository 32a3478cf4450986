"""What differs between SageMaker's XGBoost container versions, as data.

Each image tag pins one container release with its own XGBoost. Users see the differences in
the metrics it accepts and how they are optimised, the defaults XGBoost picked for the
objective, the way per-round lines are printed and the model file format. Training itself runs
on the installed XGBoost; these profiles make it look and fail like the tagged container.

The legacy `xgboost:1` image (XGBoost 0.72) is closed source; it gets the 0.90-1 container's
rules, the nearest open release that still accepts `silent`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tsukuru.runtime.algorithms.errors import AlgorithmError

LEGACY = "1"

_MAX_090 = (
    "accuracy auc aucpr cox-nloglik f1 gamma-nloglik map ndcg poisson-nloglik tweedie-nloglik"
)
_MIN_090 = "error gamma-deviance logloss mae merror mlogloss mse rmse"
_MAX_10 = "accuracy auc aucpr f1 map ndcg"
_MIN_10 = (
    "cox-nloglik error gamma-deviance gamma-nloglik logloss mae merror mlogloss mse "
    "poisson-nloglik rmse rmsle tweedie-nloglik"
)
_MAX_121 = "accuracy auc aucpr f1 map ndcg r2"
_MAX_122 = "accuracy auc aucpr f1 f1_binary f1_macro map ndcg r2"
_MIN_12 = (
    "aft-nloglik cox-nloglik error gamma-deviance gamma-nloglik interval-regression-accuracy "
    "logloss mae merror mlogloss mphe mse poisson-nloglik rmse rmsle tweedie-nloglik"
)
_MAX_13 = (
    "accuracy auc aucpr balanced_accuracy f1 f1_binary f1_macro map ndcg precision r2 recall "
    "precision_macro precision_micro recall_macro recall_micro"
)
_MIN_13 = (
    "aft-nloglik cox-nloglik error gamma-deviance gamma-nloglik interval-regression-accuracy "
    "logloss mae mape merror mlogloss mphe mse poisson-nloglik rmse rmsle tweedie-nloglik"
)

_CUSTOM_10 = ("accuracy", "f1", "mse")
_CUSTOM_121 = ("accuracy", "f1", "mse", "r2")
_CUSTOM_122 = ("accuracy", "f1", "f1_binary", "f1_macro", "mse", "r2")
_CUSTOM_13 = (
    *("accuracy", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "mse", "rmse", "mae"),
    *("precision", "precision_macro", "precision_micro", "r2", "recall", "recall_macro"),
    "recall_micro",
)

# XGBoost's own default metric per objective where the pinned release differs from ours.
_OLD_DEFAULTS = {
    "binary:logistic": "error",
    "binary:logitraw": "auc",
    "multi:softmax": "merror",
    "multi:softprob": "merror",
    "rank:pairwise": "map",
    "rank:ndcg": "map",
    "rank:map": "map",
    "reg:gamma": "gamma-nloglik",
}
_DEFAULTS_1X = {
    "rank:pairwise": "map",
    "rank:ndcg": "map",
    "rank:map": "map",
    "reg:gamma": "gamma-nloglik",
}


@dataclass(frozen=True)
class XGBoostVersion:
    name: str
    release: tuple[int, int, int]
    xgboost_release: str
    maximize_metrics: tuple[str, ...]
    minimize_metrics: tuple[str, ...]
    custom_metrics: tuple[str, ...]
    default_metrics: dict[str, str] = field(default_factory=dict)

    @property
    def legacy(self) -> bool:
        return self.name == LEGACY

    @property
    def metrics(self) -> tuple[str, ...]:
        return self.maximize_metrics + self.minimize_metrics

    def at_least(self, release: tuple[int, int, int]) -> bool:
        return self.release >= release

    @property
    def metric_format(self) -> str:
        """`%g` up to XGBoost 0.90, five decimals from 1.0 (`train-auc:0.81234`)."""
        return "g" if self.release < (1, 0, 1) else ".5f"

    @property
    def monitor_groups_by_dataset(self) -> bool:
        """1.3+ print `train-a train-b validation-a validation-b`; before, custom metrics
        (computed by the container) come after all of XGBoost's own."""
        return self.at_least((1, 3, 1))

    @property
    def pickles_model(self) -> bool:
        """Up to 1.2-x the model file is a pickled Booster; from 1.3-1 XGBoost's own format."""
        return not self.at_least((1, 3, 1))

    @property
    def labels_from_rounding(self) -> bool:
        """Before 1.2 custom metrics rounded predictions; from 1.2 they threshold the margin."""
        return not self.at_least((1, 2, 1))


def _version(
    name: str,
    release: tuple[int, int, int],
    xgboost_release: str,
    maximize: str,
    minimize: str,
    custom: tuple[str, ...] | list[str],
    defaults: dict[str, str],
) -> XGBoostVersion:
    return XGBoostVersion(
        name=name,
        release=release,
        xgboost_release=xgboost_release,
        maximize_metrics=tuple(maximize.split()),
        minimize_metrics=tuple(minimize.split()),
        custom_metrics=tuple(custom),
        default_metrics=defaults,
    )


VERSIONS: dict[str, XGBoostVersion] = {
    version.name: version
    for version in (
        _version(LEGACY, (0, 90, 1), "0.72", _MAX_090, _MIN_090, _CUSTOM_10, _OLD_DEFAULTS),
        _version("0.90-1", (0, 90, 1), "0.90", _MAX_090, _MIN_090, _CUSTOM_10, _OLD_DEFAULTS),
        _version("0.90-2", (0, 90, 2), "0.90", _MAX_090, _MIN_090, _CUSTOM_10, _OLD_DEFAULTS),
        _version("1.0-1", (1, 0, 1), "1.0.0", _MAX_10, _MIN_10, _CUSTOM_10, _OLD_DEFAULTS),
        _version("1.2-1", (1, 2, 1), "1.2.0", _MAX_121, _MIN_12, _CUSTOM_121, _OLD_DEFAULTS),
        _version("1.2-2", (1, 2, 2), "1.2.0", _MAX_122, _MIN_12, _CUSTOM_122, _OLD_DEFAULTS),
        _version("1.3-1", (1, 3, 1), "1.3.3", _MAX_13, _MIN_13, _CUSTOM_13, _DEFAULTS_1X),
        _version("1.5-1", (1, 5, 1), "1.5.2", _MAX_13, _MIN_13, _CUSTOM_13, _DEFAULTS_1X),
        _version("1.7-1", (1, 7, 1), "1.7.4", _MAX_13, _MIN_13, _CUSTOM_13, _DEFAULTS_1X),
        _version("3.0-5", (3, 0, 5), "3.0.5", _MAX_13, _MIN_13, _CUSTOM_13, {}),
    )
}


def get_version(name: str) -> XGBoostVersion:
    try:
        return VERSIONS[name]
    except KeyError:
        raise AlgorithmError(
            f"Unknown XGBoost algorithm version {name!r}; known: {', '.join(VERSIONS)}"
        ) from None
