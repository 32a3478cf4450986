"""End to end: the bank-marketing sample through `python -m tsukuru.runtime.train`."""

from __future__ import annotations

import pickle
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from tests.runtime.jobtree import Job, bank_matrix, make_job, run_in_process, run_job, write_csv
from tsukuru.runtime.algorithms.xgboost_lib import xgb

TUTORIAL = {
    "max_depth": "5",
    "eta": "0.2",
    "gamma": "4",
    "min_child_weight": "6",
    "subsample": "0.8",
    "objective": "binary:logistic",
    "num_round": "30",
}
pytestmark = pytest.mark.filterwarnings("ignore:.*Unknown file format")

IN_PROCESS_PARAMS = {
    "max_depth": 5,
    "eta": 0.2,
    "gamma": 4,
    "min_child_weight": 6,
    "subsample": 0.8,
    "objective": "binary:logistic",
    "nthread": 2,
}


@pytest.fixture(scope="module")
def bank_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("bank")
    matrix = bank_matrix()
    rng = np.random.default_rng(1729)
    order = rng.permutation(len(matrix))
    cut = int(0.7 * len(matrix))
    train = write_csv(folder / "train.csv", matrix[order[:cut]])
    validation = write_csv(folder / "validation.csv", matrix[order[cut:]])
    return train, validation


def load_csv(path: Path) -> npt.NDArray[np.float32]:
    return np.loadtxt(path, delimiter=",", dtype=np.float32)


def bank_job(root: Path, files: tuple[Path, Path], hyperparameters: dict[str, str]) -> Job:
    job = make_job(root, hyperparameters, {"train": "text/csv", "validation": "text/csv"})
    shutil.copy(files[0], job.channel("train") / "train.csv")
    shutil.copy(files[1], job.channel("validation") / "validation.csv")
    return job


def in_process_predictions(train: Path, params: dict[str, object], rounds: int, rows: Any) -> Any:
    data = load_csv(train)
    booster = xgb.train(params, xgb.DMatrix(data[:, 1:], label=data[:, 0]), rounds)
    return booster.predict(xgb.DMatrix(rows))


def test_bank_job_matches_in_process_training(
    tmp_path: Path, bank_files: tuple[Path, Path]
) -> None:
    job = bank_job(tmp_path, bank_files, {**TUTORIAL, "eval_metric": "auc"})
    result = run_job(job, "1.7-1")
    assert result.returncode == 0, result.stderr
    assert (job.root / "output" / "success").exists()
    assert job.failure == ""
    lines = result.stdout.splitlines()
    pattern = re.compile(r"^\[(\d+)\]\ttrain-auc:\d\.\d{5}\tvalidation-auc:\d\.\d{5}$")
    rounds = [int(m.group(1)) for line in lines if (m := pattern.match(line))]
    assert rounds == list(range(30))

    booster = xgb.Booster()
    booster.load_model(str(job.model_file))
    assert booster.num_boosted_rounds() == 30
    validation = load_csv(bank_files[1])
    ours = booster.predict(xgb.DMatrix(validation[:, 1:]))
    theirs = in_process_predictions(
        bank_files[0], {**IN_PROCESS_PARAMS, "eval_metric": "auc"}, 30, validation[:, 1:]
    )
    np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=0)
    final_auc = float(lines[-1].rsplit(":", 1)[1])
    assert final_auc > 0.9


def test_round_lines_equal_xgboosts_own_evaluation(
    tmp_path: Path, bank_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The tutorial's hyperparameters name no metric: the job scores XGBoost's default
    (logloss) itself, and every line must read as XGBoost's evaluation would print it."""
    job = bank_job(tmp_path, bank_files, TUTORIAL)
    assert run_in_process(job, "1.7-1") == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    train, validation = (load_csv(path) for path in bank_files)
    dtrain = xgb.QuantileDMatrix(train[:, 1:], label=train[:, 0])
    dval = xgb.QuantileDMatrix(validation[:, 1:], label=validation[:, 0], ref=dtrain)
    history: dict[str, Any] = {}
    xgb.train(
        IN_PROCESS_PARAMS,
        dtrain,
        30,
        evals=[(dtrain, "train"), (dval, "validation")],
        evals_result=history,
        verbose_eval=False,
    )
    expected = [
        f"[{i}]\ttrain-logloss:{t:.5f}\tvalidation-logloss:{v:.5f}"
        for i, (t, v) in enumerate(
            zip(history["train"]["logloss"], history["validation"]["logloss"], strict=True)
        )
    ]
    assert lines == expected


def test_legacy_image_runs_the_tutorial_unchanged(
    tmp_path: Path, bank_files: tuple[Path, Path]
) -> None:
    job = make_job(tmp_path, {**TUTORIAL, "silent": "0"}, {"train": "csv"})
    shutil.copy(bank_files[0], job.channel("train") / "train.csv")
    result = run_job(job, "1")
    assert result.returncode == 0, result.stderr
    assert re.match(r"^\[0\]\ttrain-error:0\.\d+$", result.stdout.splitlines()[0])
    with job.model_file.open("rb") as handle:
        booster = pickle.load(handle)
    assert isinstance(booster, xgb.Booster)
    validation = load_csv(bank_files[1])
    ours = booster.predict(xgb.DMatrix(validation[:, 1:]))
    theirs = in_process_predictions(
        bank_files[0], {**IN_PROCESS_PARAMS, "eval_metric": "error"}, 30, validation[:, 1:]
    )
    np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=0)


def test_newer_images_refuse_the_tutorials_silent(
    tmp_path: Path, bank_files: tuple[Path, Path]
) -> None:
    job = make_job(tmp_path, {**TUTORIAL, "silent": "0"}, {"train": "csv"})
    shutil.copy(bank_files[0], job.channel("train") / "train.csv")
    result = run_job(job, "1.7-1")
    assert result.returncode == 1
    assert job.failure == "ClientError: Extraneous hyperparameter found: silent"
    assert "Traceback" in result.stderr
    assert not job.model_file.exists()


def test_early_stopping_keeps_the_best_rounds(
    tmp_path: Path, bank_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    hyperparameters = {
        **TUTORIAL,
        "eta": "0.5",
        "max_depth": "8",
        "gamma": "0",
        "min_child_weight": "1",
        "num_round": "300",
        "eval_metric": "logloss,auc",
        "early_stopping_rounds": "4",
    }
    job = bank_job(tmp_path, bank_files, hyperparameters)
    assert run_in_process(job, "1.7-1") == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    auc = [float(line.rsplit("validation-auc:", 1)[1]) for line in lines]
    assert len(lines) < 300
    best = int(np.argmax(auc))
    assert len(lines) == best + 1 + 4
    booster = xgb.Booster()
    booster.load_model(str(job.model_file))
    assert booster.num_boosted_rounds() == best + 1
