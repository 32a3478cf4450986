"""Script-mode overhead: a training job running a user's script vs running the script directly.

The question a user asks is "what does script mode cost me over `python train.py` on my own
machine?", so the baseline is exactly that: the same script, started with the same arguments
and the same `SM_*` environment, with its requirement already installed (the interpreter of the
warm requirements environment). Two figures:

* runtime: `python -m tsukuru.runtime.train` on a prepared job tree (unpacking sourcedir.tar.gz,
  the requirements cache lookup, the SM_* environment, then the script) vs the script alone;
* job: CreateTrainingJob → Completed through a real platform (the job thread, the tree, linking
  the channel and the source archive, the runtime, uploading model.tar.gz, status polling every
  20 ms) vs the script alone.

Target: each at most 1 s more than the script alone, with the requirements cache warm (the
first job, which installs, is run before timing). Each figure is the best of a few runs, script
and job runs alternating so both meet the same background load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import Report, client, running_platform
from tests.runtime.jobtree import make_job
from tests.runtime.script_mode_support import build_wheel, sdk_hyperparameters, source_archive
from tsukuru.runtime.env import training_environment
from tsukuru.runtime.envs import environment_for
from tsukuru.runtime.layout import JobLayout

REPEAT = 5
TARGET_EXTRA_SECONDS = 1.0
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ROLE = "arn:aws:iam::123456789012:role/bench"
SCRIPT = """\
import argparse, glob, os
import numpy as np
import benchfmt

parser = argparse.ArgumentParser()
parser.add_argument("--ridge", type=float, default=1.0)
args = parser.parse_args()
rows = np.vstack([np.loadtxt(p, delimiter=",", ndmin=2)
                  for p in glob.glob(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "*.csv"))])
x, y = rows[:, 1:], rows[:, 0]
weights = np.linalg.solve(x.T @ x + args.ridge * np.eye(x.shape[1]), x.T @ y)
np.save(os.path.join(os.environ["SM_MODEL_DIR"], "weights.npy"), weights)
print(benchfmt.line("trained on", len(rows)), flush=True)
"""
BENCHFMT = "def line(label, value):\n    return f'{label}: {value}'\n"


def training_rows(path: Path, rows: int = 4000, features: int = 20) -> bytes:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, features))
    table = np.column_stack([x @ rng.normal(size=features), x])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, table, delimiter=",", fmt="%.6g")
    return path.read_bytes()


def source_files(wheels: Path) -> dict[str, str]:
    return {
        "train.py": SCRIPT,
        "requirements.txt": f"--no-index\n--find-links {wheels}\nbenchfmt==1.0\n",
    }


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    completed = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{completed.stdout}\n{completed.stderr}")


class RuntimeCase:
    """One job tree for the runtime, and the same script with the same env for the baseline."""

    def __init__(self, folder: Path, wheels: Path, data: bytes) -> None:
        self.folder = folder
        self.files = source_files(wheels)
        self.envs = folder / "envs"
        self.job = self._job("job")
        self.base_env = {k: v for k, v in os.environ.items() if not k.startswith("SM_")}
        self.base_env.update(PYTHONUNBUFFERED="1", TSUKURU_ENVS_DIR=str(self.envs))
        (self.job / "input" / "data" / "train" / "rows.csv").write_bytes(data)
        # the direct baseline: the script in a folder of its own, its requirement installed
        self.direct = folder / "direct"
        self.direct.mkdir()
        for name, text in self.files.items():
            (self.direct / name).write_text(text)
        environment = environment_for(self.direct / "requirements.txt", self.envs, log=_quiet)
        self.python = str(environment.python)
        layout = JobLayout(self.job)
        self.direct_env = dict(self.base_env)
        self.direct_env.update(training_environment(layout, num_cpus=os.cpu_count() or 1))

    def _job(self, name: str) -> Path:
        hyperparameters = sdk_hyperparameters(
            "train.py", {"ridge": 0.5}, sagemaker_submit_directory="s3://bench/sourcedir.tar.gz"
        )
        job = make_job(self.folder / name, hyperparameters, {"train": "text/csv"}).root
        (job / "input" / "sourcedir.tar.gz").write_bytes(source_archive(self.files))
        return job

    def script_alone(self) -> None:
        run([self.python, "train.py", "--ridge", "0.5"], self.direct, self.direct_env)

    def runtime_job(self) -> None:
        shutil.rmtree(self.job / "code", ignore_errors=True)
        env = dict(self.base_env)
        env.update(
            TSUKURU_JOB_ROOT=str(self.job),
            TSUKURU_ALGORITHM="sklearn",
            TSUKURU_ALGORITHM_VERSION="1.2-1",
        )
        run([sys.executable, "-m", "tsukuru.runtime.train"], self.job, env)


def platform_job(sm: Any, bucket: str, index: int) -> None:
    name = f"bench-script-{int(time.time())}-{index}"
    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        HyperParameters=sdk_hyperparameters(
            "train.py",
            {"ridge": 0.5},
            sagemaker_submit_directory=f"s3://{bucket}/source/sourcedir.tar.gz",
        ),
        InputDataConfig=[
            {
                "ChannelName": "train",
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/train"}
                },
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    while True:
        described = sm.describe_training_job(TrainingJobName=name)
        status = described["TrainingJobStatus"]
        if status != "InProgress":
            if status != "Completed":
                raise RuntimeError(f"{name} ended {status}: {described.get('FailureReason')}")
            return
        time.sleep(0.02)


def verdict(report: Report, label: str, extra: float) -> None:
    met = extra <= TARGET_EXTRA_SECONDS
    if not met:
        report.missed.append(label)
    print(
        f"{report.name}: {label:<44} {extra:>+10.2f} s (target <= +{TARGET_EXTRA_SECONDS:.0f} s: "
        f"{'ok' if met else 'MISSED'})",
        flush=True,
    )


def main() -> bool:
    report = Report("script_mode")
    with tempfile.TemporaryDirectory(prefix="tsukuru-bench-script-") as tmp:
        folder = Path(tmp)
        wheels = folder / "wheels"
        build_wheel(wheels, "benchfmt", "1.0", BENCHFMT)
        data = training_rows(folder / "rows.csv")
        case = RuntimeCase(folder, wheels, data)
        case.runtime_job()  # warm: unpack once, find the cached environment
        alone, runtime = [], []
        for _ in range(REPEAT):
            alone.append(timed(case.script_alone))
            runtime.append(timed(case.runtime_job))
        report.figure("script alone (python train.py, same env)", min(alone) * 1000, "ms")
        report.figure("runtime job (python -m tsukuru.runtime.train)", min(runtime) * 1000, "ms")
        verdict(report, "runtime overhead over the script alone", min(runtime) - min(alone))

        with running_platform() as platform:
            sm, s3 = client(platform, "sagemaker"), client(platform, "s3")
            bucket = "bench-script-mode"
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key="train/rows.csv", Body=data)
            archive = source_archive(source_files(wheels))
            s3.put_object(Bucket=bucket, Key="source/sourcedir.tar.gz", Body=archive)
            platform_job(sm, bucket, 0)  # installs the requirements: the cache is warm after
            beside, jobs = [], []
            for index in range(1, REPEAT + 1):
                beside.append(timed(case.script_alone))
                started = time.perf_counter()
                platform_job(sm, bucket, index)
                jobs.append(time.perf_counter() - started)
        report.figure("script alone, runs beside the jobs", min(beside) * 1000, "ms")
        report.figure("training job, Create -> Completed", min(jobs) * 1000, "ms")
        verdict(report, "job overhead over the script alone", min(jobs) - min(beside))
    return report.ok


def _quiet(line: str) -> None:
    del line


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
