"""Reading events in bounded pages: CloudWatch's 10,000-event / 1 MB response limits and the
FilterLogEvents scan, which matches patterns here (the store only orders and ranges events).

A filter scan stops at the page limits *or* after a fixed number of examined events, whichever
comes first; like CloudWatch it may then answer a short or empty page with a `nextToken`, so a
needle in a huge group costs many small calls instead of one unbounded one.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsukuru.domain.errors import Invalid
from tsukuru.domain.logs_patterns import FilterPattern
from tsukuru.domain.logs_tokens import decode_token, encode_token, token_int, token_str
from tsukuru.domain.ports import LogEvent, LogStore
from tsukuru.domain.scope import Scope

MAX_PAGE_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26  # what CloudWatch adds to each message when it counts bytes
SCAN_BUDGET = 100_000  # events one FilterLogEvents call examines at most
_SCAN_CHUNK = 1_000

_Position = tuple[int, str, int]


@dataclass(frozen=True)
class FilteredPage:
    events: list[LogEvent]
    next_token: str | None  # None once the search has covered everything


def check_limit(limit: int | None, default: int, maximum: int) -> int:
    """A page size: `default` when absent, else it must be 1..`maximum` (InvalidParameter)."""
    if limit is None:
        return default
    if not 1 <= limit <= maximum:
        raise Invalid(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
            f"constraint: Member must have value between 1 and {maximum}",
            code="InvalidParameterException",
        )
    return limit


def event_bytes(event: LogEvent) -> int:
    return len(event.message.encode("utf-8")) + EVENT_OVERHEAD_BYTES


def byte_bounded(events: list[LogEvent], *, keep_head: bool) -> list[LogEvent]:
    """The longest run of `events` from the head (or the tail) that fits in one response; at
    least one event, so a single oversized event still makes progress."""
    ordered = events if keep_head else list(reversed(events))
    kept: list[LogEvent] = []
    total = 0
    for event in ordered:
        total += event_bytes(event)
        if kept and total > MAX_PAGE_BYTES:
            break
        kept.append(event)
    return kept if keep_head else list(reversed(kept))


def filter_store(
    store: LogStore,
    scope: Scope,
    group: str,
    *,
    streams: list[str] | None,
    stream_prefix: str | None,
    start_ms: int | None,
    end_ms: int | None,
    matcher: FilterPattern,
    token: str | None,
    limit: int,
) -> FilteredPage:
    """One FilterLogEvents page: matching events in (timestamp, stream, seq) order."""
    cursor = _decode_position(token) if token else None
    found: list[LogEvent] = []
    total = 0
    examined = 0
    while True:
        wanted = limit - len(found)
        # one event more than wanted tells whether a full page is also the last one
        chunk = wanted + 1 if matcher.matches_everything else max(wanted, _SCAN_CHUNK)
        chunk = min(chunk, SCAN_BUDGET - examined)
        batch = store.filter_events(
            scope,
            group,
            streams=streams,
            stream_prefix=stream_prefix,
            start_ms=start_ms,
            end_ms=end_ms,
            after=cursor,
            limit=chunk,
        )
        for index, event in enumerate(batch):
            if matcher.matches(event.message):
                size = event_bytes(event)
                if found and total + size > MAX_PAGE_BYTES:
                    return FilteredPage(found, _encode_position(cursor))
                found.append(event)
                total += size
            cursor = (event.timestamp_ms, event.stream, event.seq)
            examined += 1
            exhausted = len(batch) < chunk and index == len(batch) - 1
            if len(found) == limit or examined >= SCAN_BUDGET:
                return FilteredPage(found, None if exhausted else _encode_position(cursor))
        if len(batch) < chunk:
            return FilteredPage(found, None)


def _encode_position(position: _Position | None) -> str | None:
    if position is None:
        return None
    stamp, stream, seq = position
    return encode_token("filter", {"t": stamp, "s": stream, "q": seq})


def _decode_position(token: str) -> _Position:
    payload = decode_token("filter", token)
    return (token_int(payload, "t"), token_str(payload, "s"), token_int(payload, "q"))
