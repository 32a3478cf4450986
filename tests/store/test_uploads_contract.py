"""Contract of ObjectIndex for multipart uploads, run against every backend (see conftest)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tsukuru.domain.errors import NotFound
from tsukuru.domain.ports import Bucket, Part, StoredObject, Upload
from tsukuru.store import MetadataStore

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def store(metadata: MetadataStore) -> MetadataStore:
    metadata.objects.create_bucket(Bucket("data", "111111111111", "us-east-1", T0))
    return metadata


def upload(upload_id: str, key: str = "big.bin", initiated: datetime = T0) -> Upload:
    return Upload(upload_id=upload_id, bucket="data", key=key, initiated=initiated)


def part(upload_id: str, number: int, blob_id: str | None = None) -> Part:
    return Part(
        upload_id=upload_id,
        part_number=number,
        blob_id=blob_id or f"{upload_id}-p{number}",
        size=5 * 1024 * 1024,
        etag=f'"etag{number}"',
        last_modified=T0,
    )


def final(key: str = "big.bin", blob_id: str = "final") -> StoredObject:
    return StoredObject("data", key, blob_id, 3, '"abc-2"', T0, parts_count=2)


def test_create_and_get_upload(store: MetadataStore) -> None:
    created = Upload(
        upload_id="u1",
        bucket="data",
        key="big.bin",
        initiated=T0,
        content_type="application/x-parquet",
        metadata={"who": "me"},
        headers={"Content-Disposition": "attachment"},
        checksum_algorithm="CRC32",
    )
    store.objects.create_upload(created)
    assert store.objects.get_upload("data", "big.bin", "u1") == created


def test_get_upload_checks_bucket_and_key(store: MetadataStore) -> None:
    store.objects.create_upload(upload("u1"))
    for args in [("data", "other", "u1"), ("data", "big.bin", "u2")]:
        with pytest.raises(NotFound) as caught:
            store.objects.get_upload(*args)
        assert caught.value.code == "NoSuchUpload"


def test_parts_replace_and_page(store: MetadataStore) -> None:
    index = store.objects
    index.create_upload(upload("u1"))
    for number in [3, 1, 2, 10]:
        assert index.put_part(part("u1", number)) == []
    assert index.put_part(part("u1", 2, "u1-p2-again")) == ["u1-p2"]
    listed = index.list_parts("u1")
    assert [p.part_number for p in listed] == [1, 2, 3, 10]
    assert listed[1] == part("u1", 2, "u1-p2-again")
    assert [p.part_number for p in index.list_parts("u1", after_part=1, limit=2)] == [2, 3]
    assert [p.part_number for p in index.list_parts("u1", after_part=3)] == [10]
    assert index.list_parts("u1", after_part=10) == []


def test_part_checksums_round_trip(store: MetadataStore) -> None:
    store.objects.create_upload(upload("u1"))
    with_sums = Part("u1", 1, "b", 10, '"e"', T0, checksums={"CRC32C": "abcd=="})
    store.objects.put_part(with_sums)
    assert store.objects.list_parts("u1") == [with_sums]


def test_parts_of_missing_upload_are_no_such_upload(store: MetadataStore) -> None:
    calls: list[Callable[[], object]] = [
        lambda: store.objects.put_part(part("ghost", 1)),
        lambda: store.objects.list_parts("ghost"),
        lambda: store.objects.abort_upload("ghost"),
        lambda: store.objects.complete_upload("ghost", final(), [1]),
    ]
    for call in calls:
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.code == "NoSuchUpload"


def test_complete_writes_object_and_drops_upload(store: MetadataStore) -> None:
    index = store.objects
    index.put_object(final(blob_id="previous"))
    index.create_upload(upload("u1"))
    for number in [1, 2, 3]:
        index.put_part(part("u1", number))
    unused = index.complete_upload("u1", final(blob_id="final"), [1, 3])
    assert set(unused) == {"previous", "u1-p1", "u1-p2", "u1-p3"}
    assert len(unused) == len(set(unused))
    assert index.get_object("data", "big.bin") == final(blob_id="final")
    with pytest.raises(NotFound):
        index.get_upload("data", "big.bin", "u1")
    with pytest.raises(NotFound):
        index.list_parts("u1")
    assert index.list_uploads("data") == []
    assert index.referenced_blob_ids() == {"final"}


def test_complete_keeps_a_part_blob_that_becomes_the_object(store: MetadataStore) -> None:
    index = store.objects
    index.create_upload(upload("u1"))
    index.put_part(part("u1", 1, "only"))
    index.put_part(part("u1", 2, "dropped"))
    assert index.complete_upload("u1", final(blob_id="only"), [1]) == ["dropped"]
    assert index.referenced_blob_ids() == {"only"}


def test_abort_returns_part_blobs(store: MetadataStore) -> None:
    index = store.objects
    index.create_upload(upload("u1"))
    index.put_part(part("u1", 2))
    index.put_part(part("u1", 1))
    assert index.abort_upload("u1") == ["u1-p1", "u1-p2"]
    with pytest.raises(NotFound):
        index.abort_upload("u1")
    assert index.referenced_blob_ids() == set()


def test_list_uploads_orders_by_key_then_initiated_then_id(store: MetadataStore) -> None:
    index = store.objects
    later = T0 + timedelta(milliseconds=1)
    index.create_upload(upload("u-b-late", key="b", initiated=later))
    index.create_upload(upload("u-b-early", key="b", initiated=T0))
    index.create_upload(upload("u-b-early2", key="b", initiated=T0))
    index.create_upload(upload("u-a", key="a/x"))
    index.create_upload(upload("u-c", key="c"))
    index.create_upload(upload("u-e", key="é"))
    expected = ["u-a", "u-b-early", "u-b-early2", "u-b-late", "u-c", "u-e"]
    assert [u.upload_id for u in index.list_uploads("data")] == expected
    assert [u.upload_id for u in index.list_uploads("data", prefix="b")] == expected[1:4]
    assert [u.upload_id for u in index.list_uploads("data", limit=2)] == expected[:2]
    assert [u.upload_id for u in index.list_uploads("data", after_key="b")] == ["u-c", "u-e"]
    after_marker = index.list_uploads("data", after_key="b", after_upload_id="u-b-early")
    assert [u.upload_id for u in after_marker] == ["u-b-early2", "u-b-late", "u-c", "u-e"]
    paged: list[str] = []
    marker: tuple[str | None, str | None] = (None, None)
    while page := index.list_uploads(
        "data", after_key=marker[0], after_upload_id=marker[1], limit=2
    ):
        paged.extend(u.upload_id for u in page)
        marker = (page[-1].key, page[-1].upload_id)
    assert paged == expected


def test_referenced_blob_ids_covers_objects_and_parts(store: MetadataStore) -> None:
    index = store.objects
    index.put_object(StoredObject("data", "a", "obj-blob", 1, '"e"', T0))
    index.create_upload(upload("u1"))
    index.put_part(part("u1", 1, "part-blob"))
    assert index.referenced_blob_ids() == {"obj-blob", "part-blob"}
