"""Small XGBoost models trained once per session on the real bank-marketing sample."""

from __future__ import annotations

import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from tests.evaluation.bank import Split, bank_split, write_csv


@dataclass(frozen=True)
class TrainedModel:
    booster: Any
    split: Split
    test_csv: Path  # label first, no header: the built-in algorithm's layout
    tarball: Path  # model.tar.gz holding xgboost-model

    @property
    def test_features(self) -> Any:
        return self.split.test[:, 1:]

    @property
    def test_labels(self) -> Any:
        return self.split.test[:, 0]

    def predict(self) -> Any:
        return self.booster.predict(xgb.DMatrix(self.test_features))


def train(split: Split, params: dict[str, Any], rounds: int = 20) -> Any:
    matrix = xgb.DMatrix(split.train[:, 1:], label=split.train[:, 0])
    settings = {"max_depth": 4, "eta": 0.3, "nthread": 1, "tree_method": "hist", **params}
    return xgb.train(settings, matrix, rounds)


def package(folder: Path, booster: Any, *, pickled: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model_file = folder / "xgboost-model"
    model_file.write_bytes(pickle.dumps(booster) if pickled else bytes(booster.save_raw("json")))
    tarball = folder / "model.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(model_file, arcname="xgboost-model")
    return tarball


@pytest.fixture(scope="session")
def bank_binary(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """binary:logistic on the tutorial's question: will the customer subscribe?"""
    folder = tmp_path_factory.mktemp("bank-binary")
    split = bank_split()
    booster = train(split, {"objective": "binary:logistic"})
    return TrainedModel(
        booster=booster,
        split=split,
        test_csv=write_csv(folder / "test.csv", split.test),
        tarball=package(folder, booster),
    )


def _relabelled(split: Split, name: str, labels: Any) -> Split:
    """Make feature `name` the label (mapped by `labels`); the old label becomes a feature."""
    column = split.feature_names.index(name) + 1

    def convert(rows: Any) -> Any:
        return np.column_stack([labels(rows[:, column]), np.delete(rows, column, axis=1)])

    names = ["y", *(n for n in split.feature_names if n != name)]
    return Split(train=convert(split.train), test=convert(split.test), feature_names=names)


@pytest.fixture(scope="session")
def bank_regression(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """reg:squarederror predicting the customer's age (feature 0) from the rest."""
    folder = tmp_path_factory.mktemp("bank-regression")
    split = _relabelled(bank_split(), "age", lambda age: age)
    booster = train(split, {"objective": "reg:squarederror"})
    return TrainedModel(
        booster,
        split,
        write_csv(folder / "test.csv", split.test),
        package(folder, booster, pickled=True),
    )


@pytest.fixture(scope="session")
def bank_softprob(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """multi:softprob: the number of contacts in this campaign, as 1, 2 or 3+ (3 classes)."""
    folder = tmp_path_factory.mktemp("bank-softprob")
    split = _relabelled(bank_split(), "campaign", lambda c: np.minimum(c, 3) - 1)
    booster = train(split, {"objective": "multi:softprob", "num_class": 3}, rounds=10)
    return TrainedModel(
        booster, split, write_csv(folder / "test.csv", split.test), package(folder, booster)
    )
