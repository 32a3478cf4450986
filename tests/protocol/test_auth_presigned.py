"""Presigned URLs (SigV4 query and S3's legacy version 2) and version-2 header signatures.

botocore signs them all; the clock is moved to the edges of each URL's lifetime.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.protocol.auth_support import (
    HOST,
    dispatch,
    error_of,
    passed,
    signed_v2,
    with_headers,
)
from tests.protocol.oracle import ACCESS_KEY, client
from tsukuru.protocol.auth_errors import HINT
from tsukuru.protocol.wire import Headers, WireRequest


def from_url(url: str, method: str = "GET", **headers: str) -> WireRequest:
    parts = urlsplit(url)
    return WireRequest(
        method=method,
        raw_path=parts.path,
        query_string=parts.query,
        headers=Headers({"Host": HOST, **headers}),
    )


def presigned_v4(
    service: str, method: str, params: dict[str, Any], expires: int, http_method: str = "GET"
) -> WireRequest:
    version = "s3v4" if service == "s3" else "v4"
    url = client(service, signature_version=version).generate_presigned_url(
        method, Params=params, ExpiresIn=expires
    )
    return from_url(url, http_method)


def signed_at(req: WireRequest) -> float:
    stamp = req.query_dict["X-Amz-Date"]
    return float(calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ")))


GET_OBJECT = {"Bucket": "b", "Key": "a key/ü"}


def test_presigned_v4_s3_url_works_for_its_lifetime_only() -> None:
    req = presigned_v4("s3", "get_object", GET_OBJECT, 600)
    start = signed_at(req)
    assert passed(dispatch(req, now=start))
    assert passed(dispatch(req, now=start + 600))
    response = dispatch(req, now=start + 601)
    error = error_of("s3", "GetObject", response)
    assert (response.status, error["Code"]) == (403, "AccessDenied")
    assert error["Message"] == "Request has expired" + HINT
    assert error["Expires"]
    assert error["ServerTime"]


def test_presigned_v4_signed_in_the_future_is_not_valid_yet() -> None:
    req = presigned_v4("s3", "get_object", GET_OBJECT, 600)
    error = error_of("s3", "GetObject", dispatch(req, now=signed_at(req) - 16 * 60))
    assert (error["Code"], error["Message"]) == ("AccessDenied", "Request is not valid yet" + HINT)


def test_presigned_v4_lifetime_is_at_most_a_week() -> None:
    req = presigned_v4("s3", "get_object", GET_OBJECT, 7 * 24 * 3600 + 1)
    response = dispatch(req, now=signed_at(req))
    error = error_of("s3", "GetObject", response)
    assert (response.status, error["Code"]) == (400, "AuthorizationQueryParametersError")
    assert "604800" in error["Message"]


def test_presigned_v4_is_bound_to_its_request_and_secret() -> None:
    req = presigned_v4("s3", "get_object", GET_OBJECT, 600)
    error = error_of("s3", "GetObject", dispatch(replace(req, raw_path="/b/other")))
    assert error["Code"] == "SignatureDoesNotMatch"
    error = error_of("s3", "GetObject", dispatch(req, secrets={ACCESS_KEY: "wrong"}))
    assert error["Code"] == "SignatureDoesNotMatch"
    error = error_of("s3", "GetObject", dispatch(req, secrets={}))
    assert error["Code"] == "InvalidAccessKeyId"
    as_put = replace(req, method="PUT")
    assert error_of("s3", "PutObject", dispatch(as_put))["Code"] == "SignatureDoesNotMatch"


def test_presigned_put_signs_an_unsigned_payload() -> None:
    req = presigned_v4("s3", "put_object", {"Bucket": "b", "Key": "k"}, 600)
    upload = replace(req, method="PUT", body=b"any bytes at all")
    upload = with_headers(upload, content_length=str(len(upload.body)))
    assert passed(dispatch(upload))


def test_presigned_sts_call_expires_as_requestexpired() -> None:
    # botocore presigns an STS call for the operation's own method, POST (with an empty body)
    req = presigned_v4("sts", "get_caller_identity", {}, 900, http_method="POST")
    start = signed_at(req)
    assert passed(dispatch(req, now=start + 60))
    response = dispatch(req, now=start + 901)
    error = error_of("sts", "GetCallerIdentity", response)
    assert (response.status, error["Code"]) == (403, "RequestExpired")


def presigned_v2(method: str, params: dict[str, Any], expires: int) -> WireRequest:
    url = client("s3").generate_presigned_url(method, Params=params, ExpiresIn=expires)
    req = from_url(url, "PUT" if method == "put_object" else "GET")
    assert "AWSAccessKeyId" in req.query_dict  # botocore's default for presigned S3 URLs
    return req


def test_presigned_v2_s3_url_works_until_it_expires() -> None:
    params = {**GET_OBJECT, "ResponseContentType": "text/plain", "VersionId": "v 1"}
    req = presigned_v2("get_object", params, 300)
    expires = int(req.query_dict["Expires"])
    assert passed(dispatch(req, now=expires))
    error = error_of("s3", "GetObject", dispatch(req, now=expires + 1))
    assert (error["Code"], error["Message"]) == ("AccessDenied", "Request has expired" + HINT)


def test_presigned_v2_is_bound_to_its_request_and_secret() -> None:
    req = presigned_v2("get_object", GET_OBJECT, 300)
    error = error_of("s3", "GetObject", dispatch(replace(req, raw_path="/b/other")))
    assert error["Code"] == "SignatureDoesNotMatch"
    assert error["StringToSign"].startswith("GET\n\n\n")
    error = error_of("s3", "GetObject", dispatch(req, secrets={ACCESS_KEY: "wrong"}))
    assert error["Code"] == "SignatureDoesNotMatch"
    sub = replace(req, query_string=req.query_string + "&versionId=other")
    assert error_of("s3", "GetObject", dispatch(sub))["Code"] == "SignatureDoesNotMatch"


def test_presigned_v2_put_with_content_type() -> None:
    req = presigned_v2("put_object", {"Bucket": "b", "Key": "k", "ContentType": "text/csv"}, 300)
    assert parse_qs(req.query_string)["content-type"] == ["text/csv"]
    upload = with_headers(replace(req, body=b"a,b\n"), content_type="text/csv", content_length="4")
    assert passed(dispatch(upload))
    other = with_headers(upload, content_type="text/plain")
    assert error_of("s3", "PutObject", dispatch(other))["Code"] == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    ("method", "params", "operation"),
    [
        ("list_objects", {"Bucket": "b", "Prefix": "p"}, "ListObjects"),
        (
            "put_object",
            {
                "Bucket": "b",
                "Key": "dir/ü x",
                "Body": b"data",
                "ContentType": "text/plain",
                "ContentMD5": "jXd/OF09/siBXSD3SWAm3A==",
                "Metadata": {"who": "me"},
            },
            "PutObject",
        ),
        ("get_object_acl", {"Bucket": "b", "Key": "k"}, "GetObjectAcl"),
    ],
)
def test_version_2_header_signatures(method: str, params: dict[str, Any], operation: str) -> None:
    req = signed_v2(method, params)
    assert req.headers["Authorization"].startswith(f"AWS {ACCESS_KEY}:")
    assert passed(dispatch(req))
    error = error_of("s3", operation, dispatch(req, secrets={ACCESS_KEY: "wrong"}))
    assert error["Code"] == "SignatureDoesNotMatch"


def test_version_2_header_signature_must_be_recent() -> None:
    req = signed_v2("list_objects", {"Bucket": "b"})
    error = error_of("s3", "ListObjects", dispatch(req, now=time.time() + 20 * 60))
    assert error["Code"] == "RequestTimeTooSkewed"
    undated = with_headers(req, date=None)
    error = error_of("s3", "ListObjects", dispatch(undated))
    assert error["Code"] == "AuthorizationHeaderMalformed"
