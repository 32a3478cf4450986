"""Writing REST responses (S3's rest-xml, the SageMaker runtime's rest-json) from output dicts.

Output members are placed where the shape says: `header` members become headers (timestamps
in RFC 822 unless the shape says otherwise), a `headers` map becomes prefixed headers
(`x-amz-meta-*`), a `statusCode` member sets the status, and the body is either the `payload`
member (bytes or a `FilePayload` streamed untouched; a structure as its own document) or a
document holding the remaining members.

S3's response root elements (`ListBucketResult`, `InitiateMultipartUploadResult`, ...) are not
in botocore's model; `S3_ROOT_ELEMENTS` records the names S3 uses.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from botocore.model import OperationModel, Shape

from tsukuru.protocol import values
from tsukuru.protocol.json_shapes import params_to_json, wire_name
from tsukuru.protocol.wire import Body, FilePayload, WireResponse
from tsukuru.protocol.xml_shapes import fill_element, namespace_attributes, to_document

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
S3_ROOT_ELEMENTS = {
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListParts": "ListPartsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketLocation": "LocationConstraint",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetBucketTagging": "Tagging",
    "GetObjectTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetObjectAttributes": "GetObjectAttributesResponse",
}
# GetBucketLocation's document is the bare `<LocationConstraint>region</LocationConstraint>`.
_TEXT_ROOT_OPERATIONS = {"GetBucketLocation": "LocationConstraint"}


def rest_response(
    protocol: str, op: OperationModel, output: Mapping[str, Any], status: int
) -> WireResponse:
    shape = op.output_shape
    if shape is None:
        return WireResponse(status=status)
    headers = header_members(shape, output)
    status = _status_member(shape, output) or status
    payload_name = shape.serialization.get("payload")
    body: Body = b""
    if payload_name:
        body = _payload(protocol, shape.members[payload_name], payload_name, output, headers)
    elif _has_body_members(shape):
        body = _document(protocol, op, shape, output, headers)
    return WireResponse(status=status, headers=headers, body=body)


@dataclass(frozen=True)
class _OutputPlan:
    """What an output shape says about where its members go, worked out once per shape."""

    headers: tuple[tuple[str, Shape, str, bool], ...]  # name, member, wire, is a prefix map
    status_member: str | None
    has_body_members: bool


@lru_cache(maxsize=4096)  # shapes are cached by their (cached) service models
def _output_plan(shape: Shape) -> _OutputPlan:
    headers = []
    status_member = None
    has_body_members = False
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location in ("header", "headers"):
            headers.append((name, member, wire_name(member, name), location == "headers"))
        elif location == "statusCode":
            status_member = status_member or name
        elif location is None:
            has_body_members = True
    return _OutputPlan(tuple(headers), status_member, has_body_members)


def header_members(shape: Shape, output: Mapping[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, member, wire, is_map in _output_plan(shape).headers:
        value = output.get(name)
        if value is None:
            continue
        if is_map:
            for key, item in value.items():
                headers[f"{wire}{key}"] = str(item)
        else:
            headers[wire] = _header_text(member, value)
    return headers


def _header_text(member: Shape, value: Any) -> str:
    if member.type_name == "list":
        return ",".join(_header_text(member.member, item) for item in value)
    if member.type_name == "string" and member.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()
    fmt = str(member.serialization.get("timestampFormat") or values.RFC822)
    return values.scalar_text(member.type_name, value, fmt)


def _status_member(shape: Shape, output: Mapping[str, Any]) -> int | None:
    name = _output_plan(shape).status_member
    if name is not None and output.get(name) is not None:
        return int(output[name])
    return None


def _has_body_members(shape: Shape) -> bool:
    return _output_plan(shape).has_body_members


def _payload(
    protocol: str, member: Shape, name: str, output: Mapping[str, Any], headers: dict[str, str]
) -> Body:
    value = output.get(name)
    if value is None:
        return b""
    if member.type_name in ("blob", "string"):
        if isinstance(value, FilePayload | bytes):
            body: Body = value
        elif isinstance(value, bytearray | memoryview):
            body = bytes(value)
        else:
            body = str(value).encode("utf-8")
        if not _has_header(headers, "Content-Type"):
            headers["Content-Type"] = "application/octet-stream"
        return body
    if protocol == "rest-json":
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(params_to_json(member, value)).encode("utf-8")
    root = ET.Element(wire_name(member, name), _root_namespace(member))
    fill_element(root, member, value, values.ISO8601)
    headers.setdefault("Content-Type", "application/xml")
    return to_document(root)


def _document(
    protocol: str,
    op: OperationModel,
    shape: Shape,
    output: Mapping[str, Any],
    headers: dict[str, str],
) -> bytes:
    if protocol == "rest-json":
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(params_to_json(shape, output)).encode("utf-8")
    headers.setdefault("Content-Type", "application/xml")
    text_member = _TEXT_ROOT_OPERATIONS.get(op.name)
    if text_member is not None:
        root = ET.Element(text_member, {"xmlns": S3_NAMESPACE})
        value = output.get(text_member)
        root.text = None if value is None else str(value)
        return to_document(root)
    root_name = S3_ROOT_ELEMENTS.get(op.name) or _put_counterpart_root(op) or f"{op.name}Result"
    root = ET.Element(root_name, _root_namespace(shape))
    fill_element(root, shape, output, values.ISO8601)
    return to_document(root)


def _root_namespace(shape: Shape) -> dict[str, str]:
    return namespace_attributes(shape) or {"xmlns": S3_NAMESPACE}


def _put_counterpart_root(op: OperationModel) -> str | None:
    """`GetBucketFoo` answers with the document `PutBucketFoo` accepts (its payload's name)."""
    if not op.name.startswith("Get"):
        return None
    model = op.service_model
    put_name = "Put" + op.name[3:]
    if put_name not in model.operation_names:
        return None
    put_input = model.operation_model(put_name).input_shape
    payload = put_input.serialization.get("payload") if put_input is not None else None
    if not payload:
        return None
    return wire_name(put_input.members[payload], payload)


def _has_header(headers: Mapping[str, str], name: str) -> bool:
    lowered = name.lower()
    return any(key.lower() == lowered for key in headers)
