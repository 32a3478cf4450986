"""CloudWatch Logs use cases: the log groups, streams and events behind job and endpoint output.

The platform writes every job's stdout/stderr here (`write_lines`), the SageMaker SDKs tail it
over the wire, and the CLI follows it (`tail`). Two client habits shape the rules below (see
`reference/wire-calls.md`, cell 7): the SDK repeats DescribeLogStreams while `nextToken` is
present *without passing it*, so a last page never carries one; and it reads GetLogEvents until
a page is empty, so the end of a stream answers an empty page with the same forward token.

Paging tokens are our own (`logs_tokens`); message patterns live in `logs_patterns`; name
rules and ARNs in `logs_names`; following several streams in `logs_tail`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from tsukuru.domain.clock import Clock
from tsukuru.domain.errors import AlreadyExists, Invalid, NotFound
from tsukuru.domain.logs_batch import check_batch, rejected_range
from tsukuru.domain.logs_names import check_group_name, check_stream_name, epoch_ms
from tsukuru.domain.logs_patterns import compile_pattern
from tsukuru.domain.logs_scan import (
    FilteredPage,
    byte_bounded,
    check_limit,
    filter_store,
)
from tsukuru.domain.logs_tail import TailBatch, TailCursor, follow, poll_streams
from tsukuru.domain.logs_tokens import (
    StreamPosition,
    decode_token,
    encode_token,
    token_int,
    token_str,
)
from tsukuru.domain.ports import LogEvent, LogGroup, LogStore, LogStream
from tsukuru.domain.scope import Scope

__all__ = [
    "EventPage",
    "FilteredPage",
    "GroupPage",
    "LogService",
    "PutResult",
    "StreamPage",
    "TailBatch",
    "TailCursor",
]

_CODE = "InvalidParameterException"
DESCRIBE_LIMIT = 50
MAX_EVENTS = 10_000
_GROUP_SCAN = 1000

StreamOrder = Literal["LogStreamName", "LastEventTime"]


@dataclass(frozen=True)
class GroupPage:
    groups: list[LogGroup]
    next_token: str | None


@dataclass(frozen=True)
class StreamPage:
    streams: list[LogStream]
    next_token: str | None  # None on the last page, always (the SDK loops while it is present)


@dataclass(frozen=True)
class EventPage:
    events: list[LogEvent]
    forward_token: str
    backward_token: str


@dataclass(frozen=True)
class PutResult:
    """Which events CloudWatch would have refused: indexes as PutLogEvents reports them."""

    too_new_start: int | None = None  # first too-new event (inclusive)
    too_old_end: int | None = None  # end of the too-old events (exclusive)

    @property
    def rejected_any(self) -> bool:
        return self.too_new_start is not None or self.too_old_end is not None


class LogService:
    def __init__(self, store: LogStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    # ------------------------------------------------------------------ groups

    def create_group(self, scope: Scope, name: str) -> None:
        self._store.create_group(scope, check_group_name(name), self._clock.now())

    def delete_group(self, scope: Scope, name: str) -> None:
        self._store.delete_group(scope, check_group_name(name))

    def describe_groups(
        self,
        scope: Scope,
        *,
        prefix: str | None = None,
        pattern: str | None = None,
        limit: int | None = None,
        token: str | None = None,
    ) -> GroupPage:
        """Groups in name order; `prefix` (case-sensitive) or `pattern` (case-insensitive
        substring), not both."""
        if prefix is not None and pattern is not None:
            raise Invalid(
                "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.",
                code=_CODE,
            )
        size = check_limit(limit, DESCRIBE_LIMIT, DESCRIBE_LIMIT)
        after = token_str(decode_token("groups", token), "after") if token else None
        if not pattern:
            if prefix is not None:
                check_group_name(prefix, "logGroupNamePrefix")
            found = self._store.list_groups(scope, prefix=prefix or "", after=after, limit=size + 1)
        else:
            found = self._groups_containing(scope, pattern.lower(), after, size + 1)
        if len(found) <= size:
            return GroupPage(found, None)
        page = found[:size]
        return GroupPage(page, encode_token("groups", {"after": page[-1].name}))

    def _groups_containing(
        self, scope: Scope, needle: str, after: str | None, wanted: int
    ) -> list[LogGroup]:
        matched: list[LogGroup] = []
        while len(matched) < wanted:
            batch = self._store.list_groups(scope, after=after, limit=_GROUP_SCAN)
            matched.extend(group for group in batch if needle in group.name.lower())
            if len(batch) < _GROUP_SCAN:
                break
            after = batch[-1].name
        return matched[:wanted]

    # ------------------------------------------------------------------ streams

    def create_stream(self, scope: Scope, group: str, name: str) -> None:
        self._store.create_stream(
            scope, check_group_name(group), check_stream_name(name), self._clock.now()
        )

    def describe_streams(
        self,
        scope: Scope,
        group: str,
        *,
        prefix: str | None = None,
        order_by: StreamOrder = "LogStreamName",
        descending: bool = False,
        limit: int | None = None,
        token: str | None = None,
    ) -> StreamPage:
        if order_by not in ("LogStreamName", "LastEventTime"):
            raise Invalid(
                f"1 validation error detected: Value '{order_by}' at 'orderBy' failed to "
                "satisfy constraint: Member must satisfy enum value set: "
                "[LogStreamName, LastEventTime]",
                code=_CODE,
            )
        if prefix is not None and order_by == "LastEventTime":
            raise Invalid("Cannot order by LastEventTime with a logStreamNamePrefix.", code=_CODE)
        if prefix is not None:
            check_stream_name(prefix, "logStreamNamePrefix")
        size = check_limit(limit, DESCRIBE_LIMIT, DESCRIBE_LIMIT)
        offset = token_int(decode_token("streams", token), "offset") if token else 0
        if offset < 0:
            raise Invalid("The specified nextToken is invalid.", code=_CODE)
        found = self._store.list_streams(
            scope,
            check_group_name(group),
            prefix=prefix or "",
            order_by=order_by,
            descending=descending,
            offset=offset,
            limit=size + 1,
        )
        if len(found) <= size:
            return StreamPage(found, None)
        return StreamPage(found[:size], encode_token("streams", {"offset": offset + size}))

    # ------------------------------------------------------------------ writing

    def put_events(
        self, scope: Scope, group: str, stream: str, events: list[tuple[int, str]]
    ) -> PutResult:
        """PutLogEvents: a chronological batch within CloudWatch's limits. Events more than two
        hours ahead or fourteen days behind the clock are rejected (reported, not stored)."""
        check_group_name(group)
        check_stream_name(stream)
        check_batch(events)
        now_ms = epoch_ms(self._clock.now())
        too_old_end, too_new_start = rejected_range(events, now_ms)
        accepted = events[too_old_end : len(events) if too_new_start is None else too_new_start]
        if accepted:
            self._store.append(scope, group, stream, accepted, now_ms)
        else:
            self._store.get_events(scope, group, stream, limit=1)  # still NotFound if absent
        return PutResult(too_new_start=too_new_start, too_old_end=too_old_end or None)

    def write_lines(
        self, scope: Scope, group: str, stream: str, lines: list[tuple[int, str]]
    ) -> None:
        """Record the platform's own output (job and model-server lines), creating the group and
        the stream on first use. Lines are stored in timestamp order, ties in the given order."""
        ordered = sorted(lines, key=lambda line: line[0])
        if not ordered:
            return
        ingestion_ms = epoch_ms(self._clock.now())
        try:
            self._store.append(scope, group, stream, ordered, ingestion_ms)
            return
        except NotFound:
            pass
        # Another writer may create either first: just as good.
        with contextlib.suppress(AlreadyExists):
            self.create_group(scope, group)
        with contextlib.suppress(AlreadyExists):
            self.create_stream(scope, group, stream)
        self._store.append(scope, group, stream, ordered, ingestion_ms)

    # ------------------------------------------------------------------ reading

    def get_events(
        self,
        scope: Scope,
        group: str,
        stream: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        token: str | None = None,
        limit: int | None = None,
        from_head: bool = False,
    ) -> EventPage:
        """GetLogEvents. Without a token: the first (`from_head`) or the last `limit` events of
        the time range. A forward token reads on from its position, a backward token reads the
        events just before it; an exhausted direction answers an empty page with the same token.
        """
        size = check_limit(limit, MAX_EVENTS, MAX_EVENTS)
        position = StreamPosition.decode(token) if token else None
        forward = from_head if position is None else position.forward
        after = before = None
        if position is not None and position.forward:
            after = position.seq - 1
        elif position is not None:
            before = position.seq
        events = self._store.get_events(
            scope,
            check_group_name(group),
            check_stream_name(stream),
            start_ms=start_ms,
            end_ms=end_ms,
            after_seq=after,
            before_seq=before,
            limit=size,
            from_head=forward,
        )
        events = byte_bounded(events, keep_head=forward)
        if events:
            return EventPage(
                events,
                StreamPosition(True, events[-1].seq + 1).encode(),
                StreamPosition(False, events[0].seq).encode(),
            )
        seq = 0 if position is None else position.seq
        return EventPage(
            [], StreamPosition(True, seq).encode(), StreamPosition(False, seq).encode()
        )

    def filter_events(
        self,
        scope: Scope,
        group: str,
        *,
        streams: list[str] | None = None,
        stream_prefix: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        pattern: str | None = None,
        token: str | None = None,
        limit: int | None = None,
    ) -> FilteredPage:
        """FilterLogEvents: events of several streams interleaved by time, matching `pattern`.
        A page may come back short (even empty) with a `next_token` when the scan budget of one
        call ran out; no token means the search is complete."""
        if streams is not None and stream_prefix is not None:
            raise Invalid(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
                code=_CODE,
            )
        if streams is not None:
            if not 1 <= len(streams) <= 100:
                raise Invalid(
                    "1 validation error detected: Value at 'logStreamNames' failed to satisfy "
                    "constraint: Member must have length between 1 and 100",
                    code=_CODE,
                )
            for name in streams:
                check_stream_name(name, "logStreamNames")
        if stream_prefix is not None:
            check_stream_name(stream_prefix, "logStreamNamePrefix")
        return filter_store(
            self._store,
            scope,
            check_group_name(group),
            streams=streams,
            stream_prefix=stream_prefix,
            start_ms=start_ms,
            end_ms=end_ms,
            matcher=compile_pattern(pattern),
            token=token,
            limit=check_limit(limit, MAX_EVENTS, MAX_EVENTS),
        )

    # ------------------------------------------------------------------ following

    def poll(
        self,
        scope: Scope,
        group: str,
        *,
        stream_prefix: str = "",
        cursor: TailCursor | None = None,
    ) -> TailBatch:
        """The events written since `cursor` (None: since `TailCursor()`, i.e. everything) to the
        streams of `group` starting with `stream_prefix`, and the cursor to poll with next."""
        return poll_streams(self._store, scope, group, stream_prefix, cursor or TailCursor())

    def tail(
        self,
        scope: Scope,
        group: str,
        *,
        stream_prefix: str = "",
        cursor: TailCursor | None = None,
        until: Callable[[], bool] = lambda: False,
        poll_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Iterator[LogEvent]:
        """Every event of the matching streams from `cursor` on, waiting for new ones, until
        `until()` is true and everything written up to that moment has been yielded (so output
        written just before a job ends is never lost). `tsukuru logs --follow` uses this."""
        return follow(
            lambda current: self.poll(scope, group, stream_prefix=stream_prefix, cursor=current),
            cursor or TailCursor(),
            until=until,
            poll_seconds=poll_seconds,
            sleep=sleep,
        )
