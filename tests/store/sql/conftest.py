"""Fixtures for tests that only make sense against a real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tsukuru.store.sql import SqlMetadata, open_store, sqlite_url

SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=SQL_BACKENDS)
def sql_metadata(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlMetadata]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tsukuru.db"
        shutil.copyfile(template, path)
        store = open_store(sqlite_url(path))
    else:
        from tests.store.postgres_db import empty_all_tables

        url: str = request.getfixturevalue("postgres_url")
        empty_all_tables(url)
        store = open_store(url)
    yield store
    store.close()
