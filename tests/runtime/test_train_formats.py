"""Input formats, several files per channel, weights, checkpoints and per-version artifacts."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.runtime.jobtree import Job, make_job, run_in_process, write_csv
from tsukuru.runtime.algorithms.xgboost_lib import xgb
from tsukuru.runtime.algorithms.xgboost_model import load_booster

pytestmark = pytest.mark.filterwarnings("ignore:.*Unknown file format")

PARAMS = {"num_round": "8", "objective": "binary:logistic", "max_depth": "3", "eta": "0.3"}
IN_PROCESS = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "nthread": 2}


def synthetic(rows: int, seed: int = 3) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    features = np.round(rng.normal(size=(rows, 5)), 5)
    label = (features[:, 0] + features[:, 1] * features[:, 2] > 0).astype(float)
    return np.column_stack([label, features])


def reference(data: npt.NDArray[np.float64], rounds: int, weight: Any = None) -> Any:
    features = data[:, 1:].astype(np.float32)
    matrix = xgb.DMatrix(features, label=data[:, 0], weight=weight)
    return xgb.train(IN_PROCESS, matrix, rounds).predict(xgb.DMatrix(features))


def predictions(job: Job, data: npt.NDArray[np.float64]) -> Any:
    return load_booster(job.model_file).predict(xgb.DMatrix(data[:, 1:].astype(np.float32)))


def test_several_csv_files_in_nested_folders(tmp_path: Path) -> None:
    data = synthetic(300)
    job = make_job(tmp_path, PARAMS)
    write_csv(job.channel("train") / "part-0.csv", data[:100])
    write_csv(job.channel("train") / "day=2" / "part-1.csv", data[100:250])
    write_csv(job.channel("train") / "day=2" / "x" / "part-2.csv", data[250:])
    assert run_in_process(job) == 0
    np.testing.assert_allclose(predictions(job, data), reference(data, 8), atol=1e-6)


def test_csv_weights(tmp_path: Path) -> None:
    data = synthetic(200)
    weight = np.linspace(0.1, 3, 200)
    job = make_job(tmp_path, {**PARAMS, "csv_weights": "1"})
    write_csv(
        job.channel("train") / "data.csv", np.column_stack([data[:, :1], weight, data[:, 1:]])
    )
    assert run_in_process(job) == 0
    np.testing.assert_allclose(predictions(job, data), reference(data, 8, weight), atol=1e-6)


def test_semicolon_delimiter_is_sniffed(tmp_path: Path) -> None:
    data = synthetic(100)
    job = make_job(tmp_path, PARAMS)
    np.savetxt(job.channel("train") / "data.csv", data, delimiter=";", fmt="%.6g")
    assert run_in_process(job) == 0
    np.testing.assert_allclose(predictions(job, data), reference(data, 8), atol=1e-6)


def test_parquet_input(tmp_path: Path) -> None:
    data = synthetic(200)
    job = make_job(tmp_path, PARAMS, {"train": "application/x-parquet"})
    table = pa.table({f"c{i}": data[:, i] for i in range(data.shape[1])})
    pq.write_table(table.slice(0, 120), job.channel("train") / "a.parquet")
    pq.write_table(table.slice(120), job.channel("train") / "b.parquet")
    assert run_in_process(job) == 0
    np.testing.assert_allclose(predictions(job, data), reference(data, 8), atol=1e-6)


def test_libsvm_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = synthetic(200)
    job = make_job(tmp_path, PARAMS, {"train": "text/libsvm", "validation": "text/libsvm"})
    for name, rows in (("train", data[:150]), ("validation", data[150:])):
        lines = [
            f"{row[0]:g} " + " ".join(f"{index}:{value:g}" for index, value in enumerate(row[1:]))
            for row in rows
        ]
        (job.channel(name) / "data.libsvm").write_text("\n".join(lines) + "\n")
    assert run_in_process(job) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\[7\]\ttrain-logloss:\d\.\d{5}\tvalidation-logloss:\d\.\d{5}$", out, re.M)
    np.testing.assert_allclose(predictions(job, data[:150]), reference(data[:150], 8), atol=1e-6)


@pytest.mark.parametrize(("version", "pickled"), [("1", True), ("1.2-2", True), ("1.3-1", False)])
def test_artifact_format_follows_the_version(tmp_path: Path, version: str, pickled: bool) -> None:
    job = make_job(tmp_path, PARAMS)
    write_csv(job.channel("train") / "data.csv", synthetic(80))
    assert run_in_process(job, version) == 0
    raw = job.model_file.read_bytes()
    if pickled:
        assert isinstance(pickle.loads(raw), xgb.Booster)
    else:
        booster = xgb.Booster()
        booster.load_model(bytearray(raw))
        assert booster.num_boosted_rounds() == 8


def test_checkpoints_every_round_and_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = synthetic(150)
    job = make_job(tmp_path, {**PARAMS, "num_round": "7"}, checkpoints=True)
    write_csv(job.channel("train") / "data.csv", data)
    assert run_in_process(job) == 0
    folder = job.root / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"xgboost-checkpoint.{i}" for i in range(2, 7)
    ]
    capsys.readouterr()

    (job.root / "input/config/hyperparameters.json").write_text(
        '{"num_round": "10", "objective": "binary:logistic", "max_depth": "3", "eta": "0.3"}'
    )
    assert run_in_process(job) == 0
    rounds = [line.split("]")[0] for line in capsys.readouterr().out.splitlines()]
    assert rounds == ["[7", "[8", "[9"]
    assert load_booster(job.model_file).num_boosted_rounds() == 10
    np.testing.assert_allclose(predictions(job, data), reference(data, 10), atol=1e-5)


def test_save_model_on_termination_keeps_the_latest_model(tmp_path: Path) -> None:
    job = make_job(tmp_path, {**PARAMS, "save_model_on_termination": "true"})
    write_csv(job.channel("train") / "data.csv", synthetic(80))
    assert run_in_process(job) == 0
    assert load_booster(job.model_file).num_boosted_rounds() == 8


def test_container_metrics_in_the_round_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = make_job(
        tmp_path,
        {**PARAMS, "eval_metric": "accuracy,auc,f1"},
        {"train": "text/csv", "validation": "text/csv"},
    )
    write_csv(job.channel("train") / "data.csv", synthetic(120))
    write_csv(job.channel("validation") / "data.csv", synthetic(60, seed=9))
    assert run_in_process(job) == 0
    first = capsys.readouterr().out.splitlines()[0]
    names = re.findall(r"\t([a-z]+-[a-z0-9]+):", first)
    assert names == [
        "train-auc",
        "train-accuracy",
        "train-f1",
        "validation-auc",
        "validation-accuracy",
        "validation-f1",
    ]


def test_early_stopping_before_1_3_uses_the_last_metric(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hyperparameters = {
        **PARAMS,
        "num_round": "200",
        "eta": "1",
        "max_depth": "6",
        "early_stopping_rounds": "3",
        "eval_metric": "error,auc",
    }
    job = make_job(tmp_path, hyperparameters, {"train": "text/csv", "validation": "text/csv"})
    write_csv(job.channel("train") / "data.csv", synthetic(150))
    write_csv(job.channel("validation") / "data.csv", synthetic(80, seed=11))
    assert run_in_process(job, "1.2-2") == 0
    lines = capsys.readouterr().out.splitlines()
    auc = [float(line.rsplit("validation-auc:", 1)[1]) for line in lines]
    best = int(np.argmax(auc))
    assert len(lines) == best + 1 + 3
    assert load_booster(job.model_file).num_boosted_rounds() == best + 1


def test_fast_file_mode_reads_files(tmp_path: Path) -> None:
    job = make_job(tmp_path, PARAMS)
    config = job.root / "input/config/inputdataconfig.json"
    config.write_text(config.read_text().replace('"File"', '"FastFile"'))
    write_csv(job.channel("train") / "data.csv", synthetic(50))
    assert run_in_process(job) == 0
