"""Contract of ResourceStore, run against every backend (see conftest)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tsukuru.domain.errors import AlreadyExists, Conflict, NotFound
from tsukuru.domain.ports import ListQuery, Record
from tsukuru.domain.scope import Scope
from tsukuru.store import MetadataStore

SCOPE = Scope("111111111111", "us-east-1")
OTHER_ACCOUNT = Scope("222222222222", "us-east-1")
OTHER_REGION = Scope("111111111111", "eu-west-1")
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
KIND = "training-job"


def make(
    name: str,
    *,
    scope: Scope = SCOPE,
    kind: str = KIND,
    status: str | None = "InProgress",
    created: datetime = T0,
    modified: datetime | None = None,
) -> Record:
    return Record(
        kind=kind,
        scope=scope,
        name=name,
        arn=scope.arn("sagemaker", f"{kind}/{name}"),
        status=status,
        created=created,
        modified=modified or created,
        doc={"TrainingJobName": name, "HyperParameters": {"eta": "0.2"}, "Count": 3},
    )


def names(records: list[Record]) -> list[str]:
    return [record.name for record in records]


def test_insert_then_get_round_trips(metadata: MetadataStore) -> None:
    created = datetime(2024, 5, 1, 14, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    inserted = metadata.resources.insert(make("job-a", created=created))
    assert inserted.version == 1
    got = metadata.resources.get(KIND, SCOPE, "job-a")
    assert got == inserted
    assert got.created == created
    assert got.created.tzinfo is not None
    assert got.created.utcoffset() == timedelta(0)
    assert got.created.microsecond == 123456
    assert got.doc == {"TrainingJobName": "job-a", "HyperParameters": {"eta": "0.2"}, "Count": 3}
    assert got.arn == SCOPE.arn("sagemaker", "training-job/job-a")


def test_documents_are_copies(metadata: MetadataStore) -> None:
    record = make("job-a")
    metadata.resources.insert(record)
    record.doc["HyperParameters"]["eta"] = "changed"
    got = metadata.resources.get(KIND, SCOPE, "job-a")
    assert got.doc["HyperParameters"]["eta"] == "0.2"
    got.doc["Count"] = 99
    assert metadata.resources.get(KIND, SCOPE, "job-a").doc["Count"] == 3


def test_naive_datetimes_are_refused(metadata: MetadataStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        metadata.resources.insert(make("job-a", created=datetime(2024, 1, 1)))


def test_duplicate_name_is_refused_per_kind_and_scope(metadata: MetadataStore) -> None:
    metadata.resources.insert(make("job-a"))
    with pytest.raises(AlreadyExists):
        metadata.resources.insert(make("job-a", status="Completed"))
    metadata.resources.insert(make("job-a", scope=OTHER_ACCOUNT))
    metadata.resources.insert(make("job-a", scope=OTHER_REGION))
    metadata.resources.insert(make("job-a", kind="model"))
    assert metadata.resources.get(KIND, SCOPE, "job-a").status == "InProgress"


def test_get_missing_is_not_found(metadata: MetadataStore) -> None:
    metadata.resources.insert(make("job-a"))
    with pytest.raises(NotFound):
        metadata.resources.get(KIND, SCOPE, "job-b")
    with pytest.raises(NotFound):
        metadata.resources.get(KIND, OTHER_ACCOUNT, "job-a")
    with pytest.raises(NotFound):
        metadata.resources.get("model", SCOPE, "job-a")


def test_update_increments_version_and_replaces(metadata: MetadataStore) -> None:
    first = metadata.resources.insert(make("job-a"))
    later = T0 + timedelta(minutes=5)
    second = metadata.resources.update(
        replace(first, status="Completed", modified=later, doc={"TrainingJobName": "job-a"})
    )
    assert second.version == 2
    got = metadata.resources.get(KIND, SCOPE, "job-a")
    assert got == second
    assert (got.status, got.modified, got.doc) == ("Completed", later, {"TrainingJobName": "job-a"})
    third = metadata.resources.update(replace(got, status="Stopped"))
    assert third.version == 3


def test_update_with_stale_version_conflicts(metadata: MetadataStore) -> None:
    first = metadata.resources.insert(make("job-a"))
    metadata.resources.update(replace(first, status="Stopping"))
    with pytest.raises(Conflict):
        metadata.resources.update(replace(first, status="Completed"))
    assert metadata.resources.get(KIND, SCOPE, "job-a").status == "Stopping"


def test_update_missing_is_not_found(metadata: MetadataStore) -> None:
    with pytest.raises(NotFound):
        metadata.resources.update(replace(make("ghost"), version=1))


def test_delete(metadata: MetadataStore) -> None:
    metadata.resources.insert(make("job-a"))
    metadata.resources.delete(KIND, SCOPE, "job-a")
    with pytest.raises(NotFound):
        metadata.resources.get(KIND, SCOPE, "job-a")
    with pytest.raises(NotFound):
        metadata.resources.delete(KIND, SCOPE, "job-a")
    again = metadata.resources.insert(make("job-a"))
    assert again.version == 1


def _populate(metadata: MetadataStore) -> None:
    """Five jobs a millisecond apart, with statuses and modification times that disagree."""
    rows = [
        ("alpha-train", "Completed", 0, 40),
        ("beta-train", "InProgress", 1, 30),
        ("Gamma-tune", "Failed", 2, 20),
        ("delta-train", "Completed", 3, 10),
        ("epsilon", None, 4, 0),
    ]
    for name, status, created_ms, modified_ms in rows:
        metadata.resources.insert(
            make(
                name,
                status=status,
                created=T0 + timedelta(milliseconds=created_ms),
                modified=T0 + timedelta(milliseconds=modified_ms),
            )
        )
    metadata.resources.insert(make("zeta-train", scope=OTHER_ACCOUNT))
    metadata.resources.insert(make("eta-train", kind="model"))


def find(metadata: MetadataStore, **query: object) -> list[str]:
    return names(metadata.resources.find(KIND, SCOPE, ListQuery(**query)))  # type: ignore[arg-type]


def test_find_defaults_to_newest_first_within_kind_and_scope(metadata: MetadataStore) -> None:
    _populate(metadata)
    assert find(metadata) == ["epsilon", "delta-train", "Gamma-tune", "beta-train", "alpha-train"]


def test_find_name_contains_ignores_ascii_case(metadata: MetadataStore) -> None:
    _populate(metadata)
    assert find(metadata, name_contains="TRAIN", descending=False) == [
        "alpha-train",
        "beta-train",
        "delta-train",
    ]
    assert find(metadata, name_contains="gamma") == ["Gamma-tune"]
    assert find(metadata, name_contains="%") == []
    assert find(metadata, name_contains="_") == []


def test_find_name_contains_treats_wildcards_literally(metadata: MetadataStore) -> None:
    metadata.resources.insert(make("a_b"))
    metadata.resources.insert(make("a-b"))
    metadata.resources.insert(make("100%"))
    assert find(metadata, name_contains="a_b") == ["a_b"]
    assert find(metadata, name_contains="0%") == ["100%"]


def test_find_name_contains_lowers_ascii_only(metadata: MetadataStore) -> None:
    metadata.resources.insert(make("ÄBC-job"))
    assert find(metadata, name_contains="bc-JOB") == ["ÄBC-job"]
    assert find(metadata, name_contains="äbc") == []


def test_find_status_equals(metadata: MetadataStore) -> None:
    _populate(metadata)
    assert find(metadata, status_equals="Completed") == ["delta-train", "alpha-train"]
    assert find(metadata, status_equals="Stopped") == []


def test_find_time_ranges_are_strict_and_millisecond_exact(metadata: MetadataStore) -> None:
    _populate(metadata)
    ms = timedelta(milliseconds=1)
    assert find(metadata, created_after=T0 + 2 * ms, descending=False) == [
        "delta-train",
        "epsilon",
    ]
    assert find(metadata, created_before=T0 + 2 * ms, descending=False) == [
        "alpha-train",
        "beta-train",
    ]
    assert find(metadata, created_after=T0, created_before=T0 + 2 * ms) == ["beta-train"]
    assert find(metadata, modified_after=T0 + 20 * ms, descending=False) == [
        "alpha-train",
        "beta-train",
    ]
    assert find(metadata, modified_before=T0 + 10 * ms) == ["epsilon"]
    other_zone = timezone(timedelta(hours=-5))
    assert find(metadata, created_after=(T0 + 3 * ms).astimezone(other_zone)) == ["epsilon"]


def test_find_sorts_by_each_key_with_name_breaking_ties(metadata: MetadataStore) -> None:
    _populate(metadata)
    assert find(metadata, sort_by="Name", descending=False) == [
        "Gamma-tune",
        "alpha-train",
        "beta-train",
        "delta-train",
        "epsilon",
    ]
    assert find(metadata, sort_by="LastModifiedTime", descending=False) == [
        "epsilon",
        "delta-train",
        "Gamma-tune",
        "beta-train",
        "alpha-train",
    ]
    assert find(metadata, sort_by="Status", descending=False) == [
        "epsilon",
        "alpha-train",
        "delta-train",
        "Gamma-tune",
        "beta-train",
    ]
    assert find(metadata, sort_by="Status", descending=True) == [
        "beta-train",
        "Gamma-tune",
        "delta-train",
        "alpha-train",
        "epsilon",
    ]


def test_find_ties_on_creation_time_are_broken_by_name(metadata: MetadataStore) -> None:
    for name in ["c", "a", "b"]:
        metadata.resources.insert(make(name))
    assert find(metadata, descending=False) == ["a", "b", "c"]
    assert find(metadata, descending=True) == ["c", "b", "a"]


def test_find_offset_and_limit_page_through(metadata: MetadataStore) -> None:
    _populate(metadata)
    pages = [find(metadata, offset=offset, limit=2) for offset in (0, 2, 4, 6)]
    assert pages == [
        ["epsilon", "delta-train"],
        ["Gamma-tune", "beta-train"],
        ["alpha-train"],
        [],
    ]
    assert find(metadata, status_equals="Completed", offset=1, limit=5) == ["alpha-train"]
    assert find(metadata, limit=0) == []
    assert find(metadata, offset=-3, limit=1) == ["epsilon"]


def test_list_by_status_spans_scopes(metadata: MetadataStore) -> None:
    _populate(metadata)
    found = metadata.resources.list_by_status(KIND, ["InProgress", "Failed"])
    assert sorted((r.scope.account_id, r.name) for r in found) == [
        ("111111111111", "Gamma-tune"),
        ("111111111111", "beta-train"),
        ("222222222222", "zeta-train"),
    ]
    assert metadata.resources.list_by_status(KIND, []) == []
    assert names(metadata.resources.list_by_status("model", iter(["InProgress"]))) == ["eta-train"]
