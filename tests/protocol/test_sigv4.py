"""Credential parsing, and signature verification checked against botocore's own signer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.protocol.oracle import ACCESS_KEY, REGION, SECRET_KEY, capture, client
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.sigv4 import parse_sigv4
from tsukuru.protocol.sigv4_verify import canonical_uri, verify
from tsukuru.protocol.wire import Headers, WireRequest

HOST = "localhost:4590"


def with_host(req: WireRequest) -> WireRequest:
    return replace(req, headers=Headers([*req.headers.items(), ("Host", HOST)]))


def signed(service: str, method: str, **params: Any) -> WireRequest:
    return with_host(capture(service, method, **params))


def test_header_credential_scope() -> None:
    cred = parse_sigv4(signed("s3", "list_buckets"))
    assert cred is not None
    assert (cred.access_key, cred.region, cred.service, cred.version) == (
        ACCESS_KEY,
        REGION,
        "s3",
        4,
    )
    assert not cred.presigned
    assert len(cred.date) == 8
    assert cred.amz_date is not None
    assert cred.amz_date.startswith(cred.date)
    assert "x-amz-date" in cred.signed_headers
    assert len(cred.signature) == 64


def test_both_sagemaker_clients_sign_as_sagemaker() -> None:
    control = parse_sigv4(signed("sagemaker", "list_models"))
    runtime = parse_sigv4(
        signed("sagemaker-runtime", "invoke_endpoint", EndpointName="e", Body=b"1")
    )
    assert control is not None
    assert runtime is not None
    assert control.service == runtime.service == "sagemaker"


def test_presigned_v4_url() -> None:
    url = client("s3", signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": "b", "Key": "a key/ü"}, ExpiresIn=600
    )
    parts = urlsplit(url)
    req = WireRequest(
        method="GET", raw_path=parts.path, query_string=parts.query, headers=Headers({"Host": HOST})
    )
    cred = parse_sigv4(req)
    assert cred is not None
    assert (cred.presigned, cred.expires, cred.service) == (True, 600, "s3")
    assert verify(req, SECRET_KEY)
    assert not verify(replace(req, raw_path="/b/other"), SECRET_KEY)


def test_botocore_default_presigned_s3_url_is_v2() -> None:
    url = client("s3").generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    parts = urlsplit(url)
    cred = parse_sigv4(WireRequest(method="GET", raw_path=parts.path, query_string=parts.query))
    assert cred is not None
    assert (cred.access_key, cred.version, cred.presigned) == (ACCESS_KEY, 2, True)


def test_legacy_v2_query_and_header() -> None:
    req = WireRequest(
        method="GET",
        raw_path="/b/k",
        query_string="AWSAccessKeyId=AKIAOLD&Signature=abc%3D&Expires=1700000000",
    )
    cred = parse_sigv4(req)
    assert cred is not None
    assert (cred.access_key, cred.version, cred.service, cred.expires) == (
        "AKIAOLD",
        2,
        "s3",
        1700000000,
    )
    header = WireRequest(
        method="GET", raw_path="/b/k", headers=Headers({"Authorization": "AWS AKIAOLD:c2ln"})
    )
    cred = parse_sigv4(header)
    assert cred is not None
    assert (cred.access_key, cred.presigned) == ("AKIAOLD", False)
    assert not verify(header, SECRET_KEY)


def test_anonymous_and_malformed() -> None:
    assert parse_sigv4(WireRequest(method="GET", raw_path="/b/k")) is None
    broken = WireRequest(
        method="GET",
        raw_path="/",
        headers=Headers({"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/x"}),
    )
    with pytest.raises(ServiceError) as caught:
        parse_sigv4(broken)
    assert (caught.value.code, caught.value.status) == ("IncompleteSignature", 400)
    assert not verify(broken, SECRET_KEY)


@pytest.mark.parametrize(
    ("service", "method", "params"),
    [
        ("s3", "put_object", {"Bucket": "b", "Key": "dir/a b+ü%2F", "Body": b"x"}),
        ("s3", "list_objects_v2", {"Bucket": "b", "Prefix": "p q/", "Delimiter": "/"}),
        ("s3", "delete_objects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "a"}]}}),
        ("sagemaker", "describe_training_job", {"TrainingJobName": "job"}),
        ("sagemaker-runtime", "invoke_endpoint", {"EndpointName": "ep", "Body": b"1,2"}),
        ("logs", "get_log_events", {"logGroupName": "g", "logStreamName": "a/b c"}),
        ("sts", "get_caller_identity", {}),
        ("iam", "get_role", {"RoleName": "r"}),
    ],
)
def test_verify_accepts_what_botocore_signed(
    service: str, method: str, params: dict[str, Any]
) -> None:
    req = signed(service, method, **params)
    assert verify(req, SECRET_KEY)
    assert not verify(req, "wrong-secret")
    assert not verify(replace(req, method="PATCH"), SECRET_KEY)
    tampered = [(k, v + "x" if k.lower() == "x-amz-date" else v) for k, v in req.headers.items()]
    assert not verify(replace(req, headers=Headers(tampered)), SECRET_KEY)


def test_body_is_covered_unless_unsigned() -> None:
    req = signed("sagemaker", "describe_training_job", TrainingJobName="job")
    assert not verify(replace(req, body=b'{"TrainingJobName": "other"}'), SECRET_KEY)


def test_non_s3_paths_are_normalized_and_encoded_twice() -> None:
    assert canonical_uri("/a/./b/../c%20d", "sagemaker") == "/a/c%2520d"
    assert canonical_uri("/a/./b/../c%20d", "s3") == "/a/./b/../c%20d"
