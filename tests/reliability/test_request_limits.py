"""Request size limits answered with AWS's errors, on a real platform.

A PutObject declaring more than 5 GiB is refused with EntityTooLarge before a byte of its body
is read (a client sending `Expect: 100-continue` never sends it); an InvokeEndpoint over 6 MB is
a ValidationError even when its body was large enough to be spooled to disk; the multipart
rules (part numbers 1 to 10,000, parts of at least 5 MiB except the last) hold at the wire.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import botocore.exceptions
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.harness import REGION, RunningPlatform, make_client
from tests.reliability.support import MIB

GIB = 1024**3


def test_a_put_over_5_gib_is_refused_before_its_body_is_sent(
    platform: RunningPlatform, s3: Any
) -> None:
    s3.create_bucket(Bucket="limits-huge")
    size = 5 * GIB + 1
    request = AWSRequest(
        "PUT",
        f"{platform.endpoint_url}/limits-huge/huge",
        headers={
            "Content-Length": str(size),
            "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD",
            "Expect": "100-continue",
        },
    )
    keys = platform.credentials
    S3SigV4Auth(Credentials(keys.access_key_id, keys.secret_access_key), "s3", REGION).add_auth(
        request
    )
    lines = ["PUT /limits-huge/huge HTTP/1.1", f"Host: 127.0.0.1:{platform.port}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", platform.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while b"</Error>" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert time.monotonic() - started < 5
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"<Code>EntityTooLarge</Code>" in body
    assert f"<ProposedSize>{size}</ProposedSize>".encode() in body
    assert f"<MaxSizeAllowed>{5 * GIB}</MaxSizeAllowed>".encode() in body
    assert s3.list_objects_v2(Bucket="limits-huge")["KeyCount"] == 0


def test_an_invocation_over_6_mb_is_refused_even_from_disk(platform: RunningPlatform) -> None:
    runtime = make_client(platform, "sagemaker-runtime")
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        runtime.invoke_endpoint(
            EndpointName="any", Body=os.urandom(20 * MIB), ContentType="text/csv"
        )
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert "exceeds the maximum of 6291456 bytes (6 MB)" in error["Message"]


def test_multipart_part_rules_hold_at_the_wire(s3: Any) -> None:
    s3.create_bucket(Bucket="limits-parts")
    upload = s3.create_multipart_upload(Bucket="limits-parts", Key="k")["UploadId"]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.upload_part(Bucket="limits-parts", Key="k", UploadId=upload, PartNumber=10001, Body=b"x")
    assert refused.value.response["Error"]["Code"] == "InvalidArgument"
    small = [
        s3.upload_part(
            Bucket="limits-parts", Key="k", UploadId=upload, PartNumber=n, Body=b"x" * 1024
        )["ETag"]
        for n in (1, 2)
    ]
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.complete_multipart_upload(
            Bucket="limits-parts",
            Key="k",
            UploadId=upload,
            MultipartUpload={
                "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(small, start=1)]
            },
        )
    assert refused.value.response["Error"]["Code"] == "EntityTooSmall"
    uploads = s3.list_multipart_uploads(Bucket="limits-parts")["Uploads"]
    assert [u["UploadId"] for u in uploads] == [upload]  # still there to be fixed or aborted
