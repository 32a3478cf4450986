"""Mutations of a whole request on the wire: its body, its headers, its path, query and method.

Kept apart from `requests.py` (which builds cases from parameters and JSON documents) because
these know nothing of the operation's shapes: they break what every HTTP request has. Each
returns the mutated request and a short description for the failure message; the body and
header mutations also say whether no correct server could accept the result (`must_fail`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from botocore.model import OperationModel
from hypothesis import strategies as st

from tsukuru.protocol.specs import service_model
from tsukuru.protocol.wire import Headers, WireRequest

Path = tuple[str | int, ...]


# --------------------------------------------------------------------------- bodies

_HOSTILE_XML = (
    b"<a><b></a>",
    b"<?xml version='1.0'?>",
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Delete><Object><Key>&c;</Key></Object>'
    b"</Delete>",
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Tagging><TagSet><Tag><Key>&e;'
    b"</Key><Value>v</Value></Tag></TagSet></Tagging>",
    b"<Delete><Object><Key>\xff\xfe</Key></Object></Delete>",
    b"<CompleteMultipartUpload><Part><PartNumber>abc</PartNumber><ETag>x</ETag></Part>"
    b"</CompleteMultipartUpload>",
    b"<CreateBucketConfiguration><LocationConstraint>"
    + b"x" * 5000
    + b"</LocationConstraint></CreateBucketConfiguration>",
)
_NOT_OBJECTS = (b"[]", b"1", b"null", b'"x"', b"true", b"{", b"{}}", b"\xef\xbb\xbf{}")
_DEEP = (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000)


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return False


@st.composite
def mutated_body(
    draw: st.DrawFn, op: OperationModel, request: WireRequest, service: str
) -> tuple[WireRequest, str, bool]:
    choices: list[st.SearchStrategy[bytes]] = [
        st.binary(max_size=512),
        st.just(request.body[: draw(st.integers(0, max(len(request.body) - 1, 0)))]),
        st.just(request.body + draw(st.binary(min_size=1, max_size=16))),
        st.sampled_from(_NOT_OBJECTS + _HOSTILE_XML + _DEEP),
    ]
    body = draw(st.one_of(*choices))
    must_fail = False
    if service_model(service).protocol == "json":
        has_required = op.input_shape is not None and bool(op.input_shape.required_members)
        empty = not body.strip()
        must_fail = (not empty and not _is_json_object(body)) or (empty and has_required)
    return replace(request, body=body), f"body: {body[:40]!r} ({len(body)} bytes)", must_fail


# --------------------------------------------------------------------------- headers

_CONTENT_TYPES = (
    "",
    "text/plain",
    "application/json",
    "application/x-amz-json-1.1",
    "application/xml",
    "application/x-www-form-urlencoded; charset=utf-16",
    "multipart/form-data; boundary=",
    "\u00ff/\u00fe",
)
_HOSTILE_HEADERS = (
    ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
    ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
    ("Content-Encoding", "aws-chunked"),
    ("x-amz-decoded-content-length", "-5"),
    ("x-amz-trailer", "x-amz-checksum-crc32"),
    ("Content-MD5", "not base64"),
    ("x-amz-checksum-crc32", "AAAA"),
    ("x-amz-checksum-sha256", "%%%"),
    ("Range", "bytes=9-2"),
    ("Range", "bytes=-0"),
    ("Range", "bytes=99999999999999999999-"),
    ("If-Match", '"\u00ff"'),
    ("If-Modified-Since", "not a date"),
    ("x-amz-copy-source", "/"),
    ("x-amz-copy-source", "%FF%FE/%00"),
    ("x-amz-copy-source-range", "bytes=a-b"),
    ("x-amz-meta-\u00ff", "\u00ff\u00fe"),
    ("x-amz-tagging", "a=%FF&=&&"),
    ("x-amz-date", "yesterday"),
    ("Authorization", "AWS4-HMAC-SHA256 Credential=/, SignedHeaders=, Signature="),
    ("Authorization", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3"),
    ("Authorization", "AWS AKID:"),
    ("Authorization", "Bearer x"),
    ("X-Amz-Target", "SageMaker."),
    ("X-Amz-Target", "Logs_20140328.NoSuchThing"),
    ("X-Amz-Target", "\u00ff"),
    ("Content-Length", "-1"),
    ("X-Amzn-SageMaker-Custom-Attributes", "\u00ff" * 2000),
    ("Accept", "*/*;q=abc"),
)


@st.composite
def mutated_headers(
    draw: st.DrawFn, request: WireRequest, service: str
) -> tuple[WireRequest, str, bool]:
    headers = dict(request.headers)
    json_protocol = service_model(service).protocol == "json"
    choice = draw(st.sampled_from(("content-type", "drop", "add")))
    must_fail = False
    if choice == "content-type":
        headers["Content-Type"] = draw(st.sampled_from(_CONTENT_TYPES))
        how = f"headers: Content-Type {headers['Content-Type']!r}"
    elif choice == "drop" and headers:
        name = draw(st.sampled_from(sorted(headers)))
        del headers[name]
        how = f"headers: dropped {name}"
        must_fail = json_protocol and name.lower() == "x-amz-target"
    else:
        name, value = draw(st.sampled_from(_HOSTILE_HEADERS))
        headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
        headers[name] = value
        how = f"headers: {name}: {short(value)}"
        must_fail = json_protocol and name == "X-Amz-Target"
    return replace(request, headers=Headers(headers)), how, must_fail


# --------------------------------------------------------------------------- path and method

_PATH_JUNK = (
    "/%FF",
    "/%00",
    "/..",
    "//",
    "/%2F%2E%2E",
    "/%C0%AF",
    "/" + "a" * 3000,
    "%",
    "/\u00ff",
)
_QUERY_JUNK = (
    "uploads",
    "partNumber=abc&uploadId=x",
    "partNumber=0&uploadId=",
    "list-type=2&max-keys=-1",
    "list-type=3",
    "max-keys=99999999999999999999",
    "continuation-token=%FF%FE",
    "delimiter=%00&prefix=%FF",
    "tagging&acl&uploads",
    "Action=GetCallerIdentity&Version=%FF",
    "versionId=null",
    "response-content-type=%0D%0AX-Injected:1",
    "X-Amz-Signature=&X-Amz-Credential=%2F",
    "%=%&&=",
)
_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS")


@st.composite
def mutated_path(draw: st.DrawFn, request: WireRequest) -> tuple[WireRequest, str]:
    choice = draw(st.sampled_from(("path", "query", "method")))
    if choice == "path":
        junk = draw(st.sampled_from(_PATH_JUNK))
        path = request.raw_path.rstrip("/") + junk if draw(st.booleans()) else junk
        raw_path = path if path.startswith("/") else f"/{path}"  # a request target has one
        return replace(request, raw_path=raw_path), f"path: {short(raw_path)}"
    if choice == "query":
        junk = draw(st.sampled_from(_QUERY_JUNK))
        query = f"{request.query_string}&{junk}" if request.query_string else junk
        return replace(request, query_string=query), f"query: {short(query)}"
    method = draw(st.sampled_from(_METHODS))
    return replace(request, method=method), f"method: {method}"


def show(path: Path) -> str:
    return ".".join(str(step) for step in path) or "(root)"


def short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else f"{shown[:60]}... ({len(shown)} chars)"
