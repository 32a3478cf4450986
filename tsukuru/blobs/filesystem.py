"""Object bytes as plain files on the local disk: the default blob store.

A blob is named by a random id, never by its S3 key, so any key is legal and two writers of the
same key never touch the same file. Bytes are streamed into a temporary file on the same
filesystem, flushed with fsync and renamed into place, so a blob either exists whole or not at
all; a crash leaves at most a temporary file, which `clean_temporary` removes. Ids fan out into
two directory levels (`ab/cd/abcd...`) so no directory grows huge.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO, Protocol

from tsukuru.domain.errors import NotFound
from tsukuru.domain.ports import BlobInfo

COPY_BUFFER = 8 * 1024 * 1024
READ_CHUNK = 1024 * 1024
_BLOB_ID = re.compile(r"^[0-9a-f]{32}$")
_CROSS_DEVICE = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}
# Why copy_file_range may refuse: old kernel, other filesystems, a filesystem without support.
_NO_KERNEL_COPY = {errno.ENOSYS, errno.EXDEV, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


class _Digest(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...


# Streams a new blob's bytes into the open temporary file, feeding the digest; returns the size.
_Filler = Callable[[BinaryIO, _Digest], int]


def _fsync_directory(path: Path) -> None:
    """Make a rename or a new entry in `path` durable (a no-op where directories can't sync)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _as_chunks(chunks: Iterable[bytes] | bytes) -> Iterable[bytes]:
    if isinstance(chunks, bytes | bytearray | memoryview):
        return [bytes(chunks)]
    return chunks


class FilesystemBlobStore:
    """BlobStore over a directory: `root/objects/ab/cd/<id>` and `root/tmp/`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._objects = self.root / "objects"
        self._tmp = self.root / "tmp"
        self._objects.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)

    @property
    def temporary_folder(self) -> Path:
        """Where unfinished writes live (same filesystem as the blobs; emptied at start-up by
        `clean_temporary`): the gateway spools large request bodies here too."""
        return self._tmp

    # ------------------------------------------------------------------ writing

    def write(self, chunks: Iterable[bytes]) -> BlobInfo:
        def fill(out: BinaryIO, digest: _Digest) -> int:
            size = 0
            for chunk in _as_chunks(chunks):
                if chunk:
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
            return size

        return self._commit_new(fill)

    def concat(self, blob_ids: list[str], *, md5: bool = True) -> BlobInfo:
        """Join blobs into a new one (multipart completion, copies).

        The bytes move inside the kernel (`copy_file_range`) while another thread computes the
        MD5 from the page cache, so joining costs about one pass of the slower of the two instead
        of a read, a hash and a write one after the other. Multipart completion needs no MD5 of
        the whole (its ETag is built from the parts'), so it skips the hash entirely.
        """
        return self.concat_pieces(blob_ids, md5=md5)

    def concat_pieces(self, pieces: Sequence[str | bytes], *, md5: bool = True) -> BlobInfo:
        """`concat` where a piece may also be bytes held elsewhere: a multipart upload whose
        last part is small enough to live in the database (tsukuru.blobs.tiered) still has its
        big parts copied in the kernel. NotFound, and nothing written, if a blob is missing."""
        sources = [p if isinstance(p, bytes) else self._existing_path(p) for p in pieces]

        def fill(out: BinaryIO, digest: _Digest) -> int:
            if not md5:
                size = 0
                for source in sources:
                    size += _append(out.fileno(), size, source)
                return size
            failures: list[BaseException] = []
            hasher = threading.Thread(
                target=_digest_sources, args=(sources, digest, failures), name="blob-concat-md5"
            )
            hasher.start()
            try:
                size = 0
                for source in sources:
                    size += _append(out.fileno(), size, source)
            finally:
                hasher.join()
            if failures:
                raise failures[0]
            return size

        info = self._commit_new(fill)
        return info if md5 else replace(info, md5_hex="")

    def _commit_new(self, fill: _Filler) -> BlobInfo:
        blob_id = uuid.uuid4().hex
        digest = hashlib.md5(usedforsecurity=False)
        fd, temp_name = tempfile.mkstemp(dir=self._tmp, prefix="blob-")
        try:
            with os.fdopen(fd, "wb") as out:
                size = fill(out, digest)
                out.flush()
                os.fsync(out.fileno())
            final = self._path(blob_id)
            self._ensure_parent(final)
            os.rename(temp_name, final)
            _fsync_directory(final.parent)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return BlobInfo(blob_id=blob_id, size=size, md5_hex=digest.hexdigest())

    def _ensure_parent(self, final: Path) -> None:
        """Create the fan-out directories a blob goes into, syncing only the entries that are new
        (each fsync costs milliseconds, and the first level soon exists for good)."""
        parent = final.parent
        if parent.is_dir():
            return
        grandparent = parent.parent
        if not grandparent.is_dir():
            grandparent.mkdir(exist_ok=True)
            _fsync_directory(grandparent.parent)
        parent.mkdir(exist_ok=True)
        _fsync_directory(grandparent)

    # ------------------------------------------------------------------ reading

    def open(self, blob_id: str) -> BinaryIO:
        try:
            return open(self._path(blob_id), "rb")
        except FileNotFoundError:
            raise _missing(blob_id) from None

    def read_range(self, blob_id: str, start: int, length: int) -> Iterator[bytes]:
        handle = self.open(blob_id)  # opened now, so a missing blob fails at the call
        return _read_slices(handle, start, length)

    def local_path(self, blob_id: str) -> str | None:
        return str(self._existing_path(blob_id))

    def link(self, blob_id: str, dest: str) -> None:
        source = self._existing_path(blob_id)
        try:
            os.link(source, dest)
        except OSError as exc:
            if exc.errno not in _CROSS_DEVICE:
                raise
            shutil.copyfile(source, dest)

    # ------------------------------------------------------------------ housekeeping

    def delete(self, blob_id: str) -> None:
        try:
            self._path(blob_id).unlink(missing_ok=True)
        except NotFound:
            return

    def blob_ids(self) -> Iterator[str]:
        for first in sorted(self._objects.iterdir()):
            if not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                if not second.is_dir():
                    continue
                for entry in sorted(second.iterdir()):
                    if _BLOB_ID.match(entry.name):
                        yield entry.name

    def clean_temporary(self) -> int:
        removed = 0
        for entry in self._tmp.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed += 1
        return removed

    # ------------------------------------------------------------------ paths

    def _path(self, blob_id: str) -> Path:
        if not _BLOB_ID.match(blob_id):
            raise _missing(blob_id)
        return self._objects / blob_id[:2] / blob_id[2:4] / blob_id

    def _existing_path(self, blob_id: str) -> Path:
        path = self._path(blob_id)
        if not path.is_file():
            raise _missing(blob_id)
        return path


def _append(out_fd: int, position: int, source: Path | bytes) -> int:
    """Write all of `source` (a file, or bytes in hand) into `out_fd` at `position`; returns the
    bytes written."""
    if isinstance(source, Path):
        return _append_file(out_fd, position, source)
    view = memoryview(source)
    done = 0
    while done < len(view):
        done += os.pwrite(out_fd, view[done:], position + done)
    return done


def _append_file(out_fd: int, position: int, source: Path) -> int:
    """Write all of `source` into `out_fd` at `position`; returns the bytes written.

    `copy_file_range` keeps the bytes in the kernel; where the platform or the filesystems
    refuse it, plain positioned reads and writes do the same job.
    """
    with open(source, "rb", buffering=0) as src:
        fd = src.fileno()
        size = os.fstat(fd).st_size
        done = 0
        in_kernel = hasattr(os, "copy_file_range")
        while done < size:
            if in_kernel:
                try:
                    count = os.copy_file_range(fd, out_fd, size - done, done, position + done)
                except OSError as exc:
                    if exc.errno not in _NO_KERNEL_COPY:
                        raise
                    in_kernel = False
                    continue
            else:
                chunk = os.pread(fd, min(COPY_BUFFER, size - done), done)
                count = os.pwrite(out_fd, chunk, position + done) if chunk else 0
            if count == 0:
                break  # the source shrank under us; the caller sees the short size
            done += count
        return done


def _digest_sources(
    sources: list[Path | bytes], digest: _Digest, failures: list[BaseException]
) -> None:
    """Feed every source's bytes to `digest` (run in a thread; errors are handed back)."""
    try:
        for source in sources:
            if isinstance(source, bytes):
                digest.update(source)
                continue
            with open(source, "rb", buffering=0) as src:
                while chunk := src.read(COPY_BUFFER):
                    digest.update(chunk)
    except BaseException as exc:
        failures.append(exc)


def _missing(blob_id: str) -> NotFound:
    return NotFound(f"blob {blob_id!r} does not exist", code="NoSuchBlob")


def _read_slices(handle: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    with handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(READ_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
