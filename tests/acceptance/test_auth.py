"""Authentication against a real platform: the keys generated at first start, and nothing else.

boto3 with the home's keys works on every service; a wrong secret, an unknown key id, a stale
clock or no signature at all are refused in each service's own words with the hint to run
`eval "$(tsukuru env)"`; presigned URLs work with curl until they expire; `--auth off` accepts
anything but only on a loopback address.
"""

from __future__ import annotations

import datetime
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.auth
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.harness import REGION, RunningPlatform, free_port, make_client, start_platform
from tsukuru.protocol.auth_errors import HINT

SERVICES = ["s3", "sagemaker", "sagemaker-runtime", "logs", "sts", "iam"]


def call(client: Any, service: str) -> Any:
    """One cheap read-only call per service."""
    if service == "s3":
        return client.list_buckets()
    if service == "sagemaker":
        return client.list_training_jobs(MaxResults=1)
    if service == "sagemaker-runtime":
        return client.invoke_endpoint(EndpointName="no-such-endpoint", Body=b"1,2")
    if service == "logs":
        return client.describe_log_groups(limit=1)
    if service == "sts":
        return client.get_caller_identity()
    return client.get_role(RoleName="SageMakerRole")


def client_with(platform: RunningPlatform, service: str, key_id: str, secret: str) -> Any:
    return boto3.session.Session().client(
        service,
        endpoint_url=platform.endpoint_url,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def refusal(action: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        action()
    error: dict[str, Any] = caught.value.response["Error"]
    return error


@pytest.mark.parametrize("service", SERVICES)
def test_the_generated_keys_work_on_every_service(platform: RunningPlatform, service: str) -> None:
    client = make_client(platform, service)
    if service == "sagemaker-runtime":
        # authentication passed: the unknown endpoint is what the runtime complains about
        assert refusal(lambda: call(client, service))["Code"] == "ValidationError"
    else:
        call(client, service)


WRONG_SECRET = {
    "s3": "SignatureDoesNotMatch",
    "sagemaker": "InvalidSignatureException",
    "sagemaker-runtime": "InvalidSignatureException",
    "logs": "InvalidSignatureException",
    "sts": "SignatureDoesNotMatch",
    "iam": "SignatureDoesNotMatch",
}
UNKNOWN_KEY = {
    "s3": "InvalidAccessKeyId",
    "sagemaker": "UnrecognizedClientException",
    "sagemaker-runtime": "UnrecognizedClientException",
    "logs": "UnrecognizedClientException",
    "sts": "InvalidClientTokenId",
    "iam": "InvalidClientTokenId",
}


@pytest.mark.parametrize("service", SERVICES)
def test_a_wrong_secret_or_key_is_refused_with_the_hint(
    platform: RunningPlatform, service: str
) -> None:
    key_id = platform.credentials.access_key_id
    wrong_secret = client_with(platform, service, key_id, "x" * 40)
    error = refusal(lambda: call(wrong_secret, service))
    assert error["Code"] == WRONG_SECRET[service]
    assert error["Message"].endswith(HINT)
    wrong_key = client_with(platform, service, "AKIAIOSFODNN7EXAMPLE", "x" * 40)
    error = refusal(lambda: call(wrong_key, service))
    assert error["Code"] == UNKNOWN_KEY[service]
    assert error["Message"].endswith(HINT)


@pytest.fixture
def clock_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore signs as if its clock were 20 minutes slow."""
    real = botocore.auth.get_current_datetime

    def slow(**kwargs: Any) -> datetime.datetime:
        now: datetime.datetime = real(**kwargs)
        return now - datetime.timedelta(minutes=20)

    monkeypatch.setattr(botocore.auth, "get_current_datetime", slow)


@pytest.mark.usefixtures("clock_behind")
@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("s3", "RequestTimeTooSkewed"),
        ("sagemaker", "InvalidSignatureException"),
        ("sts", "SignatureDoesNotMatch"),
    ],
)
def test_a_stale_signature_is_refused(platform: RunningPlatform, service: str, code: str) -> None:
    error = refusal(lambda: call(make_client(platform, service), service))
    assert error["Code"] == code
    assert error["Message"].endswith(HINT)


def curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    path = shutil.which("curl")
    if path is None:
        pytest.skip("curl is not installed")
    return subprocess.run(
        [path, "--silent", "--show-error", "--write-out", "\n%{http_code}", *args],
        capture_output=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def stored_object(platform: RunningPlatform) -> Iterator[tuple[str, str]]:
    s3 = make_client(platform, "s3")
    bucket = f"auth-{os.getpid()}-{time.monotonic_ns()}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="note.txt", Body=b"signed bytes")
    yield bucket, "note.txt"
    s3.delete_object(Bucket=bucket, Key="note.txt")
    s3.delete_bucket(Bucket=bucket)


@pytest.mark.parametrize("signature_version", ["s3v4", None])  # None: botocore's default, v2
def test_presigned_urls_work_with_curl_until_they_expire(
    platform: RunningPlatform, stored_object: tuple[str, str], signature_version: str | None
) -> None:
    bucket, key = stored_object
    options = {"signature_version": signature_version} if signature_version else {}
    s3 = make_client(platform, "s3", **options)
    params = {"Bucket": bucket, "Key": key}
    url = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=300)
    fetched = curl(url)
    assert fetched.stdout == b"signed bytes\n200"
    short = s3.generate_presigned_url("get_object", Params=params, ExpiresIn=1)
    time.sleep(2.1)
    expired = curl(short)
    assert expired.stdout.endswith(b"\n403")
    assert b"<Code>AccessDenied</Code>" in expired.stdout
    assert b"Request has expired" in expired.stdout


def test_an_unsigned_request_is_refused(
    platform: RunningPlatform, stored_object: tuple[str, str]
) -> None:
    bucket, key = stored_object
    response = httpx.get(f"{platform.endpoint_url}/{bucket}/{key}", timeout=10)
    assert response.status_code == 403
    assert b"<Code>AccessDenied</Code>" in response.content
    assert b"tsukuru env" in response.content


def test_the_credentials_file_is_private(platform: RunningPlatform) -> None:
    path = platform.home / "credentials"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert platform.credentials.access_key_id in path.read_text()


def test_tsukuru_env_exports_the_generated_keys(platform: RunningPlatform) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tsukuru", "env", "--home", str(platform.home)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("TSUKURU_")},
    )
    keys = platform.credentials
    assert f"export AWS_ACCESS_KEY_ID={keys.access_key_id}\n" in done.stdout
    assert f"export AWS_SECRET_ACCESS_KEY='{keys.secret_access_key}'\n" in done.stdout or (
        f"export AWS_SECRET_ACCESS_KEY={keys.secret_access_key}\n" in done.stdout
    )


@pytest.mark.slow  # starts a second platform
def test_auth_off_accepts_anything_on_loopback(tmp_path: Path) -> None:
    running = start_platform(tmp_path / "open", args=["--auth", "off"])
    try:
        anyone = client_with(running, "sts", "AKIAANYONE", "whatever")
        assert anyone.get_caller_identity()["Account"]
        s3 = client_with(running, "s3", "AKIAANYONE", "whatever")
        s3.create_bucket(Bucket="open-bucket")
        s3.put_object(Bucket="open-bucket", Key="k", Body=b"v")
        assert httpx.get(f"{running.endpoint_url}/open-bucket/k", timeout=10).content == b"v"
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--auth", "off"], {}), ([], {"TSUKURU_AUTH": "off"})],
)
def test_auth_off_refuses_a_non_loopback_address(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    command = [sys.executable, "-m", "tsukuru", "up", "--home", str(tmp_path), "--host", "0.0.0.0"]
    done = subprocess.run(
        [*command, "--port", str(free_port()), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **env},
    )
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0 with --auth off" in done.stderr
