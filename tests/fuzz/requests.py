"""Fuzz requests: what a real botocore client sends for generated parameters, then broken.

A case starts from parameters drawn from the operation's input shape (`tests.fuzz.shapes`),
serialized by a real botocore client (parameter validation off, so wrong values reach the wire)
and caught before it is sent. One mutation may then be applied, chosen by hypothesis:

* `valid`   — the request as botocore built it;
* `params`  — one member replaced by a nasty or unparseable value, or dropped;
* `json`    — (json protocols) the decoded body edited: a member of the wrong JSON type, a
  required member removed, an unknown member added, a huge or odd string, an absurd number;
* `body`    — the body replaced: random bytes, cut short, not an object, broken or hostile XML,
  nesting deep enough to overflow a recursive parser;
* `headers` — Content-Type changed, a header dropped, a hostile header added;
* `path`    — junk appended to the path or the query string, or the method changed.

`FuzzCase.must_fail` marks mutations that no correct server accepts (the wrong JSON type, a
required member missing, a body that is not a JSON object, an unknown `X-Amz-Target`), so the
tests can insist on a 4xx for those rather than only on "not a 500".
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config
from botocore.model import OperationModel, Shape
from hypothesis import strategies as st

from tests.fuzz.nasty import nasty_text, odd_numbers, odd_text, wrong_json_type, wrong_text
from tests.fuzz.shapes import Hints, valid_input
from tests.protocol.oracle import to_wire
from tsukuru.protocol.json_shapes import wire_name
from tsukuru.protocol.specs import service_model
from tsukuru.protocol.wire import Headers, WireRequest

KINDS = ("valid", "params", "json", "body", "headers", "path")
REGION = "us-east-1"
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class FuzzCase:
    service: str
    operation: str
    request: WireRequest
    how: str  # what was done to the request, for the failure message
    must_fail: bool = False

    def describe(self) -> str:
        req = self.request
        body = req.body[:300]
        return (
            f"{self.service}.{self.operation} [{self.how}] {req.method} {req.raw_path[:200]}"
            f"?{req.query_string[:200]}\nheaders={dict(req.headers)!r}\nbody={body!r}"
        )


class _Caught(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("caught")
        self.request = request


def _catch(request: AWSPreparedRequest, **_: Any) -> None:
    raise _Caught(request)


class Builder:
    """botocore clients (one per service) that build requests and never send them."""

    def __init__(
        self, endpoint_url: str, access_key: str = "AKIDFUZZ", secret_key: str = "fuzz-secret"
    ) -> None:
        self.endpoint_url = endpoint_url
        self._keys = (access_key, secret_key)
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            made = botocore.session.get_session().create_client(
                service,
                endpoint_url=self.endpoint_url,
                region_name=REGION,
                aws_access_key_id=self._keys[0],
                aws_secret_access_key=self._keys[1],
                config=Config(
                    parameter_validation=False,
                    retries={"max_attempts": 1},
                    s3={"addressing_style": "path"},
                ),
            )
            made.meta.events.register("before-send", _catch)
            self._clients[service] = made
        return self._clients[service]

    def build(self, service: str, operation: str, params: dict[str, Any]) -> WireRequest | None:
        """The request botocore sends for `operation(**params)`; None if botocore refuses."""
        method = getattr(self.client(service), xform_name(operation))
        try:
            method(**copy.deepcopy(params))
        except _Caught as caught:
            return to_wire(caught.request)
        except Exception:  # botocore could not serialize the broken parameters
            return None
        return None


def fuzz_cases(
    builder: Builder,
    service: str,
    operation: str,
    hints: Hints,
    kinds: tuple[str, ...] = KINDS,
) -> st.SearchStrategy[FuzzCase]:
    """Requests for one operation: valid, or broken in one of `kinds`."""
    model = service_model(service)
    op = model.operation_model(operation)
    usable = tuple(k for k in kinds if k != "json" or model.protocol == "json")
    return _case(builder, service, op, valid_input(op.input_shape, hints), usable)


@st.composite
def _case(
    draw: st.DrawFn,
    builder: Builder,
    service: str,
    op: OperationModel,
    params_strategy: st.SearchStrategy[dict[str, Any]],
    kinds: tuple[str, ...],
) -> FuzzCase:
    params = draw(params_strategy)
    kind = draw(st.sampled_from(kinds))
    how = kind
    request = None
    if kind == "params":
        mutated, how = draw(_mutated_params(op, params))
        request = builder.build(service, op.name, mutated)
        if request is None:
            how = f"{how} (botocore refused it; sent unchanged)"
    if request is None:
        request = builder.build(service, op.name, params)
    if request is None:  # botocore refused even the valid parameters (a rule it adds)
        request = WireRequest(method="POST", raw_path="/", body=b"")
        how = f"{how} (botocore refused; empty POST /)"
    must_fail = False
    if kind == "json":
        request, how, must_fail = draw(_mutated_json(op, request))
    elif kind == "body":
        request, how, must_fail = draw(_mutated_body(op, request, service))
    elif kind == "headers":
        request, how, must_fail = draw(_mutated_headers(request, service))
    elif kind == "path":
        request, how = draw(_mutated_path(request))
    return FuzzCase(service, op.name, request, how, must_fail)


# --------------------------------------------------------------------------- parameters


def param_nodes(shape: Shape, value: Any, path: Path = ()) -> list[tuple[Path, Shape]]:
    """Every (path, shape) inside a parameter value, the value itself first."""
    nodes = [(path, shape)]
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, item in value.items():
            if name in shape.members:
                nodes += param_nodes(shape.members[name], item, (*path, name))
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            nodes += param_nodes(shape.member, item, (*path, index))
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            nodes += param_nodes(shape.value, item, (*path, key))
    return nodes


def _set(document: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


def _drop(document: Any, path: Path) -> None:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]


@st.composite
def _mutated_params(
    draw: st.DrawFn, op: OperationModel, params: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    if op.input_shape is None:
        return params, "params (no input)"
    nodes = param_nodes(op.input_shape, params)[1:]
    if not nodes:
        return params, "params (nothing to change)"
    path, shape = draw(st.sampled_from(nodes))
    mutated = copy.deepcopy(params)
    if draw(st.booleans()) and shape.type_name in ("structure", "list", "map"):
        _drop(mutated, path)
        return mutated, f"params: dropped {_show(path)}"
    value: Any = draw(wrong_text(shape) if shape.type_name != "blob" else st.binary(max_size=64))
    return _set(mutated, path, value), f"params: {_show(path)} = {_short(value)}"


# --------------------------------------------------------------------------- json bodies


def json_nodes(shape: Shape, value: Any, path: Path = ()) -> list[tuple[Path, Shape, bool]]:
    """(path, shape, required) for every member inside a decoded JSON body of `shape`."""
    nodes: list[tuple[Path, Shape, bool]] = []
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not shape.metadata.get("document"):
        required = set(shape.required_members)
        for name, member in shape.members.items():
            key = wire_name(member, name)
            if key in value:
                nodes.append(((*path, key), member, name in required))
                nodes += json_nodes(member, value[key], (*path, key))
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            nodes.append(((*path, index), shape.member, False))
            nodes += json_nodes(shape.member, item, (*path, index))
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            nodes.append(((*path, key), shape.value, False))
            nodes += json_nodes(shape.value, item, (*path, key))
    return nodes


@st.composite
def _mutated_json(
    draw: st.DrawFn, op: OperationModel, request: WireRequest
) -> tuple[WireRequest, str, bool]:
    try:
        document = json.loads(request.body or b"{}")
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    nodes = json_nodes(op.input_shape, document) if op.input_shape is not None else []
    choice = draw(st.sampled_from(("wrong type", "drop", "extra", "string", "number")))
    must_fail = False
    if choice in ("wrong type", "drop") and nodes:
        path, shape, required = draw(st.sampled_from(nodes))
        wrong = wrong_json_type(shape)
        if choice == "drop" or wrong is None:
            _drop(document, path)
            how, must_fail = f"json: dropped {_show(path)}", required
        else:
            value = draw(wrong)
            _set(document, path, value)
            how, must_fail = f"json: {_show(path)} = {_short(value)} (wrong type)", True
    elif choice == "number" and nodes:
        path, _, _ = draw(st.sampled_from(nodes))
        value = draw(odd_numbers)
        _set(document, path, value)
        how = f"json: {_show(path)} = {value!r}"
    elif choice == "string" and nodes:
        path, _, _ = draw(st.sampled_from(nodes))
        value = draw(nasty_text)
        _set(document, path, value)
        how = f"json: {_show(path)} = {_short(value)}"
    else:
        key = draw(odd_text | st.sampled_from(("Unknown", "__proto__", "")))
        document[key] = draw(nasty_text | odd_numbers | st.just({"a": [1]}))
        how = f"json: extra member {_short(key)}"
    escaped = draw(st.booleans())
    text = json.dumps(document, ensure_ascii=escaped)
    # Unescaped lone surrogates become bytes that are not UTF-8 at all, as a buggy client sends.
    body = text.encode("utf-8", "surrogatepass")
    return replace(request, body=body), how, must_fail


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
    b"<CreateBucketConfiguration><LocationConstraint>" + b"x" * 5000
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
def _mutated_body(
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
def _mutated_headers(
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
        how = f"headers: {name}: {_short(value)}"
        must_fail = json_protocol and name == "X-Amz-Target"
    return replace(request, headers=Headers(headers)), how, must_fail


# --------------------------------------------------------------------------- path and method

_PATH_JUNK = ("/%FF", "/%00", "/..", "//", "/%2F%2E%2E", "/%C0%AF", "/" + "a" * 3000, "%", "/\u00ff")
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
def _mutated_path(draw: st.DrawFn, request: WireRequest) -> tuple[WireRequest, str]:
    choice = draw(st.sampled_from(("path", "query", "method")))
    if choice == "path":
        junk = draw(st.sampled_from(_PATH_JUNK))
        appended = request.raw_path.rstrip("/") + junk
        raw_path = appended if draw(st.booleans()) else "/" + junk.lstrip("/")
        return replace(request, raw_path=raw_path), f"path: {_short(raw_path)}"
    if choice == "query":
        junk = draw(st.sampled_from(_QUERY_JUNK))
        query = f"{request.query_string}&{junk}" if request.query_string else junk
        return replace(request, query_string=query), f"query: {_short(query)}"
    method = draw(st.sampled_from(_METHODS))
    return replace(request, method=method), f"method: {method}"


def _show(path: Path) -> str:
    return ".".join(str(step) for step in path) or "(root)"


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else f"{shown[:60]}... ({len(shown)} chars)"
