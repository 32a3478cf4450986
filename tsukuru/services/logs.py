"""CloudWatch Logs on the wire: botocore-shaped `logs` parameters in, botocore-shaped output out.

A thin adapter over `domain.logs.LogService`: it picks members out of the parsed request,
calls one use case and names the result's fields exactly as botocore's `logs` model does
(`logStreams[].lastEventTimestamp`, `nextForwardToken`, ...). Every rule about names, limits,
tokens and patterns lives in the domain; refusals leave as CloudWatch's error codes through
`guard(..., logs_errors)`.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from tsukuru.domain.errors import Invalid
from tsukuru.domain.logs import LogService
from tsukuru.domain.logs_names import (
    epoch_ms,
    group_from_identifier,
    log_group_arn,
    log_group_bare_arn,
    log_stream_arn,
)
from tsukuru.domain.ports import LogEvent, LogGroup, LogStream
from tsukuru.domain.scope import Scope
from tsukuru.protocol.context import Handler, RequestContext
from tsukuru.services.errors import guard, logs_errors

_CODE = "InvalidParameterException"


def _scope(ctx: RequestContext) -> Scope:
    return Scope(ctx.account_id, ctx.region)


def _group(scope: Scope, params: Mapping[str, Any]) -> str:
    """`logGroupName` or `logGroupIdentifier` (a name or an ARN): exactly one of them."""
    name = params.get("logGroupName")
    identifier = params.get("logGroupIdentifier")
    if name is not None and identifier is not None:
        raise Invalid(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.", code=_CODE
        )
    if identifier is not None:
        return group_from_identifier(scope, str(identifier))
    if name is None:
        raise Invalid("Should provide either name or identifier.", code=_CODE)
    return str(name)


def _optional_int(params: Mapping[str, Any], member: str) -> int | None:
    value = params.get(member)
    return None if value is None else int(value)


def _unsupported(params: Mapping[str, Any], members: dict[str, str]) -> None:
    """Refuse members that would change the result if honoured (rather than ignoring them)."""
    for member, reason in members.items():
        if params.get(member):
            raise Invalid(f"{member} is not supported by tsukuru: {reason}", code=_CODE)


def group_output(group: LogGroup) -> dict[str, Any]:
    return {
        "logGroupName": group.name,
        "creationTime": epoch_ms(group.created),
        "metricFilterCount": 0,
        "arn": log_group_arn(group.scope, group.name),
        "logGroupArn": log_group_bare_arn(group.scope, group.name),
        "storedBytes": group.stored_bytes,
        "logGroupClass": "STANDARD",
        "deletionProtectionEnabled": False,
    }


def stream_output(stream: LogStream) -> dict[str, Any]:
    out: dict[str, Any] = {
        "logStreamName": stream.name,
        "creationTime": epoch_ms(stream.created),
        "arn": log_stream_arn(stream.scope, stream.group, stream.name),
        "storedBytes": stream.stored_bytes,
    }
    for member, moment in (
        ("firstEventTimestamp", stream.first_event),
        ("lastEventTimestamp", stream.last_event),
        ("lastIngestionTime", stream.last_ingestion),
    ):
        if moment is not None:
            out[member] = epoch_ms(moment)
    return out


def event_id(event: LogEvent) -> str:
    """A stable 56-digit id, as CloudWatch's look: timestamp, stream checksum, sequence."""
    stream_sum = zlib.crc32(event.stream.encode("utf-8"))
    return f"{event.timestamp_ms:020d}{stream_sum:010d}{event.seq:026d}"


class LogsService:
    def __init__(self, logs: LogService) -> None:
        self._logs = logs

    def handlers(self) -> dict[str, Handler]:
        return guard(
            {
                "CreateLogGroup": self.create_log_group,
                "DescribeLogGroups": self.describe_log_groups,
                "DeleteLogGroup": self.delete_log_group,
                "CreateLogStream": self.create_log_stream,
                "DescribeLogStreams": self.describe_log_streams,
                "PutLogEvents": self.put_log_events,
                "GetLogEvents": self.get_log_events,
                "FilterLogEvents": self.filter_log_events,
            },
            logs_errors,
        )

    def create_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _unsupported(
            params,
            {
                "kmsKeyId": "log data is stored unencrypted on this machine",
                "tags": "log groups cannot be tagged",
                "deletionProtectionEnabled": "log groups can always be deleted",
            },
        )
        if params.get("logGroupClass", "STANDARD") != "STANDARD":
            raise Invalid("Only the STANDARD log group class is supported by tsukuru.", code=_CODE)
        self._logs.create_group(_scope(ctx), str(params["logGroupName"]))
        return {}

    def describe_log_groups(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _unsupported(
            params,
            {
                "accountIdentifiers": "there are no linked accounts",
                "includeLinkedAccounts": "there are no linked accounts",
                "logGroupIdentifiers": "filter by logGroupNamePrefix or logGroupNamePattern",
            },
        )
        if params.get("logGroupClass", "STANDARD") != "STANDARD":
            return {"logGroups": []}  # every group here is STANDARD
        page = self._logs.describe_groups(
            _scope(ctx),
            prefix=params.get("logGroupNamePrefix"),
            pattern=params.get("logGroupNamePattern"),
            limit=_optional_int(params, "limit"),
            token=params.get("nextToken"),
        )
        out: dict[str, Any] = {"logGroups": [group_output(group) for group in page.groups]}
        if page.next_token is not None:
            out["nextToken"] = page.next_token
        return out

    def delete_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._logs.delete_group(_scope(ctx), str(params["logGroupName"]))
        return {}

    def create_log_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._logs.create_stream(
            _scope(ctx), str(params["logGroupName"]), str(params["logStreamName"])
        )
        return {}

    def describe_log_streams(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        scope = _scope(ctx)
        page = self._logs.describe_streams(
            scope,
            _group(scope, params),
            prefix=params.get("logStreamNamePrefix"),
            order_by=params.get("orderBy", "LogStreamName"),
            descending=bool(params.get("descending", False)),
            limit=_optional_int(params, "limit"),
            token=params.get("nextToken"),
        )
        out: dict[str, Any] = {"logStreams": [stream_output(s) for s in page.streams]}
        if page.next_token is not None:  # never on the last page: the SDK loops while present
            out["nextToken"] = page.next_token
        return out

    def put_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        events = [(int(event["timestamp"]), str(event["message"])) for event in params["logEvents"]]
        result = self._logs.put_events(
            _scope(ctx), str(params["logGroupName"]), str(params["logStreamName"]), events
        )
        out: dict[str, Any] = {}
        if result.rejected_any:
            info: dict[str, int] = {}
            if result.too_new_start is not None:
                info["tooNewLogEventStartIndex"] = result.too_new_start
            if result.too_old_end is not None:
                info["tooOldLogEventEndIndex"] = result.too_old_end
            out["rejectedLogEventsInfo"] = info
        return out

    def get_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        scope = _scope(ctx)
        page = self._logs.get_events(
            scope,
            _group(scope, params),
            str(params["logStreamName"]),
            start_ms=_optional_int(params, "startTime"),
            end_ms=_optional_int(params, "endTime"),
            token=params.get("nextToken"),
            limit=_optional_int(params, "limit"),
            from_head=bool(params.get("startFromHead", False)),
        )
        return {
            "events": [
                {
                    "timestamp": event.timestamp_ms,
                    "message": event.message,
                    "ingestionTime": event.ingestion_ms,
                }
                for event in page.events
            ],
            "nextForwardToken": page.forward_token,
            "nextBackwardToken": page.backward_token,
        }

    def filter_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("startFromHead") is False:
            raise Invalid(
                "startFromHead=false (newest events first) is not supported by tsukuru; "
                "FilterLogEvents returns events oldest first.",
                code=_CODE,
            )
        scope = _scope(ctx)
        names = params.get("logStreamNames")
        page = self._logs.filter_events(
            scope,
            _group(scope, params),
            streams=None if names is None else [str(name) for name in names],
            stream_prefix=params.get("logStreamNamePrefix"),
            start_ms=_optional_int(params, "startTime"),
            end_ms=_optional_int(params, "endTime"),
            pattern=params.get("filterPattern"),
            token=params.get("nextToken"),
            limit=_optional_int(params, "limit"),
        )
        out: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": event.stream,
                    "timestamp": event.timestamp_ms,
                    "message": event.message,
                    "ingestionTime": event.ingestion_ms,
                    "eventId": event_id(event),
                }
                for event in page.events
            ],
            # CloudWatch stopped reporting searched streams in 2020; it answers an empty list.
            "searchedLogStreams": [],
        }
        if page.next_token is not None:
            out["nextToken"] = page.next_token
        return out
