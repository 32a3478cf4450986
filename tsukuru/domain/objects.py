"""S3 buckets and objects as use cases: the rules S3 applies, over an index and a blob store.

`ObjectService` is what the S3 adapter, the training jobs (input channels, model artifacts) and
the console use to touch objects. Bytes live in the BlobStore under generated ids; keys, ETags,
sizes, checksums and metadata live in the ObjectIndex. Every write stores and verifies the bytes
first and commits the row last, so a reader sees the old object or the new one, never a torn
one, and a crash leaves only unreferenced blobs, which `garbage_collect` removes.

Multipart uploads live in `s3_multipart` (reachable as `ObjectService.multipart`), listing in
`s3_listing`, conditions and ranges in `s3_conditions`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

from tsukuru.domain import s3_faults as faults
from tsukuru.domain import s3_listing as listing
from tsukuru.domain.clock import Clock, SystemClock
from tsukuru.domain.errors import AlreadyExists, DomainError, NotFound
from tsukuru.domain.ports import BlobStore, Bucket, ObjectIndex, StoredObject
from tsukuru.domain.s3_conditions import (
    ByteRange,
    Preconditions,
    check_copy_source,
    check_read,
    check_write,
    parse_range,
    part_range,
)
from tsukuru.domain.s3_multipart import Multipart
from tsukuru.domain.s3_names import (
    DEFAULT_REGION,
    bucket_region,
    check_bucket_name,
    check_key,
    location_constraint,
)
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

DEFAULT_CONTENT_TYPE = "binary/octet-stream"
MAX_DELETE_KEYS = 1000


@dataclass(frozen=True)
class ObjectRead:
    """What a GET or HEAD found: the object and the slice of it to send."""

    obj: StoredObject
    range: ByteRange | None = None

    @property
    def start(self) -> int:
        return self.range.start if self.range else 0

    @property
    def length(self) -> int:
        return self.range.length if self.range else self.obj.size


@dataclass(frozen=True)
class DeleteOutcome:
    key: str
    error: DomainError | None = None


@dataclass(frozen=True)
class ObjectWrite:
    """The descriptive fields of an object being written (PutObject, CopyObject REPLACE)."""

    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class ObjectService:
    def __init__(
        self,
        index: ObjectIndex,
        blobs: BlobStore,
        clock: Clock | None = None,
        *,
        min_part_size: int = faults.MIN_PART_SIZE,
    ) -> None:
        self.index = index
        self.blobs = blobs
        self.clock: Clock = clock or SystemClock()
        self.multipart = Multipart(index, blobs, self.clock, min_part_size=min_part_size)

    # ------------------------------------------------------------------ buckets

    def create_bucket(self, name: str, *, account_id: str, location: str | None = None) -> Bucket:
        """Create a bucket in the region its LocationConstraint names (us-east-1 if none).

        Like S3, creating again a bucket you own in us-east-1 succeeds; elsewhere it is
        BucketAlreadyOwnedByYou. A bucket another account owns is BucketAlreadyExists.
        """
        check_bucket_name(name)
        region = bucket_region(location)
        bucket = Bucket(name=name, account_id=account_id, region=region, created=self.clock.now())
        try:
            self.index.create_bucket(bucket)
        except AlreadyExists:
            existing = self._existing_bucket(name)
            if (
                existing is not None
                and existing.account_id == account_id
                and existing.region == region == DEFAULT_REGION
            ):
                return existing
            raise
        return bucket

    def get_bucket(self, name: str) -> Bucket:
        try:
            return self.index.get_bucket(name)
        except NotFound as exc:
            raise refine_not_found(exc, name) from None

    def list_buckets(self, account_id: str, *, prefix: str = "") -> list[Bucket]:
        return [b for b in self.index.list_buckets(account_id) if b.name.startswith(prefix)]

    def delete_bucket(self, name: str) -> None:
        try:
            self.index.delete_bucket(name)
        except NotFound as exc:
            raise refine_not_found(exc, name) from None

    def bucket_location(self, name: str) -> str | None:
        """GetBucketLocation's answer: None for us-east-1, else the region."""
        return location_constraint(self.get_bucket(name).region)

    # ------------------------------------------------------------------ writing objects

    def put_object(
        self,
        bucket: str,
        key: str,
        body: Body,
        *,
        write: ObjectWrite | None = None,
        content_md5: str | None = None,
        check: BodyCheck | None = None,
        if_match: str | None = None,
        if_none_match: str | None = None,
    ) -> StoredObject:
        """Store an object, replacing any under the same key.

        A Content-MD5 or checksum that does not match the bytes refuses the write (BadDigest)
        and leaves the previous object, if any, untouched.
        """
        write = write or ObjectWrite()
        check_key(key)
        check_metadata(write.metadata)
        expected_md5 = decode_content_md5(content_md5)
        self.get_bucket(bucket)
        conditional = if_match is not None or if_none_match is not None
        if conditional:
            check_write(key, self.find_object(bucket, key), if_match, if_none_match)
        info, checksums = write_checked(
            self.blobs, as_chunks(body), content_md5=expected_md5, check=check
        )
        obj = StoredObject(
            bucket=bucket,
            key=key,
            blob_id=info.blob_id,
            size=info.size,
            etag=etag_of(info.md5_hex),
            last_modified=self.clock.now(),
            content_type=write.content_type or DEFAULT_CONTENT_TYPE,
            metadata=dict(write.metadata),
            headers=dict(write.headers),
            checksums=checksums,
        )

        def commit() -> list[str]:
            if conditional:  # again, now that the bytes are in: someone may have raced us
                check_write(key, self.find_object(bucket, key), if_match, if_none_match)
            return self.index.put_object(obj)

        commit_or_discard(self.blobs, obj.blob_id, commit)
        return obj

    def copy_object(
        self,
        source_bucket: str,
        source_key: str,
        bucket: str,
        key: str,
        *,
        source_conditions: Preconditions | None = None,
        replace: ObjectWrite | None = None,
        header_overrides: Mapping[str, str] | None = None,
        check: BodyCheck | None = None,
    ) -> StoredObject:
        """Copy an object's bytes into a new object (same or another bucket).

        `replace` given means MetadataDirective REPLACE: content type, metadata and headers
        come from it; otherwise (COPY) from the source, with `header_overrides` (storage class,
        website redirect) applied. `check`, if given, computes new checksums over the bytes;
        otherwise the source's whole-object checksums are kept.
        """
        check_key(key)
        source = self.get_object_row(source_bucket, source_key)
        check_copy_source(source, source_conditions or Preconditions())
        self.get_bucket(bucket)
        overrides = dict(header_overrides or {})
        if replace is not None:
            check_metadata(replace.metadata)
            content_type = replace.content_type or DEFAULT_CONTENT_TYPE
            metadata, headers = dict(replace.metadata), dict(replace.headers) | overrides
        else:
            content_type, metadata = source.content_type, dict(source.metadata)
            headers = dict(source.headers) | overrides
        changes_something = (
            replace is not None or check is not None or headers != dict(source.headers)
        )
        if (source_bucket, source_key) == (bucket, key) and not changes_something:
            raise faults.self_copy()
        if check is not None:
            info, checksums = write_checked(
                self.blobs, self.blobs.read_range(source.blob_id, 0, source.size), check=check
            )
        else:
            info = self.blobs.concat([source.blob_id])
            checksums = {alg: v for alg, v in source.checksums.items() if "-" not in v}
        obj = StoredObject(
            bucket=bucket,
            key=key,
            blob_id=info.blob_id,
            size=info.size,
            etag=etag_of(info.md5_hex),
            last_modified=self.clock.now(),
            content_type=content_type,
            metadata=metadata,
            headers=headers,
            checksums=checksums,
        )
        commit_or_discard(self.blobs, obj.blob_id, lambda: self.index.put_object(obj))
        return obj

    # ------------------------------------------------------------------ reading objects

    def get_object_row(self, bucket: str, key: str) -> StoredObject:
        """The object's index row; NoSuchBucket or NoSuchKey (with the key) if absent."""
        try:
            return self.index.get_object(bucket, key)
        except NotFound as exc:
            raise refine_not_found(exc, bucket, key) from None

    def find_object(self, bucket: str, key: str) -> StoredObject | None:
        """The object's row, or None when the key is absent (a missing bucket still raises)."""
        try:
            return self.get_object_row(bucket, key)
        except NotFound as exc:
            if exc.code == "NoSuchKey":
                return None
            raise

    def read_object(
        self,
        bucket: str,
        key: str,
        *,
        conditions: Preconditions | None = None,
        range_header: str | None = None,
        part_number: int | None = None,
    ) -> ObjectRead:
        """Resolve a GET or HEAD: the object, its conditions checked, the slice to send."""
        obj = self.get_object_row(bucket, key)
        check_read(obj, conditions or Preconditions(), self.clock.now())
        if part_number is not None:
            return ObjectRead(obj, part_range(obj, part_number))
        return ObjectRead(obj, parse_range(range_header, obj.size))

    def stream(self, read: ObjectRead) -> Iterator[bytes]:
        """The bytes of a resolved read, in chunks."""
        return self.blobs.read_range(read.obj.blob_id, read.start, read.length)

    def local_path(self, obj: StoredObject) -> str | None:
        """A file holding the object's bytes when the blob store is local (for zero-copy send)."""
        return self.blobs.local_path(obj.blob_id)

    def open_object(self, bucket: str, key: str) -> BinaryIO:
        return self.blobs.open(self.get_object_row(bucket, key).blob_id)

    def link_object(self, bucket: str, key: str, dest: str) -> StoredObject:
        """Make the new file `dest` hold the object's bytes (a hard link when possible)."""
        obj = self.get_object_row(bucket, key)
        self.blobs.link(obj.blob_id, dest)
        return obj

    def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str | None = None,
        after: str | None = None,
        max_keys: int = listing.MAX_KEYS,
    ) -> listing.ObjectPage:
        try:
            return listing.list_objects(
                self.index,
                bucket,
                prefix=prefix,
                delimiter=delimiter,
                after=after,
                max_keys=max_keys,
            )
        except NotFound as exc:
            raise refine_not_found(exc, bucket) from None

    def iter_objects(self, bucket: str, prefix: str = "") -> Iterator[StoredObject]:
        """Every object under `prefix`, in key order, fetched page by page."""
        after: str | None = None
        while True:
            try:
                page = self.index.list_objects(bucket, prefix=prefix, after=after)
            except NotFound as exc:
                raise refine_not_found(exc, bucket) from None
            yield from page
            if len(page) < listing.MAX_KEYS:
                return
            after = page[-1].key

    # ------------------------------------------------------------------ deleting objects

    def delete_object(self, bucket: str, key: str, *, if_match: str | None = None) -> None:
        """Deleting a missing key succeeds, as in S3 (unless If-Match demands it exists)."""
        check_key(key)
        self.get_bucket(bucket)
        if if_match is not None:
            check_write(key, self.find_object(bucket, key), if_match, None)
        try:
            unused = self.index.delete_object(bucket, key)
        except NotFound as exc:
            raise refine_not_found(exc, bucket) from None
        discard(self.blobs, unused)

    def delete_objects(self, bucket: str, keys: list[str]) -> list[DeleteOutcome]:
        """DeleteObjects: at most 1000 keys; each key succeeds or fails on its own."""
        if len(keys) > MAX_DELETE_KEYS:
            raise faults.malformed_xml()
        self.get_bucket(bucket)
        outcomes: list[DeleteOutcome] = []
        for key in keys:
            try:
                self.delete_object(bucket, key)
            except DomainError as exc:
                outcomes.append(DeleteOutcome(key, exc))
            else:
                outcomes.append(DeleteOutcome(key))
        return outcomes

    # ------------------------------------------------------------------ recovery

    def garbage_collect(self) -> int:
        """Delete blobs no object or part references, and leftovers of interrupted writes.

        Meant for start-up (crash recovery), before requests are served: a write in flight has
        a blob that no row references yet.
        """
        removed = self.blobs.clean_temporary()
        referenced = self.index.referenced_blob_ids()
        for blob_id in list(self.blobs.blob_ids()):
            if blob_id not in referenced:
                self.blobs.delete(blob_id)
                removed += 1
        return removed

    # ------------------------------------------------------------------ helpers

    def _existing_bucket(self, name: str) -> Bucket | None:
        try:
            return self.index.get_bucket(name)
        except NotFound:
            return None
