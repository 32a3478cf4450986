"""json (SageMaker, Logs), rest-json (runtime) and query (STS, IAM) requests from real clients."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.protocol.oracle import capture
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.parse import parse_request, resolve_operation
from tsukuru.protocol.specs import service_model
from tsukuru.protocol.wire import Headers, WireRequest

# The CreateTrainingJob body the SDK v2 tutorial sends (reference/wire-calls.md, cell 7).
CREATE_TRAINING_JOB: dict[str, Any] = {
    "AlgorithmSpecification": {
        "TrainingInputMode": "File",
        "TrainingImage": "811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:latest",
    },
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/sagemaker/DEMO-xgboost-dm/output"},
    "TrainingJobName": "xgboost-2026-11-28-23-10-51-876",
    "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
    "ResourceConfig": {"VolumeSizeInGB": 30, "InstanceCount": 1, "InstanceType": "ml.m4.xlarge"},
    "RoleArn": "arn:aws:iam::123456789012:role/service-role/SageMakerRole",
    "InputDataConfig": [
        {
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": "s3://bucket/sagemaker/DEMO-xgboost-dm/train",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
            "ContentType": "csv",
            "ChannelName": "train",
        }
    ],
    "HyperParameters": {
        "max_depth": "5",
        "eta": "0.2",
        "gamma": "4",
        "min_child_weight": "6",
        "subsample": "0.8",
        "silent": "0",
        "objective": "binary:logistic",
        "num_round": "100",
    },
    "DebugHookConfig": {
        "S3OutputPath": "s3://bucket/sagemaker/DEMO-xgboost-dm/output",
        "CollectionConfigurations": [],
    },
    "ProfilerConfig": {
        "S3OutputPath": "s3://bucket/sagemaker/DEMO-xgboost-dm/output",
        "DisableProfiler": False,
    },
}


def round_trip(service: str, method: str, **params: Any) -> tuple[str, dict[str, Any]]:
    model = service_model(service)
    req = capture(service, method, **params)
    op = resolve_operation(model, req)
    return op.name, parse_request(model, op, req)


def test_create_training_job_full_tutorial_body() -> None:
    assert round_trip("sagemaker", "create_training_job", **CREATE_TRAINING_JOB) == (
        "CreateTrainingJob",
        CREATE_TRAINING_JOB,
    )


def test_list_training_jobs_time_filters() -> None:
    params = {
        "CreationTimeAfter": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "CreationTimeBefore": datetime(2024, 2, 1, 0, 0, 0, 500000, tzinfo=UTC),
        "LastModifiedTimeAfter": datetime(2023, 12, 31, tzinfo=UTC),
        "MaxResults": 10,
        "NameContains": "xgb",
        "StatusEquals": "Completed",
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
        "NextToken": "t",
    }
    assert round_trip("sagemaker", "list_training_jobs", **params) == ("ListTrainingJobs", params)


def test_other_sagemaker_calls_of_the_tutorial() -> None:
    model = {
        "ModelName": "m",
        "ExecutionRoleArn": "arn:aws:iam::1:role/R",
        "PrimaryContainer": {"Image": "img", "Environment": {}, "ModelDataUrl": "s3://b/m.tgz"},
    }
    assert round_trip("sagemaker", "create_model", **model) == ("CreateModel", model)
    config = {
        "EndpointConfigName": "c",
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": "m",
                "InitialVariantWeight": 1.0,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m4.xlarge",
            }
        ],
    }
    assert round_trip("sagemaker", "create_endpoint_config", **config) == (
        "CreateEndpointConfig",
        config,
    )
    assert round_trip("sagemaker", "describe_endpoint", EndpointName="e") == (
        "DescribeEndpoint",
        {"EndpointName": "e"},
    )


def test_invoke_endpoint_with_custom_headers() -> None:
    params = {
        "EndpointName": "xgboost-2026-11-28",
        "Body": b"1,2,3\n4,5,6\n",
        "ContentType": "text/csv",
        "Accept": "*/*",
        "CustomAttributes": "trace=1",
        "TargetVariant": "AllTraffic",
        "InferenceId": "inf-1",
    }
    assert round_trip("sagemaker-runtime", "invoke_endpoint", **params) == (
        "InvokeEndpoint",
        params,
    )


def test_logs_calls_the_sdk_makes() -> None:
    params = {
        "logGroupName": "/aws/sagemaker/TrainingJobs",
        "logStreamName": "job/algo-1-1700000000",
        "startTime": 0,
        "startFromHead": True,
        "nextToken": "f/00000000000000000000000000000000000000000000000000000000",
    }
    assert round_trip("logs", "get_log_events", **params) == ("GetLogEvents", params)
    describe = {
        "logGroupName": "/aws/sagemaker/TrainingJobs",
        "logStreamNamePrefix": "job/",
        "orderBy": "LogStreamName",
        "limit": 1,
    }
    assert round_trip("logs", "describe_log_streams", **describe) == (
        "DescribeLogStreams",
        describe,
    )


def test_sts_and_iam_query_protocol() -> None:
    assert round_trip("sts", "get_caller_identity") == ("GetCallerIdentity", {})
    assert round_trip("iam", "get_role", RoleName="SageMakerRole") == (
        "GetRole",
        {"RoleName": "SageMakerRole"},
    )
    tags = [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert round_trip("iam", "tag_role", RoleName="r", Tags=tags) == (
        "TagRole",
        {"RoleName": "r", "Tags": tags},
    )
    simulate = {"PolicySourceArn": "arn:aws:iam::1:role/R", "ActionNames": ["s3:Get*", "ecr:*"]}
    assert round_trip("iam", "simulate_principal_policy", **simulate) == (
        "SimulatePrincipalPolicy",
        simulate,
    )
    assume = {"RoleArn": "arn:aws:iam::1:role/R", "RoleSessionName": "sess", "DurationSeconds": 900}
    assert round_trip("sts", "assume_role", **assume) == ("AssumeRole", assume)


def test_query_empty_list_and_get_form() -> None:
    assert round_trip("iam", "tag_role", RoleName="r", Tags=[]) == (
        "TagRole",
        {"RoleName": "r", "Tags": []},
    )
    iam = service_model("iam")
    req = WireRequest(
        method="GET", raw_path="/", query_string="Action=GetRole&Version=2010-05-08&RoleName=x"
    )
    op = resolve_operation(iam, req)
    assert (op.name, parse_request(iam, op, req)) == ("GetRole", {"RoleName": "x"})


def _sagemaker(target: str, body: bytes) -> WireRequest:
    headers = Headers({"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    return WireRequest(method="POST", raw_path="/", headers=headers, body=body)


def test_json_errors_are_clean_400s() -> None:
    sagemaker = service_model("sagemaker")
    with pytest.raises(ServiceError) as caught:
        resolve_operation(sagemaker, _sagemaker("SageMaker.NoSuchThing", b"{}"))
    assert (caught.value.code, caught.value.status) == ("UnknownOperationException", 400)
    req = _sagemaker("SageMaker.DescribeTrainingJob", b"{not json")
    with pytest.raises(ServiceError) as caught:
        parse_request(sagemaker, resolve_operation(sagemaker, req), req)
    assert caught.value.code == "SerializationException"
    body = json.dumps({"TrainingJobName": 5}).encode()
    req = _sagemaker("SageMaker.DescribeTrainingJob", body)
    with pytest.raises(ServiceError) as caught:
        parse_request(sagemaker, resolve_operation(sagemaker, req), req)
    assert caught.value.code == "ValidationException"
    assert "trainingJobName" in caught.value.message


def test_json_missing_and_mistyped_members_are_all_reported() -> None:
    sagemaker = service_model("sagemaker")
    body = {**CREATE_TRAINING_JOB, "ResourceConfig": {"InstanceCount": "one"}}
    body["OutputDataConfig"] = {"KmsKeyId": "k"}  # S3OutputPath is required
    del body["RoleArn"]
    req = _sagemaker("SageMaker.CreateTrainingJob", json.dumps(body).encode())
    with pytest.raises(ServiceError) as caught:
        parse_request(sagemaker, resolve_operation(sagemaker, req), req)
    message = caught.value.message
    assert message.startswith("3 validation errors detected")
    assert "'roleArn'" in message
    assert "'resourceConfig.instanceCount'" in message
    assert "'outputDataConfig.s3OutputPath'" in message


def test_json_timestamps_accept_iso_strings_like_the_cli_sends() -> None:
    sagemaker = service_model("sagemaker")
    body = json.dumps({"CreationTimeAfter": "2024-01-02T03:04:05Z"}).encode()
    req = _sagemaker("SageMaker.ListTrainingJobs", body)
    params = parse_request(sagemaker, resolve_operation(sagemaker, req), req)
    assert params == {"CreationTimeAfter": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)}


def test_query_unknown_action_and_bad_types() -> None:
    iam = service_model("iam")
    with pytest.raises(ServiceError) as caught:
        resolve_operation(iam, WireRequest(method="POST", raw_path="/", body=b"Action=Nope"))
    assert (caught.value.code, caught.value.status) == ("InvalidAction", 400)
    sts = service_model("sts")
    req = WireRequest(
        method="POST",
        raw_path="/",
        body=b"Action=AssumeRole&RoleArn=a&RoleSessionName=s&DurationSeconds=soon",
    )
    with pytest.raises(ServiceError) as caught:
        parse_request(sts, resolve_operation(sts, req), req)
    assert (caught.value.code, caught.value.status) == ("ValidationError", 400)


def test_runtime_unknown_path_is_a_404() -> None:
    runtime = service_model("sagemaker-runtime")
    with pytest.raises(ServiceError) as caught:
        resolve_operation(runtime, WireRequest(method="POST", raw_path="/nowhere"))
    assert caught.value.status == 404
