"""Which AWS service a request on the shared port is for.

Every client talks to one `AWS_ENDPOINT_URL`, so the Host header says nothing. In order:

1. `X-Amz-Target: SageMaker.*` / `Logs_20140328.*` names a json service outright;
2. otherwise the SigV4 credential scope names it: `s3`, `sts`, `iam`; both SageMaker clients
   sign as `sagemaker`, and the one without a target is the runtime
   (`POST /endpoints/{name}/invocations`);
3. an unsigned request (a presigned v2 URL, `curl http://host/bucket/key`) is S3, unless a form
   body or query string carries `Action=`, in which case the query service that defines that
   action (STS or IAM) gets it.
"""

from __future__ import annotations

from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.parse import form_parameters
from tsukuru.protocol.sigv4 import SigV4Credential
from tsukuru.protocol.specs import json_target_prefixes, service_model
from tsukuru.protocol.wire import WireRequest

QUERY_SERVICES = ("sts", "iam")
_SCOPE_SERVICES = {
    "s3": "s3",
    "s3express": "s3",  # directory-bucket operations sign with this name
    "s3-object-lambda": "s3",  # WriteGetObjectResponse
    "sts": "sts",
    "iam": "iam",
    "sagemaker": "sagemaker-runtime",
}


def route(req: WireRequest, cred: SigV4Credential | None) -> str:
    """The botocore service name the request is for; a 400 ServiceError if none is served."""
    target = req.headers.get("X-Amz-Target")
    if target:
        prefix = target.partition(".")[0]
        service = json_target_prefixes().get(prefix)
        if service is None:
            raise ServiceError(
                "UnknownOperationException",
                f"tsukuru does not serve X-Amz-Target {target!r}; it serves "
                + ", ".join(f"{p}.*" for p in sorted(json_target_prefixes())),
            )
        return service
    if cred is not None and cred.version == 4:
        service = _SCOPE_SERVICES.get(cred.service)
        if service is None:
            raise ServiceError(
                "InvalidAction",
                f"tsukuru does not serve the {cred.service!r} API (credential scope); it serves "
                "s3, sagemaker, sagemaker-runtime, logs, sts and iam",
            )
        return service
    action = _action(req)
    if action is not None:
        return _query_service_for(action)
    return "s3"


def fallback_service(req: WireRequest) -> str:
    """The service whose error format suits a request that could not be routed."""
    if req.headers.get("X-Amz-Target"):
        return "sagemaker"
    try:
        action = _action(req)
    except ServiceError:
        action = None
    return "sts" if action is not None else "s3"


def _action(req: WireRequest) -> str | None:
    if req.method.upper() not in ("GET", "POST"):
        return None
    if "Action=" not in req.query_string and b"Action=" not in req.body[:4096]:
        return None
    return form_parameters(req).get("Action")


def _query_service_for(action: str) -> str:
    for service in QUERY_SERVICES:
        if action in service_model(service).operation_names:
            return service
    raise ServiceError(
        "InvalidAction", f"Could not find operation {action} in any service tsukuru serves"
    )
