"""One frozen Settings value, read once at start-up.

Precedence, highest first: explicit arguments (the CLI's --home/--port/--host), `TSUKURU_*`
environment variables, `<home>/config.toml`, built-in defaults. Everything downstream receives the
resulting `Settings` and never reads the environment itself, so a test can build a platform with
any settings side by side with another.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_PORT = 4590
DEFAULT_HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_ROLE = "service-role/SageMakerRole"
# Fixed, documented development credentials until signature verification lands (hardening).
DEFAULT_ACCESS_KEY = "tsukuru"
DEFAULT_SECRET_KEY = "tsukuru-secret"


@dataclass(frozen=True)
class Settings:
    home: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT
    role_name: str = DEFAULT_ROLE
    access_key_id: str = DEFAULT_ACCESS_KEY
    secret_access_key: str = DEFAULT_SECRET_KEY
    database_url: str = ""
    job_slots: int = 0  # 0: as many as the machine has cores
    default_bucket: str = ""

    @property
    def endpoint_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def metadata_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'metadata.db'}"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.role_name}"

    @property
    def bucket_name(self) -> str:
        """The SDK's default bucket (`sagemaker-<region>-<account>` unless configured)."""
        return self.default_bucket or f"sagemaker-{self.region}-{self.account_id}"

    @property
    def effective_job_slots(self) -> int:
        return self.job_slots or (os.cpu_count() or 1)


_ENV_NAMES = {
    "host": "TSUKURU_HOST",
    "port": "TSUKURU_PORT",
    "region": "TSUKURU_REGION",
    "account_id": "TSUKURU_ACCOUNT_ID",
    "role_name": "TSUKURU_ROLE_NAME",
    "access_key_id": "TSUKURU_ACCESS_KEY_ID",
    "secret_access_key": "TSUKURU_SECRET_ACCESS_KEY",
    "database_url": "TSUKURU_DATABASE_URL",
    "job_slots": "TSUKURU_JOB_SLOTS",
    "default_bucket": "TSUKURU_DEFAULT_BUCKET",
}


def default_home(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("TSUKURU_HOME") or Path.home() / ".tsukuru").expanduser()


def load_settings(
    *,
    home: Path | str | None = None,
    port: int | None = None,
    host: str | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build Settings from arguments, environment, `<home>/config.toml` and defaults."""
    env = dict(os.environ) if environ is None else environ
    resolved_home = Path(home).expanduser() if home else default_home(env)
    values: dict[str, Any] = {}
    toml_path = resolved_home / "config.toml"
    if toml_path.is_file():
        with toml_path.open("rb") as handle:
            values.update(tomllib.load(handle))
    for name, variable in _ENV_NAMES.items():
        if env.get(variable):
            values[name] = env[variable]
    if port is not None:
        values["port"] = port
    if host is not None:
        values["host"] = host
    known = {f.name: f.type for f in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown setting(s) in {toml_path}: {', '.join(unknown)}")
    for int_name in ("port", "job_slots"):
        if int_name in values:
            try:
                values[int_name] = int(values[int_name])
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"{int_name} must be a whole number, got {values[int_name]!r}"
                ) from exc
    return replace(Settings(home=resolved_home.resolve()), **values)
