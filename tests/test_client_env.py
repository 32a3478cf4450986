"""The client environment as data and files: what is set, what is removed, what is written, and
that the shell form survives awkward paths."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tsukuru import client_env, client_sitecustomize
from tsukuru.config import Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(home=tmp_path / "home with space's", port=4999, environ={})


def test_variables_point_clients_at_the_platform(settings: Settings) -> None:
    env = client_env.client_environment(settings, {}).variables
    files = client_env.client_files(settings)
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4999"
    assert env["AWS_DEFAULT_REGION"] == env["AWS_REGION"] == settings.region
    assert env["AWS_ACCESS_KEY_ID"] == settings.access_key_id
    assert env["AWS_SECRET_ACCESS_KEY"] == settings.secret_access_key
    assert env["SAGEMAKER_USER_CONFIG_OVERRIDE"] == str(files.sagemaker_config)
    assert env["SAGEMAKER_SUPPRESS_V2_WARNING"] == "1"
    assert env[client_sitecustomize.METADATA_VARIABLE] == str(files.resource_metadata)
    assert env["PYTHONPATH"] == str(files.python_folder)
    assert env["TSUKURU_HOME"] == str(settings.home)
    assert env["TSUKURU_PORT"] == "4999"
    assert files.folder == settings.home / "client"


def test_existing_pythonpath_is_kept_after_ours_without_duplicates(settings: Settings) -> None:
    ours = str(client_env.client_files(settings).python_folder)
    current = os.pathsep.join(["/opt/lib", ours, "", "/srv/lib"])
    env = client_env.client_environment(settings, {"PYTHONPATH": current}).variables
    assert env["PYTHONPATH"].split(os.pathsep) == [ours, "/opt/lib", "/srv/lib"]


def test_variables_that_would_redirect_clients_are_removed(settings: Settings) -> None:
    environ = {
        "AWS_PROFILE": "prod",
        "AWS_SESSION_TOKEN": "token",
        "AWS_ENDPOINT_URL_S3": "https://s3.example.com",
        "AWS_ENDPOINT_URL_STS": "https://sts.example.com",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
        "HOME": "/home/me",
    }
    environment = client_env.client_environment(settings, environ)
    assert set(environment.unset) == set(environ) - {"HOME"}
    child = environment.apply(environ)
    assert child["HOME"] == "/home/me"
    assert not set(environment.unset) & set(child)
    assert child["AWS_ENDPOINT_URL"] == settings.endpoint_url


def test_write_client_files(settings: Settings) -> None:
    yaml = pytest.importorskip("yaml")
    files = client_env.write_client_files(settings)
    config = yaml.safe_load(files.sagemaker_config.read_text())
    assert config == {
        "SchemaVersion": "1.0",
        "SageMaker": {
            "PythonSDK": {
                "Modules": {
                    "TelemetryOptOut": True,
                    "Session": {"DefaultS3Bucket": settings.bucket_name},
                }
            }
        },
    }
    metadata = json.loads(files.resource_metadata.read_text())
    assert metadata["ExecutionRoleArn"] == settings.role_arn
    assert files.sitecustomize.read_text() == Path(client_sitecustomize.__file__).read_text()
    assert not list(files.folder.glob(".*.tmp"))
    assert not list(files.python_folder.glob(".*"))


def test_rewriting_is_a_no_op_when_nothing_changed(settings: Settings) -> None:
    files = client_env.write_client_files(settings)
    os.utime(files.sagemaker_config, (1, 1))
    client_env.write_client_files(settings)
    assert files.sagemaker_config.stat().st_mtime == 1


def test_a_changed_bucket_is_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = client_env.write_client_files(load_settings(home=home, environ={}))
    changed = load_settings(home=home, environ={"TSUKURU_DEFAULT_BUCKET": "team-bucket"})
    client_env.write_client_files(changed)
    assert '"team-bucket"' in first.sagemaker_config.read_text()


def test_shell_script_round_trips_through_bash(settings: Settings, tmp_path: Path) -> None:
    environment = client_env.client_environment(settings, {"AWS_PROFILE": "prod"})
    script = environment.shell_script()
    dump = "python3 -c 'import json, os; print(json.dumps(dict(os.environ)))'"
    done = subprocess.run(
        ["bash", "-c", f'eval "$1"\n{dump}', "bash", script],
        env={"PATH": os.environ["PATH"], "AWS_PROFILE": "prod"},
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(done.stdout)
    assert "AWS_PROFILE" not in seen
    for name, value in environment.variables.items():
        assert seen[name] == value
