"""Script-mode training at the runtime level: the training toolkit's contract for user scripts.

Each test packs a source directory as the SDK does, prepares the tree as the platform does and
runs `python -m tsukuru.runtime.train` on it, then checks what the script saw (its argv, its
environment, its working directory) or how the job failed.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from tests.runtime.jobtree import make_job
from tests.runtime.script_mode_support import (
    run_script_job,
    script_environment,
    script_job,
)
from tsukuru.runtime.layout import JobLayout
from tsukuru.runtime.script_mode import wants_script_mode
from tsukuru.runtime.script_mode_frameworks import is_importable

REPORTING_SCRIPT = """
    import json, os, sys
    import helpers.names

    report = {
        "argv": sys.argv[1:],
        "cwd": os.getcwd(),
        "env": {k: v for k, v in os.environ.items() if k.startswith("SM_")},
        "helper": helpers.names.NAME,
        "executable": sys.executable,
    }
    with open(os.path.join(os.environ["SM_MODEL_DIR"], "report.json"), "w") as handle:
        json.dump(report, handle)
    print("reported", flush=True)
"""


def test_script_runs_in_code_with_hyperparameters_as_arguments_and_the_sm_environment(
    tmp_path: Path,
) -> None:
    job = script_job(
        tmp_path / "job",
        {
            "train.py": REPORTING_SCRIPT,
            "helpers/__init__.py": "",
            "helpers/names.py": "NAME = 'from the source dir'\n",
        },
        {"n-estimators": 100, "learning_rate": 0.1, "criterion": "gini", "x": 1.5},
        channels={"train": "text/csv", "validation": "text/csv"},
    )
    result = run_script_job(job)
    assert result.returncode == 0, result.stderr
    assert "reported" in result.stdout
    assert (job.root / "output" / "success").exists()
    report = json.loads((job.root / "model" / "report.json").read_text())
    code = job.root / "code"
    # sorted `--name value` pairs, JSON-decoded values, platform parameters left out
    assert report["argv"] == [
        "--criterion",
        "gini",
        "--learning_rate",
        "0.1",
        "--n-estimators",
        "100",
        "-x",
        "1.5",
    ]
    assert Path(report["cwd"]) == code
    assert report["helper"] == "from the source dir"
    assert report["executable"] == sys.executable  # no requirements.txt: the platform's python
    env = report["env"]
    assert env["SM_MODEL_DIR"] == str(job.root / "model")
    assert env["SM_OUTPUT_DATA_DIR"] == str(job.root / "output" / "data")
    assert json.loads(env["SM_CHANNELS"]) == ["train", "validation"]
    assert env["SM_CHANNEL_TRAIN"] == str(job.root / "input" / "data" / "train")
    assert env["SM_CHANNEL_VALIDATION"] == str(job.root / "input" / "data" / "validation")
    assert json.loads(env["SM_HPS"]) == {
        "n-estimators": 100,
        "learning_rate": 0.1,
        "criterion": "gini",
        "x": 1.5,
    }
    assert env["SM_HP_N-ESTIMATORS"] == "100"
    assert env["SM_HP_CRITERION"] == "gini"
    assert env["SM_CURRENT_HOST"] == "algo-1"
    assert json.loads(env["SM_HOSTS"]) == ["algo-1"]
    assert env["SM_NUM_CPUS"] == "2"
    assert env["SM_NUM_GPUS"] == "0"
    assert env["SM_MODULE_NAME"] == "train"
    assert env["SM_USER_ENTRY_POINT"] == "train.py"
    assert json.loads(env["SM_USER_ARGS"]) == report["argv"]
    training_env = json.loads(env["SM_TRAINING_ENV"])
    assert training_env["hyperparameters"]["n-estimators"] == 100
    assert training_env["job_name"] == "script-job"
    assert training_env["channel_input_dirs"]["train"] == env["SM_CHANNEL_TRAIN"]


def test_a_script_that_raises_fails_with_the_exception_and_its_line(tmp_path: Path) -> None:
    script = """\
        import argparse

        def train(epochs):
            for epoch in range(1, epochs + 1):
                print(f"epoch {epoch} loss {1 / epoch:.3f}", flush=True)
                if epoch == 3:
                    raise RuntimeError(f"loss diverged at epoch {epoch}")

        parser = argparse.ArgumentParser()
        parser.add_argument("--epochs", type=int)
        train(parser.parse_args().epochs)
        """
    job = script_job(tmp_path / "job", {"train.py": script}, {"epochs": 5})
    result = run_script_job(job)
    assert result.returncode == 1
    assert "epoch 3 loss 0.333" in result.stdout
    assert "epoch 4" not in result.stdout
    # the whole traceback is in the log, once (the runtime adds none of its own)
    assert result.stderr.count("Traceback (most recent call last)") == 1
    assert "line 11, in <module>" in result.stderr
    failure = job.failure
    assert failure.startswith("AlgorithmError: ExecuteUserScriptError:")
    assert "ExitCode 1" in failure
    assert 'ErrorMessage "RuntimeError: loss diverged at epoch 3"' in failure
    assert 'File "train.py", line 7, in train' in failure
    assert 'raise RuntimeError(f"loss diverged at epoch {epoch}")' in failure
    assert 'Command "python train.py --epochs 5"' in failure
    assert len(failure) <= 1024
    assert not (job.root / "output" / "success").exists()


def test_a_syntax_error_fails_with_the_file_and_line(tmp_path: Path) -> None:
    script = "import os\n\ndef broken(:\n    pass\n"
    job = script_job(tmp_path / "job", {"train.py": script})
    result = run_script_job(job)
    assert result.returncode == 1
    failure = job.failure
    assert failure.startswith("AlgorithmError: ExecuteUserScriptError:")
    assert "SyntaxError" in failure
    assert 'File "train.py", line 3' in failure
    assert "def broken(:" in failure


def test_an_exit_code_without_traceback_is_reported(tmp_path: Path) -> None:
    script = "import sys\nprint('bad input', file=sys.stderr)\nsys.exit(3)\n"
    job = script_job(tmp_path / "job", {"train.py": script})
    assert run_script_job(job).returncode == 1
    assert "ExitCode 3" in job.failure
    assert 'ErrorMessage "bad input"' in job.failure


def test_missing_entry_point_is_a_client_error(tmp_path: Path) -> None:
    job = script_job(tmp_path / "job", {"other.py": "print(1)\n"}, program="train.py")
    assert run_script_job(job).returncode == 1
    assert job.failure.startswith("ClientError: The entry point train.py was not found")
    assert "other.py" in job.failure


def test_an_archive_escaping_code_is_refused(tmp_path: Path) -> None:
    job = script_job(tmp_path / "job", {"train.py": "print(1)\n"})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escaped.py")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    (job.root / "input" / "sourcedir.tar.gz").write_bytes(buffer.getvalue())
    assert run_script_job(job).returncode == 1
    assert job.failure.startswith("ClientError: The source directory")
    assert not (job.root / "escaped.py").exists()


def test_a_local_submit_directory_is_used_as_it_is(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(
        "import os\nopen(os.path.join(os.environ['SM_MODEL_DIR'], 'm'), 'w').write('ok')\n"
    )
    hyperparameters = {
        "sagemaker_program": json.dumps("train.py"),
        "sagemaker_submit_directory": json.dumps(f"file://{source}"),
    }
    job = make_job(tmp_path / "job", hyperparameters, {})
    assert run_script_job(job).returncode == 0, job.failure
    assert (job.root / "model" / "m").read_text() == "ok"
    assert (job.root / "code" / "train.py").is_file()


def test_xgboost_image_switches_to_script_mode_only_with_an_entry_point(tmp_path: Path) -> None:
    built_in = make_job(tmp_path / "a", {"num_round": "3"})
    scripted = script_job(tmp_path / "b", {"train.py": "print(1)\n"})
    assert not wants_script_mode("xgboost", JobLayout(built_in.root))
    assert wants_script_mode("xgboost", JobLayout(scripted.root))
    assert wants_script_mode("sklearn", JobLayout(built_in.root))
    script = "import xgboost, sys\nprint('xgboost', xgboost.__version__, sys.argv[1:])\n"
    job = script_job(tmp_path / "c", {"train.py": script}, {"num_round": 10})
    result = run_script_job(job, "xgboost")
    assert result.returncode == 0, job.failure
    assert "xgboost 3." in result.stdout
    assert "['--num_round', '10']" in result.stdout


@pytest.mark.skipif(is_importable("torch"), reason="torch is installed here")
def test_a_missing_framework_fails_at_once_naming_the_requirement(tmp_path: Path) -> None:
    job = script_job(tmp_path / "job", {"train.py": "import torch\n"})
    result = run_script_job(job, "pytorch")
    assert result.returncode == 1
    assert job.failure.startswith("ClientError: The PyTorch framework image needs")
    assert "'torch' to requirements.txt" in job.failure
    assert "Invoking user script" not in result.stderr


def test_stop_request_reaches_the_script_and_keeps_its_model(tmp_path: Path) -> None:
    script = """\
        import os, time
        open(os.path.join(os.environ["SM_MODEL_DIR"], "partial"), "w").write("epoch 1")
        print("saved", flush=True)
        time.sleep(60)
        """
    job = script_job(tmp_path / "job", {"train.py": script})
    process = subprocess.Popen(
        [sys.executable, "-m", "tsukuru.runtime.train"],
        cwd=job.root,
        env=script_environment(job),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    started = time.monotonic()
    for line in iter(process.stdout.readline, b""):
        if b"saved" in line:
            break
    os.killpg(process.pid, signal.SIGTERM)  # what the executor does for StopTrainingJob
    assert process.wait(30) == 128 + signal.SIGTERM
    process.stdout.close()
    assert time.monotonic() - started < 30
    assert (job.root / "model" / "partial").read_text() == "epoch 1"
    assert not (job.root / "output" / "failure").exists()
