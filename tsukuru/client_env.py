"""The client environment: what makes boto3, the AWS CLI and the SageMaker SDK talk to tsukuru.

Setting `AWS_ENDPOINT_URL` is not enough for unchanged SageMaker tutorial code
(`shared/reference/wire-calls.md` §0): the SDK sends STS calls to the real AWS regardless, reads
its default bucket and telemetry switch from a config file, and finds the execution role in a
notebook metadata file under `/opt/ml`. This module builds, as plain data, everything a client
process needs and writes the files it refers to under `<home>/client/`:

- `sagemaker-config.yaml` (named by `SAGEMAKER_USER_CONFIG_OVERRIDE`): `DefaultS3Bucket` = the
  platform's default bucket, so `Session.default_bucket()` never asks STS for the account, and
  `TelemetryOptOut`, so `fit()` makes no call to an AWS telemetry bucket;
- `resource-metadata.json`: the notebook metadata holding the platform's role ARN;
- `python/sitecustomize.py` (first on `PYTHONPATH`): points the SDK's metadata-file constant at
  that JSON file (see `tsukuru.client_sitecustomize`), so `get_execution_role()` works without
  root and without any network call.

`tsukuru env` prints these as shell exports and `tsukuru exec` runs a command with them; both
call `prepare()`. docs/client-environment.md is the user-facing description.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tsukuru import client_sitecustomize
from tsukuru.config import Settings

CLIENT_FOLDER = "client"
NOTEBOOK_RESOURCE_NAME = "tsukuru"
# Variables that would send a client somewhere else or sign with other credentials: an
# `AWS_ENDPOINT_URL_<SERVICE>` beats AWS_ENDPOINT_URL, a profile or session token from a real AWS
# login would be mixed with the platform's keys, and the last one switches endpoint URLs off.
OVERRIDING_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)
SERVICE_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"


@dataclass(frozen=True)
class ClientFiles:
    """Where the client environment's files live for one platform home."""

    folder: Path

    @property
    def sagemaker_config(self) -> Path:
        return self.folder / "sagemaker-config.yaml"

    @property
    def resource_metadata(self) -> Path:
        return self.folder / "resource-metadata.json"

    @property
    def python_folder(self) -> Path:
        return self.folder / "python"

    @property
    def sitecustomize(self) -> Path:
        return self.python_folder / "sitecustomize.py"


@dataclass(frozen=True)
class ClientEnvironment:
    """Variables to set and variables to remove, for one platform and one starting env."""

    variables: dict[str, str]
    unset: tuple[str, ...]

    def apply(self, environ: Mapping[str, str]) -> dict[str, str]:
        """`environ` with the removals and settings applied: the env for a child process."""
        merged = {k: v for k, v in environ.items() if k not in self.unset}
        merged.update(self.variables)
        return merged

    def shell_script(self) -> str:
        """POSIX shell lines that do the same to the current shell: `eval "$(tsukuru env)"`."""
        lines = [f"unset {name}" for name in self.unset]
        lines += [f"export {name}={shlex.quote(value)}" for name, value in self.variables.items()]
        return "\n".join(lines) + "\n"


def client_files(settings: Settings) -> ClientFiles:
    return ClientFiles(settings.home / CLIENT_FOLDER)


def sagemaker_config_yaml(bucket: str) -> str:
    """The SageMaker SDK defaults file (schema 1.0); JSON-quoted scalars are valid YAML."""
    return (
        "# Written by tsukuru for SAGEMAKER_USER_CONFIG_OVERRIDE; rewritten by `tsukuru env`.\n"
        "SchemaVersion: '1.0'\n"
        "SageMaker:\n"
        "  PythonSDK:\n"
        "    Modules:\n"
        "      TelemetryOptOut: true\n"
        "      Session:\n"
        f"        DefaultS3Bucket: {json.dumps(bucket)}\n"
    )


def resource_metadata_json(role_arn: str) -> str:
    """Notebook metadata: with `ExecutionRoleArn` present the SDK returns it and calls nothing."""
    document = {"ResourceName": NOTEBOOK_RESOURCE_NAME, "ExecutionRoleArn": role_arn}
    return json.dumps(document, indent=2) + "\n"


def sitecustomize_source() -> str:
    return Path(client_sitecustomize.__file__).read_text(encoding="utf-8")


def write_client_files(settings: Settings) -> ClientFiles:
    """Write (or refresh) the files; each is replaced atomically, so a client starting at the
    same moment reads either the old or the new version, never half a file."""
    files = client_files(settings)
    files.python_folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(files.sagemaker_config, sagemaker_config_yaml(settings.bucket_name))
    _write_atomically(files.resource_metadata, resource_metadata_json(settings.role_arn))
    _write_atomically(files.sitecustomize, sitecustomize_source())
    return files


def _write_atomically(path: Path, text: str) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def client_environment(settings: Settings, environ: Mapping[str, str]) -> ClientEnvironment:
    """The variables for a client of the platform, starting from `environ` (the caller's)."""
    files = client_files(settings)
    variables = {
        "AWS_ENDPOINT_URL": settings.endpoint_url,
        "AWS_DEFAULT_REGION": settings.region,
        "AWS_REGION": settings.region,
        "AWS_ACCESS_KEY_ID": settings.access_key_id,
        "AWS_SECRET_ACCESS_KEY": settings.secret_access_key,
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(files.sagemaker_config),
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        client_sitecustomize.METADATA_VARIABLE: str(files.resource_metadata),
        "PYTHONPATH": _prepend_path(str(files.python_folder), environ.get("PYTHONPATH", "")),
        "TSUKURU_HOME": str(settings.home),
        "TSUKURU_PORT": str(settings.port),
    }
    unset = [name for name in OVERRIDING_VARIABLES if name in environ]
    unset += sorted(name for name in environ if name.startswith(SERVICE_ENDPOINT_PREFIX))
    return ClientEnvironment(variables=variables, unset=tuple(unset))


def _prepend_path(folder: str, current: str) -> str:
    entries = [entry for entry in current.split(os.pathsep) if entry and entry != folder]
    return os.pathsep.join([folder, *entries])


def prepare(settings: Settings, environ: Mapping[str, str]) -> ClientEnvironment:
    """Write the client files and return the environment that refers to them."""
    write_client_files(settings)
    return client_environment(settings, environ)
