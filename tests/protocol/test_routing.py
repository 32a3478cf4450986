"""Every client shares one port: the service comes from the target, the scope, or the body."""

from __future__ import annotations

from typing import Any

import pytest

from tests.protocol.oracle import capture
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.routing import fallback_service, route
from tsukuru.protocol.sigv4 import parse_sigv4
from tsukuru.protocol.wire import Headers, WireRequest


def routed(req: WireRequest) -> str:
    return route(req, parse_sigv4(req))


@pytest.mark.parametrize(
    ("service", "method", "params"),
    [
        ("sagemaker", "list_training_jobs", {}),
        ("sagemaker-runtime", "invoke_endpoint", {"EndpointName": "e", "Body": b"1"}),
        ("logs", "describe_log_streams", {"logGroupName": "g"}),
        ("s3", "list_buckets", {}),
        ("s3", "put_object", {"Bucket": "b", "Key": "k", "Body": b"x"}),
        ("sts", "get_caller_identity", {}),
        ("iam", "get_role", {"RoleName": "r"}),
    ],
)
def test_real_clients_reach_their_service(
    service: str, method: str, params: dict[str, Any]
) -> None:
    assert routed(capture(service, method, **params)) == service


def test_unsigned_requests() -> None:
    assert routed(WireRequest(method="GET", raw_path="/bucket/key")) == "s3"
    form = WireRequest(
        method="POST",
        raw_path="/",
        headers=Headers({"Content-Type": "application/x-www-form-urlencoded"}),
        body=b"Action=GetCallerIdentity&Version=2011-06-15",
    )
    assert routed(form) == "sts"
    iam = WireRequest(method="GET", raw_path="/", query_string="Action=ListRoles")
    assert routed(iam) == "iam"
    v2 = WireRequest(method="GET", raw_path="/b/k", query_string="AWSAccessKeyId=A&Signature=s")
    assert routed(v2) == "s3"


def test_unsigned_json_target() -> None:
    req = WireRequest(
        method="POST", raw_path="/", headers=Headers({"X-Amz-Target": "Logs_20140328.GetLogEvents"})
    )
    assert routed(req) == "logs"


def test_unknown_target_and_unknown_scope_are_400s() -> None:
    req = WireRequest(
        method="POST", raw_path="/", headers=Headers({"X-Amz-Target": "DynamoDB_20120810.Scan"})
    )
    with pytest.raises(ServiceError) as caught:
        routed(req)
    assert (caught.value.code, caught.value.status) == ("UnknownOperationException", 400)
    assert fallback_service(req) == "sagemaker"
    ecr = WireRequest(
        method="POST",
        raw_path="/",
        headers=Headers(
            {
                "Authorization": "AWS4-HMAC-SHA256 "
                "Credential=A/20240101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=00"
            }
        ),
    )
    with pytest.raises(ServiceError) as caught:
        routed(ecr)
    assert (caught.value.code, caught.value.status) == ("InvalidAction", 400)
    unknown_action = WireRequest(method="POST", raw_path="/", body=b"Action=Frobnicate")
    with pytest.raises(ServiceError):
        routed(unknown_action)
    assert fallback_service(unknown_action) == "sts"
    assert fallback_service(WireRequest(method="GET", raw_path="/b")) == "s3"
