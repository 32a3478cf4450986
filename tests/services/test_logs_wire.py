"""CloudWatch Logs through the whole wire pipeline with a real boto3 `logs` client.

The client's HTTP send is replaced by a call into the dispatcher (no sockets), so these tests
exercise botocore's serializer, our parser, the handlers, our serializer and botocore's parser
together — and re-enact the SageMaker SDK v2 log-tailing loop call for call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from urllib3._collections import HTTPHeaderDict

from tests.protocol.oracle import to_wire
from tsukuru.domain.clock import ManualClock
from tsukuru.domain.logs import LogService
from tsukuru.domain.logs_names import epoch_ms
from tsukuru.domain.scope import Scope
from tsukuru.protocol.dispatch import Dispatcher
from tsukuru.protocol.sigv4 import SigV4Credential
from tsukuru.services.logs import LogsService
from tsukuru.store.memory import MemoryMetadata

ACCOUNT = "123456789012"
REGION = "us-east-1"
GROUP = "/aws/sagemaker/TrainingJobs"


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class Platform:
    """The logs service behind a dispatcher, and a boto3 client wired straight into it."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.service = LogService(MemoryMetadata().logs, self.clock)
        self.calls: list[str] = []
        self.dispatcher = Dispatcher(
            {"logs": LogsService(self.service).handlers()},
            self._identify,
            lambda exc: None,
            logging.getLogger("test-logs-wire"),
        )
        self.client = boto3.session.Session().client(
            "logs",
            endpoint_url="http://localhost:4590",
            region_name=REGION,
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
            config=Config(retries={"max_attempts": 1}),
        )
        self.client.meta.events.register("before-send", self._send)

    @staticmethod
    def _identify(cred: SigV4Credential | None) -> tuple[str, str]:
        return ACCOUNT, cred.region if cred is not None and cred.region else REGION

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        wire = to_wire(request)
        self.calls.append(wire.headers.get("X-Amz-Target", "").split(".")[-1])
        response = asyncio.run(self.dispatcher.handle(wire))
        body = response.body
        assert isinstance(body, bytes)
        return AWSResponse(
            request.url, response.status, HTTPHeaderDict(response.headers), _Body(body)
        )

    def write(self, stream: str, lines: list[tuple[int, str]]) -> None:
        self.service.write_lines(Scope(ACCOUNT, REGION), GROUP, stream, lines)


@pytest.fixture
def platform() -> Platform:
    return Platform()


def sdk_v2_poll(client: Any, job: str, instance_count: int, positions: dict[str, Any]) -> list[str]:
    """SageMaker SDK v2's `_flush_log_streams` and `log_stream` against a real client: the
    DescribeLogStreams re-ask without the token, GetLogEvents with startTime and startFromHead
    until an empty page, and the per-stream (timestamp, skip) positions."""
    try:
        streams = client.describe_log_streams(
            logGroupName=GROUP,
            logStreamNamePrefix=job + "/",
            orderBy="LogStreamName",
            limit=min(instance_count, 50),
        )
        names = [s["logStreamName"] for s in streams["logStreams"]]
        while "nextToken" in streams:
            streams = client.describe_log_streams(
                logGroupName=GROUP, logStreamNamePrefix=job + "/", orderBy="LogStreamName", limit=50
            )
            names.extend(s["logStreamName"] for s in streams["logStreams"])
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise  # the SDK tolerates only a missing group
        return []
    shown: list[str] = []
    for name in names:
        start, skip = positions.get(name, (0, 0))
        token_arg: dict[str, str] = {}
        while True:
            response = client.get_log_events(
                logGroupName=GROUP,
                logStreamName=name,
                startTime=start,
                startFromHead=True,
                **token_arg,
            )
            token_arg = {"nextToken": response["nextForwardToken"]}
            if not response["events"]:
                break
            for event in response["events"]:
                if skip:
                    skip -= 1
                    continue
                shown.append(event["message"])
                last, count = positions.get(name, (0, 0))
                same = event["timestamp"] == last
                positions[name] = (last, count + 1) if same else (event["timestamp"], 1)
    return shown


def test_sdk_v2_tailing_loop_over_the_wire(platform: Platform) -> None:
    job = "xgboost-2026-01-01-00-00-00-000"
    positions: dict[str, Any] = {}
    assert sdk_v2_poll(platform.client, job, 1, positions) == []
    base = epoch_ms(platform.clock.now())
    stream = f"{job}/algo-1-1767225600"
    platform.write(stream, [(base, "Arguments: train"), (base, "[0]#011train-error:0.1")])
    assert sdk_v2_poll(platform.client, job, 1, positions) == [
        "Arguments: train",
        "[0]#011train-error:0.1",
    ]
    platform.calls.clear()
    assert sdk_v2_poll(platform.client, job, 1, positions) == []
    # the events at the last timestamp come again (and are skipped), then the empty page
    assert platform.calls == ["DescribeLogStreams", "GetLogEvents", "GetLogEvents"]
    platform.write(stream, [(base, "[1]#011train-error:0.09"), (base + 5, "done")])
    assert sdk_v2_poll(platform.client, job, 1, positions) == ["[1]#011train-error:0.09", "done"]


def test_wire_errors_and_paging(platform: Platform) -> None:
    client = platform.client
    with pytest.raises(ClientError) as missing:
        client.describe_log_streams(logGroupName=GROUP)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    client.create_log_group(logGroupName=GROUP)
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
        client.create_log_group(logGroupName=GROUP)
    for index in range(3):
        client.create_log_stream(logGroupName=GROUP, logStreamName=f"j/algo-{index}")
    paginator = client.get_paginator("describe_log_streams")
    names = [
        s["logStreamName"]
        for page in paginator.paginate(logGroupName=GROUP, PaginationConfig={"PageSize": 2})
        for s in page["logStreams"]
    ]
    assert names == ["j/algo-0", "j/algo-1", "j/algo-2"]
    now = epoch_ms(platform.clock.now())
    client.put_log_events(
        logGroupName=GROUP,
        logStreamName="j/algo-0",
        logEvents=[{"timestamp": now + i, "message": f"m{i}"} for i in range(5)],
    )
    events = [
        e["message"]
        for page in client.get_paginator("filter_log_events").paginate(
            logGroupName=GROUP, PaginationConfig={"PageSize": 2}
        )
        for e in page["events"]
    ]
    assert events == [f"m{i}" for i in range(5)]
    latest = client.get_log_events(logGroupName=GROUP, logStreamName="j/algo-0", limit=2)
    assert [e["message"] for e in latest["events"]] == ["m3", "m4"]
    older = client.get_log_events(
        logGroupName=GROUP, logStreamName="j/algo-0", nextToken=latest["nextBackwardToken"]
    )
    assert [e["message"] for e in older["events"]] == ["m0", "m1", "m2"]
