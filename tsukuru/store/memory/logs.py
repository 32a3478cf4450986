"""CloudWatch-style log groups, streams and events held in memory, for fast unit tests.

Time ranges follow the two CloudWatch calls the port serves: `get_events` (GetLogEvents) keeps
`start_ms <= timestamp < end_ms`, while `filter_events` (FilterLogEvents) keeps
`start_ms <= timestamp <= end_ms`. The SQL store answers identically.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from tsukuru.domain.ports import LogEvent, LogGroup, LogStream
from tsukuru.domain.scope import Scope
from tsukuru.store import messages
from tsukuru.store.codec import from_millis, prefix_upper_bound, to_micros, to_utc, utf8_size


@dataclass
class _Stream:
    name: str
    created: datetime
    first_ms: int | None = None
    last_ms: int | None = None
    last_ingestion_ms: int | None = None
    stored_bytes: int = 0
    events: list[LogEvent] = field(default_factory=list)

    def describe(self, scope: Scope, group: str) -> LogStream:
        def moment(millis: int | None) -> datetime | None:
            return None if millis is None else from_millis(millis)

        return LogStream(
            scope=scope,
            group=group,
            name=self.name,
            created=self.created,
            first_event=moment(self.first_ms),
            last_event=moment(self.last_ms),
            last_ingestion=moment(self.last_ingestion_ms),
            stored_bytes=self.stored_bytes,
        )


@dataclass
class _Group:
    name: str
    created: datetime
    streams: dict[str, _Stream] = field(default_factory=dict)


def _in_prefix(name: str, prefix: str) -> bool:
    upper = prefix_upper_bound(prefix)
    return name >= prefix and (upper is None or name < upper)


class MemoryLogStore:
    """LogStore over nested dictionaries guarded by one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[tuple[str, str, str], _Group] = {}

    def create_group(self, scope: Scope, name: str, created: datetime) -> None:
        key = (scope.account_id, scope.region, name)
        with self._lock:
            if key in self._groups:
                raise messages.log_group_exists()
            self._groups[key] = _Group(name=name, created=to_utc(created))

    def list_groups(
        self, scope: Scope, *, prefix: str = "", after: str | None = None, limit: int = 50
    ) -> list[LogGroup]:
        with self._lock:
            groups = [
                LogGroup(
                    scope=scope,
                    name=group.name,
                    created=group.created,
                    stored_bytes=sum(s.stored_bytes for s in group.streams.values()),
                )
                for (account, region, _), group in self._groups.items()
                if (account, region) == (scope.account_id, scope.region)
                and _in_prefix(group.name, prefix)
                and (after is None or group.name > after)
            ]
        groups.sort(key=lambda group: group.name)
        return groups[: max(limit, 0)]

    def delete_group(self, scope: Scope, name: str) -> None:
        with self._lock:
            if self._groups.pop((scope.account_id, scope.region, name), None) is None:
                raise messages.log_group_missing()

    def create_stream(self, scope: Scope, group: str, name: str, created: datetime) -> None:
        with self._lock:
            streams = self._group(scope, group).streams
            if name in streams:
                raise messages.log_stream_exists()
            streams[name] = _Stream(name=name, created=to_utc(created))

    def list_streams(
        self,
        scope: Scope,
        group: str,
        *,
        prefix: str = "",
        order_by: Literal["LogStreamName", "LastEventTime"] = "LogStreamName",
        descending: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> list[LogStream]:
        with self._lock:
            streams = [
                stream.describe(scope, group)
                for stream in self._group(scope, group).streams.values()
                if _in_prefix(stream.name, prefix)
            ]

        def order(stream: LogStream) -> tuple[int, str]:
            if order_by == "LogStreamName":
                return (0, stream.name)
            last = -1 if stream.last_event is None else to_micros(stream.last_event)
            return (last, stream.name)

        streams.sort(key=order, reverse=descending)
        start = max(offset, 0)
        return streams[start : start + max(limit, 0)]

    def append(
        self,
        scope: Scope,
        group: str,
        stream: str,
        events: list[tuple[int, str]],
        ingestion_ms: int,
    ) -> None:
        with self._lock:
            target = self._stream(scope, group, stream)
            if not events:
                return
            seq = target.events[-1].seq if target.events else 0
            for timestamp_ms, message in events:
                seq += 1
                target.events.append(LogEvent(stream, seq, timestamp_ms, ingestion_ms, message))
                target.stored_bytes += utf8_size(message)
            stamps = [timestamp_ms for timestamp_ms, _ in events]
            target.first_ms = min(stamps + ([] if target.first_ms is None else [target.first_ms]))
            target.last_ms = max(stamps + ([] if target.last_ms is None else [target.last_ms]))
            target.last_ingestion_ms = ingestion_ms

    def get_events(
        self,
        scope: Scope,
        group: str,
        stream: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        after_seq: int | None = None,
        before_seq: int | None = None,
        limit: int = 10000,
        from_head: bool = True,
    ) -> list[LogEvent]:
        with self._lock:
            events = list(self._stream(scope, group, stream).events)
        matching = [
            event
            for event in events
            if (start_ms is None or event.timestamp_ms >= start_ms)
            and (end_ms is None or event.timestamp_ms < end_ms)
            and (after_seq is None or event.seq > after_seq)
            and (before_seq is None or event.seq < before_seq)
        ]
        if limit <= 0:
            return []
        return matching[:limit] if from_head else matching[-limit:]

    def filter_events(
        self,
        scope: Scope,
        group: str,
        *,
        streams: list[str] | None = None,
        stream_prefix: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        after: tuple[int, str, int] | None = None,
        limit: int = 10000,
    ) -> list[LogEvent]:
        with self._lock:
            chosen = [
                list(candidate.events)
                for candidate in self._group(scope, group).streams.values()
                if (streams is None or candidate.name in streams)
                and (stream_prefix is None or _in_prefix(candidate.name, stream_prefix))
            ]

        def order(event: LogEvent) -> tuple[int, str, int]:
            return (event.timestamp_ms, event.stream, event.seq)

        matching = [
            event
            for events in chosen
            for event in events
            if (start_ms is None or event.timestamp_ms >= start_ms)
            and (end_ms is None or event.timestamp_ms <= end_ms)
            and (after is None or order(event) > after)
        ]
        matching.sort(key=order)
        return matching[: max(limit, 0)]

    def _group(self, scope: Scope, name: str) -> _Group:
        found = self._groups.get((scope.account_id, scope.region, name))
        if found is None:
            raise messages.log_group_missing()
        return found

    def _stream(self, scope: Scope, group: str, name: str) -> _Stream:
        found = self._group(scope, group).streams.get(name)
        if found is None:
            raise messages.log_stream_missing()
        return found
