"""StopTrainingJob: SIGTERM ends a long job within two seconds and keeps the model so far."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.runtime.jobtree import Job, bank_matrix, job_environment, make_job, write_csv
from tsukuru.runtime.algorithms.xgboost_model import load_booster

pytestmark = pytest.mark.filterwarnings("ignore:.*Unknown file format")


def start(job: Job, version: str = "1.7-1") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tsukuru.runtime.train"],
        env=job_environment(job, version),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def long_job(root: Path) -> Job:
    job = make_job(
        root, {"num_round": "10000", "objective": "binary:logistic", "eval_metric": "auc"}
    )
    write_csv(job.channel("train") / "train.csv", bank_matrix())
    return job


def test_sigterm_during_training_saves_the_model(tmp_path: Path) -> None:
    job = long_job(tmp_path)
    process = start(job)
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("[0]\ttrain-auc:")
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    remaining_out, err = process.communicate(timeout=10)
    elapsed = time.monotonic() - sent
    assert process.returncode == 143, err
    assert elapsed < 2.0
    rounds_logged = 1 + len(remaining_out.splitlines())
    assert rounds_logged < 10000
    booster = load_booster(job.model_file)
    assert booster.num_boosted_rounds() == rounds_logged
    assert job.failure == ""
    assert not (job.root / "output" / "success").exists()
    assert "stopped on request" in err


def test_sigterm_before_training_exits_at_once(tmp_path: Path) -> None:
    job = long_job(tmp_path)
    process = start(job)
    time.sleep(0.2)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=10)
    assert time.monotonic() - sent < 2.0
    assert process.returncode in (143, -signal.SIGTERM)
    assert not job.model_file.exists()
    assert job.failure == ""
