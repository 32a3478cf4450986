"""The SQL layer's own promises: SQLite settings, one transaction boundary, error mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from tsukuru.domain.errors import AlreadyExists, Conflict
from tsukuru.store.sql import SqlMetadata, open_store, sqlite_url
from tsukuru.store.sql.database import SQLITE_BUSY_TIMEOUT_MS, Database
from tsukuru.store.sql.tables import buckets, objects

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def test_sqlite_connections_are_configured_for_concurrency(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path / "tsukuru.db"))
    with store.database.read() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ["journal_mode", "busy_timeout", "foreign_keys", "synchronous"]
        }
    store.close()
    assert pragma == {
        "journal_mode": "wal",
        "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
        "foreign_keys": 1,
        "synchronous": 1,  # NORMAL
    }


def test_write_commits_and_rolls_back(sql_metadata: SqlMetadata) -> None:
    database = sql_metadata.database
    row = {"name": "b", "account_id": "1", "region": "r", "created": T0}

    def insert_then_fail() -> None:
        with database.write() as connection:
            connection.execute(insert(buckets).values(**row))
            raise RuntimeError("abandon")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with database.read() as connection:
        assert connection.execute(select(buckets.c.name)).all() == []
    with database.write() as connection:
        connection.execute(insert(buckets).values(**row))
    with database.read() as connection:
        assert connection.execute(select(buckets.c.name)).scalars().all() == ["b"]


def test_integrity_errors_become_domain_errors(sql_metadata: SqlMetadata) -> None:
    database = sql_metadata.database
    row = {"name": "b", "account_id": "1", "region": "r", "created": T0}
    with database.write() as connection:
        connection.execute(insert(buckets).values(**row))
    with pytest.raises(AlreadyExists), database.write() as connection:
        connection.execute(insert(buckets).values(**row))
    orphan = {
        "bucket": "missing",
        "key": "k",
        "blob_id": "x",
        "size": 0,
        "etag": '"e"',
        "last_modified": T0,
        "content_type": "t",
        "metadata": {},
        "headers": {},
        "checksums": {},
    }
    with pytest.raises(Conflict), database.write() as connection:
        connection.execute(insert(objects).values(**orphan))


def test_sqlite_read_sees_a_snapshot(tmp_path: Path) -> None:
    store = open_store(sqlite_url(tmp_path / "tsukuru.db"))
    row = {"name": "b", "account_id": "1", "region": "r", "created": T0}
    with store.database.read() as reader:
        before = reader.execute(select(buckets.c.name)).all()
        with store.database.write() as writer:
            writer.execute(insert(buckets).values(**row))
        assert reader.execute(select(buckets.c.name)).all() == before == []
    with store.database.read() as reader:
        assert reader.execute(select(buckets.c.name)).scalars().all() == ["b"]
    store.close()


def test_sqlite_url_resolves_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert sqlite_url("x.db") == f"sqlite:///{tmp_path.resolve() / 'x.db'}"
    database = Database(sqlite_url("nested/x.db"))
    with database.write() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    database.dispose()
    assert (tmp_path / "nested" / "x.db").exists()


def test_a_plain_postgresql_url_uses_psycopg_3() -> None:
    database = Database("postgresql://user@127.0.0.1:1/db")
    assert database.engine.url.drivername == "postgresql+psycopg"
    assert not database.is_sqlite
    database.dispose()
