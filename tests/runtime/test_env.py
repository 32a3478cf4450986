"""The job tree's paths and the SM_* environment derived from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.runtime.jobtree import make_job
from tsukuru.runtime.algorithms.errors import AlgorithmError, ClientError
from tsukuru.runtime.env import command_line_arguments, decode_hyperparameters, training_environment
from tsukuru.runtime.layout import JobLayout


@pytest.fixture
def layout(tmp_path: Path) -> JobLayout:
    make_job(
        tmp_path,
        {
            "max_depth": "5",
            "eta": "0.2",
            "objective": "binary:logistic",
            "flag": "true",
            "sagemaker_program": "train.py",
            "sagemaker_submit_directory": "s3://bucket/code/sourcedir.tar.gz",
            "sagemaker_region": "us-east-1",
            "sagemaker_custom": "x",
            "_tuning_objective_metric": "validation:auc",
        },
        {"train": "text/csv", "validation": "text/csv"},
    )
    return JobLayout(tmp_path)


def test_layout_paths_mirror_opt_ml(tmp_path: Path) -> None:
    layout = JobLayout.from_environ({"TSUKURU_JOB_ROOT": str(tmp_path)})
    assert layout.hyperparameters_file == tmp_path / "input/config/hyperparameters.json"
    assert layout.channel_dir("train") == tmp_path / "input/data/train"
    assert layout.model_dir == tmp_path / "model"
    assert layout.failure_file == tmp_path / "output/failure"
    assert layout.output_data_dir == tmp_path / "output/data"
    assert layout.checkpoints_dir == tmp_path / "checkpoints"
    with pytest.raises(AlgorithmError):
        JobLayout.from_environ({})


def test_config_files_are_read(layout: JobLayout) -> None:
    assert layout.hyperparameters()["max_depth"] == "5"
    assert set(layout.input_data_config()) == {"train", "validation"}
    assert layout.resource_config()["current_host"] == "algo-1"
    assert layout.checkpoint_config() is None
    layout.hyperparameters_file.write_text("[1, 2]")
    with pytest.raises(ClientError):
        layout.hyperparameters()


def test_failure_and_success_files(layout: JobLayout) -> None:
    layout.write_failure("ClientError: nope")
    layout.write_success()
    assert layout.failure_file.read_text() == "ClientError: nope"
    assert layout.success_file.read_text() == ""


def test_sm_environment(layout: JobLayout) -> None:
    env = training_environment(layout, num_cpus=4)
    root = layout.root
    assert env["SM_MODEL_DIR"] == str(root / "model")
    assert env["SM_CHANNELS"] == '["train","validation"]'
    assert env["SM_CHANNEL_TRAIN"] == str(root / "input/data/train")
    assert env["SM_CHANNEL_VALIDATION"] == str(root / "input/data/validation")
    assert env["SM_OUTPUT_DATA_DIR"] == str(root / "output/data")
    assert env["SM_INPUT_DIR"] == str(root / "input")
    assert env["SM_INPUT_CONFIG_DIR"] == str(root / "input/config")
    assert env["SM_OUTPUT_DIR"] == str(root / "output")
    assert env["SM_CURRENT_HOST"] == "algo-1"
    assert env["SM_HOSTS"] == '["algo-1"]'
    assert env["SM_NUM_CPUS"] == "4"
    assert env["SM_NUM_GPUS"] == "0"
    assert env["SM_LOG_LEVEL"] == "20"
    assert env["SM_NETWORK_INTERFACE_NAME"] == "eth0"
    assert env["SM_USER_ENTRY_POINT"] == "train.py"
    assert env["SM_MODULE_NAME"] == "train"
    assert env["SM_MODULE_DIR"] == "s3://bucket/code/sourcedir.tar.gz"
    assert env["SM_FRAMEWORK_PARAMS"] == '{"sagemaker_custom":"x"}'
    assert json.loads(env["SM_HPS"]) == {
        "max_depth": 5,
        "eta": 0.2,
        "objective": "binary:logistic",
        "flag": True,
    }
    assert env["SM_HP_MAX_DEPTH"] == "5"
    assert env["SM_HP_OBJECTIVE"] == "binary:logistic"
    assert env["SM_HP_FLAG"] == "true"
    assert "SM_HP_SAGEMAKER_PROGRAM" not in env
    assert json.loads(env["SM_USER_ARGS"]) == [
        "--eta",
        "0.2",
        "--flag",
        "True",
        "--max_depth",
        "5",
        "--objective",
        "binary:logistic",
    ]
    training_env = json.loads(env["SM_TRAINING_ENV"])
    assert training_env["channel_input_dirs"]["train"] == env["SM_CHANNEL_TRAIN"]
    assert training_env["is_master"] is True
    assert json.loads(env["SM_INPUT_DATA_CONFIG"])["train"]["ContentType"] == "text/csv"


def test_hyperparameter_decoding_and_arguments() -> None:
    decoded = decode_hyperparameters({"a": "1", "b": "x y", "c": '{"k": 1}', "d": "[1, 2]"})
    assert decoded == {"a": 1, "b": "x y", "c": {"k": 1}, "d": [1, 2]}
    assert command_line_arguments({"b": 2, "a": {"y": 1, "x": 2}, "z": None}) == [
        "-a",
        "x=2,y=1",
        "-b",
        "2",
        "-z",
        "",
    ]
