"""Alembic environment: migrate the metadata database to the tables of `sql/tables.py`.

When tsukuru opens its store it hands Alembic an open connection, already inside a write
transaction (`config.attributes["connection"]`), so the upgrade is one atomic step that other
processes wait for. From the command line (see alembic.ini) the URL comes from
`TSUKURU_DATABASE_URL` instead.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from tsukuru.store.sql.database import Database
from tsukuru.store.sql.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = os.environ.get("TSUKURU_DATABASE_URL") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set TSUKURU_DATABASE_URL to the database to migrate")
    return url


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := context.config.attributes.get("connection")) is not None:
    _run(given)
else:
    database = Database(_url())
    try:
        with database.write() as connection:
            _run(connection)
    finally:
        database.dispose()
