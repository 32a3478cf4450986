"""The small-blob table on a real database: migration, many threads, a failed statement.

The BlobStore contract itself runs against this store in tests/blobs/test_contract.py; these
are the things only a database can get wrong.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from tsukuru.domain.errors import NotFound
from tsukuru.domain.ports import Bucket, StoredObject
from tsukuru.store.sql import SqlMetadata, open_store, sqlite_url
from tsukuru.store.sql.database import Database
from tsukuru.store.sql.migrate import alembic_config
from tsukuru.store.sql.small_blobs import SqlSmallBlobStore


def test_ids_are_marked_small_and_never_look_like_file_ids(sql_metadata: SqlMetadata) -> None:
    store = SqlSmallBlobStore(sql_metadata.database)
    blob_id = store.write([b"x"]).blob_id
    assert blob_id.startswith("s")
    assert len(blob_id) == 33


def test_threads_write_and_read_at_once(sql_metadata: SqlMetadata) -> None:
    store = SqlSmallBlobStore(sql_metadata.database)
    written: dict[str, bytes] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        try:
            start.wait()
            for index in range(25):
                data = f"{worker}:{index}".encode() * 50
                info = store.write([data])
                assert info.md5_hex == hashlib.md5(data).hexdigest()
                assert store.open(info.blob_id).read() == data
                with lock:
                    written[info.blob_id] = data
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(store.blob_ids()) == sorted(written)


def test_a_failed_statement_leaves_the_store_usable(
    sql_metadata: SqlMetadata, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqlSmallBlobStore(sql_metadata.database)
    fixed = uuid.UUID(int=7)
    monkeypatch.setattr(uuid, "uuid4", lambda: fixed)
    first = store.write([b"first"])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        store.write([b"second"])  # same id: the database refuses it
    monkeypatch.undo()
    for _ in range(10):  # every pooled connection still works
        assert store.open(first.blob_id).read() == b"first"
        info = store.write([b"third"])
        assert store.open(info.blob_id).read() == b"third"
    store.delete(first.blob_id)
    with pytest.raises(NotFound):
        store.open(first.blob_id)


def test_upgrading_a_database_from_before_small_blobs_keeps_its_objects(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "tsukuru.db")
    old = open_store(url)
    created = datetime(2026, 1, 1, tzinfo=UTC)
    old.objects.create_bucket(Bucket("data", "123456789012", "us-east-1", created))
    row = StoredObject("data", "old", "0" * 32, 3, '"etag"', created)
    old.objects.put_object(row)
    old.close()
    database = Database(url)
    config = alembic_config()
    with database.write() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert "small_blobs" not in inspect(database.engine).get_table_names()
    database.dispose()
    store = open_store(url)
    try:
        assert store.objects.get_object("data", "old") == row
        small = SqlSmallBlobStore(store.database)
        assert small.open(small.write([b"after the upgrade"]).blob_id).read() == (
            b"after the upgrade"
        )
    finally:
        store.close()
