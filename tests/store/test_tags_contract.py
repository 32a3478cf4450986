"""Contract of TagStore, run against every backend (see conftest)."""

from __future__ import annotations

from tsukuru.store import MetadataStore

ARN = "arn:aws:sagemaker:us-east-1:111111111111:training-job/job-a"
OTHER = "arn:aws:sagemaker:us-east-1:111111111111:model/m"


def test_unknown_arn_has_no_tags(metadata: MetadataStore) -> None:
    assert metadata.tags.get_tags(ARN) == {}


def test_add_merges_and_overwrites(metadata: MetadataStore) -> None:
    metadata.tags.add_tags(ARN, {"team": "risk", "stage": "dev"})
    metadata.tags.add_tags(ARN, {"stage": "prod", "owner": "ana"})
    metadata.tags.add_tags(OTHER, {"team": "ops"})
    assert metadata.tags.get_tags(ARN) == {"owner": "ana", "stage": "prod", "team": "risk"}
    assert list(metadata.tags.get_tags(ARN)) == ["owner", "stage", "team"]
    assert metadata.tags.get_tags(OTHER) == {"team": "ops"}


def test_tag_values_may_be_empty_and_unicode(metadata: MetadataStore) -> None:
    metadata.tags.add_tags(ARN, {"empty": "", "名前": "値 with spaces"})
    assert metadata.tags.get_tags(ARN) == {"empty": "", "名前": "値 with spaces"}


def test_remove_some_ignores_missing_keys(metadata: MetadataStore) -> None:
    metadata.tags.add_tags(ARN, {"a": "1", "b": "2", "c": "3"})
    metadata.tags.remove_tags(ARN, ["a", "missing"])
    metadata.tags.remove_tags(ARN, iter(["c"]))
    assert metadata.tags.get_tags(ARN) == {"b": "2"}
    metadata.tags.remove_tags(OTHER, ["a"])
    assert metadata.tags.get_tags(OTHER) == {}


def test_remove_all_only_touches_that_arn(metadata: MetadataStore) -> None:
    metadata.tags.add_tags(ARN, {"a": "1", "b": "2"})
    metadata.tags.add_tags(OTHER, {"a": "1"})
    metadata.tags.remove_all_tags(ARN)
    metadata.tags.remove_all_tags("arn:aws:s3:::never-tagged")
    assert metadata.tags.get_tags(ARN) == {}
    assert metadata.tags.get_tags(OTHER) == {"a": "1"}
