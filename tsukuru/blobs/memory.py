"""Object bytes held in process memory, for fast unit tests of the S3 domain.

Behaves like the filesystem store from the outside (random ids, MD5 on write, NotFound for an
unknown id) but has no files, so `local_path` answers None and callers must stream the bytes.
With `id_prefix="s"` it stands in for the database's small-blob store behind a tiered store.
"""

from __future__ import annotations

import hashlib
import io
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import BinaryIO

from tsukuru.domain.errors import NotFound
from tsukuru.domain.ports import BlobInfo

READ_CHUNK = 1024 * 1024


class MemoryBlobStore:
    """BlobStore over a dictionary of immutable byte strings."""

    def __init__(self, *, id_prefix: str = "") -> None:
        self._id_prefix = id_prefix
        self._lock = threading.Lock()
        self._blobs: dict[str, bytes] = {}

    def write(self, chunks: Iterable[bytes]) -> BlobInfo:
        if isinstance(chunks, bytes | bytearray | memoryview):
            data = bytes(chunks)
        else:
            data = b"".join(chunks)
        return self._store(data)

    def concat(self, blob_ids: list[str], *, md5: bool = True) -> BlobInfo:
        with self._lock:
            parts = [self._get(blob_id) for blob_id in blob_ids]
        info = self._store(b"".join(parts))
        return info if md5 else replace(info, md5_hex="")

    def open(self, blob_id: str) -> BinaryIO:
        with self._lock:
            return io.BytesIO(self._get(blob_id))

    def read_range(self, blob_id: str, start: int, length: int) -> Iterator[bytes]:
        with self._lock:
            data = self._get(blob_id)
        piece = data[start : start + max(length, 0)]
        return iter([piece[i : i + READ_CHUNK] for i in range(0, len(piece), READ_CHUNK)])

    def local_path(self, blob_id: str) -> str | None:
        with self._lock:
            self._get(blob_id)
        return None

    def link(self, blob_id: str, dest: str) -> None:
        with self._lock:
            data = self._get(blob_id)
        with open(dest, "xb") as out:
            out.write(data)

    def delete(self, blob_id: str) -> None:
        with self._lock:
            self._blobs.pop(blob_id, None)

    def blob_ids(self) -> Iterator[str]:
        with self._lock:
            return iter(sorted(self._blobs))

    def clean_temporary(self) -> int:
        return 0

    def _store(self, data: bytes) -> BlobInfo:
        blob_id = self._id_prefix + uuid.uuid4().hex
        md5_hex = hashlib.md5(data, usedforsecurity=False).hexdigest()
        with self._lock:
            self._blobs[blob_id] = data
        return BlobInfo(blob_id=blob_id, size=len(data), md5_hex=md5_hex)

    def _get(self, blob_id: str) -> bytes:
        found = self._blobs.get(blob_id)
        if found is None:
            raise NotFound(f"blob {blob_id!r} does not exist", code="NoSuchBlob")
        return found
