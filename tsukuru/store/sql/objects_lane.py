"""The statements every small S3 request runs, sent straight to SQLite's driver.

A 1 KiB GET or PUT costs the server about a millisecond, and SQLAlchemy's execution machinery
(connection wrapper, transaction object, events, execution context, result processing) was a
third of it: about 50 microseconds per statement around the 10 the driver itself needs. So on
SQLite the three hot paths of `SqlObjectIndex` — look up a bucket, look up an object, write an
object row — run here, on a pooled connection's own `sqlite3.Connection`, with the same
statements compiled once by SQLAlchemy and the same encodings the table types use (times as
integer microseconds, JSON text). Everything else, and every PostgreSQL query, keeps going
through SQLAlchemy Core; the store contract suite runs both ways over the same tests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, union
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from tsukuru.domain.errors import NotFound
from tsukuru.domain.ports import Bucket, StoredObject
from tsukuru.store import messages
from tsukuru.store.codec import from_micros, to_micros, to_utc
from tsukuru.store.sql.database import Database
from tsukuru.store.sql.tables import buckets, objects, parts

_DIALECT = sqlite.dialect(paramstyle="qmark")


def _sql(statement: ClauseElement) -> tuple[str, tuple[str, ...]]:
    """The statement's SQLite text and the order its named parameters go in."""
    compiled = statement.compile(dialect=_DIALECT)
    assert isinstance(compiled, SQLCompiler)  # a statement compiles to SQL
    return compiled.string, tuple(compiled.positiontup or ())


_OBJECT_COLUMNS = tuple(column.name for column in objects.columns)
_BUCKET = _sql(select(buckets).where(buckets.c.name == bindparam("b")))
_OBJECT = _sql(
    select(objects).where(objects.c.bucket == bindparam("b"), objects.c.key == bindparam("k"))
)
_OBJECT_BLOB = _sql(
    select(objects.c.blob_id).where(
        objects.c.bucket == bindparam("b"), objects.c.key == bindparam("k")
    )
)
# (a bind parameter may not share a column's name in INSERT and UPDATE: `v_` + the column)
_INSERT = _sql(objects.insert().values({n: bindparam(f"v_{n}") for n in _OBJECT_COLUMNS}))
_UPDATE = _sql(
    objects.update()
    .where(objects.c.bucket == bindparam("b"), objects.c.key == bindparam("k"))
    .values({n: bindparam(f"v_{n}") for n in _OBJECT_COLUMNS if n not in ("bucket", "key")})
)
_IN_USE = _sql(
    union(
        select(objects.c.blob_id).where(objects.c.blob_id == bindparam("id")),
        select(parts.c.blob_id).where(parts.c.blob_id == bindparam("id")),
    )
)


def _run(cursor: Any, sql: tuple[str, tuple[str, ...]], values: dict[str, Any]) -> Any:
    text, order = sql
    return cursor.execute(text, tuple(values[name] for name in order))


def bucket_from(row: Sequence[Any]) -> Bucket:
    return Bucket(row[0], row[1], row[2], from_micros(int(row[3])))


def object_from(row: Sequence[Any]) -> StoredObject:
    values = dict(zip(_OBJECT_COLUMNS, row, strict=True))
    return StoredObject(
        bucket=values["bucket"],
        key=values["key"],
        blob_id=values["blob_id"],
        size=int(values["size"]),
        etag=values["etag"],
        last_modified=from_micros(int(values["last_modified"])),
        content_type=values["content_type"],
        metadata=json.loads(values["metadata"]),
        headers=json.loads(values["headers"]),
        checksums=json.loads(values["checksums"]),
        parts_count=values["parts_count"],
    )


def row_values(obj: StoredObject) -> dict[str, Any]:
    """The `objects` row of `obj`, column by column, as SQLAlchemy takes it."""
    return {
        "bucket": obj.bucket,
        "key": obj.key,
        "blob_id": obj.blob_id,
        "size": obj.size,
        "etag": obj.etag,
        "last_modified": to_utc(obj.last_modified),
        "content_type": obj.content_type,
        "metadata": dict(obj.metadata),
        "headers": dict(obj.headers),
        "checksums": dict(obj.checksums),
        "parts_count": obj.parts_count,
    }


_JSON_COLUMNS = ("metadata", "headers", "checksums")


def object_values(obj: StoredObject) -> dict[str, Any]:
    """The lane's parameters for writing `obj`: its identity and `v_<column>` values encoded as
    the column types store them (microseconds, JSON text)."""
    values: dict[str, Any] = {"b": obj.bucket, "k": obj.key}
    for name, value in row_values(obj).items():
        if name == "last_modified":
            encoded: Any = to_micros(value)
        elif name in _JSON_COLUMNS:
            encoded = json.dumps(value)
        else:
            encoded = value
        values[f"v_{name}"] = encoded
    return values


class SqliteObjectLane:
    """Bucket and object lookups and object writes for `SqlObjectIndex` on SQLite."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def get_bucket(self, name: str) -> Bucket:
        with self._database.driver_cursor("BEGIN") as cursor:
            return self._require_bucket(cursor, name)

    def get_object(self, bucket: str, key: str) -> StoredObject:
        with self._database.driver_cursor("BEGIN") as cursor:
            row = _run(cursor, _OBJECT, {"b": bucket, "k": key}).fetchone()
            if row is None:
                self._require_bucket(cursor, bucket)
                raise NotFound(messages.NO_SUCH_KEY, code="NoSuchKey")
        return object_from(row)

    def put_object(self, obj: StoredObject) -> list[str]:
        """Insert or replace the row; the blob ids it left unreferenced."""
        values = object_values(obj)
        with self._database.driver_cursor("BEGIN IMMEDIATE") as cursor:
            self._require_bucket(cursor, obj.bucket)
            found = _run(cursor, _OBJECT_BLOB, values).fetchone()
            if found is None:
                _run(cursor, _INSERT, values)
                return []
            _run(cursor, _UPDATE, values)
            replaced = str(found[0])
            still_used = _run(cursor, _IN_USE, {"id": replaced}).fetchone()
            return [] if still_used is not None else [replaced]

    @staticmethod
    def _require_bucket(cursor: Any, name: str) -> Bucket:
        row = _run(cursor, _BUCKET, {"b": name}).fetchone()
        if row is None:
            raise NotFound(messages.NO_SUCH_BUCKET, code="NoSuchBucket")
        return bucket_from(row)
