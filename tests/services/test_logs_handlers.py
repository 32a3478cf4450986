"""The CloudWatch Logs handlers called directly with botocore-shaped parameters.

Every output is checked against botocore's own `logs` model: each member a handler returns must
exist in the operation's output shape, so a misspelt field fails here before a client ignores it.
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.model import Shape

from tsukuru.domain.clock import ManualClock
from tsukuru.domain.logs import LogService
from tsukuru.domain.logs_names import epoch_ms
from tsukuru.protocol.context import HandlerResult, RequestContext
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.wire import WireRequest
from tsukuru.services.logs import LogsService, event_id
from tsukuru.store.memory import MemoryMetadata

ACCOUNT = "123456789012"
REGION = "us-east-1"
GROUP = "/aws/sagemaker/TrainingJobs"
MODEL = botocore.session.get_session().get_service_model("logs")


def _check_members(value: Any, shape: Shape, where: str) -> None:
    if shape.type_name == "structure":
        assert isinstance(value, dict), where
        for key, item in value.items():
            assert key in shape.members, f"{where}.{key} is not in botocore's {shape.name}"
            _check_members(item, shape.members[key], f"{where}.{key}")
    elif shape.type_name == "list":
        assert isinstance(value, list), where
        for index, item in enumerate(value):
            _check_members(item, shape.member, f"{where}[{index}]")
    elif shape.type_name in ("long", "integer"):
        assert isinstance(value, int), where
        assert not isinstance(value, bool), where
    elif shape.type_name == "string":
        assert isinstance(value, str), where
    elif shape.type_name == "boolean":
        assert isinstance(value, bool), where


class Logs:
    """Calls handlers the way the dispatcher does and checks outputs against botocore."""

    def __init__(self, region: str = REGION) -> None:
        self.clock = ManualClock()
        self.region = region
        self.handlers = LogsService(LogService(MemoryMetadata().logs, self.clock)).handlers()

    def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        ctx = RequestContext(
            service="logs",
            operation=operation,
            request_id="req-1",
            account_id=ACCOUNT,
            region=self.region,
            access_key="AKID",
            request=WireRequest(method="POST", raw_path="/"),
        )
        result: HandlerResult = self.handlers[operation](ctx, params)  # type: ignore[assignment]
        assert isinstance(result, dict)
        output_shape = MODEL.operation_model(operation).output_shape
        if output_shape is None:
            assert result == {}
        else:
            _check_members(result, output_shape, operation)
        return result

    def refused(self, operation: str, **params: Any) -> ServiceError:
        with pytest.raises(ServiceError) as caught:
            self(operation, **params)
        return caught.value


@pytest.fixture
def logs() -> Logs:
    return Logs()


def test_serves_the_logs_operations(logs: Logs) -> None:
    assert set(logs.handlers) == {
        "CreateLogGroup",
        "DescribeLogGroups",
        "DeleteLogGroup",
        "CreateLogStream",
        "DescribeLogStreams",
        "PutLogEvents",
        "GetLogEvents",
        "FilterLogEvents",
    }
    assert all(name in MODEL.operation_names for name in logs.handlers)


def test_groups_on_the_wire(logs: Logs) -> None:
    logs("CreateLogGroup", logGroupName=GROUP)
    assert logs.refused("CreateLogGroup", logGroupName=GROUP).code == (
        "ResourceAlreadyExistsException"
    )
    assert logs.refused("CreateLogGroup", logGroupName="bad:name").code == (
        "InvalidParameterException"
    )
    assert (
        "not supported" in logs.refused("CreateLogGroup", logGroupName="/x", kmsKeyId="k").message
    )
    described = logs("DescribeLogGroups", logGroupNamePrefix="/aws/")
    assert described == {
        "logGroups": [
            {
                "logGroupName": GROUP,
                "creationTime": epoch_ms(logs.clock.now()),
                "metricFilterCount": 0,
                "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}:*",
                "logGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}",
                "storedBytes": 0,
                "logGroupClass": "STANDARD",
                "deletionProtectionEnabled": False,
            }
        ]
    }
    logs("DeleteLogGroup", logGroupName=GROUP)
    missing = logs.refused("DeleteLogGroup", logGroupName=GROUP)
    assert (missing.code, missing.message) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
    assert logs("DescribeLogGroups") == {"logGroups": []}


def test_streams_and_events_on_the_wire(logs: Logs) -> None:
    now = epoch_ms(logs.clock.now())
    logs("CreateLogGroup", logGroupName=GROUP)
    logs("CreateLogStream", logGroupName=GROUP, logStreamName="job/algo-1-1")
    assert (
        logs(
            "PutLogEvents",
            logGroupName=GROUP,
            logStreamName="job/algo-1-1",
            logEvents=[
                {"timestamp": now, "message": "hello"},
                {"timestamp": now + 1, "message": "x"},
            ],
            sequenceToken="ignored, as CloudWatch now ignores it",
        )
        == {}
    )
    streams = logs("DescribeLogStreams", logGroupName=GROUP, logStreamNamePrefix="job/", limit=1)
    assert streams == {
        "logStreams": [
            {
                "logStreamName": "job/algo-1-1",
                "creationTime": now,
                "firstEventTimestamp": now,
                "lastEventTimestamp": now + 1,
                "lastIngestionTime": now,
                "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}:log-stream:job/algo-1-1",
                "storedBytes": 6,
            }
        ]
    }
    page = logs(
        "GetLogEvents",
        logGroupName=GROUP,
        logStreamName="job/algo-1-1",
        startTime=0,
        startFromHead=True,
    )
    assert page["events"] == [
        {"timestamp": now, "message": "hello", "ingestionTime": now},
        {"timestamp": now + 1, "message": "x", "ingestionTime": now},
    ]
    end = logs(
        "GetLogEvents",
        logGroupName=GROUP,
        logStreamName="job/algo-1-1",
        startTime=0,
        startFromHead=True,
        nextToken=page["nextForwardToken"],
    )
    assert end["events"] == []
    assert end["nextForwardToken"] == page["nextForwardToken"]


def test_describe_log_streams_of_a_missing_group_is_resource_not_found(logs: Logs) -> None:
    refused = logs.refused("DescribeLogStreams", logGroupName=GROUP, logStreamNamePrefix="j/")
    assert refused.code == "ResourceNotFoundException"
    ordered = logs.refused(
        "DescribeLogStreams", logGroupName=GROUP, logStreamNamePrefix="j/", orderBy="LastEventTime"
    )
    assert ordered.code == "InvalidParameterException"


def test_describe_log_streams_token_only_while_more_exist(logs: Logs) -> None:
    logs("CreateLogGroup", logGroupName=GROUP)
    for index in range(3):
        logs("CreateLogStream", logGroupName=GROUP, logStreamName=f"job/algo-{index}-1")
    first = logs("DescribeLogStreams", logGroupName=GROUP, logStreamNamePrefix="job/", limit=2)
    assert "nextToken" in first
    rest = logs("DescribeLogStreams", logGroupName=GROUP, nextToken=first["nextToken"], limit=2)
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["job/algo-2-1"]
    assert "nextToken" not in rest
    everything = logs("DescribeLogStreams", logGroupName=GROUP, logStreamNamePrefix="job/")
    assert "nextToken" not in everything
    assert len(everything["logStreams"]) == 3


def test_group_identifier_by_name_or_arn(logs: Logs) -> None:
    logs("CreateLogGroup", logGroupName=GROUP)
    logs("CreateLogStream", logGroupName=GROUP, logStreamName="s")
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}:*"
    for identifier in (GROUP, arn, arn.removesuffix(":*")):
        found = logs("DescribeLogStreams", logGroupIdentifier=identifier)
        assert [s["logStreamName"] for s in found["logStreams"]] == ["s"]
    foreign = arn.replace(REGION, "eu-west-1")
    assert logs.refused("DescribeLogStreams", logGroupIdentifier=foreign).code == (
        "ResourceNotFoundException"
    )
    both = logs.refused(
        "GetLogEvents", logGroupName=GROUP, logGroupIdentifier=arn, logStreamName="s"
    )
    assert both.code == "InvalidParameterException"
    neither = logs.refused("GetLogEvents", logStreamName="s")
    assert neither.code == "InvalidParameterException"


def test_put_log_events_reports_rejected_events(logs: Logs) -> None:
    now = epoch_ms(logs.clock.now())
    logs("CreateLogGroup", logGroupName=GROUP)
    logs("CreateLogStream", logGroupName=GROUP, logStreamName="s")
    answer = logs(
        "PutLogEvents",
        logGroupName=GROUP,
        logStreamName="s",
        logEvents=[
            {"timestamp": now, "message": "ok"},
            {"timestamp": now + 3 * 3600 * 1000, "message": "from the future"},
        ],
    )
    assert answer == {"rejectedLogEventsInfo": {"tooNewLogEventStartIndex": 1}}
    unordered = logs.refused(
        "PutLogEvents",
        logGroupName=GROUP,
        logStreamName="s",
        logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}],
    )
    assert unordered.code == "InvalidParameterException"
    assert "chronological" in unordered.message


def test_filter_log_events_on_the_wire(logs: Logs) -> None:
    now = epoch_ms(logs.clock.now())
    logs("CreateLogGroup", logGroupName=GROUP)
    for name, lines in (("a/1", ["ERROR one", "fine"]), ("b/1", ["ERROR two"])):
        logs("CreateLogStream", logGroupName=GROUP, logStreamName=name)
        logs(
            "PutLogEvents",
            logGroupName=GROUP,
            logStreamName=name,
            logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(lines)],
        )
    found = logs("FilterLogEvents", logGroupName=GROUP, filterPattern="ERROR", interleaved=True)
    assert [(e["logStreamName"], e["message"]) for e in found["events"]] == [
        ("a/1", "ERROR one"),
        ("b/1", "ERROR two"),
    ]
    assert found["searchedLogStreams"] == []
    assert "nextToken" not in found
    ids = [e["eventId"] for e in found["events"]]
    assert len(set(ids)) == 2
    assert all(len(i) == 56 and i.isdigit() for i in ids)
    paged = logs("FilterLogEvents", logGroupName=GROUP, limit=1)
    assert len(paged["events"]) == 1
    assert "nextToken" in paged
    json_pattern = logs.refused("FilterLogEvents", logGroupName=GROUP, filterPattern="{ $.a = 1 }")
    assert json_pattern.code == "InvalidParameterException"
    newest_first = logs.refused("FilterLogEvents", logGroupName=GROUP, startFromHead=False)
    assert "not supported" in newest_first.message


def test_event_ids_differ_across_streams_at_the_same_moment() -> None:
    from tsukuru.domain.ports import LogEvent

    first = LogEvent("a", 1, 5, 5, "m")
    second = LogEvent("b", 1, 5, 5, "m")
    assert event_id(first) != event_id(second)
    assert event_id(first) == event_id(LogEvent("a", 1, 5, 9, "other"))
