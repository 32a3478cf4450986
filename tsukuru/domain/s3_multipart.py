"""Multipart uploads: how big objects arrive (s3transfer switches to them at 8 MiB).

Each part is stored as its own blob as it arrives (in any order, possibly twice: a part number
uploaded again replaces the earlier one). Completion checks the list the client sends against
what was stored (ascending part numbers, matching ETags, every part but the last at least
5 MiB), concatenates the chosen parts into one new blob, commits the object row (which also
drops the upload), and only then deletes the part blobs. The ETag is S3's: the MD5 of the
concatenated binary part MD5s, followed by `-<number of parts>`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from tsukuru.domain import s3_faults as faults
from tsukuru.domain import s3_listing as listing
from tsukuru.domain.clock import Clock
from tsukuru.domain.errors import NotFound
from tsukuru.domain.ports import BlobStore, ObjectIndex, Part, StoredObject, Upload
from tsukuru.domain.s3_conditions import (
    Preconditions,
    bare_etag,
    check_copy_source,
    check_write,
)
from tsukuru.domain.s3_names import check_key
from tsukuru.domain.s3_writes import (
    Body,
    BodyCheck,
    as_chunks,
    check_metadata,
    commit_or_discard,
    decode_content_md5,
    discard,
    etag_of,
    refine_not_found,
    write_checked,
)

MAX_PART_NUMBER = 10000
MAX_PART_SIZE = 5 * 1024**3
CHECKSUM_TYPE_HEADER = "x-amz-checksum-type"
_COPY_RANGE_FORM = (
    "The x-amz-copy-source-range value must be of the form bytes=first-last where first and "
    "last are the zero-based offsets of the first and last bytes to copy"
)

# Computes the finished object's checksums from the upload and its chosen parts, or raises.
CombineChecksums = Callable[[Upload, list[Part]], Mapping[str, str]]


@dataclass(frozen=True)
class CompletedPart:
    """One entry of the client's CompleteMultipartUpload list."""

    part_number: int
    etag: str
    checksums: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PartsPage:
    upload: Upload
    parts: list[Part]
    is_truncated: bool
    next_marker: int | None


class Multipart:
    def __init__(
        self,
        index: ObjectIndex,
        blobs: BlobStore,
        clock: Clock,
        *,
        min_part_size: int = faults.MIN_PART_SIZE,
    ) -> None:
        self.index = index
        self.blobs = blobs
        self.clock = clock
        self.min_part_size = min_part_size

    def create(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        checksum_algorithm: str | None = None,
        checksum_type: str | None = None,
    ) -> Upload:
        check_key(key)
        check_metadata(metadata or {})
        try:
            self.index.get_bucket(bucket)
        except NotFound as exc:
            raise refine_not_found(exc, bucket) from None
        stored_headers = dict(headers or {})
        if checksum_algorithm and checksum_type:
            stored_headers[CHECKSUM_TYPE_HEADER] = checksum_type
        upload = Upload(
            upload_id=secrets.token_urlsafe(48),
            bucket=bucket,
            key=key,
            initiated=self.clock.now(),
            content_type=content_type or "binary/octet-stream",
            metadata=dict(metadata or {}),
            headers=stored_headers,
            checksum_algorithm=checksum_algorithm,
        )
        self.index.create_upload(upload)
        return upload

    def get(self, bucket: str, key: str, upload_id: str) -> Upload:
        try:
            return self.index.get_upload(bucket, key, upload_id)
        except NotFound as exc:
            if exc.code == "NoSuchUpload":
                raise faults.no_such_upload(upload_id) from None
            raise refine_not_found(exc, bucket) from None

    def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        body: Body,
        *,
        content_md5: str | None = None,
        check: BodyCheck | None = None,
    ) -> Part:
        _check_part_number(part_number)
        expected_md5 = decode_content_md5(content_md5)
        self.get(bucket, key, upload_id)
        info, checksums = write_checked(
            self.blobs,
            as_chunks(body),
            content_md5=expected_md5,
            check=check,
            max_size=MAX_PART_SIZE,
        )
        part = Part(
            upload_id=upload_id,
            part_number=part_number,
            blob_id=info.blob_id,
            size=info.size,
            etag=etag_of(info.md5_hex),
            last_modified=self.clock.now(),
            checksums=checksums,
        )
        commit_or_discard(self.blobs, part.blob_id, lambda: self._put_part(part))
        return part

    def upload_part_copy(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        source: StoredObject,
        *,
        source_range: str | None = None,
        source_conditions: Preconditions | None = None,
        check: BodyCheck | None = None,
    ) -> Part:
        """A part whose bytes come from (a range of) an existing object."""
        _check_part_number(part_number)
        check_copy_source(source, source_conditions or Preconditions())
        self.get(bucket, key, upload_id)
        start, length = _copy_range(source_range, source.size)
        chunks = self.blobs.read_range(source.blob_id, start, length)
        info, checksums = write_checked(self.blobs, chunks, check=check, max_size=MAX_PART_SIZE)
        part = Part(
            upload_id=upload_id,
            part_number=part_number,
            blob_id=info.blob_id,
            size=info.size,
            etag=etag_of(info.md5_hex),
            last_modified=self.clock.now(),
            checksums=checksums,
        )
        commit_or_discard(self.blobs, part.blob_id, lambda: self._put_part(part))
        return part

    def list_parts(
        self, bucket: str, key: str, upload_id: str, *, after_part: int = 0, max_parts: int = 1000
    ) -> PartsPage:
        upload = self.get(bucket, key, upload_id)
        limit = listing.check_max(max_parts, "max-parts")
        found = self.index.list_parts(upload_id, after_part=after_part, limit=limit + 1)
        page = found[:limit]
        truncated = len(found) > limit
        next_marker = page[-1].part_number if page else None
        return PartsPage(upload, page, truncated, next_marker)

    def complete(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: list[CompletedPart],
        *,
        combine_checksums: CombineChecksums | None = None,
        if_match: str | None = None,
        if_none_match: str | None = None,
    ) -> StoredObject:
        upload = self.get(bucket, key, upload_id)
        if not parts:
            raise faults.malformed_xml()
        if any(b.part_number <= a.part_number for a, b in pairwise(parts)):
            raise faults.invalid_part_order(upload_id)
        stored = {p.part_number: p for p in self.index.list_parts(upload_id)}
        chosen = [self._matching_part(upload_id, stored, wanted) for wanted in parts]
        for part in chosen[:-1]:
            if part.size < self.min_part_size:
                raise faults.entity_too_small(part.part_number, part.size, part.etag)
        conditional = if_match is not None or if_none_match is not None
        if conditional:
            check_write(key, self._find(bucket, key), if_match, if_none_match)
        checksums = dict(combine_checksums(upload, chosen)) if combine_checksums else {}
        info = self.blobs.concat([part.blob_id for part in chosen], md5=False)
        headers = {k: v for k, v in upload.headers.items() if k != CHECKSUM_TYPE_HEADER}
        obj = StoredObject(
            bucket=bucket,
            key=key,
            blob_id=info.blob_id,
            size=info.size,
            etag=multipart_etag([part.etag for part in chosen]),
            last_modified=self.clock.now(),
            content_type=upload.content_type,
            metadata=dict(upload.metadata),
            headers=headers,
            checksums=checksums,
            parts_count=len(chosen),
        )

        def commit() -> list[str]:
            if conditional:
                check_write(key, self._find(bucket, key), if_match, if_none_match)
            try:
                unused = self.index.complete_upload(upload_id, obj, [p.part_number for p in chosen])
            except NotFound as exc:
                if exc.code == "NoSuchUpload":
                    raise faults.no_such_upload(upload_id) from None
                raise
            return unused + [part.blob_id for part in chosen]

        commit_or_discard(self.blobs, obj.blob_id, commit)
        return obj

    def abort(self, bucket: str, key: str, upload_id: str) -> None:
        self.get(bucket, key, upload_id)
        try:
            unused = self.index.abort_upload(upload_id)
        except NotFound:
            raise faults.no_such_upload(upload_id) from None
        discard(self.blobs, unused)

    def list_uploads(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        key_marker: str | None = None,
        upload_id_marker: str | None = None,
        max_uploads: int = listing.MAX_KEYS,
    ) -> listing.UploadPage:
        try:
            return listing.list_uploads(
                self.index,
                bucket,
                prefix=prefix,
                delimiter=delimiter,
                key_marker=key_marker,
                upload_id_marker=upload_id_marker,
                max_uploads=max_uploads,
            )
        except NotFound as exc:
            raise refine_not_found(exc, bucket) from None

    # ------------------------------------------------------------------ helpers

    def _put_part(self, part: Part) -> list[str]:
        try:
            return self.index.put_part(part)
        except NotFound as exc:  # aborted or completed while the bytes were arriving
            if exc.code == "NoSuchUpload":
                raise faults.no_such_upload(part.upload_id) from None
            raise

    def _find(self, bucket: str, key: str) -> StoredObject | None:
        try:
            return self.index.get_object(bucket, key)
        except NotFound as exc:
            if exc.code == "NoSuchKey":
                return None
            raise refine_not_found(exc, bucket) from None

    @staticmethod
    def _matching_part(upload_id: str, stored: dict[int, Part], wanted: CompletedPart) -> Part:
        part = stored.get(wanted.part_number)
        if part is None or bare_etag(part.etag) != bare_etag(wanted.etag):
            raise faults.invalid_part(upload_id, wanted.part_number, wanted.etag)
        for algorithm, value in wanted.checksums.items():
            if part.checksums.get(algorithm) != value:
                raise faults.invalid_part(upload_id, wanted.part_number, wanted.etag)
        return part


def multipart_etag(part_etags: list[str]) -> str:
    """S3's ETag of a multipart object: MD5 of the parts' binary MD5s, then `-N`."""
    joined = b"".join(bytes.fromhex(bare_etag(etag)) for etag in part_etags)
    digest = hashlib.md5(joined, usedforsecurity=False).hexdigest()
    return f'"{digest}-{len(part_etags)}"'


def _check_part_number(part_number: int) -> None:
    if not 1 <= part_number <= MAX_PART_NUMBER:
        raise faults.invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            str(part_number),
        )


def _copy_range(header: str | None, size: int) -> tuple[int, int]:
    """(start, length) of an x-amz-copy-source-range, which must be `bytes=first-last`."""
    if header is None:
        return 0, size
    text = header.strip()
    first, _, last = text.removeprefix("bytes=").partition("-")
    if not text.startswith("bytes=") or not first.isdigit() or not last.isdigit():
        raise faults.invalid_argument(_COPY_RANGE_FORM, "x-amz-copy-source-range", header)
    start, end = int(first), int(last)
    if end < start or end >= size:
        raise faults.invalid_argument(
            f"Range specified is not valid for source object of size: {size}",
            "x-amz-copy-source-range",
            header,
        )
    return start, end - start + 1
