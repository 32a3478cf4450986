"""Throwaway PostgreSQL databases for the contract suite: create, empty between tests, drop."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from tsukuru.store.sql.tables import metadata


def _admin_engine(server_url: str) -> Engine:
    return create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def create_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url`; return its URL.

    The database's default collation is ICU's en-US where the server has ICU (it sorts "Z"
    after "a" and ignores punctuation at first), so any query that forgets the byte order of
    `COLLATE "C"` lists keys wrongly and fails the contract suite instead of passing by luck.
    """
    create = f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
    engine = _admin_engine(server_url)
    with engine.connect() as connection:
        try:
            connection.execute(
                text(f"{create} LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
            )
        except DBAPIError:  # no ICU (or PostgreSQL < 15): the server's default collation
            connection.execute(text(create))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    _engine_for(make_url(server_url).set(database=name).render_as_string(False)).dispose()
    engine = _admin_engine(server_url)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@cache
def _engine_for(url: str) -> Engine:
    return create_engine(url, poolclass=NullPool)


def empty_all_tables(url: str) -> None:
    """Remove every row (and reset id sequences) so each test starts from an empty store."""
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with _engine_for(url).begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
