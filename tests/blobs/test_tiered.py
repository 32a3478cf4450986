"""The tiered store: which blobs go where, streaming past the limit, mixed joins, and the
platform's users of blobs (GC, link, copies, multipart) over small blobs in SQLite."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.store.conftest import sqlite_template  # noqa: F401  (fixture)
from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.blobs.memory import MemoryBlobStore
from tsukuru.blobs.tiered import SMALL_BLOB_LIMIT, TieredBlobStore
from tsukuru.domain.clock import ManualClock
from tsukuru.domain.errors import NotFound
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.ports import BlobInfo
from tsukuru.store.sql import SqlMetadata, open_store, sqlite_url
from tsukuru.store.sql.small_blobs import SqlSmallBlobStore

LIMIT = SMALL_BLOB_LIMIT


@pytest.fixture
def tiered(tmp_path: Path) -> TieredBlobStore:
    return TieredBlobStore(MemoryBlobStore(id_prefix="s"), FilesystemBlobStore(tmp_path / "b"))


@pytest.fixture
def sql(tmp_path: Path, sqlite_template: Path) -> Iterator[SqlMetadata]:  # noqa: F811
    shutil.copyfile(sqlite_template, tmp_path / "tsukuru.db")
    metadata = open_store(sqlite_url(tmp_path / "tsukuru.db"))
    yield metadata
    metadata.close()


def _read(store: TieredBlobStore, blob_id: str) -> bytes:
    with store.open(blob_id) as handle:
        return handle.read()


def _files(store: TieredBlobStore) -> list[str]:
    return list(store.large.blob_ids())


@pytest.mark.parametrize(("size", "small"), [(0, True), (LIMIT, True), (LIMIT + 1, False)])
def test_blobs_up_to_the_limit_are_small(tiered: TieredBlobStore, size: int, small: bool) -> None:
    data = os.urandom(size)
    info = tiered.write([data[: size // 2], data[size // 2 :]])
    assert info.blob_id.startswith("s") is small
    assert _files(tiered) == ([] if small else [info.blob_id])
    assert (info.size, info.md5_hex) == (size, hashlib.md5(data).hexdigest())
    assert _read(tiered, info.blob_id) == data
    assert b"".join(tiered.read_range(info.blob_id, 1, size)) == data[1:]
    assert (tiered.local_path(info.blob_id) is None) is small


def test_a_streamed_body_over_the_limit_is_never_held_whole(tmp_path: Path) -> None:
    """The large store starts receiving chunks once the limit is passed, not at the end."""
    chunk, count = 8 * 1024, 1024  # 8 MiB in all
    produced = 0
    produced_when_files_began: list[int] = []

    def body() -> Iterator[bytes]:
        nonlocal produced
        for index in range(count):
            produced += 1
            yield bytes([index % 256]) * chunk

    class WatchedFiles(FilesystemBlobStore):
        def write(self, chunks: Iterable[bytes]) -> BlobInfo:
            def watched() -> Iterator[bytes]:
                for piece in chunks:
                    if not produced_when_files_began:
                        produced_when_files_began.append(produced)
                    yield piece

            return super().write(watched())

    store = TieredBlobStore(MemoryBlobStore(id_prefix="s"), WatchedFiles(tmp_path / "b"))
    info = store.write(body())
    assert info.size == chunk * count
    assert produced_when_files_began == [LIMIT // chunk + 1]


def test_mutable_chunks_are_copied_before_they_are_kept(tiered: TieredBlobStore) -> None:
    buffer = bytearray(b"first")

    def reused() -> Iterator[bytes]:
        yield buffer  # type: ignore[misc]  # what a careless producer does
        buffer[:] = b"XXXXX"
        yield b"!"

    info = tiered.write(reused())
    assert _read(tiered, info.blob_id) == b"first!"


def test_concat_of_big_parts_and_a_small_last_part(tiered: TieredBlobStore) -> None:
    parts = [os.urandom(LIMIT * 3), os.urandom(LIMIT + 5), b"small tail"]
    ids = [tiered.write([part]).blob_id for part in parts]
    assert ids[2].startswith("s")
    data = b"".join(parts)
    joined = tiered.concat(ids)
    assert not joined.blob_id.startswith("s")
    assert (joined.size, joined.md5_hex) == (len(data), hashlib.md5(data).hexdigest())
    assert _read(tiered, joined.blob_id) == data
    unhashed = tiered.concat([ids[2], ids[0], ids[2]], md5=False)
    assert unhashed.md5_hex == ""
    assert _read(tiered, unhashed.blob_id) == parts[2] + parts[0] + parts[2]


def test_concat_of_small_parts_is_small_while_it_fits(tiered: TieredBlobStore) -> None:
    halves = [os.urandom(LIMIT // 2), os.urandom(LIMIT // 2)]
    ids = [tiered.write([half]).blob_id for half in halves]
    fits = tiered.concat(ids)
    assert fits.blob_id.startswith("s")
    assert _read(tiered, fits.blob_id) == b"".join(halves)
    too_big = tiered.concat([*ids, ids[0]], md5=False)
    assert not too_big.blob_id.startswith("s")
    assert too_big.md5_hex == ""
    assert _read(tiered, too_big.blob_id) == halves[0] + halves[1] + halves[0]


@pytest.mark.parametrize("missing", ["s" + "0" * 32, "0" * 32])
def test_concat_with_a_missing_part_writes_nothing(tiered: TieredBlobStore, missing: str) -> None:
    small = tiered.write([os.urandom(LIMIT // 2)]).blob_id
    large = tiered.write([os.urandom(LIMIT + 1)]).blob_id
    # the last list is past the limit (streaming to a file) when the missing part comes up
    for ids in ([small, missing], [large, small, missing], [small, small, small, missing]):
        with pytest.raises(NotFound):
            tiered.concat(ids)
    assert sorted(tiered.blob_ids()) == sorted([small, large])
    assert tiered.clean_temporary() == 0


def test_files_written_before_tiering_stay_readable(tmp_path: Path) -> None:
    files = FilesystemBlobStore(tmp_path / "b")
    old = files.write([b"a small object from an older tsukuru"]).blob_id
    store = TieredBlobStore(MemoryBlobStore(id_prefix="s"), files)
    assert _read(store, old) == b"a small object from an older tsukuru"
    copied = store.concat([old])
    assert _read(store, copied.blob_id) == b"a small object from an older tsukuru"
    store.delete(old)
    with pytest.raises(NotFound):
        store.open(old)


def test_housekeeping_covers_both_stores(tiered: TieredBlobStore) -> None:
    small = tiered.write([b"s"]).blob_id
    large = tiered.write([os.urandom(LIMIT + 1)]).blob_id
    assert sorted(tiered.blob_ids()) == sorted([small, large])
    (tiered.temporary_folder / "leftover").write_bytes(b"interrupted")
    assert tiered.temporary_folder == tiered.large.temporary_folder
    assert tiered.clean_temporary() == 1
    tiered.delete(small)
    tiered.delete(large)
    assert list(tiered.blob_ids()) == []


# ---------------------------------------------------------------- through the object service


def _service_over(sql: SqlMetadata, tmp_path: Path) -> ObjectService:
    """Objects as the platform wires them: small blobs in SQLite, large ones in files."""
    blobs = TieredBlobStore(SqlSmallBlobStore(sql.database), FilesystemBlobStore(tmp_path / "b"))
    return ObjectService(sql.objects, blobs, ManualClock(datetime(2026, 1, 1, tzinfo=UTC)))


def _service(sql: SqlMetadata, tmp_path: Path) -> ObjectService:
    service = _service_over(sql, tmp_path)
    service.create_bucket("data", account_id="123456789012")
    return service


def test_garbage_collect_drops_unreferenced_small_blobs(sql: SqlMetadata, tmp_path: Path) -> None:
    service = _service(sql, tmp_path)
    kept = service.put_object("data", "kept", b"referenced").blob_id
    big = service.put_object("data", "big", os.urandom(LIMIT + 1)).blob_id
    orphans = [service.blobs.write([b"orphan"]).blob_id for _ in range(3)]
    assert all(orphan.startswith("s") for orphan in orphans)
    assert service.garbage_collect() == 3
    assert sorted(service.blobs.blob_ids()) == sorted([kept, big])
    assert service.open_object("data", "kept").read() == b"referenced"


def test_replacing_and_deleting_small_objects_frees_their_rows(
    sql: SqlMetadata, tmp_path: Path
) -> None:
    service = _service(sql, tmp_path)
    service.put_object("data", "key", b"first")
    second = service.put_object("data", "key", b"second").blob_id
    assert list(service.blobs.blob_ids()) == [second]
    service.delete_object("data", "key")
    assert list(service.blobs.blob_ids()) == []


def test_a_small_object_is_linked_as_a_file(sql: SqlMetadata, tmp_path: Path) -> None:
    """Training and transform inputs arrive as files in the job tree, small ones too."""
    service = _service(sql, tmp_path)
    service.put_object("data", "train/train.csv", b"1,0.5\n0,0.25\n")
    dest = tmp_path / "job" / "input" / "data" / "train" / "train.csv"
    dest.parent.mkdir(parents=True)
    service.link_object("data", "train/train.csv", str(dest))
    assert dest.read_bytes() == b"1,0.5\n0,0.25\n"
    with pytest.raises(FileExistsError):
        service.link_object("data", "train/train.csv", str(dest))


def test_copies_keep_bytes_and_etag(sql: SqlMetadata, tmp_path: Path) -> None:
    service = _service(sql, tmp_path)
    for key, body in [("small", b"tiny"), ("big", os.urandom(LIMIT + 1))]:
        original = service.put_object("data", key, body)
        copy = service.copy_object("data", key, "data", f"{key}-copy")
        assert copy.etag == original.etag == f'"{hashlib.md5(body).hexdigest()}"'
        assert copy.blob_id.startswith("s") is original.blob_id.startswith("s")
        assert service.open_object("data", f"{key}-copy").read() == body


def test_small_blobs_survive_reopening_the_database(sql: SqlMetadata, tmp_path: Path) -> None:
    service = _service(sql, tmp_path)
    service.put_object("data", "kept", b"written before the restart")
    url = str(sql.database.engine.url)
    reopened = open_store(url)
    try:
        again = _service_over(reopened, tmp_path)
        assert again.open_object("data", "kept").read() == b"written before the restart"
    finally:
        reopened.close()
