"""botocore clients for the evaluation's inputs and outputs (S3, SageMaker runtime).

boto3 is only a development dependency, so clients come from botocore's own session. By default
they follow the standard AWS configuration (AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, keys from the
environment or a profile), which is what `eval "$(tsukuru env)"` or a notebook sets up; the CLI
passes explicit values when it is pointed at a platform with --home/--port.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class AwsOptions:
    """Where to send requests; every field left None comes from the AWS configuration."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None


def make_client(service: str, options: AwsOptions | None = None, *, timeout: float = 60.0) -> Any:
    chosen = options or AwsOptions()
    session = botocore.session.get_session()
    region = chosen.region or session.get_config_variable("region") or DEFAULT_REGION
    return session.create_client(
        service,
        region_name=region,
        endpoint_url=chosen.endpoint_url,
        aws_access_key_id=chosen.access_key_id,
        aws_secret_access_key=chosen.secret_access_key,
        config=Config(read_timeout=timeout, retries={"max_attempts": 3, "mode": "standard"}),
    )


@dataclass(frozen=True)
class S3Uri:
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def child(self, name: str) -> S3Uri:
        prefix = self.key.rstrip("/")
        return S3Uri(self.bucket, f"{prefix}/{name}" if prefix else name)


def is_s3_uri(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith("s3://")


def parse_s3_uri(uri: str) -> S3Uri:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an S3 URI: {uri!r} (expected s3://bucket/key)")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"S3 URI {uri!r} names no bucket")
    return S3Uri(bucket, key)


def read_s3_object(uri: S3Uri, client: Any) -> bytes:
    response = client.get_object(Bucket=uri.bucket, Key=uri.key)
    body: bytes = response["Body"].read()
    return body


def list_s3_keys(uri: S3Uri, client: Any) -> list[str]:
    """Every key under the URI's key used as a prefix, in key order."""
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=uri.bucket, Prefix=uri.key):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def read_location(location: str | Path, client: Any | None = None) -> bytes:
    """The bytes of a local file or an S3 object (a client is made when none is given)."""
    if is_s3_uri(location):
        return read_s3_object(parse_s3_uri(str(location)), client or make_client("s3"))
    return Path(location).expanduser().read_bytes()


def location_name(location: str | Path) -> str:
    """The last path component of a file path or S3 URI, for titles and folder names."""
    text = str(location).rstrip("/")
    return text.rsplit("/", 1)[-1] or text
