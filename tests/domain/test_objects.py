"""ObjectService: buckets, put/get/head/delete/copy with S3's rules, on memory and disk blobs."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.blobs.memory import MemoryBlobStore
from tsukuru.domain.clock import ManualClock
from tsukuru.domain.errors import AlreadyExists, Conflict, DomainError, Invalid, NotFound
from tsukuru.domain.objects import ObjectService, ObjectWrite
from tsukuru.domain.s3_conditions import Preconditions
from tsukuru.domain.s3_faults import NotModified
from tsukuru.domain.s3_names import bucket_name_problem
from tsukuru.store.memory import MemoryMetadata

ACCOUNT = "111111111111"
T0 = datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture(params=["memory-blobs", "filesystem-blobs"])
def objects(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> ObjectService:
    blobs = MemoryBlobStore() if request.param == "memory-blobs" else FilesystemBlobStore(tmp_path)
    service = ObjectService(MemoryMetadata().objects, blobs, clock)
    service.create_bucket("data", account_id=ACCOUNT)
    return service


def body_of(objects: ObjectService, bucket: str, key: str) -> bytes:
    return b"".join(objects.stream(objects.read_object(bucket, key)))


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def code_of(exc: pytest.ExceptionInfo[DomainError]) -> str | None:
    return exc.value.code


# ---------------------------------------------------------------------- buckets


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper",
        "under_score",
        "-start",
        "end-",
        "a..b",
        "192.168.5.4",
        "xn--bucket",
        "sthree-x",
        "name-s3alias",
        "name--ol-s3",
        "sp ace",
        "dot.",
    ],
)
def test_invalid_bucket_names(objects: ObjectService, name: str) -> None:
    assert bucket_name_problem(name) is not None
    with pytest.raises(Invalid) as exc:
        objects.create_bucket(name, account_id=ACCOUNT)
    assert exc.value.code == "InvalidBucketName"


@pytest.mark.parametrize("name", ["abc", "a" * 63, "my.bucket-1", "1bucket", "192.168.5.4x"])
def test_valid_bucket_names(objects: ObjectService, name: str) -> None:
    assert bucket_name_problem(name) is None
    assert objects.create_bucket(name, account_id=ACCOUNT).name == name


def test_bucket_regions_and_location(objects: ObjectService) -> None:
    assert objects.get_bucket("data").region == "us-east-1"
    assert objects.bucket_location("data") is None
    created = objects.create_bucket("eu-data", account_id=ACCOUNT, location="eu-west-1")
    assert created.region == "eu-west-1"
    assert objects.bucket_location("eu-data") == "eu-west-1"
    assert objects.create_bucket("legacy-eu", account_id=ACCOUNT, location="EU").region == (
        "eu-west-1"
    )
    for bad in ["us-east-1", "mars-1", "nowhere"]:
        with pytest.raises(Invalid) as exc:
            objects.create_bucket("somewhere", account_id=ACCOUNT, location=bad)
        assert exc.value.code == "InvalidLocationConstraint"


def test_recreating_a_bucket(objects: ObjectService) -> None:
    # us-east-1: S3 answers success to the owner; other regions: BucketAlreadyOwnedByYou.
    assert objects.create_bucket("data", account_id=ACCOUNT).name == "data"
    objects.create_bucket("eu-data", account_id=ACCOUNT, location="eu-west-1")
    with pytest.raises(AlreadyExists) as mine:
        objects.create_bucket("eu-data", account_id=ACCOUNT, location="eu-west-1")
    assert mine.value.code == "BucketAlreadyOwnedByYou"
    with pytest.raises(AlreadyExists) as theirs:
        objects.create_bucket("data", account_id="222222222222")
    assert theirs.value.code == "BucketAlreadyExists"


def test_list_and_delete_buckets(objects: ObjectService) -> None:
    objects.create_bucket("zz-last", account_id=ACCOUNT)
    objects.create_bucket("other-owner", account_id="222222222222")
    assert [b.name for b in objects.list_buckets(ACCOUNT)] == ["data", "zz-last"]
    assert [b.name for b in objects.list_buckets(ACCOUNT, prefix="zz")] == ["zz-last"]
    objects.put_object("data", "k", b"x")
    with pytest.raises(Conflict) as not_empty:
        objects.delete_bucket("data")
    assert not_empty.value.code == "BucketNotEmpty"
    objects.delete_object("data", "k")
    objects.delete_bucket("data")
    with pytest.raises(NotFound) as gone:
        objects.get_bucket("data")
    assert gone.value.code == "NoSuchBucket"
    with pytest.raises(NotFound):
        objects.delete_bucket("data")


# ---------------------------------------------------------------------- put / get


def test_put_then_get(objects: ObjectService, clock: ManualClock) -> None:
    data = b"col1,col2\n1,2\n"
    write = ObjectWrite(
        content_type="text/csv", metadata={"origin": "test"}, headers={"Cache-Control": "no"}
    )
    stored = objects.put_object("data", "train/train.csv", data, write=write)
    assert stored.etag == f'"{hashlib.md5(data).hexdigest()}"'
    assert stored.size == len(data)
    assert stored.last_modified == T0
    read = objects.read_object("data", "train/train.csv")
    assert read.range is None
    assert (read.start, read.length) == (0, len(data))
    assert read.obj.content_type == "text/csv"
    assert read.obj.metadata == {"origin": "test"}
    assert read.obj.headers == {"Cache-Control": "no"}
    assert body_of(objects, "data", "train/train.csv") == data


def test_put_streams_iterables_and_files(objects: ObjectService, tmp_path: Path) -> None:
    objects.put_object("data", "chunks", iter([b"a", b"b", b"c"]))
    assert body_of(objects, "data", "chunks") == b"abc"
    source = tmp_path / "upload.bin"
    source.write_bytes(b"z" * 3_000_000)
    with source.open("rb") as handle:
        objects.put_object("data", "file", handle)
    assert body_of(objects, "data", "file") == b"z" * 3_000_000


def test_overwrite_replaces_and_frees_the_old_blob(objects: ObjectService) -> None:
    objects.put_object("data", "k", b"old")
    objects.put_object("data", "k", b"new")
    assert body_of(objects, "data", "k") == b"new"
    assert len(list(objects.blobs.blob_ids())) == 1


@pytest.mark.parametrize(
    "key", ["../../etc/passwd", "a//b", "ünïcødé/ключ", "x" * 1024, " ", "%2F", "dot/./dot"]
)
def test_any_key_is_legal(objects: ObjectService, key: str) -> None:
    objects.put_object("data", key, key.encode())
    assert body_of(objects, "data", key) == key.encode()


def test_key_too_long(objects: ObjectService) -> None:
    with pytest.raises(Invalid) as exc:
        objects.put_object("data", "é" * 513, b"x")  # 1026 bytes in UTF-8
    assert exc.value.code == "KeyTooLongError"
    assert list(objects.blobs.blob_ids()) == []


def test_put_into_missing_bucket(objects: ObjectService) -> None:
    with pytest.raises(NotFound) as exc:
        objects.put_object("nope", "k", b"x")
    assert exc.value.code == "NoSuchBucket"
    assert list(objects.blobs.blob_ids()) == []


def test_content_md5_match_is_accepted(objects: ObjectService) -> None:
    stored = objects.put_object("data", "k", b"payload", content_md5=md5_b64(b"payload"))
    assert stored.etag.strip('"') == hashlib.md5(b"payload").hexdigest()


def test_content_md5_mismatch_stores_nothing(objects: ObjectService) -> None:
    objects.put_object("data", "k", b"original")
    with pytest.raises(Invalid) as exc:
        objects.put_object("data", "k", b"tampered", content_md5=md5_b64(b"something else"))
    assert exc.value.code == "BadDigest"
    assert body_of(objects, "data", "k") == b"original"
    with pytest.raises(Invalid):
        objects.put_object("data", "fresh", b"tampered", content_md5=md5_b64(b"other"))
    assert objects.find_object("data", "fresh") is None
    assert len(list(objects.blobs.blob_ids())) == 1


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_malformed_content_md5(objects: ObjectService, value: str) -> None:
    with pytest.raises(Invalid) as exc:
        objects.put_object("data", "k", b"x", content_md5=value)
    assert exc.value.code == "InvalidDigest"


def test_metadata_limit(objects: ObjectService) -> None:
    with pytest.raises(DomainError) as exc:
        objects.put_object("data", "k", b"x", write=ObjectWrite(metadata={"m": "v" * 2048}))
    assert exc.value.code == "MetadataTooLarge"


def test_get_missing_key_names_the_key(objects: ObjectService) -> None:
    with pytest.raises(NotFound) as exc:
        objects.read_object("data", "missing/key")
    assert exc.value.code == "NoSuchKey"
    assert getattr(exc.value, "details", {}) == {"Key": "missing/key"}
    with pytest.raises(NotFound) as bucket:
        objects.read_object("nope", "k")
    assert bucket.value.code == "NoSuchBucket"


def test_conditional_put(objects: ObjectService) -> None:
    first = objects.put_object("data", "k", b"v1", if_none_match="*")
    with pytest.raises(Conflict) as exists:
        objects.put_object("data", "k", b"v2", if_none_match="*")
    assert exists.value.code == "PreconditionFailed"
    with pytest.raises(Conflict):
        objects.put_object("data", "k", b"v2", if_match='"0000"')
    objects.put_object("data", "k", b"v2", if_match=first.etag)
    assert body_of(objects, "data", "k") == b"v2"
    with pytest.raises(NotFound):
        objects.put_object("data", "absent", b"v", if_match="*")
    assert len(list(objects.blobs.blob_ids())) == 1


# ---------------------------------------------------------------------- conditions and ranges


def test_conditional_reads(objects: ObjectService, clock: ManualClock) -> None:
    stored = objects.put_object("data", "k", b"v")
    clock.advance(3600)
    earlier, later = T0 - timedelta(hours=1), T0 + timedelta(minutes=30)
    whole_second = T0.replace(microsecond=0)  # what Last-Modified told the client

    def read(conditions: Preconditions) -> None:
        objects.read_object("data", "k", conditions=conditions)

    read(Preconditions(if_match=stored.etag))
    read(Preconditions(if_match=f'W/{stored.etag}, "other"'))
    read(Preconditions(if_match="*"))
    read(Preconditions(if_none_match='"other"'))
    read(Preconditions(if_modified_since=earlier))
    read(Preconditions(if_unmodified_since=later))
    read(Preconditions(if_unmodified_since=whole_second))
    for failing in [
        Preconditions(if_match='"other"'),
        Preconditions(if_unmodified_since=earlier),
        Preconditions(if_match='"other"', if_none_match='"x"'),
    ]:
        with pytest.raises(Conflict) as exc:
            read(failing)
        assert exc.value.code == "PreconditionFailed"
    for unmodified in [
        Preconditions(if_none_match=stored.etag),
        Preconditions(if_none_match="*"),
        Preconditions(if_modified_since=later),
        Preconditions(if_modified_since=whole_second),
        # S3: If-None-Match false and If-Modified-Since true -> 304
        Preconditions(if_none_match=stored.etag, if_modified_since=earlier),
    ]:
        with pytest.raises(NotModified):
            read(unmodified)
    # S3: If-Match true and If-Unmodified-Since false -> 200
    read(Preconditions(if_match=stored.etag, if_unmodified_since=earlier))
    # a validator from the future is ignored
    read(Preconditions(if_modified_since=T0 + timedelta(days=1)))
    # a naive time is taken as UTC
    read(Preconditions(if_modified_since=earlier.replace(tzinfo=None)))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-3", (0, 4, "bytes 0-3/10")),
        ("bytes=2-", (2, 8, "bytes 2-9/10")),
        ("bytes=-3", (7, 3, "bytes 7-9/10")),
        ("bytes=-30", (0, 10, "bytes 0-9/10")),
        ("bytes=5-100", (5, 5, "bytes 5-9/10")),
        ("bytes=9-9", (9, 1, "bytes 9-9/10")),
    ],
)
def test_ranges(objects: ObjectService, header: str, expected: tuple[int, int, str]) -> None:
    objects.put_object("data", "k", b"0123456789")
    read = objects.read_object("data", "k", range_header=header)
    assert read.range is not None
    assert (read.start, read.length, read.range.content_range) == expected
    start, length, _ = expected
    assert b"".join(objects.stream(read)) == b"0123456789"[start : start + length]


@pytest.mark.parametrize("header", ["bytes=5-2", "bytes=0-1,4-5", "items=0-1", "bytes=-", "junk"])
def test_ignored_ranges_send_everything(objects: ObjectService, header: str) -> None:
    objects.put_object("data", "k", b"0123456789")
    assert objects.read_object("data", "k", range_header=header).range is None


@pytest.mark.parametrize(("size", "header"), [(10, "bytes=10-"), (10, "bytes=-0"), (0, "bytes=0-")])
def test_unsatisfiable_ranges(objects: ObjectService, size: int, header: str) -> None:
    objects.put_object("data", "k", b"x" * size)
    with pytest.raises(Invalid) as exc:
        objects.read_object("data", "k", range_header=header)
    assert exc.value.code == "InvalidRange"
    assert getattr(exc.value, "details", {})["ActualObjectSize"] == str(size)


def test_part_number_on_a_single_part_object(objects: ObjectService) -> None:
    objects.put_object("data", "k", b"whole")
    assert objects.read_object("data", "k", part_number=1).length == 5
    with pytest.raises(Invalid) as exc:
        objects.read_object("data", "k", part_number=2)
    assert exc.value.code == "InvalidPartNumber"


# ---------------------------------------------------------------------- delete


def test_delete_object(objects: ObjectService) -> None:
    objects.put_object("data", "k", b"x")
    objects.delete_object("data", "k")
    objects.delete_object("data", "k")  # missing keys delete fine
    assert objects.find_object("data", "k") is None
    assert list(objects.blobs.blob_ids()) == []
    with pytest.raises(NotFound) as exc:
        objects.delete_object("nope", "k")
    assert exc.value.code == "NoSuchBucket"


def test_conditional_delete(objects: ObjectService) -> None:
    stored = objects.put_object("data", "k", b"x")
    with pytest.raises(Conflict):
        objects.delete_object("data", "k", if_match='"different"')
    objects.delete_object("data", "k", if_match=stored.etag)
    with pytest.raises(NotFound):
        objects.delete_object("data", "k", if_match=stored.etag)


def test_delete_objects_reports_each_key(objects: ObjectService) -> None:
    for key in ["a", "b"]:
        objects.put_object("data", key, b"x")
    outcomes = objects.delete_objects("data", ["a", "missing", "k" * 1100, "b"])
    assert [(o.key, o.error.code if o.error else None) for o in outcomes] == [
        ("a", None),
        ("missing", None),
        ("k" * 1100, "KeyTooLongError"),
        ("b", None),
    ]
    assert list(objects.blobs.blob_ids()) == []
    with pytest.raises(Invalid) as exc:
        objects.delete_objects("data", [f"k{i}" for i in range(1001)])
    assert exc.value.code == "MalformedXML"


# ---------------------------------------------------------------------- copy


def test_copy_keeps_metadata_by_default(objects: ObjectService, clock: ManualClock) -> None:
    objects.create_bucket("other", account_id=ACCOUNT)
    source = objects.put_object(
        "data", "src", b"bytes", write=ObjectWrite(content_type="text/plain", metadata={"a": "1"})
    )
    clock.advance(10)
    copy = objects.copy_object("data", "src", "other", "dst")
    assert copy.etag == source.etag
    assert copy.blob_id != source.blob_id
    assert copy.last_modified == T0 + timedelta(seconds=10)
    assert (copy.content_type, copy.metadata) == ("text/plain", {"a": "1"})
    assert body_of(objects, "other", "dst") == b"bytes"
    objects.delete_object("data", "src")
    assert body_of(objects, "other", "dst") == b"bytes"


def test_copy_replacing_metadata(objects: ObjectService) -> None:
    objects.put_object("data", "src", b"x", write=ObjectWrite(metadata={"old": "1"}))
    copy = objects.copy_object(
        "data", "src", "data", "src", replace=ObjectWrite(content_type="a/b", metadata={"n": "2"})
    )
    assert (copy.content_type, copy.metadata) == ("a/b", {"n": "2"})
    assert objects.read_object("data", "src").obj.metadata == {"n": "2"}
    assert len(list(objects.blobs.blob_ids())) == 1


def test_copy_onto_itself_without_changes_is_refused(objects: ObjectService) -> None:
    objects.put_object("data", "src", b"x")
    with pytest.raises(Invalid) as exc:
        objects.copy_object("data", "src", "data", "src")
    assert exc.value.code == "InvalidRequest"
    changed = objects.copy_object(
        "data", "src", "data", "src", header_overrides={"x-amz-storage-class": "STANDARD_IA"}
    )
    assert changed.headers == {"x-amz-storage-class": "STANDARD_IA"}


def test_copy_conditions_and_missing_source(objects: ObjectService) -> None:
    source = objects.put_object("data", "src", b"x")
    with pytest.raises(Conflict) as exc:
        objects.copy_object(
            "data", "src", "data", "dst", source_conditions=Preconditions(if_none_match=source.etag)
        )
    assert exc.value.code == "PreconditionFailed"
    with pytest.raises(Conflict):
        objects.copy_object(
            "data", "src", "data", "dst", source_conditions=Preconditions(if_match='"nope"')
        )
    objects.copy_object(
        "data", "src", "data", "dst", source_conditions=Preconditions(if_match=source.etag)
    )
    with pytest.raises(NotFound) as missing:
        objects.copy_object("data", "absent", "data", "dst")
    assert missing.value.code == "NoSuchKey"
    with pytest.raises(NotFound) as no_bucket:
        objects.copy_object("data", "src", "nope", "dst")
    assert no_bucket.value.code == "NoSuchBucket"


# ---------------------------------------------------------------------- helpers and recovery


def test_link_and_open(objects: ObjectService, tmp_path: Path) -> None:
    objects.put_object("data", "model.tar.gz", b"tarball")
    dest = tmp_path / "linked"
    objects.link_object("data", "model.tar.gz", str(dest))
    assert dest.read_bytes() == b"tarball"
    with objects.open_object("data", "model.tar.gz") as handle:
        assert handle.read() == b"tarball"


def test_iter_objects_pages_through_everything(clock: ManualClock) -> None:
    objects = ObjectService(MemoryMetadata().objects, MemoryBlobStore(), clock)
    objects.create_bucket("data", account_id=ACCOUNT)
    for i in range(1005):
        objects.put_object("data", f"p/{i:05d}", b"")
    objects.put_object("data", "q", b"")
    assert [o.key for o in objects.iter_objects("data", "p/")] == [
        f"p/{i:05d}" for i in range(1005)
    ]


def test_garbage_collect_removes_unreferenced_blobs(objects: ObjectService) -> None:
    kept = objects.put_object("data", "k", b"kept")
    orphan = objects.blobs.write([b"crashed before commit"])
    assert objects.garbage_collect() == 1
    assert list(objects.blobs.blob_ids()) == [kept.blob_id]
    assert orphan.blob_id not in list(objects.blobs.blob_ids())
    assert body_of(objects, "data", "k") == b"kept"
