"""The metadata store on SQLAlchemy Core: SQLite by default, PostgreSQL when the URL says so.

`open_store(url)` is what the wiring calls: it builds one Engine, migrates the database to the
schema this code expects, and returns the four ports sharing that Engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsukuru.store.sql.database import Database, sqlite_url
from tsukuru.store.sql.logs import SqlLogStore
from tsukuru.store.sql.migrate import SchemaTooNew, upgrade
from tsukuru.store.sql.objects import SqlObjectIndex
from tsukuru.store.sql.resources import SqlResourceStore, SqlTagStore

__all__ = [
    "Database",
    "SchemaTooNew",
    "SqlLogStore",
    "SqlMetadata",
    "SqlObjectIndex",
    "SqlResourceStore",
    "SqlTagStore",
    "open_metadata",
    "open_store",
    "sqlite_url",
]


@dataclass(frozen=True)
class SqlMetadata:
    """The four metadata ports over one Database; same attribute names as `MemoryMetadata`."""

    database: Database
    resources: SqlResourceStore
    tags: SqlTagStore
    objects: SqlObjectIndex
    logs: SqlLogStore

    @classmethod
    def over(cls, database: Database) -> SqlMetadata:
        return cls(
            database=database,
            resources=SqlResourceStore(database),
            tags=SqlTagStore(database),
            objects=SqlObjectIndex(database),
            logs=SqlLogStore(database),
        )

    def close(self) -> None:
        self.database.dispose()


def open_store(url: str, *, migrate: bool = True, echo: bool = False) -> SqlMetadata:
    """Connect to `url` (`sqlite:///path` or `postgresql+psycopg://...`) and migrate to head.

    Raises SchemaTooNew if a newer tsukuru has already migrated the database further.
    """
    database = Database(url, echo=echo)
    try:
        if migrate:
            upgrade(database)
    except BaseException:
        database.dispose()
        raise
    return SqlMetadata.over(database)


open_metadata = open_store
"""The same function under the name the wiring (`app.py`) uses."""
