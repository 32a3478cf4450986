"""Hyperparameter validation with the SageMaker XGBoost container's exact messages."""

from __future__ import annotations

import pytest

from tsukuru.runtime.algorithms.errors import AlgorithmError, ClientError
from tsukuru.runtime.algorithms.xgboost_params import hyperparameter_table
from tsukuru.runtime.algorithms.xgboost_versions import VERSIONS, get_version


def validate(version: str, **hps: str) -> dict[str, object]:
    return hyperparameter_table(get_version(version)).validate(hps)


def failure(version: str, **hps: str) -> str:
    with pytest.raises(ClientError) as caught:
        validate(version, **hps)
    return caught.value.message


def test_num_round_is_required() -> None:
    assert failure("1.7-1", eta="0.1") == "Missing required hyperparameter: num_round"


@pytest.mark.parametrize("version", ["1.2-1", "1.2-2", "1.3-1", "1.5-1", "1.7-1", "3.0-5"])
def test_silent_is_extraneous_from_1_2(version: str) -> None:
    assert failure(version, num_round="10", silent="0") == "Extraneous hyperparameter found: silent"


@pytest.mark.parametrize("version", ["1", "0.90-1", "0.90-2", "1.0-1"])
def test_silent_is_accepted_by_older_images(version: str) -> None:
    assert validate(version, num_round="10", silent="0")["silent"] == 0


@pytest.mark.parametrize(
    ("hps", "message"),
    [
        (
            {"num_round": "10.0"},
            "Hyperparameter num_round: could not parse value (caused by ValueError)",
        ),
        ({"num_round": "0"}, "Hyperparameter num_round: 0 is not in [1, +inf)"),
        ({"num_round": "5", "eta": "2"}, "Hyperparameter eta: 2.0 is not in [0, 1]"),
        ({"num_round": "5", "subsample": "0"}, "Hyperparameter subsample: 0.0 is not in (0, 1]"),
        (
            {"num_round": "5", "booster": "foo"},
            "Hyperparameter booster: foo is not in ['gbtree', 'gblinear', 'dart']",
        ),
        (
            {"num_round": "5", "tree_method": "fast"},
            "Hyperparameter tree_method: fast is not in "
            "['auto', 'exact', 'approx', 'hist', 'gpu_hist']",
        ),
        (
            {"num_round": "5", "seed": "3000000000"},
            "Hyperparameter seed: 3000000000 is not in (-2147483648, 2147483647)",
        ),
        (
            {"num_round": "5", "objective": "multi:softmax"},
            "Require input for parameter 'num_class' for multi-classification",
        ),
        (
            {"num_round": "5", "objective": "reg:squarederror", "eval_metric": "auc"},
            "Metric 'auc' can only be applied for classification and ranking problems.",
        ),
        (
            {"num_round": "5", "objective": "binary:logistic", "eval_metric": "error@x"},
            "Threshold value 't' in 'error@t' expects float input.",
        ),
        (
            {"num_round": "5", "monotone_constraints": "(1,-1)"},
            "monotone_constraints can be used only when the tree_method parameter is set to "
            "either 'exact' or 'hist'.",
        ),
        (
            {"num_round": "5", "monotone_constraints": "(1,2)", "tree_method": "hist"},
            "Hyperparameter monotone_constraints: value (1, 2) not in range [-1, 0, 1]",
        ),
        ({"num_round": "5", "learning_rate": "3"}, "Hyperparameter eta: 3.0 is not in [0, 1]"),
    ],
)
def test_messages_of_the_1_7_container(hps: dict[str, str], message: str) -> None:
    assert failure("1.7-1", **hps) == message


def test_unknown_eval_metric_lists_the_vocabulary() -> None:
    message = failure("1.7-1", num_round="5", objective="binary:logistic", eval_metric="aucpr,foo")
    assert message.startswith("Hyperparameter eval_metric: value ['aucpr', 'foo'] not in range [")
    assert "'balanced_accuracy'" in message


def test_eval_metric_without_objective_fails_as_in_the_container() -> None:
    assert "objective" in failure("1.7-1", num_round="5", eval_metric="rmse")
    assert validate("1.0-1", num_round="5", eval_metric="rmse")["eval_metric"] == ["rmse"]


def test_gpu_is_refused_before_1_2() -> None:
    assert (
        failure("1.0-1", num_round="5", tree_method="gpu_hist")
        == "GPU training is not supported yet."
    )
    assert validate("1.2-1", num_round="5", tree_method="gpu_hist")["tree_method"] == "gpu_hist"


def test_aliases_exist_from_0_90_2() -> None:
    assert validate("0.90-2", num_round="5", learning_rate="0.5")["eta"] == 0.5
    assert failure("0.90-1", num_round="5", learning_rate="0.5") == (
        "Extraneous hyperparameter found: learning_rate"
    )


def test_values_are_parsed_to_their_types() -> None:
    parsed = validate(
        "1.7-1",
        num_round="7",
        eta="0.25",
        objective="binary:logistic",
        eval_metric="auc,logloss",
        interaction_constraints="[[1, 2], [3]]",
        tree_method="hist",
        updater="grow_colmaker,prune",
    )
    assert parsed["num_round"] == 7
    assert parsed["eta"] == 0.25
    assert parsed["eval_metric"] == ["auc", "logloss"]
    assert parsed["interaction_constraints"] == [[1, 2], [3]]
    assert parsed["updater"] == ["grow_colmaker", "prune"]


def test_updater_rules() -> None:
    assert failure("1.7-1", num_round="5", booster="gblinear", updater="prune") == (
        "Linear updater should be one of these options: 'shotgun', 'coord_descent'."
    )
    assert failure("1.7-1", num_round="5", updater="grow_colmaker,grow_histmaker").startswith(
        "Only one tree grow plugin can be selected."
    )


def test_dependencies_are_checked_after_ranges() -> None:
    # the range error of num_class wins over objective's need for it
    message = failure("1.7-1", num_round="5", objective="multi:softmax", num_class="1")
    assert message == "Hyperparameter num_class: 1 is not in [2, +inf)"


def test_unexpected_range_failures_are_algorithm_errors() -> None:
    with pytest.raises(AlgorithmError):
        validate("1.7-1", num_round="5", interaction_constraints="[['a']]", tree_method="hist")


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_every_version_accepts_the_tutorial_minus_silent(version: str) -> None:
    hps = {
        "max_depth": "5",
        "eta": "0.2",
        "gamma": "4",
        "min_child_weight": "6",
        "subsample": "0.8",
        "objective": "binary:logistic",
        "num_round": "100",
    }
    assert validate(version, **hps)["max_depth"] == 5


def test_reg_absoluteerror_arrives_with_1_7() -> None:
    assert validate("1.7-1", num_round="1", objective="reg:absoluteerror")
    assert (
        "reg:absoluteerror"
        not in failure("1.5-1", num_round="1", objective="reg:absoluteerror")[:30]
    )
