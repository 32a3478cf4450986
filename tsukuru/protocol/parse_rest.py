"""Reading a REST request (rest-xml for S3, rest-json for the SageMaker runtime) into parameters.

Every input member says where it lives: `uri` (a path label), `querystring`, `header`, `headers`
(a prefix map such as `x-amz-meta-`), or the body. The body is either the `payload` member
(raw bytes for a blob such as PutObject's `Body`; an XML or JSON document for a structure such
as DeleteObjects' `<Delete>`) or, in rest-json only, a JSON object holding the remaining members.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from botocore.model import OperationModel, Shape

from tsukuru.protocol import values
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.json_shapes import (
    decode_json_object,
    load_json,
    params_from_json,
    wire_name,
)
from tsukuru.protocol.problems import VALIDATION_CODES, InputProblems, member_path
from tsukuru.protocol.wire import WireRequest
from tsukuru.protocol.xml_shapes import params_from_xml, parse_xml_document


def malformed_xml() -> ServiceError:
    return ServiceError(
        code="MalformedXML",
        message="The XML you provided was not well-formed or did not validate against our "
        "published schema",
    )


def parse_rest_request(
    protocol: str, op: OperationModel, req: WireRequest, labels: dict[str, str]
) -> dict[str, Any]:
    shape = op.input_shape
    if shape is None:
        return {}
    problems = InputProblems()
    params = _located_members(shape, req, labels, problems)
    payload_name = shape.serialization.get("payload")
    if req.spooled is not None and payload_name and shape.members[payload_name].type_name == "blob":
        params[payload_name] = req.spooled  # a large body stays on disk (the handler streams it)
    else:
        params.update(_body(protocol, shape, req.body, problems))
    for name in shape.required_members:
        if name not in params:
            problems.missing(member_path("", name))
    problems.raise_if_any(VALIDATION_CODES[protocol])
    return params


@dataclass(frozen=True)
class _Located:
    """One input member read from outside the body, with everything the model says about it
    worked out once per shape instead of once per request."""

    name: str
    member: Shape
    location: str  # uri | querystring | header | headers
    wire: str  # label, query key or header name (lowered prefix for `headers`)
    path: str  # for problem messages


@lru_cache(maxsize=4096)  # shapes are cached by their (cached) service models
def _located_plan(shape: Shape) -> tuple[tuple[_Located, ...], frozenset[str]]:
    """The members that live in the path, query or headers, and the query keys they claim."""
    located = []
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location not in ("uri", "querystring", "header", "headers"):
            continue
        wire = wire_name(member, name)
        located.append(
            _Located(
                name=name,
                member=member,
                location=location,
                wire=wire.lower() if location == "headers" else wire,
                path=member_path("", name),
            )
        )
    claimed = frozenset(
        item.wire
        for item in located
        if item.location == "querystring" and item.member.type_name != "map"
    )
    return tuple(located), claimed


def _located_members(
    shape: Shape, req: WireRequest, labels: dict[str, str], problems: InputProblems
) -> dict[str, Any]:
    """Members read from the path, the query string and the headers."""
    located, claimed_query = _located_plan(shape)
    params: dict[str, Any] = {}
    for item in located:
        value: Any = None
        if item.location == "uri":
            if item.wire in labels:
                value = _scalar(item.member, labels[item.wire], values.ISO8601, problems, item.path)
        elif item.location == "querystring":
            if req.query_string:
                value = _from_query(
                    item.member, item.wire, req.query, claimed_query, problems, item.path
                )
        elif item.location == "header":
            value = _from_header(item.member, req, item.wire, problems, item.path)
        else:
            prefix = item.wire
            found = {k[len(prefix) :]: v for k, v in req.headers.items() if _starts(k, prefix)}
            value = found or None
        if value is not None:
            params[item.name] = value
    return params


def _body(protocol: str, shape: Shape, body: bytes, problems: InputProblems) -> dict[str, Any]:
    """Members read from the body: the payload member, or the body document's members."""
    payload_name = shape.serialization.get("payload")
    if payload_name:
        payload_problems = InputProblems()
        member = shape.members[payload_name]
        payload = _payload(protocol, payload_name, member, body, payload_problems)
        required = payload_name in shape.required_members
        if protocol == "rest-xml" and (payload_problems or (payload is None and required)):
            raise malformed_xml()
        problems.messages.extend(payload_problems.messages)
        return {} if payload is None else {payload_name: payload}
    members = {n: m for n, m in shape.members.items() if m.serialization.get("location") is None}
    if not members or not body.strip():
        return {}
    if protocol == "rest-json":
        return _json_body_members(members, body, problems)
    return _xml_body_members(shape, members, body, problems)


def _scalar(
    member: Shape, text: str, default_format: str, problems: InputProblems, path: str
) -> Any:
    fmt = str(member.serialization.get("timestampFormat") or default_format)
    try:
        return values.parse_scalar_text(member.type_name, text, fmt)
    except ValueError:
        problems.wrong(path, text, f"a valid {member.type_name}")
        return None


def _from_query(
    member: Shape,
    wire: str,
    query: list[tuple[str, str]],
    claimed: frozenset[str],
    problems: InputProblems,
    path: str,
) -> Any:
    if member.type_name == "map":
        free = [(k, v) for k, v in query if k not in claimed]
        if not free:
            return None
        if member.value.type_name == "list":
            grouped: dict[str, list[str]] = {}
            for key, item in free:
                grouped.setdefault(key, []).append(item)
            return grouped
        return dict(free)
    found = [v for k, v in query if k == wire]
    if not found:
        return None
    if member.type_name == "list":
        items = [_scalar(member.member, v, values.ISO8601, problems, path) for v in found]
        return [item for item in items if item is not None]
    return _scalar(member, found[-1], values.ISO8601, problems, path)


def _from_header(
    member: Shape, req: WireRequest, wire: str, problems: InputProblems, path: str
) -> Any:
    if wire not in req.headers:
        return None
    text = req.headers[wire]
    if member.type_name == "list":
        parts = [p.strip() for p in text.split(",") if p.strip()]
        items = [_scalar(member.member, p, values.RFC822, problems, path) for p in parts]
        return [item for item in items if item is not None]
    if member.type_name == "string" and member.serialization.get("jsonvalue"):
        try:
            return load_json(base64.b64decode(text))
        except ValueError:
            problems.wrong(path, text, "base64-encoded JSON")
            return None
    return _scalar(member, text, values.RFC822, problems, path)


def _payload(protocol: str, name: str, member: Shape, body: bytes, problems: InputProblems) -> Any:
    if member.type_name == "blob":
        return body
    if member.type_name == "string":
        return body.decode("utf-8", errors="replace") if body else None
    if not body.strip():
        return None
    if protocol == "rest-xml":
        try:
            root = parse_xml_document(body)
        except ValueError:
            raise malformed_xml() from None
        return params_from_xml(member, root, problems, member_path("", name))
    return params_from_json(member, decode_json_object(body), problems, member_path("", name))


def _xml_body_members(
    shape: Shape, members: dict[str, Shape], body: bytes, problems: InputProblems
) -> dict[str, Any]:
    """A rest-xml input without a payload member is itself the document (SelectObjectContent)."""
    try:
        root = parse_xml_document(body)
    except ValueError:
        raise malformed_xml() from None
    document = params_from_xml(shape, root, problems)
    return {name: value for name, value in document.items() if name in members}


def _json_body_members(
    members: dict[str, Shape], body: bytes, problems: InputProblems
) -> dict[str, Any]:
    document = decode_json_object(body)
    params: dict[str, Any] = {}
    for name, member in members.items():
        raw = document.get(wire_name(member, name))
        if raw is not None:
            value = params_from_json(member, raw, problems, member_path("", name))
            if value is not None:
                params[name] = value
    return params


def _starts(header: str, lowered_prefix: str) -> bool:
    return header.lower().startswith(lowered_prefix)
