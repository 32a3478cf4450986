"""Our responses, read back by botocore's own response parsers, must equal what we wrote."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.handlers import parse_get_bucket_location

from tests.protocol.oracle import botocore_reads
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.serialize import serialize_error, serialize_response
from tsukuru.protocol.specs import service_model
from tsukuru.protocol.wire import FilePayload, WireResponse

WHEN = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
WHOLE_SECOND = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def respond(
    service: str, operation: str, output: dict[str, Any], method: str = "POST", **kw: Any
) -> WireResponse:
    model = service_model(service)
    return serialize_response(
        model, model.operation_model(operation), output, request_id="req-1", method=method, **kw
    )


def read_back(service: str, operation: str, response: WireResponse) -> dict[str, Any]:
    parsed = botocore_reads(service, operation, response)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["RequestId"] == "req-1"
    return parsed


def fail(
    service: str, error: ServiceError, operation: str, method: str = "POST"
) -> tuple[WireResponse, dict[str, Any]]:
    model = service_model(service)
    response = serialize_error(
        model, error, request_id="req-1", method=method, op=model.operation_model(operation)
    )
    return response, botocore_reads(service, operation, response)


def test_list_objects_v2_with_common_prefixes() -> None:
    output = {
        "IsTruncated": True,
        "Contents": [
            {"Key": "a.csv", "LastModified": WHEN, "ETag": '"e1"', "Size": 3},
            {"Key": "b c.csv", "LastModified": WHEN, "ETag": '"e2"', "Size": 0},
        ],
        "Name": "bucket",
        "Prefix": "",
        "Delimiter": "/",
        "MaxKeys": 2,
        "CommonPrefixes": [{"Prefix": "train/"}, {"Prefix": "test/"}],
        "KeyCount": 4,
        "NextContinuationToken": "next",
    }
    response = respond("s3", "ListObjectsV2", output, method="GET")
    assert response.headers["x-amz-request-id"] == "req-1"
    assert b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' in bytes(
        response.body  # type: ignore[arg-type]
    )
    assert read_back("s3", "ListObjectsV2", response) == output


def test_get_object_headers_metadata_and_bytes() -> None:
    output = {
        "Body": b"\x00binary\xff",
        "ContentLength": 8,
        "ContentType": "application/octet-stream",
        "ETag": '"abc"',
        "LastModified": WHOLE_SECOND,
        "Metadata": {"purpose": "training"},
        "ChecksumCRC32": "AAAAAA==",
        "AcceptRanges": "bytes",
        "ContentRange": "bytes 0-7/100",
    }
    response = respond("s3", "GetObject", output, method="GET", status=206)
    assert response.status == 206
    assert response.headers["Last-Modified"] == "Mon, 06 May 2024 07:08:09 GMT"
    assert response.body == output["Body"]
    parsed = read_back("s3", "GetObject", response)
    assert parsed == output


def test_file_payload_passes_through_untouched(tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(b"0123456789")
    payload = FilePayload(str(blob), offset=2, length=4)
    response = respond("s3", "GetObject", {"Body": payload, "ContentLength": 4}, method="GET")
    assert response.body is payload


def test_head_responses_have_no_body() -> None:
    response = respond("s3", "HeadObject", {"ContentLength": 10, "ETag": '"x"'}, method="HEAD")
    assert response.body == b""
    assert response.headers["Content-Length"] == "10"


def test_list_buckets_and_get_bucket_location() -> None:
    output = {
        "Buckets": [{"Name": "a", "CreationDate": WHEN}, {"Name": "b", "CreationDate": WHEN}],
        "Owner": {"ID": "owner-id", "DisplayName": "me"},
    }
    response = respond("s3", "ListBuckets", output, method="GET")
    assert read_back("s3", "ListBuckets", response) == output
    location = respond("s3", "GetBucketLocation", {"LocationConstraint": "eu-west-1"}, "GET")
    assert location.body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1'
        b"</LocationConstraint>"
    )
    # botocore reads this document with a customization rather than the generic parser
    http = AWSResponse("http://localhost/b", 200, {}, _Raw(bytes(location.body)))
    parsed: dict[str, Any] = {}
    parse_get_bucket_location(parsed, http)
    assert parsed == {"LocationConstraint": "eu-west-1"}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def test_s3_multipart_and_copy_results() -> None:
    created = {"Bucket": "b", "Key": "k", "UploadId": "u-1"}
    response = respond("s3", "CreateMultipartUpload", created)
    assert b"<InitiateMultipartUploadResult" in bytes(response.body)  # type: ignore[arg-type]
    assert read_back("s3", "CreateMultipartUpload", response) == created
    copied = {"CopyObjectResult": {"ETag": '"e"', "LastModified": WHEN}, "VersionId": "v"}
    response = respond("s3", "CopyObject", copied, method="PUT")
    assert read_back("s3", "CopyObject", response) == copied
    deleted = {"Deleted": [{"Key": "a"}, {"Key": "b"}], "Errors": [{"Key": "c", "Code": "X"}]}
    assert read_back("s3", "DeleteObjects", respond("s3", "DeleteObjects", deleted)) == deleted


def test_s3_status_code_defaults_from_the_spec() -> None:
    response = respond("s3", "DeleteObject", {}, method="DELETE")
    assert (response.status, response.body) == (204, b"")


def test_describe_training_job_timestamps_and_nested_lists() -> None:
    output = {
        "TrainingJobName": "job",
        "TrainingJobArn": "arn:aws:sagemaker:eu-west-1:123456789012:training-job/job",
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "CreationTime": WHEN,
        "TrainingStartTime": WHEN,
        "LastModifiedTime": WHEN,
        "SecondaryStatusTransitions": [
            {"Status": "Starting", "StartTime": WHEN, "EndTime": WHEN, "StatusMessage": "go"},
            {"Status": "Training", "StartTime": WHEN, "StatusMessage": "train"},
        ],
        "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
        "ResourceConfig": {
            "InstanceType": "ml.m4.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "HyperParameters": {"eta": "0.2", "num_round": "100"},
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/out/job/output/model.tar.gz"},
        "FinalMetricDataList": [{"MetricName": "train:auc", "Value": 0.93, "Timestamp": WHEN}],
        "TrainingTimeInSeconds": 42,
        "BillableTimeInSeconds": 42,
        "EnableManagedSpotTraining": False,
    }
    response = respond("sagemaker", "DescribeTrainingJob", output)
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-RequestId"] == "req-1"
    assert read_back("sagemaker", "DescribeTrainingJob", response) == output


def test_unknown_keys_and_nones_are_dropped() -> None:
    response = respond("sagemaker", "CreateModel", {"ModelArn": "arn", "Internal": 1, "X": None})
    assert read_back("sagemaker", "CreateModel", response) == {"ModelArn": "arn"}


def test_get_log_events() -> None:
    output = {
        "events": [
            {"timestamp": 1700000000000, "message": "[0]\ttrain-auc:0.9", "ingestionTime": 17},
        ],
        "nextForwardToken": "f/1",
        "nextBackwardToken": "b/1",
    }
    response = respond("logs", "GetLogEvents", output)
    assert read_back("logs", "GetLogEvents", response) == output


def test_sts_and_iam() -> None:
    identity = {
        "UserId": "AROAEXAMPLE:session",
        "Account": "123456789012",
        "Arn": "arn:aws:sts::123456789012:assumed-role/SageMakerRole/session",
    }
    response = respond("sts", "GetCallerIdentity", identity)
    assert b"<GetCallerIdentityResult>" in bytes(response.body)  # type: ignore[arg-type]
    assert read_back("sts", "GetCallerIdentity", response) == identity
    role = {
        "Role": {
            "Path": "/service-role/",
            "RoleName": "SageMakerRole",
            "RoleId": "AROAEXAMPLE",
            "Arn": "arn:aws:iam::123456789012:role/service-role/SageMakerRole",
            "CreateDate": WHEN,
            "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D",
            "MaxSessionDuration": 3600,
            "Tags": [{"Key": "team", "Value": "ml"}],
        }
    }
    assert read_back("iam", "GetRole", respond("iam", "GetRole", role)) == role


def test_invoke_endpoint_raw_body_and_headers() -> None:
    output = {
        "Body": b"0.1,0.9,0.5",
        "ContentType": "text/csv; charset=utf-8",
        "InvokedProductionVariant": "AllTraffic",
        "CustomAttributes": "x=1",
    }
    response = respond("sagemaker-runtime", "InvokeEndpoint", output)
    assert response.body == b"0.1,0.9,0.5"
    assert response.headers["x-Amzn-Invoked-Production-Variant"] == "AllTraffic"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    parsed = read_back("sagemaker-runtime", "InvokeEndpoint", response)
    assert parsed == output


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("service", "operation", "code", "status"),
    [
        ("sagemaker", "DescribeTrainingJob", "ValidationException", 400),
        ("sagemaker", "DescribeEndpoint", "ResourceNotFound", 400),
        ("logs", "GetLogEvents", "ResourceNotFoundException", 400),
        ("sts", "GetCallerIdentity", "InvalidClientTokenId", 403),
        ("iam", "GetRole", "NoSuchEntity", 404),
        ("s3", "GetObject", "NoSuchKey", 404),
        ("sagemaker-runtime", "InvokeEndpoint", "ValidationError", 400),
    ],
)
def test_botocore_reads_code_and_message(
    service: str, operation: str, code: str, status: int
) -> None:
    response, parsed = fail(service, ServiceError(code, "it went wrong", status), operation)
    assert response.status == status
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == "it went wrong"
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"


def test_head_404_reads_as_bare_status() -> None:
    response, parsed = fail(
        "s3", ServiceError("NoSuchBucket", "gone", 404), "HeadBucket", method="HEAD"
    )
    assert response.body == b""
    assert parsed["Error"] == {"Code": "404", "Message": "Not Found"}


def test_s3_error_extra_fields_and_headers() -> None:
    error = ServiceError(
        "NoSuchKey",
        "The specified key does not exist.",
        404,
        extra={"Key": "a/b"},
        headers={"x-amz-delete-marker": "true"},
    )
    response, parsed = fail("s3", error, "GetObject", method="GET")
    assert parsed["Error"] == {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
        "Key": "a/b",
    }
    assert response.headers["x-amz-delete-marker"] == "true"
    assert response.headers["x-amz-request-id"] == "req-1"
    assert response.headers["x-amz-id-2"]


def test_model_error_carries_its_modeled_members_typed() -> None:
    error = ServiceError(
        "ModelError",
        "Received server error (500) from primary",
        424,
        extra={
            "OriginalStatusCode": "500",
            "OriginalMessage": "boom",
            "LogStreamArn": "arn:aws:logs:eu-west-1:1:log-group:/aws/sagemaker/Endpoints/e",
        },
    )
    response, parsed = fail("sagemaker-runtime", error, "InvokeEndpoint")
    assert response.headers["x-amzn-ErrorType"] == "ModelError"
    assert parsed["Error"]["Code"] == "ModelError"
    assert parsed["Error"]["OriginalStatusCode"] == 500
    assert parsed["Error"]["OriginalMessage"] == "boom"
    assert parsed["Error"]["LogStreamArn"].endswith("/aws/sagemaker/Endpoints/e")


def test_query_error_shape_and_fault_type() -> None:
    response, parsed = fail(
        "iam", ServiceError("ServiceFailure", "oops", 500, sender_fault=False), "GetRole"
    )
    assert b"<ErrorResponse" in bytes(response.body)  # type: ignore[arg-type]
    assert parsed["Error"]["Type"] == "Receiver"
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"
