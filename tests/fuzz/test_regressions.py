"""Every 500 the fuzzer found, pinned down as the smallest request that caused it.

Each test sends the request to an in-process platform and checks that the answer is now the
protocol's 4xx error (or, for the S3 listing, a well-formed document), and that botocore reads
it, which is what a real client needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from tests.fuzz.world import InProcessPlatform, in_process_platform, read_body
from tests.protocol.oracle import botocore_reads
from tsukuru.protocol.json_shapes import load_json
from tsukuru.protocol.values import parse_timestamp
from tsukuru.protocol.wire import Headers, WireRequest, WireResponse


@pytest.fixture(scope="module")
def world() -> Iterator[InProcessPlatform]:
    with in_process_platform() as running:
        yield running


def sagemaker_request(world: InProcessPlatform, operation: str, body: bytes) -> WireRequest:
    built = world.builder.build("sagemaker", operation, {})
    assert built is not None
    return replace(built, body=body)


def error_of(service: str, operation: str, response: WireResponse) -> dict[str, Any]:
    readable = WireResponse(response.status, response.headers, read_body(response))
    error: dict[str, Any] = botocore_reads(service, operation, readable)["Error"]
    return error


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"ModelName": "\\ud800"}', id="escaped lone surrogate"),
        pytest.param(b'{"ModelName": "\xed\xa0\x80"}', id="UTF-8-encoded surrogate"),
        pytest.param(b'{"ModelName": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", id="deep"),
    ],
)
def test_json_a_store_cannot_hold_is_a_serialization_error(
    world: InProcessPlatform, body: bytes
) -> None:
    response = world.send(sagemaker_request(world, "DescribeModel", body))
    assert response.status == 400
    assert error_of("sagemaker", "DescribeModel", response)["Code"] == "SerializationException"


def test_a_surrogate_pair_is_still_one_character() -> None:
    assert load_json(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    assert load_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


@pytest.mark.parametrize("value", [[1], {"a": 1}, 1e300, -1e300, 10**30])
def test_a_timestamp_of_the_wrong_type_or_range_is_a_validation_error(
    world: InProcessPlatform, value: Any
) -> None:
    body = json.dumps({"CreationTimeBefore": value}).encode()
    response = world.send(sagemaker_request(world, "ListEndpointConfigs", body))
    assert response.status == 400
    error = error_of("sagemaker", "ListEndpointConfigs", response)
    assert error["Code"] == "ValidationException"
    assert "creationTimeBefore" in error["Message"]


def test_parse_timestamp_raises_value_error_only() -> None:
    values: list[Any] = [[1], {}, 1e300, 2**70]
    for value in values:
        with pytest.raises(ValueError, match="timestamp"):
            parse_timestamp(value)


def test_an_s3_listing_that_echoes_a_nul_is_still_well_formed_xml(world: InProcessPlatform) -> None:
    request = world.builder.build("s3", "ListBuckets", {"Prefix": "a\x00b\x1f"})
    assert request is not None
    response = world.send(request)
    assert response.status == 200
    readable = WireResponse(response.status, response.headers, read_body(response))
    parsed = botocore_reads("s3", "ListBuckets", readable)
    assert parsed["Prefix"] == "a\ufffdb\ufffd"


@pytest.mark.parametrize("member", ["ContentType", "Accept", "CustomAttributes", "InferenceId"])
def test_invoke_endpoint_refuses_header_values_that_would_forge_headers(
    world: InProcessPlatform, member: str
) -> None:
    request = world.builder.build(
        "sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "any", "Body": b"1,2"}
    )
    assert request is not None
    wire_names = {
        "ContentType": "Content-Type",
        "Accept": "Accept",
        "CustomAttributes": "X-Amzn-SageMaker-Custom-Attributes",
        "InferenceId": "X-Amzn-SageMaker-Inference-Id",
    }
    headers = {**dict(request.headers), wire_names[member]: "text/csv\r\nX-Forged: 1"}
    response = world.send(replace(request, headers=Headers(headers)))
    assert response.status == 400
    error = error_of("sagemaker-runtime", "InvokeEndpoint", response)
    assert error["Code"] == "ValidationError"
