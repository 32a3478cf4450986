"""FilterLogEvents: CloudWatch filter patterns, interleaving of streams, and scan paging."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tsukuru.domain import logs_scan
from tsukuru.domain.clock import ManualClock
from tsukuru.domain.errors import Invalid, NotFound
from tsukuru.domain.logs import LogService
from tsukuru.domain.logs_names import epoch_ms
from tsukuru.domain.logs_patterns import compile_pattern
from tsukuru.domain.scope import Scope
from tsukuru.store.memory import MemoryMetadata
from tsukuru.store.sql import SqlMetadata, open_store, sqlite_url

SCOPE = Scope("123456789012", "us-east-1")
GROUP = "/aws/sagemaker/TrainingJobs"

MESSAGES = [
    "[0]#011train-error:0.10",
    "ERROR Failed to start server",
    "WARN disk almost full",
    "error lower case",
    "ERROR Retrying connection",
    'said "hello world" twice',
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("", MESSAGES),
        ("   ", MESSAGES),
        ("ERROR", [MESSAGES[1], MESSAGES[4]]),
        ("ERROR Failed", [MESSAGES[1]]),
        ("Failed ERROR", [MESSAGES[1]]),
        ('"Failed to start"', [MESSAGES[1]]),
        ('"to Failed"', []),
        ("?WARN ?Retrying", [MESSAGES[2], MESSAGES[4]]),
        ("ERROR -Retrying", [MESSAGES[1]]),
        ('-"Failed to" ERROR', [MESSAGES[4]]),
        ("?ERROR ?WARN -disk", [MESSAGES[1], MESSAGES[4]]),
        ('"said \\"hello"', [MESSAGES[5]]),
        ("train-error", [MESSAGES[0]]),
        ("%[Ee]rror%", [MESSAGES[0], MESSAGES[3]]),
        ("%^(ERROR|WARN) %", [MESSAGES[1], MESSAGES[2], MESSAGES[4]]),
    ],
)
def test_patterns(pattern: str, expected: list[str]) -> None:
    compiled = compile_pattern(pattern)
    assert [m for m in MESSAGES if compiled.matches(m)] == expected


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ('{ $.level = "error" }', "JSON filter patterns"),
        ("[ip, user, status=500]", "Space-delimited"),
        ('"unterminated', "unterminated"),
        ("?", "must be followed"),
        ("ERROR -", "must be followed"),
        ("%(%", "regular expression"),
        ('ERROR ""', "empty phrase"),
    ],
)
def test_unsupported_or_malformed_patterns(pattern: str, says: str) -> None:
    with pytest.raises(Invalid) as refused:
        compile_pattern(pattern)
    assert says in refused.value.message
    assert refused.value.code == "InvalidParameterException"


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


def _two_streams(logs: LogService, clock: ManualClock) -> int:
    base = epoch_ms(clock.now())
    logs.write_lines(SCOPE, GROUP, "job/algo-1-1", [(base + 2 * i, f"one {i}") for i in range(5)])
    logs.write_lines(
        SCOPE, GROUP, "job/algo-2-1", [(base + 2 * i + 1, f"two {i}") for i in range(5)]
    )
    logs.write_lines(SCOPE, GROUP, "other/algo-1-1", [(base, "other ERROR")])
    return base


def test_filter_interleaves_streams_by_time(logs: LogService, clock: ManualClock) -> None:
    _two_streams(logs, clock)
    page = logs.filter_events(SCOPE, GROUP, stream_prefix="job/")
    assert [e.message for e in page.events] == [
        f"{name} {i}" for i in range(5) for name in ("one", "two")
    ]
    assert page.next_token is None
    only = logs.filter_events(SCOPE, GROUP, streams=["job/algo-2-1", "other/algo-1-1"])
    assert [e.message for e in only.events] == ["other ERROR"] + [f"two {i}" for i in range(5)]


def test_filter_time_range_is_inclusive(logs: LogService, clock: ManualClock) -> None:
    base = _two_streams(logs, clock)
    page = logs.filter_events(
        SCOPE, GROUP, stream_prefix="job/", start_ms=base + 2, end_ms=base + 4
    )
    assert [e.message for e in page.events] == ["one 1", "two 1", "one 2"]


def test_filter_pages_with_tokens(logs: LogService, clock: ManualClock) -> None:
    _two_streams(logs, clock)
    seen: list[str] = []
    token = None
    while True:
        page = logs.filter_events(SCOPE, GROUP, pattern="?one ?two", limit=3, token=token)
        seen += [e.message for e in page.events]
        if page.next_token is None:
            break
        token = page.next_token
    assert seen == [f"{name} {i}" for i in range(5) for name in ("one", "two")]


def test_filter_scan_budget_returns_a_token_for_the_rest(
    logs: LogService, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = epoch_ms(clock.now())
    lines = [(base + i, "noise") for i in range(30)] + [(base + 30, "needle")]
    logs.write_lines(SCOPE, GROUP, "s", lines)
    monkeypatch.setattr(logs_scan, "SCAN_BUDGET", 10)
    calls = 0
    found: list[str] = []
    token = None
    while True:
        calls += 1
        page = logs.filter_events(SCOPE, GROUP, pattern="needle", token=token)
        found += [e.message for e in page.events]
        if page.next_token is None:
            break
        token = page.next_token
    assert found == ["needle"]
    assert calls == 4  # 10 + 10 + 10 examined with nothing found, then the needle


def test_filter_respects_the_one_megabyte_page(logs: LogService, clock: ManualClock) -> None:
    base = epoch_ms(clock.now())
    logs.write_lines(SCOPE, GROUP, "s", [(base + i, "y" * 300_000) for i in range(4)])
    page = logs.filter_events(SCOPE, GROUP, pattern="y")
    assert len(page.events) == 3
    assert page.next_token is not None
    rest = logs.filter_events(SCOPE, GROUP, pattern="y", token=page.next_token)
    assert len(rest.events) == 1
    assert rest.next_token is None


def test_filter_limit_at_the_very_end_ends_cleanly(logs: LogService, clock: ManualClock) -> None:
    _two_streams(logs, clock)
    page = logs.filter_events(SCOPE, GROUP, stream_prefix="job/", limit=10)
    assert len(page.events) == 10
    assert page.next_token is None
    first = logs.filter_events(SCOPE, GROUP, stream_prefix="job/", limit=9)
    assert first.next_token is not None
    rest = logs.filter_events(SCOPE, GROUP, stream_prefix="job/", token=first.next_token)
    assert [e.message for e in rest.events] == ["two 4"]
    assert rest.next_token is None
    needle = logs.filter_events(SCOPE, GROUP, pattern="two 4", limit=1)
    assert len(needle.events) == 1
    assert needle.next_token is None


def test_filter_argument_rules(logs: LogService, clock: ManualClock) -> None:
    _two_streams(logs, clock)
    with pytest.raises(Invalid, match="mutually exclusive"):
        logs.filter_events(SCOPE, GROUP, streams=["a"], stream_prefix="a")
    with pytest.raises(Invalid):
        logs.filter_events(SCOPE, GROUP, streams=[])
    with pytest.raises(Invalid):
        logs.filter_events(SCOPE, GROUP, streams=[f"s{i}" for i in range(101)])
    with pytest.raises(Invalid, match="nextToken"):
        logs.filter_events(SCOPE, GROUP, token="f/00000000000000000001")
    with pytest.raises(NotFound):
        logs.filter_events(SCOPE, "/nope")
