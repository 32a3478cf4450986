"""Script mode end to end (issue "Script mode"): the user's own training and inference code.

* SDK v2 `SKLearn(entry_point="train.py", source_dir=...)` fits, deploys and predicts with JSON,
  and `SKLearnModel(model_data=..., entry_point="inference.py")` serves a model trained
  elsewhere — both by running `examples/script_mode/run_sklearn.py` as a user would;
* SDK v2 `XGBoost(entry_point=..., framework_version="1.7-1")` with a custom metric definition
  whose metric reaches FinalMetricDataList (`examples/script_mode/run_xgboost.py`);
* with boto3, as the SDK sends them: a syntax error and a raise at epoch 3 end Failed with the
  right line in FailureReason, and a requirements.txt installs once, after which an identical
  job logs no install and starts within 1 s of a job without requirements.
"""

from __future__ import annotations

import io
import json
import tarfile
import textwrap
import time
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from examples.script_mode.common import bank_split
from tests.acceptance.client_support import tsukuru_exec, user_environ
from tests.acceptance.platform_support import training_request, unique, wait_for_jobs
from tests.acceptance.sdk_support import sdk_python
from tests.conftest import BANK_CSV, make_client
from tests.harness import RunningPlatform
from tests.runtime.script_mode_support import build_wheel, sdk_hyperparameters, source_archive

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "script_mode"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
LOG_GROUP = "/aws/sagemaker/TrainingJobs"
PREDICTED_ROWS = 300


def run_example(
    platform: RunningPlatform, script: str, workdir: Path, *args: str
) -> tuple[dict[str, Any], str]:
    """`tsukuru exec -- .venv-sdk2/bin/python examples/script_mode/<script> ...`, offline."""
    python = sdk_python(2)
    workdir.mkdir(parents=True, exist_ok=True)
    result = workdir / "report.json"
    completed = tsukuru_exec(
        platform.home,
        platform.port,
        [str(python), str(EXAMPLES / script), "--logs", "None", "--result", str(result), *args],
        cwd=workdir,
        env=user_environ(workdir),
        timeout=420,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"{script} failed:\n{output[-6000:]}"
    return json.loads(result.read_text()), output


def model_trained_elsewhere(platform: RunningPlatform, bucket: str) -> tuple[str, Any]:
    """A scikit-learn model fitted here (not by a training job), as model.tar.gz in S3."""
    train, _ = bank_split(BANK_CSV)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(train[:, 1:], train[:, 0])
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.joblib")
        info.size = buffer.tell()
        buffer.seek(0)
        tar.addfile(info, buffer)
    s3 = make_client(platform, "s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="elsewhere/model.tar.gz", Body=archive.getvalue())
    return f"s3://{bucket}/elsewhere/model.tar.gz", model


@pytest.mark.sdk
@pytest.mark.slow
def test_sklearn_estimator_and_sklearn_model_train_deploy_and_predict_json(
    platform: RunningPlatform, tmp_path: Path
) -> None:
    model_data, elsewhere = model_trained_elsewhere(platform, unique("elsewhere"))
    report, output = run_example(
        platform, "run_sklearn.py", tmp_path, "--model-data", model_data, "--rows", "300"
    )
    assert report["status"] == "Completed"
    assert report["image"] == SKLEARN_IMAGE
    assert 0.6 < report["final_metrics"]["validation:auc"] <= 1.0
    fitted = report["estimator_endpoint"]
    assert fitted["status"] == "InService"
    assert fitted["answer_type"] == "list"  # the default JSON encoder: a list of floats
    assert len(fitted["predictions"]) == PREDICTED_ROWS
    assert fitted["auc"] > 0.7
    assert fitted["listed_after_delete"] is False

    served = report["model_endpoint"]
    assert served["status"] == "InService"
    assert served["answer_type"] == "dict"  # inference.py's own output_fn
    _, validation = bank_split(BANK_CSV)
    expected = elsewhere.predict_proba(validation[:PREDICTED_ROWS, 1:])[:, 1]
    np.testing.assert_allclose(served["predictions"], expected, atol=2e-6)
    assert served["listed_after_delete"] is False
    assert "Traceback" not in output


@pytest.mark.sdk
@pytest.mark.slow
def test_xgboost_framework_mode_custom_metric_reaches_final_metrics(
    platform: RunningPlatform, tmp_path: Path
) -> None:
    report, _ = run_example(platform, "run_xgboost.py", tmp_path)
    assert report["status"] == "Completed", report.get("failure_reason")
    assert report["image"].endswith("/sagemaker-xgboost:1.7-1")
    # only the estimator's definition: a script prints its own metrics, not the algorithm's
    assert report["metric_definitions"] == [
        {"Name": "validation:auc", "Regex": r"validation auc: ([0-9.]+)"}
    ]
    assert set(report["final_metrics"]) == {"validation:auc"}
    assert 0.6 < report["final_metrics"]["validation:auc"] <= 1.0
    logs = make_client(platform, "logs")
    stream = logs.describe_log_streams(
        logGroupName=LOG_GROUP, logStreamNamePrefix=report["job_name"]
    )["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=stream)["events"]
    last = [e["message"] for e in events if "validation auc:" in e["message"]][-1]
    assert last.endswith(f"{report['final_metrics']['validation:auc']:.5f}")
    endpoint = report["endpoint"]
    assert endpoint["status"] == "InService"
    assert len(endpoint["predictions"]) == PREDICTED_ROWS
    assert endpoint["auc"] > 0.7
    assert endpoint["listed_after_delete"] is False


# ----------------------------------------------------------------------------- boto3


class ScriptJobs:
    """Submit script-mode jobs as the SDK does: sourcedir.tar.gz in S3, JSON hyperparameters."""

    def __init__(self, platform: RunningPlatform, prefix: str) -> None:
        self.sm = make_client(platform, "sagemaker")
        self.s3 = make_client(platform, "s3")
        self.logs = make_client(platform, "logs")
        self.bucket = unique(prefix)
        self.s3.create_bucket(Bucket=self.bucket)
        self.s3.put_object(Bucket=self.bucket, Key="data/train/rows.csv", Body=b"1,2\n0,3\n")

    def submit(self, files: dict[str, str], user: dict[str, object] | None = None) -> str:
        name = unique("script")
        key = f"{name}/source/sourcedir.tar.gz"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=source_archive(files))
        hyperparameters = sdk_hyperparameters(
            "train.py", user or {}, sagemaker_submit_directory=f"s3://{self.bucket}/{key}"
        )
        self.sm.create_training_job(
            **training_request(
                name,
                hyperparameters,
                {"train": f"s3://{self.bucket}/data/train"},
                f"s3://{self.bucket}/output",
                image=SKLEARN_IMAGE,
            )
        )
        return name

    def run(self, files: dict[str, str], user: dict[str, object] | None = None) -> Any:
        name = self.submit(files, user)
        return wait_for_jobs(self.sm, [name], timeout=180)[name]

    def timed(self, files: dict[str, str]) -> float:
        """Seconds from CreateTrainingJob to Completed, polled every 50 ms."""
        started = time.monotonic()
        name = self.submit(files)
        while True:
            status = self.sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
            if status != "InProgress":
                assert status == "Completed", status
                return time.monotonic() - started
            time.sleep(0.05)

    def log_text(self, name: str) -> str:
        streams = self.logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix=name)
        stream = streams["logStreams"][0]["logStreamName"]
        events = self.logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=stream)
        return "\n".join(event["message"] for event in events["events"])


@pytest.fixture(scope="module")
def jobs(platform: RunningPlatform) -> ScriptJobs:
    return ScriptJobs(platform, "script-mode")


def test_a_syntax_error_fails_the_job_with_its_line(jobs: ScriptJobs) -> None:
    job = jobs.run({"train.py": "import os\n\n\ndef train(:\n    pass\n"})
    assert job["TrainingJobStatus"] == "Failed"
    reason = job["FailureReason"]
    assert reason.startswith("AlgorithmError: ExecuteUserScriptError:")
    assert "SyntaxError" in reason
    assert 'File "train.py", line 4' in reason


def test_a_raise_at_epoch_3_fails_with_the_exception_and_the_whole_traceback_in_the_log(
    jobs: ScriptJobs,
) -> None:
    script = """\
        import argparse


        def fit(epochs):
            for epoch in range(1, epochs + 1):
                print(f"epoch {epoch}", flush=True)
                if epoch == 3:
                    raise ValueError(f"NaN loss at epoch {epoch}")


        parser = argparse.ArgumentParser()
        parser.add_argument("--epochs", type=int)
        fit(parser.parse_args().epochs)
        """
    job = jobs.run({"train.py": textwrap.dedent(script)}, {"epochs": 10})
    assert job["TrainingJobStatus"] == "Failed"
    reason = job["FailureReason"]
    assert 'ErrorMessage "ValueError: NaN loss at epoch 3"' in reason
    assert 'File "train.py", line 8, in fit' in reason
    assert 'Command "python train.py --epochs 10"' in reason
    log = jobs.log_text(job["TrainingJobName"])
    assert "epoch 3" in log
    assert "epoch 4" not in log
    assert "Traceback (most recent call last):" in log
    assert "line 13, in <module>" in log  # the outer frame, only in the log


def test_requirements_install_once_then_start_within_a_second_of_none(
    jobs: ScriptJobs, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinyformat", "1.2", "def fmt(x):\n    return f'<{x}>'\n")
    script = "import tinyformat\nprint(tinyformat.fmt('ok'), flush=True)\n"
    with_requirements = {
        "train.py": script,
        "requirements.txt": f"--no-index\n--find-links {wheels}\ntinyformat==1.2\n",
    }
    first = jobs.run(with_requirements)
    assert first["TrainingJobStatus"] == "Completed", first.get("FailureReason")
    first_log = jobs.log_text(first["TrainingJobName"])
    assert "requirements.txt: installing into a new environment" in first_log
    assert "+ tinyformat==1.2" in first_log
    assert "<ok>" in first_log

    second = jobs.run(with_requirements)
    assert second["TrainingJobStatus"] == "Completed"
    second_log = jobs.log_text(second["TrainingJobName"])
    assert "<ok>" in second_log
    assert "reusing environment" in second_log
    for install_word in ("installing", "Installed", "Resolved", "+ tinyformat"):
        assert install_word not in second_log

    without = {"train.py": "print('<ok>', flush=True)\n"}
    cached = min(jobs.timed(with_requirements) for _ in range(2))
    plain = min(jobs.timed(without) for _ in range(2))
    assert cached < plain + 1.0, (cached, plain)


def test_an_unknown_framework_image_version_is_refused_at_create(jobs: ScriptJobs) -> None:
    request = training_request(
        unique("script"),
        sdk_hyperparameters("train.py", {}),
        {"train": f"s3://{jobs.bucket}/data/train"},
        f"s3://{jobs.bucket}/output",
        image=SKLEARN_IMAGE.rsplit(":", 1)[0] + ":latest",
    )
    with pytest.raises(jobs.sm.exceptions.ClientError) as caught:
        jobs.sm.create_training_job(**request)
    assert "does not name a framework version" in str(caught.value)
