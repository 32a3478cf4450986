"""ObjectIndex on SQLAlchemy Core: buckets, objects, multipart uploads and their parts.

Listing is an index range scan on the (bucket, key) primary key: `key >= prefix AND key <
upper(prefix)` in byte order, never LIKE (whose `%` and `_` are wildcards and which cannot use
the index under every collation). Every method that drops or replaces rows returns the blob ids
that no row points at any more, checked inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    select,
    union,
    update,
)

from tsukuru.domain.errors import AlreadyExists, Conflict, NotFound
from tsukuru.domain.ports import Bucket, Part, StoredObject, Upload
from tsukuru.store import messages
from tsukuru.store.codec import prefix_upper_bound, to_utc
from tsukuru.store.sql.database import AnyRow, Database
from tsukuru.store.sql.objects_lane import SqliteObjectLane, row_values
from tsukuru.store.sql.tables import buckets, objects, parts, uploads


def _bucket(row: AnyRow) -> Bucket:
    return Bucket(row.name, row.account_id, row.region, row.created)


def _object(row: AnyRow) -> StoredObject:
    return StoredObject(
        bucket=row.bucket,
        key=row.key,
        blob_id=row.blob_id,
        size=row.size,
        etag=row.etag,
        last_modified=row.last_modified,
        content_type=row.content_type,
        metadata=row.metadata,
        headers=row.headers,
        checksums=row.checksums,
        parts_count=row.parts_count,
    )


def _upload(row: AnyRow) -> Upload:
    return Upload(
        upload_id=row.upload_id,
        bucket=row.bucket,
        key=row.key,
        initiated=row.initiated,
        content_type=row.content_type,
        metadata=row.metadata,
        headers=row.headers,
        checksum_algorithm=row.checksum_algorithm,
    )


def _part(row: AnyRow) -> Part:
    return Part(
        upload_id=row.upload_id,
        part_number=row.part_number,
        blob_id=row.blob_id,
        size=row.size,
        etag=row.etag,
        last_modified=row.last_modified,
        checksums=row.checksums,
    )


def _key_range(column: Any, prefix: str) -> list[Any]:
    upper = prefix_upper_bound(prefix)
    conditions = [column >= prefix] if prefix else []
    if upper is not None:
        conditions.append(column < upper)
    return conditions


def listing_query(bucket: str, *, prefix: str, after: str | None, limit: int) -> Select[Any]:
    """The ListObjects query: a range scan of the (bucket, key) primary key, in key order."""
    conditions = [objects.c.bucket == bucket, *_key_range(objects.c.key, prefix)]
    if after is not None:
        conditions.append(objects.c.key > after)
    return select(objects).where(*conditions).order_by(objects.c.key).limit(max(limit, 0))


# Statements of the hot paths are built once: building a statement costs more than running it.
_OBJECT_ID = and_(objects.c.bucket == bindparam("b"), objects.c.key == bindparam("k"))
_SELECT_BUCKET = select(buckets).where(buckets.c.name == bindparam("b"))
_SELECT_OBJECT = select(objects).where(_OBJECT_ID)
_SELECT_OBJECT_BLOB = select(objects.c.blob_id).where(_OBJECT_ID)
_INSERT_OBJECT = insert(objects)
_UPDATE_OBJECT = update(objects).where(_OBJECT_ID)
_DELETE_OBJECT = delete(objects).where(_OBJECT_ID).returning(objects.c.blob_id)
_BLOBS_IN_USE = union(
    select(objects.c.blob_id).where(objects.c.blob_id.in_(bindparam("ids", expanding=True))),
    select(parts.c.blob_id).where(parts.c.blob_id.in_(bindparam("ids", expanding=True))),
)


class SqlObjectIndex:
    """ObjectIndex on the `buckets`, `objects`, `uploads` and `parts` tables."""

    def __init__(self, database: Database) -> None:
        self._db = database
        # SQLite: the hot lookups and writes skip SQLAlchemy's execution machinery
        self._lane = SqliteObjectLane(database) if database.is_sqlite else None

    # ------------------------------------------------------------------ buckets

    def create_bucket(self, bucket: Bucket) -> None:
        values = {
            "name": bucket.name,
            "account_id": bucket.account_id,
            "region": bucket.region,
            "created": to_utc(bucket.created),
        }
        owner_of = select(buckets.c.account_id).where(buckets.c.name == bucket.name)
        try:
            with self._db.write() as connection:
                owner = connection.execute(owner_of).scalar_one_or_none()
                if owner is None:
                    connection.execute(insert(buckets).values(**values))
                    return
        except AlreadyExists:  # created by someone else since we looked
            with self._db.read() as connection:
                owner = connection.execute(owner_of).scalar_one()
        raise messages.bucket_taken(bucket.name, owner, bucket.account_id)

    def get_bucket(self, name: str) -> Bucket:
        if self._lane is not None:
            return self._lane.get_bucket(name)
        with self._db.read() as connection:
            return self._require_bucket(connection, name)

    def list_buckets(self, account_id: str) -> list[Bucket]:
        statement = (
            select(buckets).where(buckets.c.account_id == account_id).order_by(buckets.c.name)
        )
        with self._db.read() as connection:
            return [_bucket(row) for row in connection.execute(statement)]

    def delete_bucket(self, name: str) -> None:
        with self._db.write() as connection:
            self._require_bucket(connection, name)
            in_use = connection.execute(
                select(
                    or_(
                        exists().where(objects.c.bucket == name),
                        exists().where(uploads.c.bucket == name),
                    )
                )
            ).scalar_one()
            if in_use:
                raise Conflict(messages.BUCKET_NOT_EMPTY, code="BucketNotEmpty")
            connection.execute(delete(buckets).where(buckets.c.name == name))

    # ------------------------------------------------------------------ objects

    def put_object(self, obj: StoredObject) -> list[str]:
        if self._lane is not None:
            return self._lane.put_object(obj)
        with self._db.write() as connection:
            self._require_bucket(connection, obj.bucket)
            self._db.lock_name(connection, "object", obj.bucket, obj.key)
            return self._unused(connection, self._put(connection, obj))

    def get_object(self, bucket: str, key: str) -> StoredObject:
        if self._lane is not None:
            return self._lane.get_object(bucket, key)
        with self._db.read() as connection:
            row = connection.execute(_SELECT_OBJECT, {"b": bucket, "k": key}).one_or_none()
            if row is None:
                self._require_bucket(connection, bucket)
                raise NotFound(messages.NO_SUCH_KEY, code="NoSuchKey")
        return _object(row)

    def delete_object(self, bucket: str, key: str) -> list[str]:
        with self._db.write() as connection:
            self._require_bucket(connection, bucket)
            self._db.lock_name(connection, "object", bucket, key)
            removed = connection.execute(
                _DELETE_OBJECT, {"b": bucket, "k": key}
            ).scalar_one_or_none()
            return [] if removed is None else self._unused(connection, [removed])

    def list_objects(
        self, bucket: str, *, prefix: str = "", after: str | None = None, limit: int = 1000
    ) -> list[StoredObject]:
        statement = listing_query(bucket, prefix=prefix, after=after, limit=limit)
        with self._db.read() as connection:
            self._require_bucket(connection, bucket)
            return [_object(row) for row in connection.execute(statement)]

    # ------------------------------------------------------------------ multipart uploads

    def create_upload(self, upload: Upload) -> None:
        values = {
            "upload_id": upload.upload_id,
            "bucket": upload.bucket,
            "key": upload.key,
            "initiated": to_utc(upload.initiated),
            "content_type": upload.content_type,
            "metadata": dict(upload.metadata),
            "headers": dict(upload.headers),
            "checksum_algorithm": upload.checksum_algorithm,
        }
        with self._db.write() as connection:
            self._require_bucket(connection, upload.bucket)
            connection.execute(insert(uploads).values(**values))

    def get_upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        statement = select(uploads).where(
            uploads.c.upload_id == upload_id, uploads.c.bucket == bucket, uploads.c.key == key
        )
        with self._db.read() as connection:
            row = connection.execute(statement).one_or_none()
        if row is None:
            raise NotFound(messages.NO_SUCH_UPLOAD, code="NoSuchUpload")
        return _upload(row)

    def put_part(self, part: Part) -> list[str]:
        values = {
            "blob_id": part.blob_id,
            "size": part.size,
            "etag": part.etag,
            "last_modified": to_utc(part.last_modified),
            "checksums": dict(part.checksums),
        }
        identity = and_(
            parts.c.upload_id == part.upload_id, parts.c.part_number == part.part_number
        )
        with self._db.write() as connection:
            self._require_upload(connection, part.upload_id, lock=True)
            replaced = connection.execute(
                select(parts.c.blob_id).where(identity)
            ).scalar_one_or_none()
            if replaced is None:
                connection.execute(
                    insert(parts).values(
                        upload_id=part.upload_id, part_number=part.part_number, **values
                    )
                )
                return []
            connection.execute(update(parts).where(identity).values(**values))
            return self._unused(connection, [replaced])

    def list_parts(self, upload_id: str, *, after_part: int = 0, limit: int = 10000) -> list[Part]:
        statement = (
            select(parts)
            .where(parts.c.upload_id == upload_id, parts.c.part_number > after_part)
            .order_by(parts.c.part_number)
            .limit(max(limit, 0))
        )
        with self._db.read() as connection:
            self._require_upload(connection, upload_id)
            return [_part(row) for row in connection.execute(statement)]

    def list_uploads(
        self,
        bucket: str,
        *,
        prefix: str = "",
        after_key: str | None = None,
        after_upload_id: str | None = None,
        limit: int = 1000,
    ) -> list[Upload]:
        c = uploads.c
        conditions = [c.bucket == bucket, *_key_range(c.key, prefix)]
        with self._db.read() as connection:
            self._require_bucket(connection, bucket)
            if after_key is not None:
                conditions.append(self._after_marker(connection, after_key, after_upload_id))
            statement = (
                select(uploads)
                .where(*conditions)
                .order_by(c.key, c.initiated, c.upload_id)
                .limit(max(limit, 0))
            )
            return [_upload(row) for row in connection.execute(statement)]

    def complete_upload(
        self, upload_id: str, obj: StoredObject, used_parts: list[int]
    ) -> list[str]:
        with self._db.write() as connection:
            self._require_upload(connection, upload_id, lock=True)
            self._require_bucket(connection, obj.bucket)
            self._db.lock_name(connection, "object", obj.bucket, obj.key)
            dropped = self._drop_upload(connection, upload_id)
            replaced = self._put(connection, obj)
            return self._unused(connection, replaced + dropped)

    def abort_upload(self, upload_id: str) -> list[str]:
        with self._db.write() as connection:
            self._require_upload(connection, upload_id, lock=True)
            return self._unused(connection, self._drop_upload(connection, upload_id))

    def referenced_blob_ids(self) -> set[str]:
        statement = union(select(objects.c.blob_id), select(parts.c.blob_id))
        with self._db.read() as connection:
            return set(connection.execute(statement).scalars())

    # ------------------------------------------------------------------ helpers (in a transaction)

    @staticmethod
    def _require_bucket(connection: Connection, name: str) -> Bucket:
        row = connection.execute(_SELECT_BUCKET, {"b": name}).one_or_none()
        if row is None:
            raise NotFound(messages.NO_SUCH_BUCKET, code="NoSuchBucket")
        return _bucket(row)

    @staticmethod
    def _require_upload(connection: Connection, upload_id: str, *, lock: bool = False) -> None:
        """NoSuchUpload unless present; with `lock`, hold its row until the transaction ends
        (PostgreSQL), so part writes, completion and abortion of one upload take turns."""
        statement = select(uploads.c.upload_id).where(uploads.c.upload_id == upload_id)
        found = connection.execute(statement.with_for_update() if lock else statement).first()
        if found is None:
            raise NotFound(messages.NO_SUCH_UPLOAD, code="NoSuchUpload")

    @staticmethod
    def _after_marker(connection: Connection, after_key: str, after_upload_id: str | None) -> Any:
        """Rows after the (key, upload id) marker, in (key, initiated, upload id) order."""
        c = uploads.c
        if after_upload_id is None:
            return c.key > after_key
        marker = connection.execute(
            select(c.initiated).where(c.upload_id == after_upload_id, c.key == after_key)
        ).scalar_one_or_none()
        if marker is None:
            same_key_after = c.upload_id > after_upload_id
        else:
            same_key_after = or_(
                c.initiated > marker,
                and_(c.initiated == marker, c.upload_id > after_upload_id),
            )
        return or_(c.key > after_key, and_(c.key == after_key, same_key_after))

    @staticmethod
    def _put(connection: Connection, obj: StoredObject) -> list[str]:
        """Insert or replace the row; return the blob id it displaced (not yet checked)."""
        identity = {"b": obj.bucket, "k": obj.key}
        replaced = connection.execute(_SELECT_OBJECT_BLOB, identity).scalar_one_or_none()
        values = row_values(obj)
        if replaced is None:
            connection.execute(_INSERT_OBJECT, values)
            return []
        del values["bucket"], values["key"]
        connection.execute(_UPDATE_OBJECT, {**identity, **values})
        return [replaced]

    @staticmethod
    def _drop_upload(connection: Connection, upload_id: str) -> list[str]:
        blob_ids = list(
            connection.execute(
                select(parts.c.blob_id)
                .where(parts.c.upload_id == upload_id)
                .order_by(parts.c.part_number)
            ).scalars()
        )
        connection.execute(delete(parts).where(parts.c.upload_id == upload_id))
        connection.execute(delete(uploads).where(uploads.c.upload_id == upload_id))
        return blob_ids

    @staticmethod
    def _unused(connection: Connection, candidates: Iterable[str]) -> list[str]:
        ordered = list(dict.fromkeys(candidates))
        if not ordered:
            return []
        still_used = set(connection.execute(_BLOBS_IN_USE, {"ids": ordered}).scalars())
        return [blob_id for blob_id in ordered if blob_id not in still_used]
