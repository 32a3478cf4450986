"""One frozen Settings value, read once at start-up.

Precedence, highest first: explicit arguments (the CLI's --home/--port/--host), `TSUKURU_*`
environment variables, `<home>/config.toml`, built-in defaults. Everything downstream receives the
resulting `Settings` and never reads the environment itself, so a test can build a platform with
any settings side by side with another.

The access key comes from `TSUKURU_ACCESS_KEY_ID` / `TSUKURU_SECRET_ACCESS_KEY` (or the TOML
file) when both are given, otherwise from `<home>/credentials`, generated on first use
(`tsukuru.credentials`), so the platform, `tsukuru env` and `tsukuru exec` agree on one pair.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from tsukuru import credentials

DEFAULT_PORT = 4590
DEFAULT_HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_ROLE = "service-role/SageMakerRole"
_TRUE = ("1", "true", "on", "yes")
_FALSE = ("0", "false", "off", "no")


@dataclass(frozen=True)
class Settings:
    home: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT
    role_name: str = DEFAULT_ROLE
    access_key_id: str = ""  # filled by load_settings (generated keys unless overridden)
    secret_access_key: str = field(default="", repr=False)
    database_url: str = ""
    job_slots: int = 0  # 0: as many as the machine has cores
    default_bucket: str = ""
    auth: bool = True  # verify request signatures; off accepts any signature (loopback only)

    @property
    def endpoint_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def binds_loopback(self) -> bool:
        """Whether the gateway's address is reachable from this machine only."""
        if self.host == "localhost":
            return True
        try:
            return ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False

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
    "auth": "TSUKURU_AUTH",
}


def default_home(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("TSUKURU_HOME") or Path.home() / ".tsukuru").expanduser()


def load_settings(
    *,
    home: Path | str | None = None,
    port: int | None = None,
    host: str | None = None,
    auth: bool | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build Settings from arguments, environment, `<home>/config.toml` and defaults.

    Unless both keys are configured, reads (or on first use generates) `<home>/credentials`.
    """
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
    if auth is not None:
        values["auth"] = auth
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
    if "auth" in values:
        values["auth"] = parse_switch("auth", values["auth"])
    home_path = resolved_home.resolve()
    values.update(_keys(values, home_path))
    return replace(Settings(home=home_path), **values)


def parse_switch(name: str, value: object) -> bool:
    """on/off, true/false, yes/no, 1/0 (any case) or a TOML boolean."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be on or off, got {value!r}")


def _keys(values: dict[str, Any], home: Path) -> dict[str, str]:
    key_id, secret = values.get("access_key_id"), values.get("secret_access_key")
    if key_id and secret:
        return {"access_key_id": str(key_id), "secret_access_key": str(secret)}
    if key_id or secret:
        raise ValueError(
            "set both TSUKURU_ACCESS_KEY_ID and TSUKURU_SECRET_ACCESS_KEY (or neither, to use "
            f"the generated keys in {credentials.credentials_path(home)})"
        )
    stored = credentials.load_or_create(home)
    return {"access_key_id": stored.access_key_id, "secret_access_key": stored.secret_access_key}
