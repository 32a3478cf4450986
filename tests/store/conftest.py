"""One `metadata` fixture per backend, so every contract test runs against each of them.

Backends: the in-memory store, SQLite (a file in the test's tmp_path, copied from one database
migrated once per session) and PostgreSQL when TSUKURU_TEST_POSTGRES_URL names a server (a
database created for the session, migrated once, emptied before each test).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tsukuru.store import MetadataStore
from tsukuru.store.memory import MemoryMetadata

POSTGRES_ENV = "TSUKURU_TEST_POSTGRES_URL"
BACKENDS = [
    "memory",
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tsukuru.store.sql import open_store, sqlite_url

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    open_store(sqlite_url(path)).close()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated database on the server named by TSUKURU_TEST_POSTGRES_URL."""
    server_url = os.environ.get(POSTGRES_ENV)
    if not server_url:
        pytest.skip(f"PostgreSQL contract tests need {POSTGRES_ENV} (see scripts/postgres-up.sh)")
    from tests.store.postgres_db import create_database, drop_database
    from tsukuru.store.sql import open_store

    name = f"tsukuru_test_{uuid.uuid4().hex[:12]}"
    url = create_database(server_url, name)
    open_store(url).close()
    yield url
    drop_database(server_url, name)


@pytest.fixture(params=BACKENDS)
def metadata(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    backend: str = request.param
    store: MetadataStore
    if backend == "memory":
        store = MemoryMetadata()
    elif backend == "sqlite":
        from tsukuru.store.sql import open_store, sqlite_url

        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tsukuru.db"
        shutil.copyfile(template, path)
        store = open_store(sqlite_url(path))
    else:
        from tests.store.postgres_db import empty_all_tables
        from tsukuru.store.sql import open_store

        url: str = request.getfixturevalue("postgres_url")
        empty_all_tables(url)
        store = open_store(url)
    yield store
    store.close()
