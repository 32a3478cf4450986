"""Bring a metadata database to the schema this code expects, at open time.

Alembic runs programmatically on a connection that already holds the write lock (BEGIN
IMMEDIATE on SQLite, a transaction-scoped advisory lock on PostgreSQL), so several processes
opening one database at once migrate it exactly once. A database migrated by a newer tsukuru is
refused with a message that says so, instead of being read with the wrong schema.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, text

from tsukuru.store.sql.database import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_POSTGRES_LOCK_KEY = 0x7473756B  # "tsuk": one advisory lock for schema changes


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer tsukuru than the one running."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(database: Database) -> None:
    """Migrate to head; SchemaTooNew if the database is ahead of this code."""
    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    with database.write() as connection:
        if not database.is_sqlite:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_LOCK_KEY}
            )
        current = current_revision(connection)
        if current is not None:
            try:
                script.get_revision(current)
            except CommandError as unknown:
                raise SchemaTooNew(
                    f"the metadata database is at schema revision {current!r}, which this "
                    f"tsukuru does not know (its newest is {script.get_current_head()!r}): it "
                    "was written by a newer tsukuru. Upgrade tsukuru, or point "
                    "TSUKURU_DATABASE_URL / TSUKURU_HOME at another database."
                ) from unknown
        if current == script.get_current_head():
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
