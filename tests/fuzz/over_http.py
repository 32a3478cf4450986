"""Sending fuzz cases to a real `tsukuru up` process: re-signed with its keys, over HTTP.

A mutated request would fail the signature check before its body is ever parsed, so by default
the mutation is signed afresh (botocore's `SigV4Auth`, `S3SigV4Auth` for S3, as the SDKs sign)
and the platform has to deal with the broken content. Cases that broke the signing headers
themselves (a hostile `Authorization`, a bad `x-amz-date`, a streaming payload marker) are sent
as they are, which fuzzes the authentication step instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.fuzz.requests import FuzzCase
from tsukuru.protocol.wire import Headers, WireRequest, WireResponse

REGION = "us-east-1"
SIGNING_NAMES = {"sagemaker-runtime": "sagemaker"}
_SIGNING_HEADERS = {"authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}
_SET_BY_HTTPX = {"content-length", "host", "transfer-encoding"}


def touches_signing(case: FuzzCase) -> bool:
    """Whether the mutation is about the signature (then re-signing would undo it)."""
    how = case.how.lower()
    return any(name in how for name in _SIGNING_HEADERS) or "content-encoding" in how


def signed(request: WireRequest, service: str, keys: Credentials, endpoint_url: str) -> WireRequest:
    """`request` signed afresh with `keys`, as a botocore client signs for `service`."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _SIGNING_HEADERS}
    aws = AWSRequest(
        method=request.method,
        url=url_of(request, endpoint_url),
        data=request.body,
        headers=headers,
    )
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(keys, SIGNING_NAMES.get(service, service), REGION).add_auth(aws)
    return WireRequest(
        method=request.method,
        raw_path=request.raw_path,
        query_string=request.query_string,
        headers=Headers([(k, str(v)) for k, v in aws.headers.items()]),
        body=request.body,
    )


def request_target(request: WireRequest) -> str:
    """Path and query as they go on the request line: ASCII, anything else percent-encoded
    (as an HTTP client does with a non-ASCII path)."""
    target = request.raw_path + (f"?{request.query_string}" if request.query_string else "")
    return "".join(c if ord(c) < 128 else quote(c, safe="") for c in target)


def url_of(request: WireRequest, endpoint_url: str) -> str:
    return endpoint_url + request_target(request)


def send(http: httpx.Client, request: WireRequest, endpoint_url: str) -> WireResponse | None:
    """Send over HTTP; None when httpx itself refuses to put the request on the wire."""
    headers = [
        (name.encode("latin-1", "replace"), _header_bytes(value))
        for name, value in request.headers.items()
        if name.lower() not in _SET_BY_HTTPX
    ]
    url = httpx.URL(endpoint_url).copy_with(raw_path=request_target(request).encode("ascii"))
    try:
        response = http.request(request.method, url, headers=headers, content=request.body)
    except (httpx.LocalProtocolError, httpx.UnsupportedProtocol, UnicodeError, ValueError):
        return None
    return WireResponse(
        status=response.status_code, headers=dict(response.headers), body=response.content
    )


def _header_bytes(value: Any) -> bytes:
    text = str(value)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")
