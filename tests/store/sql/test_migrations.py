"""Migrations: the migrated schema equals tables.py, reopening is a no-op, newer is refused."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from tsukuru.store.sql import SchemaTooNew, SqlMetadata, open_store, sqlite_url
from tsukuru.store.sql.database import Database
from tsukuru.store.sql.migrate import alembic_config, current_revision, head_revision
from tsukuru.store.sql.tables import metadata


def test_migrated_schema_matches_tables_module(sql_metadata: SqlMetadata) -> None:
    with sql_metadata.database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrated_collations_match_tables_module(sql_metadata: SqlMetadata) -> None:
    """Alembic's compare ignores collations, yet byte-order listing depends on them."""
    engine = sql_metadata.database.engine
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        reflected = {
            c["name"]: getattr(c["type"], "collation", None)
            for c in inspector.get_columns(table.name)
        }
        expected = {
            column.name: getattr(column.type.dialect_impl(engine.dialect), "collation", None)
            for column in table.columns
        }
        assert reflected == expected, table.name
    key_type = metadata.tables["objects"].c.key.type.dialect_impl(engine.dialect)
    assert getattr(key_type, "collation", None) == (
        "C" if engine.dialect.name == "postgresql" else None
    )


def test_every_table_is_migrated(sql_metadata: SqlMetadata) -> None:
    names = set(inspect(sql_metadata.database.engine).get_table_names())
    assert names == {table.name for table in metadata.sorted_tables} | {"alembic_version"}


def test_database_is_at_head_and_reopening_is_a_no_op(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "sub" / "dir" / "tsukuru.db")
    open_store(url).close()
    store = open_store(url)
    with store.database.engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    store.close()


def test_a_newer_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "tsukuru.db")
    store = open_store(url)
    with store.database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    store.close()
    with pytest.raises(SchemaTooNew, match=r"'9999_future'.*newer tsukuru"):
        open_store(url)


def test_downgrade_to_base_and_upgrade_again(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "tsukuru.db")
    open_store(url).close()
    database = Database(url)
    config = alembic_config()
    with database.write() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(database.engine).get_table_names()) == {"alembic_version"}
    database.dispose()
    store = open_store(url)
    assert store.objects.list_buckets("1") == []
    store.close()


def test_concurrent_first_opens_migrate_once(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "tsukuru.db")
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_and_close() -> None:
        try:
            start.wait()
            open_store(url).close()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=open_and_close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match=r"tsukuru\.store\.memory"):
        open_store("sqlite://")
