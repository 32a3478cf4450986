"""What every fuzzed response must satisfy, whichever layer sent the request.

* never a 500 (nor a 502/504: a broken model server is the model's error, answered as such);
* an error reads back through botocore's own parser as that protocol's error shape, with a
  code, so a real client raises a proper `ClientError` instead of choking on the body;
* a success reads back through botocore too;
* a request no correct server accepts (`FuzzCase.must_fail`) is answered with a 4xx.

Operations that start real work (a notebook server, an endpoint, a job) are undone after a
successful fuzz call (`undo`), so a few thousand examples do not leave a machine full of
processes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from tests.fuzz.requests import FuzzCase
from tests.protocol.oracle import botocore_reads
from tsukuru.protocol.parse import resolve_operation
from tsukuru.protocol.routing import fallback_service, route
from tsukuru.protocol.sigv4 import parse_sigv4
from tsukuru.protocol.specs import service_model
from tsukuru.protocol.wire import WireResponse

ALLOWED_5XX = (501, 503)  # not implemented (a mutated route), endpoint not available yet
UNDO = {  # operation that starts work → (operation that stops it, member naming the resource)
    "CreateNotebookInstance": ("StopNotebookInstance", "NotebookInstanceName"),
    "StartNotebookInstance": ("StopNotebookInstance", "NotebookInstanceName"),
    "CreateEndpoint": ("DeleteEndpoint", "EndpointName"),
    "CreateTrainingJob": ("StopTrainingJob", "TrainingJobName"),
    "CreateTransformJob": ("StopTransformJob", "TransformJobName"),
}


def problems(case: FuzzCase, response: WireResponse, body: bytes) -> list[str]:
    """Everything wrong with `response` as the answer to `case` (empty when all is well)."""
    found: list[str] = []
    status = response.status
    if status >= 500 and status not in ALLOWED_5XX:
        found.append(f"answered {status}")
    if case.must_fail and status < 400:
        found.append(f"accepted an invalid request ({status})")
    if case.request.method.upper() == "HEAD" and answered_by(case)[0] != "s3":
        return found  # a HEAD answer has no body; only S3 defines HEAD operations to read
    try:
        parsed = _botocore_reads(case, response, body)
    except Exception as exc:  # botocore could not read it: a client would crash
        found.append(f"botocore cannot parse the response: {exc!r}")
        return found
    if status >= 300 and status != 304 and not parsed.get("Error", {}).get("Code"):
        found.append(f"error response without an error code: {parsed!r:.300}")
    return found


def _botocore_reads(case: FuzzCase, response: WireResponse, body: bytes) -> dict[str, Any]:
    readable = WireResponse(status=response.status, headers=response.headers, body=body)
    service, operation = answered_by(case)
    return botocore_reads(service, operation, readable)


def answered_by(case: FuzzCase) -> tuple[str, str]:
    """The service and operation the platform took the request for (a mutated path, method or
    target header may have turned it into another one), as the dispatcher decides it."""
    request = case.request
    try:
        service = route(request, parse_sigv4(request))
    except Exception:
        service = fallback_service(request)
    model = service_model(service)
    with contextlib.suppress(Exception):
        return service, resolve_operation(model, request).name
    if case.operation in model.operation_names:
        return service, case.operation
    return service, model.operation_names[0]


def report(case: FuzzCase, response: WireResponse, body: bytes, found: list[str]) -> str:
    return (
        "; ".join(found)
        + f"\n--- request\n{case.describe()}\n--- response {response.status}"
        + f"\n{dict(response.headers)!r}\n{body[:600]!r}"
    )


def undo(case: FuzzCase, status: int, call: Callable[..., Any]) -> None:
    """Stop whatever a successful fuzzed Create*/Start* set going (best effort)."""
    if status >= 300 or case.operation not in UNDO:
        return
    operation, member = UNDO[case.operation]
    try:
        name = json.loads(case.request.body)[member]
        call(case.service, operation, **{member: name})
    except Exception:
        pass  # already stopped, or the name was not what it seemed: the platform cleans up
