"""Contract of LogStore, run against every backend (see conftest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tsukuru.domain.errors import AlreadyExists, NotFound
from tsukuru.domain.ports import LogEvent
from tsukuru.domain.scope import Scope
from tsukuru.store import MetadataStore

SCOPE = Scope("111111111111", "us-east-1")
OTHER = Scope("222222222222", "us-east-1")
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
GROUP = "/aws/sagemaker/TrainingJobs"
MS0 = 1_714_564_800_000


@pytest.fixture
def store(metadata: MetadataStore) -> MetadataStore:
    metadata.logs.create_group(SCOPE, GROUP, T0)
    return metadata


def messages(events: list[LogEvent]) -> list[str]:
    return [event.message for event in events]


def test_groups_create_list_delete(metadata: MetadataStore) -> None:
    logs = metadata.logs
    for name in ["/b", "/a/x", "/a/y", "/a%", "/c"]:
        logs.create_group(SCOPE, name, T0)
    logs.create_group(OTHER, "/a/z", T0)
    assert [g.name for g in logs.list_groups(SCOPE)] == ["/a%", "/a/x", "/a/y", "/b", "/c"]
    assert [g.name for g in logs.list_groups(SCOPE, prefix="/a/")] == ["/a/x", "/a/y"]
    assert [g.name for g in logs.list_groups(SCOPE, after="/a/y", limit=1)] == ["/b"]
    assert [g.name for g in logs.list_groups(OTHER)] == ["/a/z"]
    first = logs.list_groups(SCOPE, limit=1)[0]
    assert (first.scope, first.created, first.stored_bytes) == (SCOPE, T0, 0)
    with pytest.raises(AlreadyExists) as exists:
        logs.create_group(SCOPE, "/b", T0)
    assert exists.value.code == "ResourceAlreadyExistsException"
    logs.delete_group(SCOPE, "/b")
    with pytest.raises(NotFound) as missing:
        logs.delete_group(SCOPE, "/b")
    assert missing.value.code == "ResourceNotFoundException"


def test_streams_need_their_group(metadata: MetadataStore) -> None:
    with pytest.raises(NotFound):
        metadata.logs.create_stream(SCOPE, "/none", "s", T0)
    with pytest.raises(NotFound):
        metadata.logs.list_streams(SCOPE, "/none")
    with pytest.raises(NotFound):
        metadata.logs.append(SCOPE, "/none", "s", [(MS0, "x")], MS0)
    with pytest.raises(NotFound):
        metadata.logs.filter_events(SCOPE, "/none")


def test_stream_lifecycle_and_missing_stream(store: MetadataStore) -> None:
    logs = store.logs
    logs.create_stream(SCOPE, GROUP, "job/algo-1-1", T0)
    with pytest.raises(AlreadyExists):
        logs.create_stream(SCOPE, GROUP, "job/algo-1-1", T0)
    with pytest.raises(NotFound):
        logs.append(SCOPE, GROUP, "other", [(MS0, "x")], MS0)
    with pytest.raises(NotFound) as caught:
        logs.get_events(SCOPE, GROUP, "other")
    assert caught.value.code == "ResourceNotFoundException"


def test_append_numbers_events_and_updates_stream(store: MetadataStore) -> None:
    logs = store.logs
    logs.create_stream(SCOPE, GROUP, "s", T0)
    logs.append(SCOPE, GROUP, "s", [(MS0 + 5, "first"), (MS0 + 1, "second ü")], MS0 + 10)
    logs.append(SCOPE, GROUP, "s", [], MS0 + 11)
    logs.append(SCOPE, GROUP, "s", [(MS0 + 9, "third")], MS0 + 20)
    events = logs.get_events(SCOPE, GROUP, "s")
    assert events == [
        LogEvent("s", 1, MS0 + 5, MS0 + 10, "first"),
        LogEvent("s", 2, MS0 + 1, MS0 + 10, "second ü"),
        LogEvent("s", 3, MS0 + 9, MS0 + 20, "third"),
    ]
    (stream,) = logs.list_streams(SCOPE, GROUP)
    assert stream.created == T0
    assert stream.first_event == T0 + timedelta(milliseconds=1)
    assert stream.last_event == T0 + timedelta(milliseconds=9)
    assert stream.last_ingestion == T0 + timedelta(milliseconds=20)
    assert stream.stored_bytes == len("first") + len("second ü".encode()) + len("third")
    assert logs.list_groups(SCOPE)[0].stored_bytes == stream.stored_bytes


def test_new_stream_has_no_event_times(store: MetadataStore) -> None:
    store.logs.create_stream(SCOPE, GROUP, "s", T0)
    (stream,) = store.logs.list_streams(SCOPE, GROUP)
    assert (stream.first_event, stream.last_event, stream.last_ingestion) == (None, None, None)
    assert store.logs.get_events(SCOPE, GROUP, "s") == []


def test_list_streams_orders_and_pages(store: MetadataStore) -> None:
    logs = store.logs
    for name, last in [("a", 30), ("b", 10), ("c", None), ("d", 20), ("x_1", 5)]:
        logs.create_stream(SCOPE, GROUP, name, T0)
        if last is not None:
            logs.append(SCOPE, GROUP, name, [(MS0 + last, "m")], MS0)

    def listed(**options: object) -> list[str]:
        return [s.name for s in logs.list_streams(SCOPE, GROUP, **options)]  # type: ignore[arg-type]

    assert listed() == ["a", "b", "c", "d", "x_1"]
    assert listed(descending=True) == ["x_1", "d", "c", "b", "a"]
    assert listed(order_by="LastEventTime", descending=True) == ["a", "d", "b", "x_1", "c"]
    assert listed(order_by="LastEventTime") == ["c", "x_1", "b", "d", "a"]
    assert listed(offset=1, limit=2) == ["b", "c"]
    assert listed(prefix="x_") == ["x_1"]
    assert listed(prefix="x%") == []


def test_get_events_ranges_and_tail(store: MetadataStore) -> None:
    logs = store.logs
    logs.create_stream(SCOPE, GROUP, "s", T0)
    logs.append(SCOPE, GROUP, "s", [(MS0 + n, f"line {n}") for n in range(10)], MS0 + 100)
    assert messages(logs.get_events(SCOPE, GROUP, "s", limit=3)) == ["line 0", "line 1", "line 2"]
    tail = logs.get_events(SCOPE, GROUP, "s", limit=3, from_head=False)
    assert messages(tail) == ["line 7", "line 8", "line 9"]
    window = logs.get_events(SCOPE, GROUP, "s", start_ms=MS0 + 2, end_ms=MS0 + 5)
    assert messages(window) == ["line 2", "line 3", "line 4"]
    after = logs.get_events(SCOPE, GROUP, "s", after_seq=8)
    assert [e.seq for e in after] == [9, 10]
    before_tail = logs.get_events(SCOPE, GROUP, "s", before_seq=8, limit=2, from_head=False)
    assert [e.seq for e in before_tail] == [6, 7]
    assert logs.get_events(SCOPE, GROUP, "s", start_ms=MS0 + 5, end_ms=MS0 + 5) == []
    assert logs.get_events(SCOPE, GROUP, "s", limit=0) == []


def test_appending_thousands_of_lines(store: MetadataStore) -> None:
    logs = store.logs
    logs.create_stream(SCOPE, GROUP, "s", T0)
    for batch in range(4):
        lines = [(MS0 + batch * 1000 + n, f"[{batch}:{n}] train-auc:0.9") for n in range(1000)]
        logs.append(SCOPE, GROUP, "s", lines, MS0)
    events = logs.get_events(SCOPE, GROUP, "s")
    assert [e.seq for e in events] == list(range(1, 4001))
    assert events[-1].message == "[3:999] train-auc:0.9"


def test_filter_events_across_streams(store: MetadataStore) -> None:
    logs = store.logs
    for name in ["job/algo-1", "job/algo-2", "other"]:
        logs.create_stream(SCOPE, GROUP, name, T0)
    logs.append(SCOPE, GROUP, "job/algo-2", [(MS0 + 1, "b1"), (MS0 + 3, "b3")], MS0)
    logs.append(SCOPE, GROUP, "job/algo-1", [(MS0 + 1, "a1"), (MS0 + 2, "a2")], MS0)
    logs.append(SCOPE, GROUP, "job/algo-1", [(MS0 + 1, "a1bis")], MS0)
    logs.append(SCOPE, GROUP, "other", [(MS0 + 0, "o0"), (MS0 + 4, "o4")], MS0)

    def filtered(**options: object) -> list[str]:
        return messages(logs.filter_events(SCOPE, GROUP, **options))  # type: ignore[arg-type]

    assert filtered() == ["o0", "a1", "a1bis", "b1", "a2", "b3", "o4"]
    assert filtered(stream_prefix="job/") == ["a1", "a1bis", "b1", "a2", "b3"]
    assert filtered(streams=["other", "job/algo-2", "missing"]) == ["o0", "b1", "b3", "o4"]
    assert filtered(start_ms=MS0 + 1, end_ms=MS0 + 3) == ["a1", "a1bis", "b1", "a2", "b3"]
    assert filtered(after=(MS0 + 1, "job/algo-1", 1)) == ["a1bis", "b1", "a2", "b3", "o4"]
    assert filtered(after=(MS0 + 1, "job/algo-1", 3), limit=2) == ["b1", "a2"]
    assert filtered(stream_prefix="job/", after=(MS0 + 3, "job/algo-2", 2)) == []
    pages: list[str] = []
    after: tuple[int, str, int] | None = None
    while page := logs.filter_events(SCOPE, GROUP, after=after, limit=3):
        pages.extend(messages(page))
        after = (page[-1].timestamp_ms, page[-1].stream, page[-1].seq)
    assert pages == filtered()


def test_delete_group_drops_streams_and_events(store: MetadataStore) -> None:
    logs = store.logs
    logs.create_stream(SCOPE, GROUP, "s", T0)
    logs.append(SCOPE, GROUP, "s", [(MS0, "x")], MS0)
    logs.delete_group(SCOPE, GROUP)
    logs.create_group(SCOPE, GROUP, T0)
    assert logs.list_streams(SCOPE, GROUP) == []
    logs.create_stream(SCOPE, GROUP, "s", T0)
    assert logs.get_events(SCOPE, GROUP, "s") == []
    logs.append(SCOPE, GROUP, "s", [(MS0, "again")], MS0)
    assert [e.seq for e in logs.get_events(SCOPE, GROUP, "s")] == [1]


def test_groups_are_scoped(store: MetadataStore) -> None:
    with pytest.raises(NotFound):
        store.logs.create_stream(OTHER, GROUP, "s", T0)
    store.logs.create_group(OTHER, GROUP, T0)
    store.logs.create_stream(OTHER, GROUP, "s", T0)
    store.logs.append(OTHER, GROUP, "s", [(MS0, "theirs")], MS0)
    store.logs.create_stream(SCOPE, GROUP, "s", T0)
    assert store.logs.get_events(SCOPE, GROUP, "s") == []
