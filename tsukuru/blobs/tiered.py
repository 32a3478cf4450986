"""Small blobs in one store, large ones in another, behind the one BlobStore port.

Most of what a small PUT costs on the filesystem store is the file itself: creating it (which
waits on the filesystem journal while other fsyncs run), fsyncing it, renaming it into place and
fsyncing its directory. A blob of at most `limit` bytes (SMALL_BLOB_LIMIT, 64 KiB) therefore
goes to the `small` store — the metadata database's `small_blobs` table in the platform
(tsukuru.store.sql.small_blobs) — and only larger ones become files.

How the two are told apart: small ids start with "s"; the filesystem store's ids are 32 hex
digits and never do. Every read, link and delete goes by that mark, so no lookup table is
needed and blobs written before tiering existed (files of any size) keep working.

Writes stream: chunks are gathered only until they pass the limit, then the gathered ones and
the rest of the body go to the large store as they arrive, so a big body is never held in
memory whole. The MD5 (the ETag) is computed by whichever store keeps the bytes, exactly as
before.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.domain.ports import SMALL_BLOB_ID_PREFIX, BlobInfo, BlobStore

SMALL_BLOB_LIMIT = 64 * 1024


class TieredBlobStore:
    """BlobStore that keeps blobs of at most `limit` bytes in `small`, the rest in `large`."""

    def __init__(
        self, small: BlobStore, large: FilesystemBlobStore, *, limit: int = SMALL_BLOB_LIMIT
    ) -> None:
        self.small = small
        self.large = large
        self.limit = limit

    @property
    def temporary_folder(self) -> Path:
        """The large store's: the gateway spools big request bodies there (same disk)."""
        return self.large.temporary_folder

    # ------------------------------------------------------------------ writing

    def write(self, chunks: Iterable[bytes]) -> BlobInfo:
        if isinstance(chunks, bytes | bytearray | memoryview):
            chunks = [bytes(chunks)]
        rest = iter(chunks)
        gathered: list[bytes] = []
        size = 0
        for chunk in rest:
            if not chunk:
                continue
            # a caller may reuse a mutable buffer for its next chunk; keep our own copy
            gathered.append(chunk if isinstance(chunk, bytes) else bytes(chunk))
            size += len(chunk)
            if size > self.limit:
                return self.large.write(itertools.chain(gathered, rest))
        return self.small.write(gathered)

    def concat(self, blob_ids: list[str], *, md5: bool = True) -> BlobInfo:
        """Join blobs (multipart completion, CopyObject) into a new one.

        Only large parts: the large store joins them in the kernel. Large and small parts (a
        multipart upload's last part is usually small): the small parts' bytes are read (at most
        `limit` each, and S3 parts but the last are 5 MiB or more) and the large store still
        copies the big parts in the kernel. Only small parts: streamed through
        `write`, so the result is small when the total fits. A missing part is NotFound and
        nothing is written.
        """
        small_ids = [blob_id for blob_id in blob_ids if _is_small(blob_id)]
        if not small_ids:
            return self.large.concat(blob_ids, md5=md5)
        if len(small_ids) < len(blob_ids):
            pieces: list[str | bytes] = [
                self._read_small(blob_id) if _is_small(blob_id) else blob_id for blob_id in blob_ids
            ]
            return self.large.concat_pieces(pieces, md5=md5)
        # a missing part raises inside `write`, which then commits nothing
        info = self.write(self._stream_small(blob_ids))
        return info if md5 else replace(info, md5_hex="")

    def _read_small(self, blob_id: str) -> bytes:
        with self.small.open(blob_id) as handle:
            return handle.read()

    def _stream_small(self, blob_ids: list[str]) -> Iterator[bytes]:
        for blob_id in blob_ids:
            yield self._read_small(blob_id)

    # ------------------------------------------------------------------ reading

    def open(self, blob_id: str) -> BinaryIO:
        return self._store_of(blob_id).open(blob_id)

    def read_range(self, blob_id: str, start: int, length: int) -> Iterator[bytes]:
        return self._store_of(blob_id).read_range(blob_id, start, length)

    def local_path(self, blob_id: str) -> str | None:
        return self._store_of(blob_id).local_path(blob_id)

    def link(self, blob_id: str, dest: str) -> None:
        self._store_of(blob_id).link(blob_id, dest)

    # ------------------------------------------------------------------ housekeeping

    def delete(self, blob_id: str) -> None:
        self._store_of(blob_id).delete(blob_id)

    def blob_ids(self) -> Iterator[str]:
        return itertools.chain(self.large.blob_ids(), self.small.blob_ids())

    def clean_temporary(self) -> int:
        return self.large.clean_temporary() + self.small.clean_temporary()

    def _store_of(self, blob_id: str) -> BlobStore:
        return self.small if _is_small(blob_id) else self.large


def _is_small(blob_id: str) -> bool:
    return blob_id.startswith(SMALL_BLOB_ID_PREFIX)
