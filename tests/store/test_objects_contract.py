"""Contract of ObjectIndex for buckets and objects, run against every backend (see conftest)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tsukuru.domain.errors import AlreadyExists, Conflict, NotFound
from tsukuru.domain.ports import Bucket, StoredObject, Upload
from tsukuru.store import MetadataStore

ACCOUNT = "111111111111"
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def bucket(name: str = "data", account: str = ACCOUNT) -> Bucket:
    return Bucket(name=name, account_id=account, region="us-east-1", created=T0)


def obj(key: str, blob_id: str | None = None, bucket_name: str = "data") -> StoredObject:
    return StoredObject(
        bucket=bucket_name,
        key=key,
        blob_id=blob_id or f"blob-{key}",
        size=len(key),
        etag='"0123456789abcdef0123456789abcdef"',
        last_modified=T0,
    )


def keys(objects: list[StoredObject]) -> list[str]:
    return [o.key for o in objects]


def test_buckets_create_get_list(metadata: MetadataStore) -> None:
    index = metadata.objects
    for name in ["zeta", "alpha", "mid"]:
        index.create_bucket(bucket(name))
    index.create_bucket(bucket("theirs", account="222222222222"))
    assert index.get_bucket("alpha") == bucket("alpha")
    assert [b.name for b in index.list_buckets(ACCOUNT)] == ["alpha", "mid", "zeta"]
    assert [b.name for b in index.list_buckets("222222222222")] == ["theirs"]
    assert index.list_buckets("333333333333") == []


def test_duplicate_bucket_codes_depend_on_owner(metadata: MetadataStore) -> None:
    metadata.objects.create_bucket(bucket("data"))
    with pytest.raises(AlreadyExists) as mine:
        metadata.objects.create_bucket(bucket("data"))
    assert mine.value.code == "BucketAlreadyOwnedByYou"
    with pytest.raises(AlreadyExists) as theirs:
        metadata.objects.create_bucket(bucket("data", account="222222222222"))
    assert theirs.value.code == "BucketAlreadyExists"


def test_missing_bucket_is_no_such_bucket(metadata: MetadataStore) -> None:
    index = metadata.objects
    calls: list[Callable[[], object]] = [
        lambda: index.get_bucket("nope"),
        lambda: index.delete_bucket("nope"),
        lambda: index.put_object(obj("k", bucket_name="nope")),
        lambda: index.get_object("nope", "k"),
        lambda: index.list_objects("nope"),
        lambda: index.list_uploads("nope"),
        lambda: index.create_upload(Upload("u1", "nope", "k", T0)),
    ]
    for call in calls:
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.code == "NoSuchBucket"


def test_delete_bucket_refuses_objects_and_uploads(metadata: MetadataStore) -> None:
    index = metadata.objects
    index.create_bucket(bucket())
    index.put_object(obj("k"))
    with pytest.raises(Conflict) as caught:
        index.delete_bucket("data")
    assert caught.value.code == "BucketNotEmpty"
    index.delete_object("data", "k")
    index.create_upload(Upload("u1", "data", "k", T0))
    with pytest.raises(Conflict):
        index.delete_bucket("data")
    index.abort_upload("u1")
    index.delete_bucket("data")
    with pytest.raises(NotFound):
        index.get_bucket("data")
    index.create_bucket(bucket())


def test_put_get_round_trips_every_field(metadata: MetadataStore) -> None:
    index = metadata.objects
    index.create_bucket(bucket())
    stored = StoredObject(
        bucket="data",
        key="train/../a b/ü.csv",
        blob_id="b1",
        size=12345678901,
        etag='"abc-3"',
        last_modified=datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC),
        content_type="text/csv",
        metadata={"origin": "notebook", "ключ": "значение"},
        headers={"Content-Encoding": "gzip", "Cache-Control": "no-cache"},
        checksums={"CRC32": "AAAAAA=="},
        parts_count=3,
    )
    assert index.put_object(stored) == []
    assert index.get_object("data", stored.key) == stored
    with pytest.raises(NotFound) as caught:
        index.get_object("data", "train/../a b/u.csv")
    assert caught.value.code == "NoSuchKey"


def test_replace_returns_old_blob_unless_still_used(metadata: MetadataStore) -> None:
    index = metadata.objects
    index.create_bucket(bucket())
    assert index.put_object(obj("k", "b1")) == []
    assert index.put_object(obj("k", "b2")) == ["b1"]
    assert index.get_object("data", "k").blob_id == "b2"
    assert index.put_object(obj("k", "b2")) == []
    index.put_object(obj("copy", "b2"))
    assert index.put_object(obj("k", "b3")) == []
    assert index.delete_object("data", "copy") == ["b2"]


def test_delete_object_returns_blob_and_tolerates_missing(metadata: MetadataStore) -> None:
    index = metadata.objects
    index.create_bucket(bucket())
    index.put_object(obj("k", "b1"))
    assert index.delete_object("data", "k") == ["b1"]
    assert index.delete_object("data", "k") == []
    with pytest.raises(NotFound):
        index.get_object("data", "k")


UNICODE_KEYS = ["a", "a/b", "a b", "a-b", "a0", "aa", "Z", "é", "日本", "\U0001f600", "\uffff", "~"]


def test_listing_is_in_utf8_byte_order(metadata: MetadataStore) -> None:
    index = metadata.objects
    index.create_bucket(bucket())
    for key in UNICODE_KEYS:
        index.put_object(obj(key))
    expected = sorted(UNICODE_KEYS, key=lambda key: key.encode("utf-8"))
    assert keys(index.list_objects("data")) == expected
    assert expected[:6] == ["Z", "a", "a b", "a-b", "a/b", "a0"]


def test_prefix_is_literal_and_exact(metadata: MetadataStore) -> None:
    index = metadata.objects
    index.create_bucket(bucket())
    for key in ["a%b", "a%c", "axb", "a_b", "aab", "a\\b", "a", "b", "ab", "a/x/y", "a/x0"]:
        index.put_object(obj(key))
    assert keys(index.list_objects("data", prefix="a%")) == ["a%b", "a%c"]
    assert keys(index.list_objects("data", prefix="a_")) == ["a_b"]
    assert keys(index.list_objects("data", prefix="a\\")) == ["a\\b"]
    assert keys(index.list_objects("data", prefix="a/x")) == ["a/x/y", "a/x0"]
    assert keys(index.list_objects("data", prefix="a")) == [
        "a",
        "a%b",
        "a%c",
        "a/x/y",
        "a/x0",
        "a\\b",
        "a_b",
        "aab",
        "ab",
        "axb",
    ]
    assert keys(index.list_objects("data", prefix="c")) == []


def test_prefix_ending_in_highest_code_point(metadata: MetadataStore) -> None:
    index = metadata.objects
    index.create_bucket(bucket())
    top = "\U0010ffff"
    for key in [f"x{top}", f"x{top}a", f"x{top}{top}", "y", f"{top}"]:
        index.put_object(obj(key))
    assert keys(index.list_objects("data", prefix=f"x{top}")) == [
        f"x{top}",
        f"x{top}a",
        f"x{top}{top}",
    ]
    assert keys(index.list_objects("data", prefix=top)) == [top]
    assert keys(index.list_objects("data", prefix="\ud7ff")) == []


def test_after_and_limit_page_over_many_keys(metadata: MetadataStore) -> None:
    index = metadata.objects
    index.create_bucket(bucket())
    all_keys = [f"logs/{n:05d}" for n in range(2500)] + ["other/1", "logr", "logs0"]
    for key in all_keys:
        index.put_object(obj(key))
    seen: list[str] = []
    after: str | None = None
    while True:
        page = index.list_objects("data", prefix="logs/", after=after, limit=1000)
        if not page:
            break
        seen.extend(keys(page))
        after = page[-1].key
    assert seen == [f"logs/{n:05d}" for n in range(2500)]
    assert keys(index.list_objects("data", prefix="logs/", after="logs/02497")) == [
        "logs/02498",
        "logs/02499",
    ]
    assert keys(index.list_objects("data", prefix="logs/", after="a", limit=2)) == [
        "logs/00000",
        "logs/00001",
    ]
    assert index.list_objects("data", prefix="logs/", after="logs0") == []
    assert keys(index.list_objects("data", after="logs/02499")) == ["logs0", "other/1"]
    assert index.list_objects("data", limit=0) == []


def test_objects_of_other_buckets_stay_apart(metadata: MetadataStore) -> None:
    index = metadata.objects
    index.create_bucket(bucket("one"))
    index.create_bucket(bucket("two"))
    index.put_object(obj("k", "b1", bucket_name="one"))
    index.put_object(obj("k", "b2", bucket_name="two"))
    assert index.get_object("one", "k").blob_id == "b1"
    assert keys(index.list_objects("two")) == ["k"]
    index.delete_object("one", "k")
    assert index.get_object("two", "k").blob_id == "b2"


def test_long_keys_up_to_1024_bytes(metadata: MetadataStore) -> None:
    index = metadata.objects
    index.create_bucket(bucket())
    long_key = "é" * 512
    assert len(long_key.encode("utf-8")) == 1024
    index.put_object(obj(long_key, "long-key-blob"))
    assert index.get_object("data", long_key).key == long_key
    assert keys(index.list_objects("data", prefix="éé")) == [long_key]


def test_last_modified_comes_back_as_utc(metadata: MetadataStore) -> None:
    index = metadata.objects
    index.create_bucket(bucket())
    local = datetime(2024, 5, 1, 14, 0, 0, 1000, tzinfo=timezone(timedelta(hours=2)))
    index.put_object(StoredObject("data", "k", "b", 1, '"e"', local))
    got = index.get_object("data", "k").last_modified
    assert got == local
    assert got.utcoffset() == timedelta(0)
