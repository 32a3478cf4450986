"""Header-signed requests through the dispatcher: who gets in, and what everyone else is told.

Each refusal must be the code the service's real clients expect (read back by botocore's own
parser) and must end with the hint that fixes the usual cause.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from tests.protocol.auth_support import (
    CALLS,
    HOST,
    check,
    dispatch,
    error_of,
    passed,
    signed,
    with_headers,
    with_host,
)
from tests.protocol.oracle import ACCESS_KEY, REGION, SECRET_KEY, to_wire
from tsukuru.protocol.auth import Authenticator
from tsukuru.protocol.auth_errors import HINT
from tsukuru.protocol.sigv4_verify import signing_key

ALL = pytest.mark.parametrize(("service", "method", "params", "operation"), CALLS)


@ALL
def test_the_right_key_gets_through_on_every_service(
    service: str, method: str, params: dict[str, Any], operation: str
) -> None:
    assert passed(dispatch(signed(service, method, **params)))


WRONG_SECRET = {
    "s3": "SignatureDoesNotMatch",
    "sagemaker": "InvalidSignatureException",
    "sagemaker-runtime": "InvalidSignatureException",
    "logs": "InvalidSignatureException",
    "sts": "SignatureDoesNotMatch",
    "iam": "SignatureDoesNotMatch",
}


@ALL
def test_a_wrong_secret_is_refused_on_every_service(
    service: str, method: str, params: dict[str, Any], operation: str
) -> None:
    response = dispatch(signed(service, method, **params), secrets={ACCESS_KEY: "not-the-secret"})
    error = error_of(service, operation, response)
    assert response.status == 403
    assert error["Code"] == WRONG_SECRET[service]
    assert error["Message"].endswith(HINT)
    assert "signature we calculated does not match" in error["Message"]


UNKNOWN_KEY = {
    "s3": ("InvalidAccessKeyId", 403),
    "sagemaker": ("UnrecognizedClientException", 400),
    "sagemaker-runtime": ("UnrecognizedClientException", 400),
    "logs": ("UnrecognizedClientException", 400),
    "sts": ("InvalidClientTokenId", 403),
    "iam": ("InvalidClientTokenId", 403),
}


@ALL
def test_an_unknown_key_id_is_refused_on_every_service(
    service: str, method: str, params: dict[str, Any], operation: str
) -> None:
    response = dispatch(signed(service, method, **params), secrets={"AKIAOTHER": SECRET_KEY})
    error = error_of(service, operation, response)
    assert (error["Code"], response.status) == UNKNOWN_KEY[service]
    assert error["Message"].endswith(HINT)
    if service == "s3":
        assert error["AWSAccessKeyId"] == ACCESS_KEY


SKEWED = {
    "s3": "RequestTimeTooSkewed",
    "sagemaker": "InvalidSignatureException",
    "sagemaker-runtime": "InvalidSignatureException",
    "logs": "InvalidSignatureException",
    "sts": "SignatureDoesNotMatch",
    "iam": "SignatureDoesNotMatch",
}


@ALL
@pytest.mark.parametrize("minutes", [-16, 16])
def test_a_stale_or_future_signature_is_refused(
    service: str, method: str, params: dict[str, Any], operation: str, minutes: int
) -> None:
    req = signed(service, method, **params)
    response = dispatch(req, now=time.time() - minutes * 60)
    error = error_of(service, operation, response)
    assert response.status == 403
    assert error["Code"] == SKEWED[service]
    assert error["Message"].endswith(HINT)
    if service != "s3":
        expected = "Signature expired" if minutes < 0 else "Signature not yet current"
        assert expected in error["Message"]


def test_fourteen_minutes_of_skew_is_tolerated() -> None:
    req = signed("sagemaker", "list_models")
    assert passed(dispatch(req, now=time.time() + 14 * 60))
    assert passed(dispatch(req, now=time.time() - 14 * 60))


def test_s3_skew_error_names_both_times() -> None:
    response = dispatch(signed("s3", "list_buckets"), now=time.time() + 3600)
    error = error_of("s3", "ListBuckets", response)
    assert error["RequestTime"] == signed("s3", "list_buckets").headers["X-Amz-Date"]
    assert error["MaxAllowedSkewMilliseconds"] == "900000"


ANONYMOUS = {
    "s3": ("AccessDenied", 403),
    # no signature means no scope: the runtime's path-only request is taken for S3
    "sagemaker-runtime": ("AccessDenied", 403),
    "sagemaker": ("MissingAuthenticationTokenException", 403),
    "logs": ("MissingAuthenticationTokenException", 403),
    "sts": ("MissingAuthenticationToken", 403),
    "iam": ("MissingAuthenticationToken", 403),
}


@ALL
def test_an_unsigned_request_is_refused(
    service: str, method: str, params: dict[str, Any], operation: str
) -> None:
    req = with_headers(signed(service, method, **params), authorization=None)
    response = dispatch(req)
    reader = "s3" if service == "sagemaker-runtime" else service
    error = error_of(reader, "ListBuckets" if reader == "s3" else operation, response)
    assert (error["Code"], response.status) == ANONYMOUS[service]
    assert error["Message"].endswith(HINT)


def test_a_changed_request_no_longer_matches_its_signature() -> None:
    req = signed("sagemaker", "describe_training_job", TrainingJobName="job")
    assert passed(dispatch(req))
    tampered = replace(req, body=b'{"TrainingJobName": "other"}')
    error = error_of("sagemaker", "DescribeTrainingJob", dispatch(tampered))
    assert error["Code"] == "InvalidSignatureException"
    moved = replace(signed("s3", "get_object", Bucket="b", Key="k"), raw_path="/b/other")
    error = error_of("s3", "GetObject", dispatch(moved))
    assert error["Code"] == "SignatureDoesNotMatch"
    assert error["CanonicalRequest"].startswith("GET\n/b/other\n")
    assert error["StringToSign"].startswith("AWS4-HMAC-SHA256\n")
    assert SECRET_KEY not in str(error)


def test_s3_body_must_match_its_declared_sha256() -> None:
    req = signed("s3", "put_object", Bucket="b", Key="k", Body=b"hello")
    assert passed(dispatch(req))
    response = dispatch(replace(req, body=b"jello"))
    error = error_of("s3", "PutObject", response)
    assert (response.status, error["Code"]) == (400, "XAmzContentSHA256Mismatch")
    assert error["ClientComputedContentSHA256"] == req.headers["X-Amz-Content-SHA256"]


def test_s3_rejects_a_payload_marker_it_does_not_know() -> None:
    req = with_headers(signed("s3", "list_buckets"), x_amz_content_sha256="SOMETHING-ELSE")
    error = error_of("s3", "ListBuckets", dispatch(req))
    assert error["Code"] == "InvalidArgument"


def test_unsigned_payload_leaves_the_body_out_of_the_signature() -> None:
    request = AWSRequest(method="PUT", url=f"http://{HOST}/b/k", data=b"payload")
    request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    req = with_host(to_wire(request.prepare()))
    assert req.headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    assert passed(dispatch(req))
    assert passed(dispatch(replace(req, body=b"PAYLOAD")))  # same length, other bytes
    assert not passed(dispatch(with_headers(req, x_amz_content_sha256=None)))


def test_s3_path_encoded_differently_than_signed_still_matches() -> None:
    req = signed("s3", "get_object", Bucket="b", Key="it's (a) key!*")
    assert "%21" in req.raw_path
    as_sent = replace(req, raw_path=req.raw_path.replace("%21", "!").replace("%27", "'"))
    assert passed(dispatch(as_sent))


def test_scope_date_must_be_the_signing_date() -> None:
    req = signed("sagemaker", "list_models")
    auth = req.headers["Authorization"].replace(f"/{req.headers['X-Amz-Date'][:8]}/", "/20000101/")
    error = error_of("sagemaker", "ListModels", dispatch(with_headers(req, authorization=auth)))
    assert error["Code"] == "IncompleteSignature"
    error = error_of(
        "s3",
        "ListBuckets",
        dispatch(with_headers(signed("s3", "list_buckets"), x_amz_date="yesterday")),
    )
    assert error["Code"] == "AuthorizationHeaderMalformed"


def test_the_signing_key_is_derived_once_per_day_and_scope() -> None:
    signing_key.cache_clear()
    authenticator = Authenticator({ACCESS_KEY: SECRET_KEY}.get)
    for _ in range(3):
        assert check(authenticator, signed("sagemaker", "list_models"), "sagemaker") is None
    info = signing_key.cache_info()
    assert (info.misses, info.hits) == (1, 2)
