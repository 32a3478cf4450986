"""Lifecycle configurations: their rules, and what Create/Describe/Update/Delete/List do."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tsukuru.domain.clock import ManualClock
from tsukuru.domain.errors import Invalid
from tsukuru.domain.notebooks_lifecycle import LifecycleConfigService, LifecycleScripts
from tsukuru.domain.paging import Listing
from tsukuru.domain.scope import Scope
from tsukuru.store.memory import MemoryMetadata

SCOPE = Scope("123456789012", "us-east-1")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def configs(clock: ManualClock) -> LifecycleConfigService:
    metadata = MemoryMetadata()
    return LifecycleConfigService(metadata.resources, metadata.tags, clock)


def test_create_describe_and_decode(configs: LifecycleConfigService) -> None:
    arn = configs.create(
        SCOPE,
        {
            "NotebookInstanceLifecycleConfigName": "Setup-1",
            "OnCreate": [{"Content": b64("echo hi")}],
        },
    )
    assert arn == (
        "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance-lifecycle-config/setup-1"
    )
    record = configs.get(SCOPE, "Setup-1")
    assert record.doc["OnCreate"] == [{"Content": b64("echo hi")}]
    assert "OnStart" not in record.doc
    assert configs.scripts(SCOPE, "Setup-1") == LifecycleScripts(b"echo hi", None)


def test_bad_requests_are_refused(configs: LifecycleConfigService) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"NotebookInstanceLifecycleConfigName": "no_underscores"}, "notebookInstanceLifecycle"),
        (
            {"NotebookInstanceLifecycleConfigName": "a", "OnStart": [{"Content": "not base64!"}]},
            "base64",
        ),
        (
            {
                "NotebookInstanceLifecycleConfigName": "a",
                "OnStart": [{"Content": b64("a")}, {"Content": b64("b")}],
            },
            "less than or equal to 1",
        ),
        (
            {"NotebookInstanceLifecycleConfigName": "a", "OnStart": [{"Content": "A" * 16388}]},
            "16384",
        ),
    ]
    for request, message in cases:
        with pytest.raises(Invalid, match=message):
            configs.create(SCOPE, request)
    configs.create(SCOPE, {"NotebookInstanceLifecycleConfigName": "a"})
    with pytest.raises(Invalid, match="already exists"):
        configs.create(SCOPE, {"NotebookInstanceLifecycleConfigName": "a"})


def test_update_replaces_the_hooks_it_names(
    configs: LifecycleConfigService, clock: ManualClock
) -> None:
    configs.create(
        SCOPE,
        {
            "NotebookInstanceLifecycleConfigName": "a",
            "OnCreate": [{"Content": b64("one")}],
            "OnStart": [{"Content": b64("two")}],
        },
    )
    clock.advance(60)
    configs.update(
        SCOPE, {"NotebookInstanceLifecycleConfigName": "a", "OnStart": [{"Content": b64("3")}]}
    )
    record = configs.get(SCOPE, "a")
    assert configs.scripts(SCOPE, "a") == LifecycleScripts(b"one", b"3")
    assert record.doc["LastModifiedTime"] - record.doc["CreationTime"] == 60


def test_delete_and_describe_a_missing_one(configs: LifecycleConfigService) -> None:
    configs.create(SCOPE, {"NotebookInstanceLifecycleConfigName": "a"})
    configs.delete(SCOPE, "a")
    with pytest.raises(Invalid, match="Lifecycle Config does not exist"):
        configs.get(SCOPE, "a")
    with pytest.raises(Invalid, match="does not exist"):
        configs.delete(SCOPE, "a")


def test_list_sorts_filters_and_pages(configs: LifecycleConfigService, clock: ManualClock) -> None:
    for name in ("b-config", "a-config", "c-other"):
        configs.create(SCOPE, {"NotebookInstanceLifecycleConfigName": name})
        clock.advance(1)
    newest_first, _ = configs.find(SCOPE, Listing())
    assert [r.name for r in newest_first] == ["c-other", "a-config", "b-config"]
    by_name, token = configs.find(
        SCOPE, Listing(sort_by="Name", sort_order="Ascending", max_results=2)
    )
    assert [r.name for r in by_name] == ["a-config", "b-config"]
    rest, token = configs.find(
        SCOPE, Listing(sort_by="Name", sort_order="Ascending", max_results=2, next_token=token)
    )
    assert [r.name for r in rest] == ["c-other"]
    assert token is None
    named, _ = configs.find(SCOPE, Listing(name_contains="CONFIG", sort_by="LastModifiedTime"))
    assert [r.name for r in named] == ["a-config", "b-config"]
    with pytest.raises(Invalid, match="different filters"):
        configs.find(SCOPE, Listing(name_contains="x", next_token=token or _token(configs)))
    with pytest.raises(Invalid, match="SortBy"):
        configs.find(SCOPE, Listing(sort_by="Status"))


def _token(configs: LifecycleConfigService) -> str:
    _, token = configs.find(SCOPE, Listing(max_results=1))
    assert token is not None
    return token
