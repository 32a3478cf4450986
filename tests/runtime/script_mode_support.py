"""Helpers for the script-mode tests: source directories packed as the SDK packs them, job trees
that point at them, and tiny pure-Python wheels so requirements.txt installs without a network.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from collections.abc import Mapping
from pathlib import Path

from tests.runtime.jobtree import Job, make_job

REPO = Path(__file__).resolve().parents[2]


def source_archive(files: Mapping[str, str]) -> bytes:
    """`sourcedir.tar.gz` as the SDK builds it: the source_dir's files at the archive root."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = textwrap.dedent(text).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sdk_hyperparameters(program: str, user: Mapping[str, object], **extra: str) -> dict[str, str]:
    """Hyperparameters as the SDK v2 framework estimators send them: every value JSON-encoded."""
    values: dict[str, object] = {
        **user,
        "sagemaker_program": program,
        "sagemaker_submit_directory": "s3://bucket/job/source/sourcedir.tar.gz",
        "sagemaker_container_log_level": 20,
        "sagemaker_region": "us-east-1",
        **extra,
    }
    return {key: json.dumps(value) for key, value in values.items()}


def script_job(
    root: Path,
    files: Mapping[str, str],
    user_hyperparameters: Mapping[str, object] | None = None,
    *,
    program: str = "train.py",
    channels: Mapping[str, str] | None = None,
) -> Job:
    """A job tree as the platform prepares it for a script-mode job: the archive linked to
    input/sourcedir.tar.gz, code/ empty."""
    hyperparameters = sdk_hyperparameters(program, user_hyperparameters or {})
    job = make_job(root, hyperparameters, channels if channels is not None else {"train": ""})
    (root / "input" / "sourcedir.tar.gz").write_bytes(source_archive(files))
    return job


def script_environment(
    job: Job, framework: str = "sklearn", envs_dir: Path | None = None, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "SAGEMAKER_"))}
    env.update(
        TSUKURU_JOB_ROOT=str(job.root),
        TSUKURU_ALGORITHM=framework,
        TSUKURU_ALGORITHM_VERSION="1.2-1",
        TSUKURU_NUM_CPUS="2",
        TSUKURU_ENVS_DIR=str(envs_dir or job.root.parent / "envs"),
        TRAINING_JOB_NAME="script-job",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def run_script_job(
    job: Job,
    framework: str = "sklearn",
    *,
    envs_dir: Path | None = None,
    timeout: float = 120,
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """`python -m tsukuru.runtime.train` on the job, as the platform starts it."""
    return subprocess.run(
        [sys.executable, "-m", "tsukuru.runtime.train"],
        cwd=job.root,
        env=script_environment(job, framework, envs_dir, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def build_wheel(
    folder: Path,
    name: str,
    version: str,
    module_source: str,
    requires: tuple[str, ...] = (),
) -> Path:
    """A pure-Python wheel holding one module `<name>` (no build backend, no network)."""
    folder.mkdir(parents=True, exist_ok=True)
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {requirement}\n" for requirement in requires
    )
    files = {
        f"{module}/__init__.py": textwrap.dedent(module_source).encode(),
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tsukuru-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    wheel = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel
