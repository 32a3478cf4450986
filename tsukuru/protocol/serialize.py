"""From a handler's output dict (or a `ServiceError`) to the bytes each protocol's clients parse.

* json (SageMaker, Logs): `application/x-amz-json-1.1`, timestamps as epoch seconds, errors as
  `{"__type": code, "message": ...}` plus the `x-amzn-ErrorType` header.
* rest-json / rest-xml: see `serialize_rest`; S3 errors are `<Error><Code/><Message/>...
  <RequestId/></Error>` with `x-amz-request-id` and `x-amz-id-2`, and HEAD requests and 304s
  carry no body at all (botocore then reports the bare status, e.g. Code "404").
* query (STS, IAM): `<OpResponse><OpResult>...</OpResult><ResponseMetadata>` documents and
  `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.

Every response carries its request id header. Modeled error members (`error.extra`, e.g. the
runtime's `OriginalStatusCode`) are written with the types the error shape declares.
"""

from __future__ import annotations

import base64
import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape

from tsukuru.protocol import values
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.json_shapes import params_to_json
from tsukuru.protocol.serialize_rest import header_members, rest_response
from tsukuru.protocol.wire import WireResponse
from tsukuru.protocol.xml_shapes import fill_element, to_document

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
XML_CONTENT_TYPE = "text/xml"
_NO_BODY_STATUSES = (204, 304)


def serialize_response(
    model: ServiceModel,
    op: OperationModel,
    output: Mapping[str, Any],
    *,
    request_id: str,
    method: str,
    status: int | None = None,
    extra_headers: dict[str, str] | None = None,
) -> WireResponse:
    protocol = model.protocol
    code = status or int(op.http.get("responseCode", 200))
    if protocol == "json":
        response = _json_response(op, output, code)
    elif protocol == "query":
        response = _query_response(model, op, output, request_id, code)
    else:
        response = rest_response(protocol, op, output, code)
    if status is not None:
        response.status = status
    return _finish(model, response, request_id, method, extra_headers)


def serialize_error(
    model: ServiceModel,
    error: ServiceError,
    *,
    request_id: str,
    method: str,
    op: OperationModel | None = None,
) -> WireResponse:
    protocol = model.protocol
    if protocol in ("json", "rest-json"):
        response = _json_error(model, error, protocol)
    elif protocol == "query":
        response = _query_error(model, error, request_id)
    else:
        response = _s3_error(error, request_id)
    response.headers.update(error.headers)
    return _finish(model, response, request_id, method, None)


def request_id_headers(model: ServiceModel, request_id: str) -> dict[str, str]:
    if model.protocol == "rest-xml":
        return {"x-amz-request-id": request_id, "x-amz-id-2": _host_id(request_id)}
    return {"x-amzn-RequestId": request_id}


def _host_id(request_id: str) -> str:
    """S3's opaque `x-amz-id-2`; derived from the request id so both name the same request."""
    return base64.b64encode(hashlib.sha256(request_id.encode()).digest()).decode()


def _finish(
    model: ServiceModel,
    response: WireResponse,
    request_id: str,
    method: str,
    extra_headers: dict[str, str] | None,
) -> WireResponse:
    response.headers.update(request_id_headers(model, request_id))
    if extra_headers:
        response.headers.update(extra_headers)
    if method.upper() == "HEAD" or response.status in _NO_BODY_STATUSES:
        response.body = b""
    return response


# --------------------------------------------------------------------------- json


def _json_response(op: OperationModel, output: Mapping[str, Any], status: int) -> WireResponse:
    document = params_to_json(op.output_shape, output) if op.output_shape is not None else {}
    return WireResponse(
        status=status,
        headers={"Content-Type": JSON_CONTENT_TYPE},
        body=json.dumps(document).encode("utf-8"),
    )


def _json_error(model: ServiceModel, error: ServiceError, protocol: str) -> WireResponse:
    document: dict[str, Any] = {"__type": error.code, "message": error.message}
    headers = {
        "Content-Type": JSON_CONTENT_TYPE if protocol == "json" else "application/json",
        "x-amzn-ErrorType": error.code,
    }
    shape = _error_shape(model, error.code)
    if shape is not None:
        typed = _typed_extras(shape, error.extra)
        headers.update(header_members(shape, typed))
        document.update(params_to_json(shape, typed))
        if "Message" in shape.members:
            document["Message"] = error.message
    document.update(
        {k: v for k, v in error.extra.items() if shape is None or k not in shape.members}
    )
    return WireResponse(
        status=error.status, headers=headers, body=json.dumps(document).encode("utf-8")
    )


def _error_shape(model: ServiceModel, code: str) -> Shape | None:
    shape: Shape | None = model.shape_for_error_code(code)
    return shape


def _typed_extras(shape: Shape, extra: Mapping[str, str]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for name, text in extra.items():
        member = shape.members.get(name)
        if member is None or member.type_name in ("structure", "list", "map"):
            continue
        fmt = str(member.serialization.get("timestampFormat") or values.ISO8601)
        try:
            typed[name] = values.parse_scalar_text(member.type_name, text, fmt)
        except ValueError:
            continue
    return typed


# --------------------------------------------------------------------------- query


def _query_response(
    model: ServiceModel,
    op: OperationModel,
    output: Mapping[str, Any],
    request_id: str,
    status: int,
) -> WireResponse:
    root = ET.Element(f"{op.name}Response", _xmlns(model))
    shape = op.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper")
        target = ET.SubElement(root, str(wrapper)) if wrapper else root
        fill_element(target, shape, output, values.ISO8601)
    metadata = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(metadata, "RequestId").text = request_id
    return WireResponse(
        status=status, headers={"Content-Type": XML_CONTENT_TYPE}, body=to_document(root)
    )


def _query_error(model: ServiceModel, error: ServiceError, request_id: str) -> WireResponse:
    root = ET.Element("ErrorResponse", _xmlns(model))
    detail = ET.SubElement(root, "Error")
    ET.SubElement(detail, "Type").text = "Sender" if error.sender_fault else "Receiver"
    ET.SubElement(detail, "Code").text = error.code
    ET.SubElement(detail, "Message").text = error.message
    for name, text in error.extra.items():
        ET.SubElement(detail, name).text = text
    ET.SubElement(root, "RequestId").text = request_id
    return WireResponse(
        status=error.status, headers={"Content-Type": XML_CONTENT_TYPE}, body=to_document(root)
    )


def _xmlns(model: ServiceModel) -> dict[str, str]:
    namespace = model.metadata.get("xmlNamespace")
    return {"xmlns": str(namespace)} if namespace else {}


# --------------------------------------------------------------------------- rest-xml (S3)


def _s3_error(error: ServiceError, request_id: str) -> WireResponse:
    root = ET.Element("Error")
    ET.SubElement(root, "Code").text = error.code
    ET.SubElement(root, "Message").text = error.message
    for name, text in error.extra.items():
        ET.SubElement(root, name).text = text
    ET.SubElement(root, "RequestId").text = request_id
    ET.SubElement(root, "HostId").text = _host_id(request_id)
    return WireResponse(
        status=error.status, headers={"Content-Type": "application/xml"}, body=to_document(root)
    )
