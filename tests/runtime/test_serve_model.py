"""Model loading, version behaviour and feature-count rules of the XGBoost inference handler."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from tests.runtime.serve_support import csv_body, synthetic_booster, write_model
from tsukuru.runtime.algorithms.xgboost_serving import ServingBehaviour, load_handler
from tsukuru.runtime.algorithms.xgboost_serving_model import ModelLoadError, load_model
from tsukuru.runtime.serve import InvocationError, StartupError

ROWS = np.random.default_rng(3).normal(size=(5, 6))


@pytest.mark.parametrize(
    ("version", "comma_joined", "selectable", "ensemble", "one_based"),
    [
        ("1", True, False, False, False),
        ("0.90-2", True, False, False, False),
        ("1.0-1", True, True, False, False),
        ("1.2-1", True, True, False, False),
        ("1.2-2", False, True, True, False),
        ("1.7-1", False, True, True, False),
        ("3.0-5", False, True, True, True),
    ],
)
def test_behaviour_per_image_version(
    version: str, comma_joined: bool, selectable: bool, ensemble: bool, one_based: bool
) -> None:
    behaviour = ServingBehaviour.for_version(version)
    assert behaviour.comma_joined_csv is comma_joined
    assert behaviour.selectable_output is selectable
    assert behaviour.ensemble is ensemble
    assert behaviour.one_based_libsvm is one_based


def test_unknown_version_is_a_load_error() -> None:
    with pytest.raises(StartupError, match="Unknown XGBoost image version 'latest'"):
        ServingBehaviour.for_version("latest")


@pytest.mark.parametrize("pickled", [False, True])
def test_native_and_pickled_models_predict_like_xgboost(tmp_path: Path, pickled: bool) -> None:
    booster = synthetic_booster("multi:softprob")
    model = load_model(write_model(tmp_path, booster, pickled=pickled), ensemble=True)
    assert model.pickled is pickled
    assert (model.objective, model.num_class, model.num_features) == ("multi:softprob", 3, 6)
    np.testing.assert_allclose(model.predict(ROWS), booster.inplace_predict(ROWS), atol=1e-6)


def test_json_model_file_and_hidden_files(tmp_path: Path) -> None:
    booster = synthetic_booster("reg:squarederror")
    (tmp_path / "xgboost-model").write_bytes(bytes(booster.save_raw("json")))
    (tmp_path / ".DS_Store").write_bytes(b"junk")
    (tmp_path / "code").mkdir()
    model = load_model(tmp_path, ensemble=True)
    assert len(model.boosters) == 1
    np.testing.assert_allclose(model.predict(ROWS), booster.inplace_predict(ROWS), atol=1e-6)


def test_ensembles_average_or_vote(tmp_path: Path) -> None:
    first = synthetic_booster("binary:logistic", rounds=3)
    second = synthetic_booster("binary:logistic", rounds=9)
    (tmp_path / "xgboost-model-0").write_bytes(bytes(first.save_raw("ubj")))
    (tmp_path / "xgboost-model-1").write_bytes(bytes(second.save_raw("ubj")))
    averaged = load_model(tmp_path, ensemble=True).predict(ROWS)
    expected = (first.inplace_predict(ROWS) + second.inplace_predict(ROWS)) / 2
    np.testing.assert_allclose(averaged, expected, atol=1e-6)
    single = load_model(tmp_path, ensemble=False)
    assert len(single.boosters) == 1

    voters = tmp_path / "voters"
    boosters = [synthetic_booster("multi:softmax", rounds=r) for r in (1, 2, 8)]
    for i, booster in enumerate(boosters):
        write_model(voters / str(i), booster)
        (voters / f"m{i}").write_bytes((voters / str(i) / "xgboost-model").read_bytes())
    votes = np.stack([b.inplace_predict(ROWS) for b in boosters])
    majority = [np.bincount(votes[:, j].astype(int), minlength=3).argmax() for j in range(5)]
    np.testing.assert_array_equal(load_model(voters, ensemble=True).predict(ROWS), majority)


def test_pickled_models_predict_with_the_best_iteration(tmp_path: Path) -> None:
    booster = synthetic_booster("reg:squarederror", rounds=10)
    booster.set_attr(best_iteration="3")
    model = load_model(write_model(tmp_path, booster, pickled=True), ensemble=False)
    np.testing.assert_allclose(
        model.predict(ROWS), booster.inplace_predict(ROWS, iteration_range=(0, 4)), atol=1e-6
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (b"\x00\x01binf....", "neither a pickled Booster nor an XGBoost JSON/UBJSON model"),
        (b'{"learner": {', "cannot be loaded as an XGBoost model"),
        (
            pickle.dumps({"not": "a booster"}),
            "holds a pickled builtins.dict, not an xgboost.Booster",
        ),
        (pickle.dumps(1)[:-2], "cannot be unpickled"),
    ],
)
def test_unloadable_models_give_one_line_reasons(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / "xgboost-model").write_bytes(content)
    with pytest.raises(ModelLoadError) as caught:
        load_model(tmp_path, ensemble=True)
    assert reason in str(caught.value)
    assert "xgboost-model" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_model_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(tmp_path / "nope", ensemble=True)


def invoke_status(handler_dir: Path, version: str, body: bytes, content_type: str) -> int:
    handler = load_handler(handler_dir, {"TSUKURU_ALGORITHM_VERSION": version})
    try:
        handler.invoke(body, content_type, None)
    except InvocationError as exc:
        return exc.status
    return 200


def test_feature_count_rules_for_native_and_pickled_models(tmp_path: Path) -> None:
    booster = synthetic_booster("binary:logistic")
    native = write_model(tmp_path / "native", booster)
    pickled = write_model(tmp_path / "pickled", booster, pickled=True)
    for columns, native_status, pickled_status in [
        (7, 400, 400),
        (6, 200, 200),
        (5, 200, 200),
        (3, 200, 400),
    ]:
        body = csv_body(np.ones((2, columns)))
        assert invoke_status(native, "1.7-1", body, "text/csv") == native_status, columns
        assert invoke_status(pickled, "1.0-1", body, "text/csv") == pickled_status, columns
    # libsvm on a pickle: one index past the model's features is tolerated, two are not
    assert invoke_status(pickled, "1.0-1", b"0:1 6:1", "text/libsvm") == 200
    assert invoke_status(pickled, "1.0-1", b"0:1 7:1", "text/libsvm") == 400
    assert invoke_status(native, "1.7-1", b"0:1 6:1", "text/libsvm") == 400


def test_libsvm_predictions_treat_absent_indices_as_missing(tmp_path: Path) -> None:
    booster = synthetic_booster("reg:squarederror")
    handler = load_handler(write_model(tmp_path, booster), {"TSUKURU_ALGORITHM_VERSION": "3.0-5"})
    body, _ = handler.invoke(b"9 1:0.5 3:-1.25\n9 6:2", "text/libsvm", "text/csv")
    dense = np.full((2, 6), np.nan)
    dense[0, [0, 2]] = [0.5, -1.25]
    dense[1, 5] = 2
    np.testing.assert_allclose(
        np.array(body.split(), dtype=float), booster.inplace_predict(dense), atol=1e-6
    )


def test_xgboost_import_skips_scikit_learn_without_breaking_it() -> None:
    script = (
        "import sys\n"
        "from tsukuru.runtime.algorithms.xgboost_serving_model import import_xgboost\n"
        "xgb = import_xgboost()\n"
        "assert 'sklearn' not in sys.modules, 'scikit-learn was imported'\n"
        "import sklearn.base\n"
        "print(xgb.Booster.__name__, sklearn.base.BaseEstimator.__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Booster", "BaseEstimator"]
    assert xgb.compat.SKLEARN_INSTALLED  # this process imported xgboost with its sklearn API
