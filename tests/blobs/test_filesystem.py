"""What only the filesystem store promises: layout, atomic rename, links and temp cleanup."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from tsukuru.blobs.filesystem import FilesystemBlobStore


def test_blobs_fan_out_by_id(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    blob_id = store.write([b"data"]).blob_id
    expected = tmp_path / "objects" / blob_id[:2] / blob_id[2:4] / blob_id
    assert store.local_path(blob_id) == str(expected)
    assert expected.read_bytes() == b"data"
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_reopened_store_sees_existing_blobs(tmp_path: Path) -> None:
    blob_id = FilesystemBlobStore(tmp_path).write([b"persisted"]).blob_id
    reopened = FilesystemBlobStore(tmp_path)
    assert list(reopened.blob_ids()) == [blob_id]
    with reopened.open(blob_id) as handle:
        assert handle.read() == b"persisted"


def test_clean_temporary_removes_leftovers_of_interrupted_writes(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    kept = store.write([b"complete"]).blob_id
    (tmp_path / "tmp" / "blob-crashed").write_bytes(b"torn")
    (tmp_path / "tmp" / "blob-crashed-2").write_bytes(b"torn")
    assert store.clean_temporary() == 2
    assert list((tmp_path / "tmp").iterdir()) == []
    assert list(store.blob_ids()) == [kept]


def test_link_is_a_hard_link_on_the_same_filesystem(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    blob_id = store.write([b"shared inode"]).blob_id
    dest = tmp_path / "job-input.csv"
    store.link(blob_id, str(dest))
    source = store.local_path(blob_id)
    assert source is not None
    assert os.stat(source).st_ino == dest.stat().st_ino


def test_link_falls_back_to_a_copy_across_devices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    blob_id = store.write([b"copied bytes"]).blob_id

    def cross_device(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    dest = tmp_path / "elsewhere.bin"
    store.link(blob_id, str(dest))
    source = store.local_path(blob_id)
    assert source is not None
    assert dest.read_bytes() == b"copied bytes"
    assert os.stat(source).st_ino != dest.stat().st_ino


def test_stray_files_are_not_blob_ids(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    blob_id = store.write([b"x"]).blob_id
    (tmp_path / "objects" / blob_id[:2] / blob_id[2:4] / "notes.txt").write_text("junk")
    (tmp_path / "objects" / "README").write_text("junk")
    assert list(store.blob_ids()) == [blob_id]


@pytest.mark.parametrize("refusal", [errno.ENOSYS, errno.EXDEV, None])
def test_concat_without_kernel_copy_writes_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusal: int | None
) -> None:
    store = FilesystemBlobStore(tmp_path)
    parts = [os.urandom(9 * 1024 * 1024 + 3), b"", b"tail"]
    ids = [store.write([part]).blob_id for part in parts]
    if refusal is None:
        monkeypatch.delattr(os, "copy_file_range")  # a platform without it (macOS)
    else:

        def refuse(*_: object) -> int:
            raise OSError(refusal, os.strerror(refusal))

        monkeypatch.setattr(os, "copy_file_range", refuse)
    joined = store.concat(ids)
    data = b"".join(parts)
    assert (joined.size, joined.md5_hex) == (len(data), hashlib.md5(data).hexdigest())
    assert Path(str(store.local_path(joined.blob_id))).read_bytes() == data


def test_concat_failing_midway_leaves_no_blob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FilesystemBlobStore(tmp_path)
    ids = [store.write([b"one"]).blob_id, store.write([b"two"]).blob_id]

    def broken(*_: object) -> int:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "copy_file_range", broken)
    with pytest.raises(OSError, match="I/O error"):
        store.concat(ids)
    assert sorted(store.blob_ids()) == sorted(ids)
    assert list((tmp_path / "tmp").iterdir()) == []
