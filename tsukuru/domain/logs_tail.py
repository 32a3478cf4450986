"""Following the streams of a group as they grow (`tsukuru logs --follow`).

A tail remembers, per stream, the sequence number of the last event it has shown. That is
exact where a time-based cursor is not: an event written late with an earlier timestamp, or a
stream that appears mid-way (a restarted instance), is still shown once and only once. The
cursor round-trips through an opaque token so a caller can stop and resume.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from tsukuru.domain.errors import Invalid, NotFound
from tsukuru.domain.logs_tokens import INVALID_TOKEN, decode_token, encode_token, token_int
from tsukuru.domain.ports import LogEvent, LogStore
from tsukuru.domain.scope import Scope

_STREAM_PAGE = 1_000
EVENTS_PER_STREAM = 1_000  # per poll; a fuller stream is read on at the next poll at once


@dataclass(frozen=True)
class TailCursor:
    """Where a tail stands: last seen seq per stream, and the earliest timestamp to show."""

    seen: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    start_ms: int | None = None

    def encode(self) -> str:
        payload: dict[str, object] = {"seen": dict(self.seen)}
        if self.start_ms is not None:
            payload["start"] = self.start_ms
        return encode_token("tail", payload)

    @staticmethod
    def decode(token: str) -> TailCursor:
        payload = decode_token("tail", token)
        seen = payload.get("seen")
        if not isinstance(seen, dict):
            raise Invalid(INVALID_TOKEN, code="InvalidParameterException")
        checked = {str(name): token_int(seen, name) for name in seen}
        start = token_int(payload, "start") if "start" in payload else None
        return TailCursor(MappingProxyType(checked), start)


@dataclass(frozen=True)
class TailBatch:
    events: list[LogEvent]  # ordered by (timestamp, stream, seq)
    cursor: TailCursor
    more: bool  # some stream had more than one poll's worth: poll again without waiting


def poll_streams(
    store: LogStore, scope: Scope, group: str, prefix: str, cursor: TailCursor
) -> TailBatch:
    """New events of every stream of `group` whose name starts with `prefix`. A group that does
    not exist yet (a job that has not printed anything) simply has no events."""
    try:
        names = _stream_names(store, scope, group, prefix)
    except NotFound:
        return TailBatch([], cursor, more=False)
    seen = dict(cursor.seen)
    found: list[LogEvent] = []
    more = False
    for name in names:
        try:
            events = store.get_events(
                scope,
                group,
                name,
                start_ms=cursor.start_ms,
                after_seq=seen.get(name),
                limit=EVENTS_PER_STREAM,
                from_head=True,
            )
        except NotFound:
            continue  # deleted between listing and reading
        if events:
            seen[name] = events[-1].seq
            found.extend(events)
            more = more or len(events) == EVENTS_PER_STREAM
    found.sort(key=lambda event: (event.timestamp_ms, event.stream, event.seq))
    return TailBatch(found, TailCursor(MappingProxyType(seen), cursor.start_ms), more)


def _stream_names(store: LogStore, scope: Scope, group: str, prefix: str) -> list[str]:
    names: list[str] = []
    while True:
        page = store.list_streams(
            scope, group, prefix=prefix, offset=len(names), limit=_STREAM_PAGE
        )
        names.extend(stream.name for stream in page)
        if len(page) < _STREAM_PAGE:
            return names


def follow(
    poll: Callable[[TailCursor], TailBatch],
    cursor: TailCursor,
    *,
    until: Callable[[], bool],
    poll_seconds: float,
    sleep: Callable[[float], None],
) -> Iterator[LogEvent]:
    """Yield events from repeated polls; stop once `until()` was true *before* a poll that
    found nothing more, so the final flush always happens after the writer is done."""
    while True:
        finished = until()
        batch = poll(cursor)
        cursor = batch.cursor
        yield from batch.events
        if batch.more:
            continue
        if finished:
            return
        sleep(poll_seconds)
