"""`tsukuru env` and `tsukuru exec` as a new user meets them: a fresh platform, a shell with no AWS
settings, and the SageMaker SDK's own Python. `get_execution_role()` and `default_bucket()` must
answer from the platform with no network call (a guard in the probe refuses every non-loopback
connection), and nothing may be written to /opt/ml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.acceptance.client_support import (
    run_as,
    tsukuru_command,
    tsukuru_exec,
    user_environ,
)
from tests.acceptance.sdk_support import sdk_python
from tests.conftest import make_client
from tests.harness import RunningPlatform, start_platform
from tsukuru import client_env
from tsukuru.config import Settings, load_settings

OPT_ML_METADATA = Path("/opt/ml/metadata/resource-metadata.json")
UNPRIVILEGED = "nobody"

PROBE = """\
import json, os, socket, sys

_connect = socket.socket.connect

def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise OSError("probe: refused a network call to %r" % (address,))
    return _connect(self, address)

socket.socket.connect = _loopback_only

if sys.argv[1] == "2":
    import sagemaker
    import sagemaker.session as module
    role = sagemaker.get_execution_role()
    bucket = sagemaker.Session().default_bucket()
else:
    import sagemaker.core.helper.session_helper as module
    role = module.get_execution_role()
    bucket = module.Session().default_bucket()
print("PROBE " + json.dumps({
    "role": role,
    "bucket": bucket,
    "metadata_file": module.NOTEBOOK_METADATA_FILE,
    "uid": os.getuid(),
}))
"""


@pytest.fixture(scope="module")
def fresh() -> Iterator[RunningPlatform]:
    """A platform nobody has used yet, in a folder other users can read (for the non-root run)."""
    root = Path(tempfile.mkdtemp(prefix="tsukuru-client-env-"))
    root.chmod(0o755)
    running = start_platform(root / "home")
    (root / "home").chmod(0o755)
    yield running
    running.stop()
    shutil.rmtree(root, ignore_errors=True)


def settings_of(platform: RunningPlatform) -> Settings:
    return load_settings(home=platform.home, port=platform.port, environ={})


def test_the_default_bucket_exists_before_any_client_asks(fresh: RunningPlatform) -> None:
    s3 = make_client(fresh, "s3")
    s3.head_bucket(Bucket=settings_of(fresh).bucket_name)


def test_env_output_evals_in_bash(fresh: RunningPlatform, tmp_path: Path) -> None:
    settings = settings_of(fresh)
    env = user_environ(
        tmp_path,
        {"AWS_PROFILE": "production", "AWS_ENDPOINT_URL_S3": "https://s3.example.com"},
    )
    env_command = " ".join(
        tsukuru_command("env", "--home", str(fresh.home), "--port", str(fresh.port))
    )
    dump = "python3 -c 'import json, os; print(json.dumps(dict(os.environ)))'"
    done = subprocess.run(
        ["bash", "-c", f'eval "$({env_command})" && {dump}'],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen = json.loads(done.stdout)
    client = settings.home / "client"
    assert seen["AWS_ENDPOINT_URL"] == fresh.endpoint_url
    assert seen["AWS_DEFAULT_REGION"] == seen["AWS_REGION"] == settings.region
    assert seen["AWS_ACCESS_KEY_ID"] == settings.access_key_id
    assert seen["SAGEMAKER_USER_CONFIG_OVERRIDE"] == str(client / "sagemaker-config.yaml")
    assert seen["SAGEMAKER_SUPPRESS_V2_WARNING"] == "1"
    assert seen["PYTHONPATH"].split(os.pathsep)[0] == str(client / "python")
    assert "AWS_PROFILE" not in seen
    assert "AWS_ENDPOINT_URL_S3" not in seen
    assert (client / "python" / "sitecustomize.py").is_file()
    assert settings.bucket_name in (client / "sagemaker-config.yaml").read_text()
    assert settings.role_arn in (client / "resource-metadata.json").read_text()


def test_exec_passes_the_environment_and_the_exit_status(
    fresh: RunningPlatform, tmp_path: Path
) -> None:
    done = tsukuru_exec(
        fresh.home,
        fresh.port,
        ["sh", "-c", 'echo "$AWS_ENDPOINT_URL $1"; exit 7', "sh", "--not-an-option"],
        cwd=tmp_path,
        env=user_environ(tmp_path),
        timeout=60,
    )
    assert done.returncode == 7, done.stderr
    assert done.stdout.strip() == f"{fresh.endpoint_url} --not-an-option"


def test_exec_of_a_missing_command(fresh: RunningPlatform, tmp_path: Path) -> None:
    done = tsukuru_exec(
        fresh.home,
        fresh.port,
        ["no-such-command-for-tsukuru"],
        cwd=tmp_path,
        env=user_environ(tmp_path),
        timeout=60,
    )
    assert done.returncode == 127
    assert "no-such-command-for-tsukuru" in done.stderr


def probe(
    platform: RunningPlatform, major: int, workdir: Path, as_user: str | None = None
) -> dict[str, Any]:
    """Run the probe under SDK v<major> through `tsukuru exec`; its report, checked."""
    python = sdk_python(major)
    script = workdir / "probe.py"
    script.write_text(PROBE)
    script.chmod(0o644)
    existed = OPT_ML_METADATA.exists()
    done = tsukuru_exec(
        platform.home,
        platform.port,
        [str(python), str(script), str(major)],
        cwd=workdir,
        env=user_environ(workdir),
        timeout=180,
        as_user=as_user,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert OPT_ML_METADATA.exists() == existed
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, done.stdout[-3000:] + done.stderr[-3000:]
    report: dict[str, Any] = json.loads(lines[-1].removeprefix("PROBE "))
    settings = settings_of(platform)
    assert report["role"] == settings.role_arn
    assert report["bucket"] == settings.bucket_name
    assert report["metadata_file"] == str(settings.home / "client" / "resource-metadata.json")
    make_client(platform, "s3").head_bucket(Bucket=settings.bucket_name)
    return report


@pytest.mark.sdk
def test_sdk_v2_role_and_bucket_without_network(fresh: RunningPlatform, tmp_path: Path) -> None:
    probe(fresh, 2, tmp_path)


@pytest.mark.sdk
def test_sdk_v3_role_and_bucket_without_network(fresh: RunningPlatform, tmp_path: Path) -> None:
    probe(fresh, 3, tmp_path)


@pytest.mark.sdk
def test_sdk_v2_first_use_recreates_a_deleted_default_bucket(
    fresh: RunningPlatform, tmp_path: Path
) -> None:
    """A user who emptied and deleted the default bucket gets it back on the next Session."""
    s3 = make_client(fresh, "s3")
    bucket = settings_of(fresh).bucket_name
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=bucket)
    probe(fresh, 2, tmp_path)


def _unprivileged_can_run(python: Path, workdir: Path) -> str | None:
    """Why an unprivileged run is impossible here, or None when it is possible."""
    if os.geteuid() != 0:
        return "the tests already run as a non-root user"
    checks = {
        "the SDK's Python": [str(python), "-c", "pass"],
        "tsukuru": tsukuru_command("--help"),
    }
    for what, argv in checks.items():
        try:
            done = run_as(UNPRIVILEGED, argv, cwd=workdir, env=user_environ(workdir), timeout=60)
        except OSError as exc:
            return f"user {UNPRIVILEGED!r} cannot run {what}: {exc}"
        if done.returncode != 0:
            return f"user {UNPRIVILEGED!r} cannot run {what}: {done.stderr.strip()[-200:]}"
    return None


@pytest.mark.sdk
def test_sdk_v2_as_an_unprivileged_user(fresh: RunningPlatform) -> None:
    python = sdk_python(2)
    workdir = Path(tempfile.mkdtemp(prefix="tsukuru-nobody-"))
    try:
        workdir.chmod(0o777)
        reason = _unprivileged_can_run(python, workdir)
        if reason:
            pytest.skip(reason)
        # The platform (root) owns its home here; a real user owns theirs. Write the files now so
        # the unprivileged `tsukuru exec` only has to read them.
        client_env.write_client_files(settings_of(fresh))
        report = probe(fresh, 2, workdir, as_user=UNPRIVILEGED)
        assert report["uid"] != 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
