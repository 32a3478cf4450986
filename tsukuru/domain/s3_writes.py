"""The write path shared by PutObject, UploadPart and the copies: bytes first, row second.

Bytes are written to a new blob (temp file, fsync, rename) and checked (Content-MD5, the
flexible checksums) before any index row points at them. If a check or the commit fails, the
new blob is deleted and nothing is visible; blobs a commit displaced are deleted only after it.

Checksum algorithms beyond MD5 are not the domain's business (some need third-party code), so a
caller hands in a `BodyCheck` that watches the bytes go by and, once they are all written,
either returns the checksums to store or raises.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import BinaryIO, Protocol

from tsukuru.domain import s3_faults as faults
from tsukuru.domain.errors import DomainError, NotFound
from tsukuru.domain.ports import BlobInfo, BlobStore

MAX_METADATA_BYTES = 2 * 1024
MAX_SINGLE_UPLOAD = 5 * 1024**3
READ_CHUNK = 1024 * 1024

Body = bytes | bytearray | memoryview | BinaryIO | Iterable[bytes]


class BodyCheck(Protocol):
    """Watches an object's bytes while they are stored and judges them afterwards."""

    def watch(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Yield `chunks` unchanged, observing each."""
        ...

    def result(self) -> dict[str, str]:
        """The checksums to store ({"CRC32": "<base64>"}); raises a DomainError on mismatch."""
        ...


def as_chunks(body: Body) -> Iterable[bytes]:
    """Any accepted body as an iterable of byte strings."""
    if isinstance(body, bytes | bytearray | memoryview):
        return [bytes(body)]
    read = getattr(body, "read", None)
    if callable(read):
        return _read_all(read)
    return body


def decode_content_md5(value: str | None) -> bytes | None:
    """The raw digest of a Content-MD5 header; InvalidDigest unless it is base64 of 16 bytes."""
    if value is None:
        return None
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise faults.invalid_digest(value) from None
    if len(digest) != 16:
        raise faults.invalid_digest(value)
    return digest


def check_metadata(metadata: Mapping[str, str]) -> None:
    """S3 allows 2 KB of user metadata, counted as UTF-8 names plus values."""
    size = sum(len(name.encode()) + len(value.encode()) for name, value in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise faults.metadata_too_large(size, MAX_METADATA_BYTES)


def write_checked(
    blobs: BlobStore,
    chunks: Iterable[bytes],
    *,
    content_md5: bytes | None = None,
    check: BodyCheck | None = None,
    max_size: int = MAX_SINGLE_UPLOAD,
) -> tuple[BlobInfo, dict[str, str]]:
    """Store the bytes as a new blob and verify them; on any failure the blob is gone."""
    watched = check.watch(chunks) if check is not None else chunks
    info = blobs.write(watched)
    try:
        if content_md5 is not None and content_md5.hex() != info.md5_hex:
            raise faults.bad_digest(content_md5.hex(), info.md5_hex)
        if info.size > max_size:
            raise faults.S3TooLarge(
                "Your proposed upload exceeds the maximum allowed size",
                code="EntityTooLarge",
                details={"ProposedSize": str(info.size), "MaxSizeAllowed": str(max_size)},
            )
        checksums = check.result() if check is not None else {}
    except BaseException:
        blobs.delete(info.blob_id)
        raise
    return info, checksums


def commit_or_discard(blobs: BlobStore, blob_id: str, commit: Callable[[], list[str]]) -> None:
    """Run the index commit that makes `blob_id` visible; delete the blob if it fails, and the
    blobs the commit displaced once it succeeded."""
    try:
        unused = commit()
    except BaseException:
        blobs.delete(blob_id)
        raise
    discard(blobs, unused)


def discard(blobs: BlobStore, blob_ids: Iterable[str]) -> None:
    """Delete blobs no row references any more; a failure only leaves garbage for the GC."""
    for blob_id in dict.fromkeys(blob_ids):
        with contextlib.suppress(OSError, DomainError):
            blobs.delete(blob_id)


def etag_of(md5_hex: str) -> str:
    return f'"{md5_hex}"'


def refine_not_found(exc: NotFound, bucket: str, key: str | None = None) -> NotFound:
    """The index's NotFound with S3's details (the bucket or key name) attached."""
    if exc.code == "NoSuchBucket":
        return faults.no_such_bucket(bucket)
    if exc.code == "NoSuchKey" and key is not None:
        return faults.no_such_key(key)
    return exc


def _read_all(read: Callable[[int], bytes]) -> Iterator[bytes]:
    while chunk := read(READ_CHUNK):
        yield chunk
