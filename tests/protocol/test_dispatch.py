"""The whole pipeline: real client requests in, botocore-readable responses out."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest

from tests.protocol.oracle import ACCESS_KEY, REGION, botocore_reads, capture
from tsukuru.protocol.context import Handler, Reply, RequestContext
from tsukuru.protocol.dispatch import Dispatcher
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.sigv4 import SigV4Credential
from tsukuru.protocol.wire import Headers, WireRequest, WireResponse

ACCOUNT = "123456789012"


class Missing(Exception):
    """Stands in for a domain error the services layer translates."""


def identify(cred: SigV4Credential | None) -> tuple[str, str]:
    return ACCOUNT, (cred.region if cred is not None and cred.region else "us-east-1")


def translate(exc: Exception) -> ServiceError | None:
    if isinstance(exc, Missing):
        return ServiceError("ResourceNotFound", str(exc))
    return None


def dispatcher(handlers: dict[str, dict[str, Handler]]) -> Dispatcher:
    return Dispatcher(handlers, identify, translate, logging.getLogger("tests.dispatch"))


def handle(d: Dispatcher, req: WireRequest) -> WireResponse:
    async def run() -> WireResponse:
        return await d.handle(req)

    return anyio.run(run)


def test_sync_handler_sees_context_and_params() -> None:
    seen: list[tuple[RequestContext, dict[str, Any]]] = []

    def get_role(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        seen.append((ctx, params))
        return {
            "Role": {
                "RoleName": params["RoleName"],
                "Arn": "arn",
                "Path": "/",
                "RoleId": "id",
                "CreateDate": 0,
            }
        }

    response = handle(
        dispatcher({"iam": {"GetRole": get_role}}), capture("iam", "get_role", RoleName="r")
    )
    assert response.status == 200
    parsed = botocore_reads("iam", "GetRole", response)
    assert parsed["Role"]["RoleName"] == "r"
    ctx, params = seen[0]
    assert params == {"RoleName": "r"}
    assert (ctx.service, ctx.operation, ctx.account_id, ctx.region, ctx.access_key) == (
        "iam",
        "GetRole",
        ACCOUNT,
        REGION,
        ACCESS_KEY,
    )
    assert response.headers["x-amzn-RequestId"] == ctx.request_id


def test_async_handler_and_reply_status() -> None:
    async def get_object(ctx: RequestContext, params: dict[str, Any]) -> Reply:
        return Reply(
            {"Body": b"llo", "ContentRange": "bytes 2-4/5", "ContentLength": 3},
            status=206,
            headers={"x-tsukuru-note": "partial"},
        )

    d = dispatcher({"s3": {"GetObject": get_object}})
    response = handle(d, capture("s3", "get_object", Bucket="b", Key="k", Range="bytes=2-4"))
    assert (response.status, response.body) == (206, b"llo")
    assert response.headers["x-tsukuru-note"] == "partial"
    assert response.headers["Content-Range"] == "bytes 2-4/5"


def test_aws_chunked_upload_reaches_the_handler_decoded() -> None:
    bodies: list[bytes] = []

    def put_object(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bodies.append(params["Body"])
        return {"ETag": '"etag"'}

    data = b"0123456789" * 10000
    req = capture(
        "s3", "put_object", endpoint="https://localhost:4590", Bucket="b", Key="k", Body=data
    )
    response = handle(dispatcher({"s3": {"PutObject": put_object}}), req)
    assert response.status == 200
    assert bodies == [data]
    assert response.headers["ETag"] == '"etag"'


def test_unimplemented_operation_is_a_501_naming_it() -> None:
    d = dispatcher({})
    response = handle(d, capture("sagemaker", "list_notebook_instances"))
    parsed = botocore_reads("sagemaker", "ListNotebookInstances", response)
    assert response.status == 501
    assert parsed["Error"]["Code"] == "NotImplementedException"
    assert "ListNotebookInstances" in parsed["Error"]["Message"]
    response = handle(d, capture("s3", "get_bucket_policy", Bucket="b"))
    parsed = botocore_reads("s3", "GetBucketPolicy", response)
    assert (response.status, parsed["Error"]["Code"]) == (501, "NotImplemented")


def test_handler_crash_is_a_logged_500_in_the_protocol_shape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("secret internal detail")

    d = dispatcher({"s3": {"ListBuckets": boom}, "sagemaker": {"ListModels": boom}})
    with caplog.at_level(logging.ERROR, logger="tests.dispatch"):
        response = handle(d, capture("s3", "list_buckets"))
    parsed = botocore_reads("s3", "ListBuckets", response)
    assert (response.status, parsed["Error"]["Code"]) == (500, "InternalError")
    assert b"secret internal detail" not in bytes(response.body)  # type: ignore[arg-type]
    assert "secret internal detail" in caplog.text
    assert "Traceback" in caplog.text
    response = handle(d, capture("sagemaker", "list_models"))
    parsed = botocore_reads("sagemaker", "ListModels", response)
    assert (response.status, parsed["Error"]["Code"]) == (500, "InternalFailure")


def test_bad_handler_output_is_a_500_not_a_crash() -> None:
    def wrong(ctx: RequestContext, params: dict[str, Any]) -> Any:
        return ["not", "a", "dict"]

    response = handle(
        dispatcher({"sts": {"GetCallerIdentity": wrong}}), capture("sts", "get_caller_identity")
    )
    assert response.status == 500
    assert botocore_reads("sts", "GetCallerIdentity", response)["Error"]["Code"] == (
        "InternalFailure"
    )


def test_translated_and_service_errors() -> None:
    def missing(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        raise Missing(f"Could not find endpoint {params['EndpointName']}")

    def refused(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        raise ServiceError(
            "NoSuchBucket",
            "The specified bucket does not exist",
            404,
            extra={"BucketName": params["Bucket"]},
        )

    d = dispatcher(
        {
            "sagemaker": {"DescribeEndpoint": missing},
            "s3": {"HeadBucket": refused, "ListObjects": refused},
        }
    )
    response = handle(d, capture("sagemaker", "describe_endpoint", EndpointName="e"))
    parsed = botocore_reads("sagemaker", "DescribeEndpoint", response)
    assert parsed["Error"] == {"Code": "ResourceNotFound", "Message": "Could not find endpoint e"}
    response = handle(d, capture("s3", "head_bucket", Bucket="b"))
    assert botocore_reads("s3", "HeadBucket", response)["Error"]["Code"] == "404"
    response = handle(d, capture("s3", "list_objects", Bucket="b"))
    assert botocore_reads("s3", "ListObjects", response)["Error"]["BucketName"] == "b"


def test_unroutable_and_unparsable_requests_answer_cleanly() -> None:
    d = dispatcher({})
    req = WireRequest(
        method="POST",
        raw_path="/",
        headers=Headers({"X-Amz-Target": "Nope_2020.DoIt", "Content-Type": "application/json"}),
        body=b"{}",
    )
    response = handle(d, req)
    assert response.status == 400
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert response.headers["x-amzn-RequestId"]
    malformed = WireRequest(method="POST", raw_path="/b", query_string="delete", body=b"<Delete")
    response = handle(d, malformed)
    parsed = botocore_reads("s3", "DeleteObjects", response)
    assert (response.status, parsed["Error"]["Code"]) == (400, "MalformedXML")


def test_every_request_gets_its_own_id() -> None:
    d = dispatcher({})
    ids = {handle(d, capture("s3", "list_buckets")).headers["x-amz-request-id"] for _ in range(3)}
    assert len(ids) == 3
