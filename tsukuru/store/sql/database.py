"""One Engine and the only transaction boundary the SQL stores use.

SQLite gets what a multi-threaded server needs: WAL (readers never block the writer),
`busy_timeout` (a writer waits for the lock instead of failing), foreign keys, and
`synchronous=NORMAL` (durable at checkpoints, fast commits). The pysqlite driver's own implicit
transactions are switched off so that `write()` can open with `BEGIN IMMEDIATE`: the write lock
is taken up front, and a transaction never has to upgrade from read to write mid-way (the
upgrade is what makes concurrent SQLite writers fail with "database is locked").

PostgreSQL (psycopg 3, `postgresql+psycopg://...`) needs none of that; its default READ
COMMITTED isolation with row locks taken by UPDATE serves every query here.

Driver IntegrityErrors become domain errors: unique violations AlreadyExists, others Conflict.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Row, Table, create_engine, event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from tsukuru.domain.errors import AlreadyExists, Conflict

SQLITE_BUSY_TIMEOUT_MS = 30_000

AnyRow = Row[*tuple[Any, ...]]
"""A result row of any shape (SQLAlchemy types rows by their column types)."""
_WRITE_OPTION = "tsukuru_write"


def sqlite_url(path: str | Path) -> str:
    """The SQLAlchemy URL of a SQLite database file."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def _is_unique_violation(error: IntegrityError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate is not None:
        return bool(sqlstate == "23505")
    text = str(error.orig)
    return "UNIQUE constraint failed" in text or "PRIMARY KEY" in text


class Database:
    """An Engine plus `read()` and `write()` transactions; safe to share between threads."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        parsed = make_url(url)
        if parsed.drivername == "postgresql":  # psycopg 3 is the driver tsukuru ships with
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            database = parsed.database
            if not database or database == ":memory:":
                raise ValueError(
                    "the SQL store needs a SQLite file (sqlite:///path/to.db); "
                    "use tsukuru.store.memory for a store in memory"
                )
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(
                parsed,
                echo=echo,
                pool_size=5,
                max_overflow=64,
                pool_timeout=60,
                # every checkout ends its own transaction (`_transaction`), so the pool's
                # rollback on check-in would only repeat it
                pool_reset_on_return=None,
                connect_args={"check_same_thread": False},
            )
            _configure_sqlite(self.engine)
        else:
            self.engine = create_engine(
                parsed, echo=echo, pool_size=5, max_overflow=32, pool_pre_ping=True
            )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction for reads: one consistent snapshot across several queries."""
        with self._transaction(write=False) as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any error."""
        with self._transaction(write=True) as connection:
            yield connection

    @cached_property
    def _engines(self) -> tuple[Engine, Engine]:
        """The engine for reads and the one for writes: the same pool, each with its option set
        once (merging options on every checkout costs more than the query it precedes)."""
        return (
            self.engine.execution_options(**{_WRITE_OPTION: False}),
            self.engine.execution_options(**{_WRITE_OPTION: True}),
        )

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Connection]:
        with self._engines[write].connect() as connection:
            try:
                with connection.begin():
                    yield connection
            except IntegrityError as error:
                if _is_unique_violation(error):
                    raise AlreadyExists(f"already exists: {error.orig}") from error
                raise Conflict(f"refused by the database: {error.orig}") from error

    @contextmanager
    def driver_cursor(self, begin: str | None = None) -> Iterator[Any]:
        """A DBAPI cursor on a pooled connection, for the few statements every small S3 request
        runs: SQLAlchemy's statement layer costs ~50 µs around SQLite's ~10.

        With `begin` (SQLite's "BEGIN" or "BEGIN IMMEDIATE": its connections run in autocommit
        mode, see `_configure_sqlite`) the block is one transaction, committed after it; without,
        each statement is its own transaction on SQLite and the block is committed at its end on
        PostgreSQL. Any failure, the commit's included, rolls back, so the connection goes back
        to the pool clean."""
        pooled = self.engine.raw_connection()
        try:
            cursor = pooled.cursor()
            try:
                if begin is not None:
                    cursor.execute(begin)
                try:
                    yield cursor
                    if begin is not None:
                        cursor.execute("COMMIT")
                    else:
                        pooled.commit()
                except BaseException:
                    with suppress(Exception):  # the original error is the one to report
                        if begin is not None:
                            cursor.execute("ROLLBACK")
                        else:
                            pooled.rollback()
                    raise
            finally:
                cursor.close()
        finally:
            pooled.close()

    def upsert(self, table: Table) -> sqlite.Insert | postgresql.Insert:
        """An INSERT that can take `.on_conflict_do_update(...)` on either database."""
        return sqlite.insert(table) if self.is_sqlite else postgresql.insert(table)

    def lock_name(self, connection: Connection, *parts: str) -> None:
        """Hold a lock on a name until the transaction ends, so read-then-write on one row
        (which may not exist yet) cannot race. SQLite's BEGIN IMMEDIATE already serializes
        every write; PostgreSQL takes a transaction-scoped advisory lock on a hash of the name.
        """
        if self.is_sqlite:
            return
        digest = hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def dispose(self) -> None:
        self.engine.dispose()


def _use_wal(cursor: Any) -> None:
    """Switch the database to WAL. Only the first switch of a new file changes anything, and
    SQLite answers "database is locked" to a connection that tries it while another is doing
    the same, without waiting on the busy timeout; so try again until the timeout would have
    passed (platforms, CLIs and tests may open a new home at the same moment)."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, True)
        # straight to the driver: a statement through SQLAlchemy's machinery costs more than
        # the BEGIN itself, and this runs for every transaction
        connection.connection.driver_connection.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if write else "BEGIN"
        )
