"""From a `WireRequest` to an operation and its parameters, for every protocol tsukuru speaks.

`resolve_operation` (or `resolve_route`, which also returns the path labels) finds the botocore
operation (by `X-Amz-Target` for json, by `Action` for query, by method + path + query markers
for the REST protocols) and `parse_request` walks its input shape to rebuild the very dict the
client passed to boto3. Anything the client got wrong becomes a `ServiceError` in its protocol's
vocabulary (`SerializationException`, `MalformedXML`, `ValidationException`, `InvalidAction`,
...), never an exception of ours.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from botocore.model import OperationModel, ServiceModel

from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.json_shapes import decode_json_object, params_from_json
from tsukuru.protocol.parse_rest import parse_rest_request
from tsukuru.protocol.problems import VALIDATION_CODES, InputProblems
from tsukuru.protocol.query_shapes import params_from_form
from tsukuru.protocol.rest_routes import allowed_methods, match_route
from tsukuru.protocol.wire import WireRequest

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def resolve_operation(model: ServiceModel, req: WireRequest) -> OperationModel:
    return resolve_route(model, req)[0]


def resolve_route(
    model: ServiceModel, req: WireRequest
) -> tuple[OperationModel, dict[str, str] | None]:
    """The operation, and for the REST protocols the path labels its route captured (so that
    `parse_request` need not match the route a second time)."""
    protocol = model.protocol
    if protocol == "json":
        return model.operation_model(_json_operation_name(model, req)), None
    if protocol == "query":
        return model.operation_model(_query_operation_name(model, req)), None
    found = match_route(model.service_name, req)
    if found is None:
        raise _no_route(model, req)
    return model.operation_model(found.operation), found.labels


def parse_request(
    model: ServiceModel,
    op: OperationModel,
    req: WireRequest,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`labels`: the path labels `resolve_route` found for `op` (matched here when not given)."""
    protocol = model.protocol
    if protocol == "json":
        return _parse_json(op, req)
    if protocol == "query":
        return _parse_query(op, req)
    if labels is None:
        found = match_route(model.service_name, req)
        labels = found.labels if found is not None and found.operation == op.name else {}
    return parse_rest_request(protocol, op, req, labels)


# --------------------------------------------------------------------------- json


def _json_operation_name(model: ServiceModel, req: WireRequest) -> str:
    target = req.headers.get("X-Amz-Target", "")
    prefix, _, name = target.partition(".")
    if prefix != model.metadata.get("targetPrefix") or name not in model.operation_names:
        raise ServiceError(
            code="UnknownOperationException",
            message=f"Unknown operation {target!r} for {model.service_name}",
        )
    return name


def _parse_json(op: OperationModel, req: WireRequest) -> dict[str, Any]:
    if op.input_shape is None:
        return {}
    document = decode_json_object(req.body) if req.body.strip() else {}
    problems = InputProblems()
    params = params_from_json(op.input_shape, document, problems)
    problems.raise_if_any(VALIDATION_CODES["json"])
    return params if isinstance(params, dict) else {}


# --------------------------------------------------------------------------- query


def form_parameters(req: WireRequest) -> dict[str, str]:
    """Query-string parameters merged with a form-encoded body (the body wins)."""
    form = dict(req.query)
    content_type = req.headers.get("Content-Type", "").lower()
    if req.body and (FORM_CONTENT_TYPE in content_type or not content_type):
        try:
            text = req.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ServiceError("MalformedQueryString", "The form body is not UTF-8") from exc
        form.update(parse_qsl(text, keep_blank_values=True))
    return form


def _query_operation_name(model: ServiceModel, req: WireRequest) -> str:
    action = form_parameters(req).get("Action")
    if not action:
        raise ServiceError("MissingAction", "The request must contain the parameter Action")
    if action not in model.operation_names:
        raise ServiceError(
            "InvalidAction",
            f"Could not find operation {action} for version {model.api_version}",
        )
    return action


def _parse_query(op: OperationModel, req: WireRequest) -> dict[str, Any]:
    if op.input_shape is None:
        return {}
    problems = InputProblems()
    params = params_from_form(op.input_shape, form_parameters(req), problems)
    problems.raise_if_any(VALIDATION_CODES["query"])
    return params


# --------------------------------------------------------------------------- rest


def _no_route(model: ServiceModel, req: WireRequest) -> ServiceError:
    if model.protocol == "rest-xml":
        methods = allowed_methods(model.service_name, req.raw_path)
        if methods and req.method.upper() not in methods:
            return ServiceError(
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                status=405,
                extra={"Method": req.method.upper(), "ResourceType": "OBJECT"},
            )
        return ServiceError(
            "InvalidRequest",
            f"tsukuru does not recognise {req.method} {req.raw_path} as an S3 operation",
        )
    return ServiceError(
        "UnknownOperationException",
        f"No {model.service_name} operation matches {req.method} {req.raw_path}",
        status=404,
    )
