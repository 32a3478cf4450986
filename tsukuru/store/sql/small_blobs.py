"""Small object bytes as rows of the metadata database: the `small_blobs` table.

A file per blob costs a small PUT more than everything else it does: creating the temporary
file (which waits on the filesystem journal while other fsyncs run), an fsync, a rename and an
fsync of the directory. Bytes of a few kilobytes are cheaper as one more row in the database
that already records the object, and just as safe:

* SQLite runs in WAL mode with `synchronous=NORMAL`, so the object's own row is exactly as
  durable as the WAL. The blob's row is committed in an earlier transaction of the same WAL
  than the object row that points at it, so whenever recovery keeps the object row it keeps the
  bytes too: a crash still never leaves a torn or dangling object. A killed process loses
  nothing, because the WAL is written before a commit returns.
* PostgreSQL stores the same table with `bytea`; a commit there is durable outright.

Ids are "s" followed by 32 hex digits, so they can never collide with the filesystem store's
ids (32 hex digits) when both serve one platform (tsukuru.blobs.tiered). Nothing here limits
the size; the tiered store sends only small blobs this way.

Every call is one SQL statement on a pooled DBAPI connection, without SQLAlchemy's statement
layer: that layer costs ~140 µs per lookup against ~13 µs for the statement itself (measured on
SQLite), and on a small GET or PUT it would be most of the server's work. A single statement is
its own transaction (SQLite runs its connections in autocommit mode, see database.py; psycopg's
transaction is committed here), so nothing is lost by going around it.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import BinaryIO

from tsukuru.domain.errors import NotFound
from tsukuru.domain.ports import SMALL_BLOB_ID_PREFIX, BlobInfo
from tsukuru.store.sql.database import Database
from tsukuru.store.sql.tables import small_blobs

READ_CHUNK = 1024 * 1024

_TABLE, _ID, _DATA = small_blobs.name, small_blobs.c.blob_id.name, small_blobs.c.data.name


class SqlSmallBlobStore:
    """BlobStore over the `small_blobs` table of a metadata Database; safe to share."""

    def __init__(self, database: Database) -> None:
        self._database = database
        mark = "?" if database.is_sqlite else "%s"  # sqlite3's and psycopg's parameter styles
        self._mark = mark
        self._insert_sql = f"INSERT INTO {_TABLE} ({_ID}, {_DATA}) VALUES ({mark}, {mark})"
        self._select_sql = f"SELECT {_DATA} FROM {_TABLE} WHERE {_ID} = {mark}"
        self._exists_sql = f"SELECT 1 FROM {_TABLE} WHERE {_ID} = {mark}"
        self._delete_sql = f"DELETE FROM {_TABLE} WHERE {_ID} = {mark}"
        self._ids_sql = f"SELECT {_ID} FROM {_TABLE} ORDER BY {_ID}"

    # ------------------------------------------------------------------ writing

    def write(self, chunks: Iterable[bytes]) -> BlobInfo:
        if isinstance(chunks, bytes | bytearray | memoryview):
            data = bytes(chunks)
        else:
            data = b"".join(chunks)
        return self._insert(data)

    def concat(self, blob_ids: list[str], *, md5: bool = True) -> BlobInfo:
        """Join blobs into a new one; NotFound (and nothing written) if any is missing."""
        found = self._fetch_many(blob_ids)
        info = self._insert(b"".join(found[blob_id] for blob_id in blob_ids))
        return info if md5 else replace(info, md5_hex="")

    def _insert(self, data: bytes) -> BlobInfo:
        blob_id = SMALL_BLOB_ID_PREFIX + uuid.uuid4().hex
        md5_hex = hashlib.md5(data, usedforsecurity=False).hexdigest()
        with self._database.driver_cursor() as cursor:
            cursor.execute(self._insert_sql, (blob_id, data))
        return BlobInfo(blob_id=blob_id, size=len(data), md5_hex=md5_hex)

    # ------------------------------------------------------------------ reading

    def open(self, blob_id: str) -> BinaryIO:
        return io.BytesIO(self._fetch(blob_id))

    def read_range(self, blob_id: str, start: int, length: int) -> Iterator[bytes]:
        data = self._fetch(blob_id)  # fetched now, so a missing blob fails at the call
        end = min(len(data), start + max(length, 0))
        return iter([data[i : min(i + READ_CHUNK, end)] for i in range(start, end, READ_CHUNK)])

    def local_path(self, blob_id: str) -> str | None:
        """Always None: the bytes are in the database (NotFound if the blob is absent)."""
        with self._database.driver_cursor() as cursor:
            cursor.execute(self._exists_sql, (blob_id,))
            row = cursor.fetchone()
        if row is None:
            raise _missing(blob_id)
        return None

    def link(self, blob_id: str, dest: str) -> None:
        """Write the bytes to the new file `dest` (no file exists to hard-link)."""
        data = self._fetch(blob_id)
        with open(dest, "xb") as out:
            out.write(data)

    # ------------------------------------------------------------------ housekeeping

    def delete(self, blob_id: str) -> None:
        with self._database.driver_cursor() as cursor:
            cursor.execute(self._delete_sql, (blob_id,))

    def blob_ids(self) -> Iterator[str]:
        with self._database.driver_cursor() as cursor:
            cursor.execute(self._ids_sql)
            ids = [str(row[0]) for row in cursor.fetchall()]
        return iter(ids)

    def clean_temporary(self) -> int:
        """Nothing to clean: an interrupted write is a statement that never committed."""
        return 0

    # ------------------------------------------------------------------ rows

    def _fetch(self, blob_id: str) -> bytes:
        with self._database.driver_cursor() as cursor:
            cursor.execute(self._select_sql, (blob_id,))
            row = cursor.fetchone()
        if row is None:
            raise _missing(blob_id)
        return bytes(row[0])

    def _fetch_many(self, blob_ids: Sequence[str]) -> dict[str, bytes]:
        wanted = sorted(set(blob_ids))
        found: dict[str, bytes] = {}
        if wanted:
            marks = ", ".join([self._mark] * len(wanted))
            sql = f"SELECT {_ID}, {_DATA} FROM {_TABLE} WHERE {_ID} IN ({marks})"
            with self._database.driver_cursor() as cursor:
                cursor.execute(sql, tuple(wanted))
                found = {str(row[0]): bytes(row[1]) for row in cursor.fetchall()}
        for blob_id in blob_ids:
            if blob_id not in found:
                raise _missing(blob_id)
        return found


def _missing(blob_id: str) -> NotFound:
    return NotFound(f"blob {blob_id!r} does not exist", code="NoSuchBlob")
