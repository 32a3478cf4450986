"""LogService use cases against the real log stores: groups, streams, PutLogEvents, GetLogEvents
paging, and the SageMaker SDK's log-tailing loop exactly as `reference/wire-calls.md` describes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tsukuru.domain.clock import ManualClock
from tsukuru.domain.errors import AlreadyExists, Invalid, NotFound
from tsukuru.domain.logs import LogService
from tsukuru.domain.logs_names import epoch_ms
from tsukuru.domain.scope import Scope
from tsukuru.store.memory import MemoryMetadata
from tsukuru.store.sql import SqlMetadata, open_store, sqlite_url

SCOPE = Scope("123456789012", "us-east-1")
OTHER = Scope("123456789012", "eu-west-1")
GROUP = "/aws/sagemaker/TrainingJobs"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=["memory", "sqlite"])
def logs(
    request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path
) -> Iterator[LogService]:
    """The use cases over each real LogStore (the SQL one on a fresh SQLite file)."""
    metadata: MemoryMetadata | SqlMetadata = (
        MemoryMetadata() if request.param == "memory" else open_store(sqlite_url(tmp_path / "m.db"))
    )
    yield LogService(metadata.logs, clock)
    metadata.close()


def now_ms(clock: ManualClock) -> int:
    return epoch_ms(clock.now())


# --------------------------------------------------------------------------- groups, streams


def test_create_describe_delete_groups(logs: LogService) -> None:
    for name in ["/aws/b", "/aws/a", "app#1.x_y-z"]:
        logs.create_group(SCOPE, name)
    with pytest.raises(AlreadyExists) as exists:
        logs.create_group(SCOPE, "/aws/a")
    assert exists.value.message == "The specified log group already exists"
    page = logs.describe_groups(SCOPE)
    assert [g.name for g in page.groups] == ["/aws/a", "/aws/b", "app#1.x_y-z"]
    assert page.next_token is None
    assert [g.name for g in logs.describe_groups(SCOPE, prefix="/aws/").groups] == [
        "/aws/a",
        "/aws/b",
    ]
    assert logs.describe_groups(OTHER).groups == []
    logs.delete_group(SCOPE, "/aws/a")
    with pytest.raises(NotFound) as missing:
        logs.delete_group(SCOPE, "/aws/a")
    assert missing.value.message == "The specified log group does not exist."


@pytest.mark.parametrize("name", ["", "a:b", "has space", "x" * 513, "ü"])
def test_group_name_rules(logs: LogService, name: str) -> None:
    with pytest.raises(Invalid) as refused:
        logs.create_group(SCOPE, name)
    assert refused.value.code == "InvalidParameterException"
    assert "logGroupName" in refused.value.message


@pytest.mark.parametrize("name", ["", "a:b", "a*", "y" * 513])
def test_stream_name_rules(logs: LogService, name: str) -> None:
    logs.create_group(SCOPE, GROUP)
    with pytest.raises(Invalid):
        logs.create_stream(SCOPE, GROUP, name)


def test_stream_names_may_hold_anything_but_colon_and_star(logs: LogService) -> None:
    logs.create_group(SCOPE, GROUP)
    logs.create_stream(SCOPE, GROUP, "job/algo-1-1700000000 ü #?")
    assert logs.describe_streams(SCOPE, GROUP).streams[0].name == "job/algo-1-1700000000 ü #?"


def test_describe_groups_pages_and_pattern(logs: LogService) -> None:
    names = [f"/g/{i:03d}" for i in range(7)] + ["/Other/G-Case"]
    for name in names:
        logs.create_group(SCOPE, name)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = logs.describe_groups(SCOPE, limit=3, token=token)
        seen += [g.name for g in page.groups]
        pages += 1
        if page.next_token is None:
            break
        token = page.next_token
    assert seen == sorted(names)
    assert pages == 3
    assert [g.name for g in logs.describe_groups(SCOPE, pattern="g-c").groups] == ["/Other/G-Case"]
    with pytest.raises(Invalid):
        logs.describe_groups(SCOPE, prefix="/g", pattern="g")
    with pytest.raises(Invalid):
        logs.describe_groups(SCOPE, limit=51)


def test_describe_streams_never_returns_a_token_on_the_last_page(logs: LogService) -> None:
    logs.create_group(SCOPE, GROUP)
    for index in range(5):
        logs.create_stream(SCOPE, GROUP, f"job/algo-{index}")
    exact = logs.describe_streams(SCOPE, GROUP, prefix="job/", limit=5)
    assert len(exact.streams) == 5
    assert exact.next_token is None
    first = logs.describe_streams(SCOPE, GROUP, prefix="job/", limit=2)
    second = logs.describe_streams(SCOPE, GROUP, prefix="job/", limit=2, token=first.next_token)
    third = logs.describe_streams(SCOPE, GROUP, prefix="job/", limit=2, token=second.next_token)
    assert [s.name for s in first.streams + second.streams + third.streams] == [
        f"job/algo-{i}" for i in range(5)
    ]
    assert first.next_token
    assert second.next_token
    assert third.next_token is None


def test_describe_streams_by_last_event_time(logs: LogService, clock: ManualClock) -> None:
    base = now_ms(clock)
    for name, stamp in [("a", base + 30), ("b", base + 10), ("c", base + 20)]:
        logs.write_lines(SCOPE, GROUP, name, [(stamp, "x")])
    newest_first = logs.describe_streams(
        SCOPE, GROUP, order_by="LastEventTime", descending=True
    ).streams
    assert [s.name for s in newest_first] == ["a", "c", "b"]
    with pytest.raises(Invalid) as refused:
        logs.describe_streams(SCOPE, GROUP, prefix="a", order_by="LastEventTime")
    assert refused.value.message == "Cannot order by LastEventTime with a logStreamNamePrefix."


def test_describe_streams_of_a_missing_group(logs: LogService) -> None:
    with pytest.raises(NotFound) as missing:
        logs.describe_streams(SCOPE, GROUP, prefix="job/")
    assert missing.value.code == "ResourceNotFoundException"


def test_foreign_tokens_are_refused(logs: LogService) -> None:
    logs.create_group(SCOPE, GROUP)
    for index in range(3):
        logs.create_group(SCOPE, f"/g{index}")
    group_token = logs.describe_groups(SCOPE, limit=1).next_token
    assert group_token is not None
    for bad in [group_token, "garbage!", "f/12"]:
        with pytest.raises(Invalid) as refused:
            logs.describe_streams(SCOPE, GROUP, token=bad)
        assert refused.value.message == "The specified nextToken is invalid."


# --------------------------------------------------------------------------- writing


def test_put_events_rules(logs: LogService, clock: ManualClock) -> None:
    logs.create_group(SCOPE, GROUP)
    logs.create_stream(SCOPE, GROUP, "s")
    now = now_ms(clock)
    with pytest.raises(Invalid, match="chronological order"):
        logs.put_events(SCOPE, GROUP, "s", [(now, "b"), (now - 1, "a")])
    with pytest.raises(Invalid, match="24 hours"):
        logs.put_events(SCOPE, GROUP, "s", [(now - 25 * 3600 * 1000, "a"), (now, "b")])
    with pytest.raises(Invalid, match="length greater than or equal to 1"):
        logs.put_events(SCOPE, GROUP, "s", [])
    with pytest.raises(Invalid, match="too large"):
        logs.put_events(SCOPE, GROUP, "s", [(now, "x" * 300_000)])
    with pytest.raises(Invalid, match="Upload too large"):
        logs.put_events(SCOPE, GROUP, "s", [(now, "x" * 200_000)] * 6)
    with pytest.raises(NotFound, match="log stream does not exist"):
        logs.put_events(SCOPE, GROUP, "nope", [(now, "a")])
    assert logs.get_events(SCOPE, GROUP, "s").events == []


def test_put_events_rejects_too_old_and_too_new(logs: LogService, clock: ManualClock) -> None:
    logs.create_group(SCOPE, GROUP)
    logs.create_stream(SCOPE, GROUP, "s")
    clock.advance(30 * 24 * 3600)
    now = now_ms(clock)
    old = now - 15 * 24 * 3600 * 1000
    batch = [(old, "old1"), (old + 1, "old2"), (now, "ok"), (now + 3 * 3600 * 1000, "future")]
    with pytest.raises(Invalid, match="24 hours"):
        logs.put_events(SCOPE, GROUP, "s", batch)
    recent = [(now - 1000, "ok1"), (now, "ok2"), (now + 3 * 3600 * 1000, "future")]
    result = logs.put_events(SCOPE, GROUP, "s", recent)
    assert (result.too_old_end, result.too_new_start) == (None, 2)
    ancient = [(old, "old1"), (old + 1, "old2")]
    result = logs.put_events(SCOPE, GROUP, "s", ancient)
    assert (result.too_old_end, result.too_new_start) == (2, None)
    stored = logs.get_events(SCOPE, GROUP, "s", from_head=True).events
    assert [e.message for e in stored] == ["ok1", "ok2"]
    assert all(e.ingestion_ms == now for e in stored)


def test_write_lines_creates_group_and_stream_once(logs: LogService, clock: ManualClock) -> None:
    base = now_ms(clock)
    logs.write_lines(SCOPE, GROUP, "job/algo-1-1", [(base + 1, "b"), (base, "a")])
    logs.write_lines(SCOPE, GROUP, "job/algo-1-1", [(base + 2, "c")])
    logs.write_lines(SCOPE, GROUP, "job/algo-1-1", [])
    events = logs.get_events(SCOPE, GROUP, "job/algo-1-1", from_head=True).events
    assert [e.message for e in events] == ["a", "b", "c"]
    assert [g.name for g in logs.describe_groups(SCOPE).groups] == [GROUP]
    stream = logs.describe_streams(SCOPE, GROUP).streams[0]
    assert stream.first_event is not None
    assert epoch_ms(stream.first_event) == base
    assert stream.last_event is not None
    assert epoch_ms(stream.last_event) == base + 2
    assert stream.stored_bytes == 3


# --------------------------------------------------------------------------- GetLogEvents


def _stream_of(logs: LogService, clock: ManualClock, count: int, name: str = "s") -> int:
    base = now_ms(clock)
    logs.write_lines(SCOPE, GROUP, name, [(base + i, f"line {i}") for i in range(count)])
    return base


def test_get_events_from_head_pages_forward_to_a_stable_end(
    logs: LogService, clock: ManualClock
) -> None:
    _stream_of(logs, clock, 25)
    page = logs.get_events(SCOPE, GROUP, "s", from_head=True, limit=10)
    messages = [e.message for e in page.events]
    token = page.forward_token
    while True:
        page = logs.get_events(SCOPE, GROUP, "s", token=token, limit=10)
        if not page.events:
            break
        messages += [e.message for e in page.events]
        token = page.forward_token
    assert messages == [f"line {i}" for i in range(25)]
    assert page.forward_token == token  # the end answers with the same token, again and again
    again = logs.get_events(SCOPE, GROUP, "s", token=token, limit=10)
    assert again.events == []
    assert again.forward_token == token
    logs.write_lines(SCOPE, GROUP, "s", [(now_ms(clock) + 100, "late")])
    late = logs.get_events(SCOPE, GROUP, "s", token=token)
    assert [e.message for e in late.events] == ["late"]


def test_get_events_default_is_the_latest_and_pages_backward(
    logs: LogService, clock: ManualClock
) -> None:
    _stream_of(logs, clock, 25)
    page = logs.get_events(SCOPE, GROUP, "s", limit=10)
    assert [e.message for e in page.events] == [f"line {i}" for i in range(15, 25)]
    newest_forward = page.forward_token
    pages = [page.events]
    token = page.backward_token
    while True:
        page = logs.get_events(SCOPE, GROUP, "s", token=token, limit=10)
        if not page.events:
            break
        pages.insert(0, page.events)
        token = page.backward_token
    assert [e.message for events in pages for e in events] == [f"line {i}" for i in range(25)]
    assert page.backward_token == token
    assert logs.get_events(SCOPE, GROUP, "s", token=newest_forward).events == []
    # a backward page's forward token leads back to the newer events
    older = logs.get_events(SCOPE, GROUP, "s", limit=10)
    back = logs.get_events(SCOPE, GROUP, "s", token=older.backward_token, limit=10)
    ahead = logs.get_events(SCOPE, GROUP, "s", token=back.forward_token, limit=10)
    assert [e.message for e in ahead.events] == [e.message for e in older.events]


def test_get_events_time_range(logs: LogService, clock: ManualClock) -> None:
    base = _stream_of(logs, clock, 10)
    page = logs.get_events(SCOPE, GROUP, "s", start_ms=base + 3, end_ms=base + 6, from_head=True)
    assert [e.message for e in page.events] == ["line 3", "line 4", "line 5"]
    follow = logs.get_events(
        SCOPE, GROUP, "s", start_ms=base + 3, end_ms=base + 6, token=page.forward_token
    )
    assert follow.events == []
    assert follow.forward_token == page.forward_token
    nothing = logs.get_events(SCOPE, GROUP, "s", start_ms=base + 100, from_head=True)
    assert nothing.events == []
    again = logs.get_events(SCOPE, GROUP, "s", start_ms=base + 100, token=nothing.forward_token)
    assert again.events == []
    logs.write_lines(SCOPE, GROUP, "s", [(base + 150, "in range")])
    later = logs.get_events(SCOPE, GROUP, "s", start_ms=base + 100, token=again.forward_token)
    assert [e.message for e in later.events] == ["in range"]


def test_get_events_empty_stream_then_growth(logs: LogService, clock: ManualClock) -> None:
    logs.create_group(SCOPE, GROUP)
    logs.create_stream(SCOPE, GROUP, "s")
    empty = logs.get_events(SCOPE, GROUP, "s", from_head=True)
    assert empty.events == []
    logs.write_lines(SCOPE, GROUP, "s", [(now_ms(clock), "first")])
    grown = logs.get_events(SCOPE, GROUP, "s", token=empty.forward_token)
    assert [e.message for e in grown.events] == ["first"]


def test_get_events_limits(logs: LogService, clock: ManualClock) -> None:
    base = now_ms(clock)
    big = "x" * 200_000
    logs.write_lines(SCOPE, GROUP, "s", [(base + i, big) for i in range(8)])
    page = logs.get_events(SCOPE, GROUP, "s", from_head=True)
    assert len(page.events) == 5  # 5 x (200,000 + 26) bytes fit in 1 MB, a sixth does not
    rest = logs.get_events(SCOPE, GROUP, "s", token=page.forward_token)
    assert len(rest.events) == 3
    latest = logs.get_events(SCOPE, GROUP, "s")
    assert [e.seq for e in latest.events] == [e.seq for e in (page.events + rest.events)[3:]]
    for bad in (0, 10_001):
        with pytest.raises(Invalid):
            logs.get_events(SCOPE, GROUP, "s", limit=bad)
    with pytest.raises(NotFound, match="log stream does not exist"):
        logs.get_events(SCOPE, GROUP, "missing")
    with pytest.raises(NotFound, match="log group does not exist"):
        logs.get_events(SCOPE, "/missing", "s")


# --------------------------------------------------------------------------- the SDK's loop


def sdk_v2_flush(logs: LogService, job: str, positions: dict[str, tuple[int, int]]) -> list[str]:
    """One poll of SageMaker SDK v2's `_flush_log_streams` + `log_stream`, re-enacted: find the
    job's streams (limit=InstanceCount, then re-asking *without* the token while one is
    present), then per stream read GetLogEvents with `startTime` = last timestamp seen until an
    empty page, skipping the events already shown at that timestamp."""
    try:
        page = logs.describe_streams(
            SCOPE, GROUP, prefix=f"{job}/", order_by="LogStreamName", limit=1
        )
    except NotFound:
        return []  # the SDK tolerates ResourceNotFoundException
    names = [s.name for s in page.streams]
    rounds = 0
    while page.next_token is not None:
        rounds += 1
        assert rounds < 5, "DescribeLogStreams keeps answering nextToken: the SDK would spin"
        page = logs.describe_streams(
            SCOPE, GROUP, prefix=f"{job}/", order_by="LogStreamName", limit=50
        )
        names.extend(s.name for s in page.streams)
    shown: list[str] = []
    for name in dict.fromkeys(names):
        start, skip = positions.get(name, (0, 0))
        token: str | None = None
        calls = 0
        while True:
            calls += 1
            assert calls < 1000, "GetLogEvents never answered an empty page"
            got = logs.get_events(
                SCOPE, GROUP, name, start_ms=start, from_head=True, token=token, limit=3
            )
            token = got.forward_token
            if not got.events:
                break
            for event in got.events:
                if skip:
                    skip -= 1
                    continue
                shown.append(event.message)
                last, count = positions.get(name, (0, 0))
                positions[name] = (
                    (last, count + 1) if event.timestamp_ms == last else (event.timestamp_ms, 1)
                )
    return shown


def test_sdk_tailing_loop_sees_every_line_once(logs: LogService, clock: ManualClock) -> None:
    job = "xgboost-2026-01-01-00-00-00-000"
    positions: dict[str, tuple[int, int]] = {}
    assert sdk_v2_flush(logs, job, positions) == []  # group not created yet
    stream = f"{job}/algo-1-1767225600"
    base = now_ms(clock)
    # several lines share a timestamp, as fast output does
    first = [(base, "a0"), (base, "a1"), (base + 1, "b0"), (base + 1, "b1"), (base + 1, "b2")]
    logs.write_lines(SCOPE, GROUP, stream, first)
    logs.write_lines(SCOPE, GROUP, "other-job/algo-1-1", [(base, "not ours")])
    assert sdk_v2_flush(logs, job, positions) == ["a0", "a1", "b0", "b1", "b2"]
    assert sdk_v2_flush(logs, job, positions) == []
    clock.advance(1)
    logs.write_lines(SCOPE, GROUP, stream, [(base + 1, "b3"), (base + 2, "c0")])
    logs.write_lines(SCOPE, GROUP, stream, [(base + 3, f"d{i}") for i in range(7)])
    assert sdk_v2_flush(logs, job, positions) == ["b3", "c0"] + [f"d{i}" for i in range(7)]
    assert sdk_v2_flush(logs, job, positions) == []


def test_sdk_stream_discovery_ends_with_two_streams_and_limit_one(
    logs: LogService, clock: ManualClock
) -> None:
    job = "job"
    base = now_ms(clock)
    logs.write_lines(SCOPE, GROUP, "job/algo-1-1", [(base, "one")])
    logs.write_lines(SCOPE, GROUP, "job/algo-2-1", [(base, "two")])
    assert sorted(sdk_v2_flush(logs, job, {})) == ["one", "two"]


def test_sdk_v3_style_reading_without_start_time(logs: LogService, clock: ManualClock) -> None:
    _stream_of(logs, clock, 4, name="job/algo-1-1")
    page = logs.get_events(SCOPE, GROUP, "job/algo-1-1", from_head=True)
    assert len(page.events) == 4
    end = logs.get_events(SCOPE, GROUP, "job/algo-1-1", from_head=True, token=page.forward_token)
    assert end.events == []
    assert end.forward_token == page.forward_token
