"""Bad S3 input answers the AWS error a client branches on, never a 500.

boto3 users catch `ClientError` and look at `Error.Code` (or the modelled exception class), and
the transfer manager and the CLI look at the HTTP status; each case here checks both. Requests
boto3 would refuse to build (malformed XML, an unknown X-Amz-Target) are signed with botocore's
own signer and sent with httpx, as a misbehaving client would send them.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.harness import REGION, RunningPlatform


@pytest.fixture
def bucket(s3: Any) -> Iterator[str]:
    name = f"err-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="exists", Body=b"here")
    yield name
    for item in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


def refusal(call: Any, **params: Any) -> tuple[str, int, dict[str, Any]]:
    """The (code, HTTP status, whole error) a client call fails with."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response


def signed_send(
    platform: RunningPlatform,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    service: str = "s3",
) -> httpx.Response:
    """Sign a hand-made request as botocore would and send it as is."""
    url = platform.endpoint_url + path
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    keys = platform.credentials
    credentials = Credentials(keys.access_key_id, keys.secret_access_key)
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(credentials, service, REGION).add_auth(request)
    prepared = request.prepare()
    return httpx.request(
        method, prepared.url, content=body, headers=dict(prepared.headers.items()), timeout=10
    )


def error_code(response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith("application/x-amz-json"):
        return str(response.json().get("__type", "")).rpartition("#")[2]
    found = ET.fromstring(response.content).find("Code")
    assert found is not None, response.text
    return found.text or ""


def test_invalid_bucket_name(s3: Any) -> None:
    # Names botocore lets through but S3 refuses: upper case, underscores, too short, IP-like.
    for name in ("Upper_Case", "ab", "192.168.5.4", "a..b", "-leading"):
        code, status, response = refusal(s3.create_bucket, Bucket=name)
        assert (code, status) == ("InvalidBucketName", 400), name
        assert response["Error"]["BucketName"] == name


def test_key_longer_than_1024_bytes(s3: Any, bucket: str) -> None:
    code, status, response = refusal(s3.put_object, Bucket=bucket, Key="ü" * 513, Body=b"x")
    assert (code, status) == ("KeyTooLongError", 400)
    assert response["Error"]["MaxSizeAllowed"] == "1024"
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"x")  # exactly the limit is fine


def test_wrong_content_md5_is_bad_digest(s3: Any, bucket: str) -> None:
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    code, status, _ = refusal(
        s3.put_object, Bucket=bucket, Key="digest", Body=b"payload", ContentMD5=wrong
    )
    assert (code, status) == ("BadDigest", 400)
    code, _, _ = refusal(s3.head_object, Bucket=bucket, Key="digest")
    assert code == "404"  # nothing was stored


def test_missing_bucket_and_key(s3: Any, bucket: str) -> None:
    missing = f"missing-{uuid.uuid4().hex[:12]}"
    code, status, response = refusal(s3.get_object, Bucket=missing, Key="k")
    assert (code, status, response["Error"]["BucketName"]) == ("NoSuchBucket", 404, missing)
    code, status, _ = refusal(s3.list_objects_v2, Bucket=missing)
    assert (code, status) == ("NoSuchBucket", 404)
    code, status, _ = refusal(s3.put_object, Bucket=missing, Key="k", Body=b"x")
    assert (code, status) == ("NoSuchBucket", 404)

    with pytest.raises(s3.exceptions.NoSuchKey) as no_key:
        s3.get_object(Bucket=bucket, Key="absent/key.txt")
    assert no_key.value.response["Error"]["Key"] == "absent/key.txt"
    assert no_key.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_head_of_missing_bucket_and_key_is_a_bare_404(s3: Any, bucket: str) -> None:
    code, status, response = refusal(s3.head_bucket, Bucket=f"missing-{uuid.uuid4().hex[:12]}")
    assert (code, status, response["Error"]["Message"]) == ("404", 404, "Not Found")
    code, status, response = refusal(s3.head_object, Bucket=bucket, Key="absent")
    assert (code, status, response["Error"]["Message"]) == ("404", 404, "Not Found")


def test_deleting_a_bucket_that_holds_objects(s3: Any, bucket: str) -> None:
    code, status, _ = refusal(s3.delete_bucket, Bucket=bucket)
    assert (code, status) == ("BucketNotEmpty", 409)


def test_malformed_xml_on_delete_objects(platform: RunningPlatform, bucket: str) -> None:
    for body in (b"<Delete><Object><Key>exists</Key>", b"not xml at all", b""):
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        response = signed_send(
            platform,
            "POST",
            f"/{bucket}?delete",
            body,
            {"Content-MD5": md5, "Content-Type": "application/xml"},
        )
        assert response.status_code == 400, response.text
        assert error_code(response) == "MalformedXML", response.text


def test_unimplemented_s3_operation_is_501_naming_it(s3: Any, bucket: str) -> None:
    code, status, response = refusal(
        s3.put_bucket_versioning,
        Bucket=bucket,
        VersioningConfiguration={"Status": "Enabled"},
    )
    assert (code, status) == ("NotImplemented", 501)
    assert "PutBucketVersioning" in response["Error"]["Message"]


def test_unknown_x_amz_target_is_a_400(platform: RunningPlatform) -> None:
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "NoSuchService_20991231.DoSomething",
    }
    response = signed_send(platform, "POST", "/", b"{}", headers, service="sagemaker")
    assert response.status_code == 400, response.text
    assert error_code(response) == "UnknownOperationException"
    assert "NoSuchService_20991231" in response.text

    headers["X-Amz-Target"] = "SageMaker.DoSomethingImaginary"
    response = signed_send(platform, "POST", "/", b"{}", headers, service="sagemaker")
    assert response.status_code == 400, response.text
    assert error_code(response) == "UnknownOperationException"
    assert "DoSomethingImaginary" in response.text


def test_unsigned_garbage_never_gets_a_500(platform: RunningPlatform) -> None:
    attempts = [
        ("GET", "/%ff%fe/key"),
        ("PUT", "/bad..bucket/key"),
        ("POST", "/some-bucket?uploads"),
        ("DELETE", "/"),
        ("PATCH", "/some-bucket/key"),
    ]
    for method, path in attempts:
        response = httpx.request(method, platform.endpoint_url + path, timeout=10)
        assert 400 <= response.status_code < 500 or response.status_code == 501, (
            method,
            path,
            response.status_code,
            response.text,
        )
