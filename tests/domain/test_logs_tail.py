"""Following a job's streams (`tsukuru logs --follow`): polls, resumable cursors, final flush."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tsukuru.domain import logs_tail
from tsukuru.domain.clock import ManualClock
from tsukuru.domain.errors import Invalid
from tsukuru.domain.logs import LogService, TailCursor
from tsukuru.domain.logs_names import epoch_ms
from tsukuru.domain.scope import Scope
from tsukuru.store.memory import MemoryMetadata
from tsukuru.store.sql import SqlMetadata, open_store, sqlite_url

SCOPE = Scope("123456789012", "us-east-1")
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


def test_poll_before_the_group_exists_then_new_lines_only(
    logs: LogService, clock: ManualClock
) -> None:
    first = logs.poll(SCOPE, GROUP, stream_prefix="job/")
    assert first.events == []
    assert not first.more
    base = epoch_ms(clock.now())
    logs.write_lines(SCOPE, GROUP, "job/algo-1-1", [(base, "a"), (base + 1, "b")])
    logs.write_lines(SCOPE, GROUP, "elsewhere/x", [(base, "not ours")])
    second = logs.poll(SCOPE, GROUP, stream_prefix="job/", cursor=first.cursor)
    assert [e.message for e in second.events] == ["a", "b"]
    # a late event with an *older* timestamp, and a brand-new stream, are both still seen once
    logs.write_lines(SCOPE, GROUP, "job/algo-1-1", [(base - 5, "late")])
    logs.write_lines(SCOPE, GROUP, "job/algo-2-1", [(base + 2, "second instance")])
    resumed = TailCursor.decode(second.cursor.encode())
    third = logs.poll(SCOPE, GROUP, stream_prefix="job/", cursor=resumed)
    assert [e.message for e in third.events] == ["late", "second instance"]
    assert logs.poll(SCOPE, GROUP, stream_prefix="job/", cursor=third.cursor).events == []


def test_cursor_start_time(logs: LogService, clock: ManualClock) -> None:
    base = epoch_ms(clock.now())
    logs.write_lines(SCOPE, GROUP, "s", [(base + i, f"l{i}") for i in range(5)])
    batch = logs.poll(SCOPE, GROUP, cursor=TailCursor(start_ms=base + 3))
    assert [e.message for e in batch.events] == ["l3", "l4"]
    assert TailCursor.decode(batch.cursor.encode()) == batch.cursor


@pytest.mark.parametrize("token", ["nonsense", "f/00000000000000000001"])
def test_bad_cursor_tokens(token: str) -> None:
    with pytest.raises(Invalid):
        TailCursor.decode(token)


def test_tail_flushes_after_the_writer_finishes(logs: LogService, clock: ManualClock) -> None:
    base = epoch_ms(clock.now())
    script = iter(
        [
            [(base, "starting")],
            [],
            [(base + 1, "training"), (base + 2, "[1]#011train-error:0.1")],
            [(base + 3, "last words")],  # written just as the job finishes
        ]
    )
    finished = False
    sleeps: list[float] = []

    def writer_step(seconds: float) -> None:
        nonlocal finished
        sleeps.append(seconds)
        try:
            lines = next(script)
        except StopIteration:
            return
        if lines:
            logs.write_lines(SCOPE, GROUP, "job/algo-1-1", lines)
        finished = any(message == "last words" for _, message in lines)

    logs.write_lines(SCOPE, GROUP, "job/algo-1-1", [(base - 1, "boot")])
    seen = [
        e.message
        for e in logs.tail(
            SCOPE,
            GROUP,
            stream_prefix="job/",
            until=lambda: finished,
            poll_seconds=0.5,
            sleep=writer_step,
        )
    ]
    assert seen == ["boot", "starting", "training", "[1]#011train-error:0.1", "last words"]
    assert sleeps
    assert all(s == 0.5 for s in sleeps)


def test_tail_reads_big_backlogs_without_sleeping(
    logs: LogService, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs_tail, "EVENTS_PER_STREAM", 3)
    base = epoch_ms(clock.now())
    logs.write_lines(SCOPE, GROUP, "s", [(base + i, f"l{i}") for i in range(10)])
    slept: list[float] = []
    seen = [e.message for e in logs.tail(SCOPE, GROUP, until=lambda: True, sleep=slept.append)]
    assert seen == [f"l{i}" for i in range(10)]
    assert slept == []
