"""The BlobStore contract, run against every implementation."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.conftest import postgres_url, sqlite_template  # noqa: F401  (fixtures)
from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.blobs.memory import MemoryBlobStore
from tsukuru.blobs.tiered import TieredBlobStore
from tsukuru.domain.errors import NotFound
from tsukuru.domain.ports import BlobStore

BACKENDS = [
    "filesystem",
    "memory",
    "tiered",  # small blobs in memory, large ones in files
    "tiered-sqlite",  # what the platform runs: small blobs in SQLite, large ones in files
    "sql-sqlite",  # the small-blob store on its own, with blobs of any size
    pytest.param("sql-postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    backend: str = request.param
    if backend == "filesystem":
        yield FilesystemBlobStore(tmp_path / "blobs")
    elif backend == "memory":
        yield MemoryBlobStore()
    elif backend == "tiered":
        yield TieredBlobStore(MemoryBlobStore(id_prefix="s"), FilesystemBlobStore(tmp_path / "b"))
    else:
        from tests.store.postgres_db import empty_all_tables
        from tsukuru.store.sql import open_store, sqlite_url
        from tsukuru.store.sql.small_blobs import SqlSmallBlobStore

        if backend == "sql-postgres":
            url: str = request.getfixturevalue("postgres_url")
            empty_all_tables(url)
        else:
            template: Path = request.getfixturevalue("sqlite_template")
            shutil.copyfile(template, tmp_path / "tsukuru.db")
            url = sqlite_url(tmp_path / "tsukuru.db")
        metadata = open_store(url)
        small = SqlSmallBlobStore(metadata.database)
        if backend == "tiered-sqlite":
            yield TieredBlobStore(small, FilesystemBlobStore(tmp_path / "blobs"))
        else:
            yield small
        metadata.close()


def _read(store: BlobStore, blob_id: str) -> bytes:
    with store.open(blob_id) as handle:
        return handle.read()


def test_write_streams_chunks_and_reports_size_and_md5(store: BlobStore) -> None:
    chunks = [b"hello ", b"", b"blob ", b"world" * 1000]
    info = store.write(iter(chunks))
    data = b"".join(chunks)
    assert info.size == len(data)
    assert info.md5_hex == hashlib.md5(data).hexdigest()
    assert _read(store, info.blob_id) == data


def test_write_accepts_a_single_bytes_value(store: BlobStore) -> None:
    info = store.write(b"abc")  # type: ignore[arg-type]  # bytes is Iterable[int], guarded
    assert _read(store, info.blob_id) == b"abc"
    assert info.size == 3


def test_each_write_gets_a_new_id(store: BlobStore) -> None:
    first = store.write([b"same"])
    second = store.write([b"same"])
    assert first.blob_id != second.blob_id
    assert set(store.blob_ids()) == {first.blob_id, second.blob_id}


def test_empty_blob(store: BlobStore) -> None:
    info = store.write([])
    assert info.size == 0
    assert info.md5_hex == hashlib.md5(b"").hexdigest()
    assert _read(store, info.blob_id) == b""
    assert list(store.read_range(info.blob_id, 0, 0)) == []


def test_concat_joins_blobs_in_order(store: BlobStore) -> None:
    parts = [os.urandom(3 * 1024 * 1024 + 7), b"middle", os.urandom(10)]
    ids = [store.write([part]).blob_id for part in parts]
    joined = store.concat(ids)
    data = b"".join(parts)
    assert joined.size == len(data)
    assert joined.md5_hex == hashlib.md5(data).hexdigest()
    assert _read(store, joined.blob_id) == data
    for blob_id, part in zip(ids, parts, strict=True):
        assert _read(store, blob_id) == part  # the sources are untouched


def test_concat_without_md5_skips_the_hash_but_keeps_the_bytes(store: BlobStore) -> None:
    parts = [os.urandom(2 * 1024 * 1024), os.urandom(1000)]
    ids = [store.write([part]).blob_id for part in parts]
    joined = store.concat(ids, md5=False)
    assert joined.md5_hex == ""
    assert joined.size == sum(len(p) for p in parts)
    assert _read(store, joined.blob_id) == b"".join(parts)


def test_concat_of_missing_blob_is_not_found(store: BlobStore) -> None:
    real = store.write([b"x"]).blob_id
    with pytest.raises(NotFound):
        store.concat([real, "0" * 32])
    assert set(store.blob_ids()) == {real}


def test_read_range(store: BlobStore) -> None:
    data = bytes(range(256)) * 10_000
    blob_id = store.write([data]).blob_id
    assert b"".join(store.read_range(blob_id, 0, len(data))) == data
    assert b"".join(store.read_range(blob_id, 100, 50)) == data[100:150]
    assert b"".join(store.read_range(blob_id, len(data) - 5, 100)) == data[-5:]
    chunks = list(store.read_range(blob_id, 1, len(data) - 1))
    assert len(chunks) > 1  # big reads stream in pieces
    assert b"".join(chunks) == data[1:]


@pytest.mark.parametrize("blob_id", ["0" * 32, "not-an-id", "../../etc/passwd", ""])
def test_missing_blob(store: BlobStore, blob_id: str) -> None:
    with pytest.raises(NotFound):
        store.open(blob_id)
    with pytest.raises(NotFound):
        store.read_range(blob_id, 0, 1)
    with pytest.raises(NotFound):
        store.local_path(blob_id)
    store.delete(blob_id)  # deleting a missing blob is fine


def test_delete(store: BlobStore) -> None:
    keep = store.write([b"keep"]).blob_id
    drop = store.write([b"drop"]).blob_id
    store.delete(drop)
    store.delete(drop)
    assert list(store.blob_ids()) == [keep]
    with pytest.raises(NotFound):
        store.open(drop)


def test_link_makes_dest_hold_the_bytes(store: BlobStore, tmp_path: Path) -> None:
    blob_id = store.write([b"linked bytes"]).blob_id
    dest = tmp_path / "out" / "file.bin"
    dest.parent.mkdir()
    store.link(blob_id, str(dest))
    assert dest.read_bytes() == b"linked bytes"
    with pytest.raises(FileExistsError):
        store.link(blob_id, str(dest))


def test_local_path_is_none_or_the_bytes(store: BlobStore) -> None:
    blob_id = store.write([b"on disk?"]).blob_id
    path = store.local_path(blob_id)
    if path is not None:
        assert Path(path).read_bytes() == b"on disk?"


def test_failed_write_leaves_nothing(store: BlobStore) -> None:
    def exploding() -> Iterator[bytes]:
        yield b"partial"
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        store.write(exploding())
    assert list(store.blob_ids()) == []
    assert store.clean_temporary() == 0
