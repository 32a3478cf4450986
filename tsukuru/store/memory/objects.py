"""Buckets, objects and multipart uploads held in memory, for fast unit tests of the S3 domain.

Keys of each bucket are kept in a sorted list (Python orders strings by code point, which is
UTF-8 byte order), so listing is a bisect like the SQL store's index range. Blob ids are
reference-counted so that every method hands back only the ids nothing points at any more.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from tsukuru.domain.errors import AlreadyExists, Conflict, NotFound
from tsukuru.domain.ports import Bucket, Part, StoredObject, Upload
from tsukuru.store import messages
from tsukuru.store.codec import prefix_upper_bound, to_micros, to_utc


def _object_copy(obj: StoredObject) -> StoredObject:
    return replace(
        obj,
        last_modified=to_utc(obj.last_modified),
        metadata=dict(obj.metadata),
        headers=dict(obj.headers),
        checksums=dict(obj.checksums),
    )


def _upload_copy(upload: Upload) -> Upload:
    return replace(
        upload,
        initiated=to_utc(upload.initiated),
        metadata=dict(upload.metadata),
        headers=dict(upload.headers),
    )


def _part_copy(part: Part) -> Part:
    return replace(part, last_modified=to_utc(part.last_modified), checksums=dict(part.checksums))


class MemoryObjectIndex:
    """ObjectIndex over dictionaries guarded by one lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._buckets: dict[str, Bucket] = {}
        self._objects: dict[str, dict[str, StoredObject]] = {}
        self._sorted_keys: dict[str, list[str]] = {}
        self._uploads: dict[str, Upload] = {}
        self._parts: dict[str, dict[int, Part]] = {}
        self._blob_refs: Counter[str] = Counter()

    # ------------------------------------------------------------------ buckets

    def create_bucket(self, bucket: Bucket) -> None:
        with self._lock:
            existing = self._buckets.get(bucket.name)
            if existing is not None:
                raise messages.bucket_taken(bucket.name, existing.account_id, bucket.account_id)
            self._buckets[bucket.name] = replace(bucket, created=to_utc(bucket.created))
            self._objects[bucket.name] = {}
            self._sorted_keys[bucket.name] = []

    def get_bucket(self, name: str) -> Bucket:
        with self._lock:
            return self._bucket(name)

    def list_buckets(self, account_id: str) -> list[Bucket]:
        with self._lock:
            owned = [b for b in self._buckets.values() if b.account_id == account_id]
        return sorted(owned, key=lambda bucket: bucket.name)

    def delete_bucket(self, name: str) -> None:
        with self._lock:
            self._bucket(name)
            if self._objects[name] or any(u.bucket == name for u in self._uploads.values()):
                raise Conflict(messages.BUCKET_NOT_EMPTY, code="BucketNotEmpty")
            del self._buckets[name], self._objects[name], self._sorted_keys[name]

    # ------------------------------------------------------------------ objects

    def put_object(self, obj: StoredObject) -> list[str]:
        with self._lock:
            self._bucket(obj.bucket)
            return self._unused(self._put(obj))

    def get_object(self, bucket: str, key: str) -> StoredObject:
        with self._lock:
            self._bucket(bucket)
            found = self._objects[bucket].get(key)
        if found is None:
            raise NotFound(messages.NO_SUCH_KEY, code="NoSuchKey")
        return _object_copy(found)

    def delete_object(self, bucket: str, key: str) -> list[str]:
        with self._lock:
            self._bucket(bucket)
            removed = self._objects[bucket].pop(key, None)
            if removed is None:
                return []
            keys = self._sorted_keys[bucket]
            del keys[bisect.bisect_left(keys, key)]
            self._blob_refs[removed.blob_id] -= 1
            return self._unused([removed.blob_id])

    def list_objects(
        self, bucket: str, *, prefix: str = "", after: str | None = None, limit: int = 1000
    ) -> list[StoredObject]:
        with self._lock:
            self._bucket(bucket)
            keys = self._sorted_keys[bucket]
            start = bisect.bisect_left(keys, prefix)
            if after is not None and after >= prefix:
                start = bisect.bisect_right(keys, after)
            upper = prefix_upper_bound(prefix)
            stop = len(keys) if upper is None else bisect.bisect_left(keys, upper)
            chosen = keys[start:stop][: max(limit, 0)]
            return [_object_copy(self._objects[bucket][key]) for key in chosen]

    # ------------------------------------------------------------------ multipart uploads

    def create_upload(self, upload: Upload) -> None:
        with self._lock:
            self._bucket(upload.bucket)
            if upload.upload_id in self._uploads:
                raise AlreadyExists(f"upload {upload.upload_id!r} already exists")
            self._uploads[upload.upload_id] = _upload_copy(upload)
            self._parts[upload.upload_id] = {}

    def get_upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        with self._lock:
            found = self._uploads.get(upload_id)
        if found is None or (found.bucket, found.key) != (bucket, key):
            raise NotFound(messages.NO_SUCH_UPLOAD, code="NoSuchUpload")
        return _upload_copy(found)

    def put_part(self, part: Part) -> list[str]:
        with self._lock:
            parts = self._upload_parts(part.upload_id)
            replaced = parts.get(part.part_number)
            parts[part.part_number] = _part_copy(part)
            self._blob_refs[part.blob_id] += 1
            if replaced is None:
                return []
            self._blob_refs[replaced.blob_id] -= 1
            return self._unused([replaced.blob_id])

    def list_parts(self, upload_id: str, *, after_part: int = 0, limit: int = 10000) -> list[Part]:
        with self._lock:
            parts = self._upload_parts(upload_id)
            numbers = sorted(number for number in parts if number > after_part)
            return [_part_copy(parts[number]) for number in numbers[: max(limit, 0)]]

    def list_uploads(
        self,
        bucket: str,
        *,
        prefix: str = "",
        after_key: str | None = None,
        after_upload_id: str | None = None,
        limit: int = 1000,
    ) -> list[Upload]:
        with self._lock:
            self._bucket(bucket)
            uploads = [
                u for u in self._uploads.values() if u.bucket == bucket and u.key.startswith(prefix)
            ]
            marker = self._uploads.get(after_upload_id) if after_upload_id is not None else None

        def order(upload: Upload) -> tuple[str, int, str]:
            return (upload.key, to_micros(upload.initiated), upload.upload_id)

        def is_after(upload: Upload) -> bool:
            if after_key is None:
                return True
            if upload.key != after_key or after_upload_id is None:
                return upload.key > after_key
            if marker is not None and marker.key == after_key:
                return order(upload) > order(marker)
            return upload.upload_id > after_upload_id

        chosen = sorted((u for u in uploads if is_after(u)), key=order)
        return [_upload_copy(upload) for upload in chosen[: max(limit, 0)]]

    def complete_upload(
        self, upload_id: str, obj: StoredObject, used_parts: list[int]
    ) -> list[str]:
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None:
                raise NotFound(messages.NO_SUCH_UPLOAD, code="NoSuchUpload")
            self._bucket(obj.bucket)
            dropped = self._drop_upload(upload_id)
            replaced = self._put(obj)
            return self._unused(replaced + dropped)

    def abort_upload(self, upload_id: str) -> list[str]:
        with self._lock:
            if upload_id not in self._uploads:
                raise NotFound(messages.NO_SUCH_UPLOAD, code="NoSuchUpload")
            return self._unused(self._drop_upload(upload_id))

    def referenced_blob_ids(self) -> set[str]:
        with self._lock:
            return {blob_id for blob_id, count in self._blob_refs.items() if count > 0}

    # ------------------------------------------------------------------ helpers (lock held)

    def _bucket(self, name: str) -> Bucket:
        found = self._buckets.get(name)
        if found is None:
            raise NotFound(messages.NO_SUCH_BUCKET, code="NoSuchBucket")
        return found

    def _upload_parts(self, upload_id: str) -> dict[int, Part]:
        parts = self._parts.get(upload_id)
        if parts is None:
            raise NotFound(messages.NO_SUCH_UPLOAD, code="NoSuchUpload")
        return parts

    def _put(self, obj: StoredObject) -> list[str]:
        """Store the row; return the blob id it displaced (not yet checked for other uses)."""
        objects = self._objects[obj.bucket]
        replaced = objects.get(obj.key)
        objects[obj.key] = _object_copy(obj)
        self._blob_refs[obj.blob_id] += 1
        if replaced is None:
            bisect.insort(self._sorted_keys[obj.bucket], obj.key)
            return []
        self._blob_refs[replaced.blob_id] -= 1
        return [replaced.blob_id]

    def _drop_upload(self, upload_id: str) -> list[str]:
        del self._uploads[upload_id]
        parts = self._parts.pop(upload_id)
        for part in parts.values():
            self._blob_refs[part.blob_id] -= 1
        return [parts[number].blob_id for number in sorted(parts)]

    def _unused(self, candidates: Iterable[str]) -> list[str]:
        unused: list[str] = []
        for blob_id in candidates:
            if self._blob_refs[blob_id] <= 0 and blob_id not in unused:
                unused.append(blob_id)
                del self._blob_refs[blob_id]
        return unused
