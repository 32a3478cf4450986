"""Multipart uploads: parts, completion rules, S3's ETag, abort and listing."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.blobs.memory import MemoryBlobStore
from tsukuru.domain.clock import ManualClock
from tsukuru.domain.errors import Conflict, Invalid, NotFound
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.ports import Part, Upload
from tsukuru.domain.s3_conditions import Preconditions
from tsukuru.domain.s3_multipart import CompletedPart, multipart_etag
from tsukuru.store.memory import MemoryMetadata

ACCOUNT = "111111111111"
MIB = 1024 * 1024


@pytest.fixture(params=["memory-blobs", "filesystem-blobs"])
def objects(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectService:
    blobs = MemoryBlobStore() if request.param == "memory-blobs" else FilesystemBlobStore(tmp_path)
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    service = ObjectService(MemoryMetadata().objects, blobs, clock)
    service.create_bucket("data", account_id=ACCOUNT)
    return service


def upload_parts(
    objects: ObjectService, key: str, parts: dict[int, bytes]
) -> tuple[Upload, dict[int, Part]]:
    upload = objects.multipart.create("data", key, content_type="text/csv", metadata={"m": "1"})
    stored = {
        number: objects.multipart.upload_part("data", key, upload.upload_id, number, data)
        for number, data in parts.items()
    }
    return upload, stored


def completed(parts: dict[int, Part]) -> list[CompletedPart]:
    return [CompletedPart(n, parts[n].etag) for n in sorted(parts)]


def body_of(objects: ObjectService, key: str) -> bytes:
    return b"".join(objects.stream(objects.read_object("data", key)))


def test_complete_joins_parts_with_s3s_etag(objects: ObjectService) -> None:
    data = {1: os.urandom(5 * MIB), 2: os.urandom(5 * MIB), 3: b"tail"}
    upload, parts = upload_parts(objects, "big.bin", {3: data[3], 1: data[1], 2: data[2]})
    obj = objects.multipart.complete("data", "big.bin", upload.upload_id, completed(parts))
    md5s = b"".join(hashlib.md5(data[n]).digest() for n in (1, 2, 3))
    assert obj.etag == f'"{hashlib.md5(md5s).hexdigest()}-3"'
    assert obj.parts_count == 3
    assert obj.size == 10 * MIB + 4
    assert (obj.content_type, obj.metadata) == ("text/csv", {"m": "1"})
    assert body_of(objects, "big.bin") == data[1] + data[2] + data[3]
    assert list(objects.blobs.blob_ids()) == [obj.blob_id]  # part blobs are gone
    with pytest.raises(NotFound) as exc:
        objects.multipart.list_parts("data", "big.bin", upload.upload_id)
    assert exc.value.code == "NoSuchUpload"


def test_a_single_small_part_is_fine(objects: ObjectService) -> None:
    upload, parts = upload_parts(objects, "k", {1: b"only"})
    obj = objects.multipart.complete("data", "k", upload.upload_id, completed(parts))
    assert obj.etag == multipart_etag([parts[1].etag])
    assert obj.etag.endswith('-1"')
    assert body_of(objects, "k") == b"only"


def test_completing_replaces_an_existing_object(objects: ObjectService) -> None:
    objects.put_object("data", "k", b"old")
    upload, parts = upload_parts(objects, "k", {1: b"new"})
    objects.multipart.complete("data", "k", upload.upload_id, completed(parts))
    assert body_of(objects, "k") == b"new"
    assert len(list(objects.blobs.blob_ids())) == 1


def test_uploading_a_part_again_replaces_it(objects: ObjectService) -> None:
    upload, _ = upload_parts(objects, "k", {1: b"first"})
    again = objects.multipart.upload_part("data", "k", upload.upload_id, 1, b"second")
    assert len(list(objects.blobs.blob_ids())) == 1
    page = objects.multipart.list_parts("data", "k", upload.upload_id)
    assert [(p.part_number, p.etag) for p in page.parts] == [(1, again.etag)]
    objects.multipart.complete("data", "k", upload.upload_id, [CompletedPart(1, again.etag)])
    assert body_of(objects, "k") == b"second"


@pytest.mark.parametrize("number", [0, -1, 10001])
def test_part_numbers_are_1_to_10000(objects: ObjectService, number: int) -> None:
    upload, _ = upload_parts(objects, "k", {})
    with pytest.raises(Invalid) as exc:
        objects.multipart.upload_part("data", "k", upload.upload_id, number, b"x")
    assert exc.value.code == "InvalidArgument"
    objects.multipart.upload_part("data", "k", upload.upload_id, 10000, b"x")


def test_part_with_bad_content_md5_stores_nothing(objects: ObjectService) -> None:
    upload, _ = upload_parts(objects, "k", {})
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(Invalid) as exc:
        objects.multipart.upload_part("data", "k", upload.upload_id, 1, b"x", content_md5=wrong)
    assert exc.value.code == "BadDigest"
    assert objects.multipart.list_parts("data", "k", upload.upload_id).parts == []
    assert list(objects.blobs.blob_ids()) == []


def test_unknown_upload(objects: ObjectService) -> None:
    with pytest.raises(NotFound) as exc:
        objects.multipart.upload_part("data", "k", "no-such-id", 1, b"x")
    assert exc.value.code == "NoSuchUpload"
    assert getattr(exc.value, "details", {}) == {"UploadId": "no-such-id"}
    upload, _ = upload_parts(objects, "k", {})
    with pytest.raises(NotFound):  # right id, wrong key
        objects.multipart.upload_part("data", "other-key", upload.upload_id, 1, b"x")
    with pytest.raises(NotFound) as bucket:
        objects.multipart.create("nope", "k")
    assert bucket.value.code == "NoSuchBucket"


def test_parts_must_be_in_ascending_order(objects: ObjectService) -> None:
    upload, parts = upload_parts(objects, "k", {1: b"a" * (5 * MIB), 2: b"b"})
    for order in ([2, 1], [1, 1]):
        listed = [CompletedPart(n, parts[n].etag) for n in order]
        with pytest.raises(Invalid) as exc:
            objects.multipart.complete("data", "k", upload.upload_id, listed)
        assert exc.value.code == "InvalidPartOrder"


def test_unknown_part_or_wrong_etag(objects: ObjectService) -> None:
    upload, parts = upload_parts(objects, "k", {1: b"a"})
    for listed in (
        [CompletedPart(1, parts[1].etag), CompletedPart(2, parts[1].etag)],
        [CompletedPart(1, '"0123456789abcdef0123456789abcdef"')],
        [CompletedPart(1, parts[1].etag, checksums={"CRC32": "AAAAAA=="})],
    ):
        with pytest.raises(Invalid) as exc:
            objects.multipart.complete("data", "k", upload.upload_id, listed)
        assert exc.value.code == "InvalidPart"
    # ETags are compared without their quotes
    objects.multipart.complete(
        "data", "k", upload.upload_id, [CompletedPart(1, parts[1].etag[1:-1])]
    )


def test_every_part_but_the_last_is_at_least_5_mib(objects: ObjectService) -> None:
    upload, parts = upload_parts(objects, "k", {1: b"a" * (5 * MIB - 1), 2: b"b"})
    with pytest.raises(Invalid) as exc:
        objects.multipart.complete("data", "k", upload.upload_id, completed(parts))
    assert exc.value.code == "EntityTooSmall"
    assert len(objects.multipart.list_parts("data", "k", upload.upload_id).parts) == 2


def test_empty_part_list_is_malformed(objects: ObjectService) -> None:
    upload, _ = upload_parts(objects, "k", {1: b"a"})
    with pytest.raises(Invalid) as exc:
        objects.multipart.complete("data", "k", upload.upload_id, [])
    assert exc.value.code == "MalformedXML"


def test_parts_left_out_of_completion_are_deleted(objects: ObjectService) -> None:
    upload, parts = upload_parts(objects, "k", {1: b"a" * (5 * MIB), 2: b"unused", 3: b"c"})
    chosen = [CompletedPart(1, parts[1].etag), CompletedPart(3, parts[3].etag)]
    obj = objects.multipart.complete("data", "k", upload.upload_id, chosen)
    assert body_of(objects, "k") == b"a" * (5 * MIB) + b"c"
    assert list(objects.blobs.blob_ids()) == [obj.blob_id]


def test_checksums_come_from_the_combiner(objects: ObjectService) -> None:
    upload = objects.multipart.create(
        "data", "k", checksum_algorithm="CRC32", checksum_type="COMPOSITE"
    )
    assert upload.headers == {"x-amz-checksum-type": "COMPOSITE"}
    part = objects.multipart.upload_part("data", "k", upload.upload_id, 1, b"x")
    seen: list[tuple[str | None, list[int]]] = []

    def combine(up: Upload, chosen: list[Part]) -> dict[str, str]:
        seen.append((up.checksum_algorithm, [p.part_number for p in chosen]))
        return {"CRC32": "abc=-1"}

    obj = objects.multipart.complete(
        "data", "k", upload.upload_id, [CompletedPart(1, part.etag)], combine_checksums=combine
    )
    assert seen == [("CRC32", [1])]
    assert obj.checksums == {"CRC32": "abc=-1"}
    assert obj.headers == {}


def test_a_refusing_combiner_keeps_the_upload(objects: ObjectService) -> None:
    upload, parts = upload_parts(objects, "k", {1: b"x"})

    def refuse(up: Upload, chosen: list[Part]) -> dict[str, str]:
        raise Invalid("checksum mismatch", code="BadDigest")

    with pytest.raises(Invalid):
        objects.multipart.complete(
            "data", "k", upload.upload_id, completed(parts), combine_checksums=refuse
        )
    assert objects.find_object("data", "k") is None
    assert len(objects.multipart.list_parts("data", "k", upload.upload_id).parts) == 1
    assert len(list(objects.blobs.blob_ids())) == 1


def test_conditional_completion(objects: ObjectService) -> None:
    objects.put_object("data", "k", b"exists")
    upload, parts = upload_parts(objects, "k", {1: b"x"})
    with pytest.raises(Conflict) as exc:
        objects.multipart.complete(
            "data", "k", upload.upload_id, completed(parts), if_none_match="*"
        )
    assert exc.value.code == "PreconditionFailed"
    assert body_of(objects, "k") == b"exists"


def test_abort_drops_parts(objects: ObjectService) -> None:
    objects.put_object("data", "unrelated", b"stays")
    upload, _ = upload_parts(objects, "k", {1: b"a", 2: b"b"})
    objects.multipart.abort("data", "k", upload.upload_id)
    assert len(list(objects.blobs.blob_ids())) == 1
    with pytest.raises(NotFound) as exc:
        objects.multipart.abort("data", "k", upload.upload_id)
    assert exc.value.code == "NoSuchUpload"


def test_list_parts_pages(objects: ObjectService) -> None:
    upload, _ = upload_parts(objects, "k", {n: bytes([n]) for n in range(1, 6)})
    first = objects.multipart.list_parts("data", "k", upload.upload_id, max_parts=2)
    assert [p.part_number for p in first.parts] == [1, 2]
    assert (first.is_truncated, first.next_marker) == (True, 2)
    rest = objects.multipart.list_parts("data", "k", upload.upload_id, after_part=4, max_parts=2)
    assert [p.part_number for p in rest.parts] == [5]
    assert rest.is_truncated is False
    assert rest.parts[0].size == 1


def test_list_uploads_with_delimiter_and_markers(objects: ObjectService) -> None:
    ids: dict[str, list[str]] = {}
    for key in ["a/1", "a/2", "b", "c/1", "c/1"]:
        ids.setdefault(key, []).append(objects.multipart.create("data", key).upload_id)
    everything = objects.multipart.list_uploads("data")
    assert [u.key for u in everything.uploads] == ["a/1", "a/2", "b", "c/1", "c/1"]
    rolled = objects.multipart.list_uploads("data", delimiter="/")
    assert rolled.common_prefixes == ["a/", "c/"]
    assert [u.key for u in rolled.uploads] == ["b"]
    page = objects.multipart.list_uploads("data", max_uploads=3)
    assert page.is_truncated
    assert (page.next_key_marker, page.next_upload_id_marker) == ("b", ids["b"][0])
    rest = objects.multipart.list_uploads(
        "data", key_marker=page.next_key_marker, upload_id_marker=page.next_upload_id_marker
    )
    assert [u.key for u in rest.uploads] == ["c/1", "c/1"]
    first_c = rest.uploads[0].upload_id
    last = objects.multipart.list_uploads("data", key_marker="c/1", upload_id_marker=first_c)
    assert [u.upload_id for u in last.uploads] == [rest.uploads[1].upload_id]
    prefixed = objects.multipart.list_uploads("data", prefix="a/", max_uploads=1)
    assert [u.key for u in prefixed.uploads] == ["a/1"]
    assert prefixed.is_truncated


def test_upload_part_copy(objects: ObjectService) -> None:
    source = objects.put_object("data", "src", b"0123456789")
    upload, _ = upload_parts(objects, "dst", {})
    part = objects.multipart.upload_part_copy(
        "data", "dst", upload.upload_id, 1, source, source_range="bytes=2-5"
    )
    assert part.size == 4
    assert part.etag == f'"{hashlib.md5(b"2345").hexdigest()}"'
    whole = objects.multipart.upload_part_copy("data", "dst", upload.upload_id, 2, source)
    assert whole.size == 10
    for bad in ["bytes=5-2", "bytes=0-10", "0-3", "bytes=-3"]:
        with pytest.raises(Invalid) as exc:
            objects.multipart.upload_part_copy(
                "data", "dst", upload.upload_id, 3, source, source_range=bad
            )
        assert exc.value.code == "InvalidArgument"
    with pytest.raises(Conflict) as cond:
        objects.multipart.upload_part_copy(
            "data",
            "dst",
            upload.upload_id,
            3,
            source,
            source_conditions=Preconditions(if_match='"nope"'),
        )
    assert cond.value.code == "PreconditionFailed"
