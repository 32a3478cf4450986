"""Every table of the metadata database, in one MetaData that queries and migrations share.

Choices that the contract depends on:

* Times are integer microseconds since the epoch (`UtcMicros`), so ordering and range filters
  are exact on SQLite and PostgreSQL alike and values come back as aware UTC datetimes.
* Names and object keys use byte order: SQLite's default BINARY collation and PostgreSQL's
  `COLLATE "C"` (`ByteOrderString`), so `ORDER BY key` lists keys as S3 does and a prefix is an
  index range `[prefix, upper)`.
* Every resource row carries account and region; resources are keyed by ARN and unique on
  (kind, account, region, name).

The migrations (`migrations/versions/`) spell these tables out again; a test compares the
migrated database with this module so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from tsukuru.store.codec import from_micros, to_micros


def byte_order_string(length: int) -> TypeEngine[str]:
    """A VARCHAR compared by its bytes: BINARY on SQLite (the default), "C" on PostgreSQL."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class UtcMicros(TypeDecorator[datetime]):
    """An aware datetime stored as BIGINT microseconds since the Unix epoch."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        return None if value is None else to_micros(value)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(int(value))


NAME = 256
ARN = 2048
KEY = 1024

metadata = MetaData()

resources = Table(
    "resources",
    metadata,
    Column("arn", byte_order_string(ARN), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("account_id", String(32), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", byte_order_string(NAME), nullable=False),
    Column("status", String(64), nullable=True),
    Column("created", UtcMicros(), nullable=False),
    Column("modified", UtcMicros(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("doc", JSON, nullable=False),
    UniqueConstraint("kind", "account_id", "region", "name", name="uq_resources_scoped_name"),
    Index("ix_resources_created", "kind", "account_id", "region", "created"),
    Index("ix_resources_status", "kind", "status"),
)

tags = Table(
    "tags",
    metadata,
    Column("arn", byte_order_string(ARN), nullable=False),
    Column("key", byte_order_string(NAME), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("arn", "key", name="pk_tags"),
)

buckets = Table(
    "buckets",
    metadata,
    Column("name", byte_order_string(NAME), primary_key=True),
    Column("account_id", String(32), nullable=False),
    Column("region", String(32), nullable=False),
    Column("created", UtcMicros(), nullable=False),
    Index("ix_buckets_account", "account_id", "name"),
)

objects = Table(
    "objects",
    metadata,
    Column("bucket", byte_order_string(NAME), ForeignKey("buckets.name"), nullable=False),
    Column("key", byte_order_string(KEY), nullable=False),
    Column("blob_id", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(128), nullable=False),
    Column("last_modified", UtcMicros(), nullable=False),
    Column("content_type", Text, nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("checksums", JSON, nullable=False),
    Column("parts_count", Integer, nullable=True),
    PrimaryKeyConstraint("bucket", "key", name="pk_objects"),
    Index("ix_objects_blob", "blob_id"),
)

uploads = Table(
    "uploads",
    metadata,
    Column("upload_id", String(128), primary_key=True),
    Column("bucket", byte_order_string(NAME), ForeignKey("buckets.name"), nullable=False),
    Column("key", byte_order_string(KEY), nullable=False),
    Column("initiated", UtcMicros(), nullable=False),
    Column("content_type", Text, nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("checksum_algorithm", String(32), nullable=True),
    Index("ix_uploads_listing", "bucket", "key", "initiated", "upload_id"),
)

parts = Table(
    "parts",
    metadata,
    Column(
        "upload_id",
        String(128),
        ForeignKey("uploads.upload_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("part_number", Integer, nullable=False),
    Column("blob_id", String(128), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(128), nullable=False),
    Column("last_modified", UtcMicros(), nullable=False),
    Column("checksums", JSON, nullable=False),
    PrimaryKeyConstraint("upload_id", "part_number", name="pk_parts"),
    Index("ix_parts_blob", "blob_id"),
)

log_groups = Table(
    "log_groups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(32), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", byte_order_string(KEY), nullable=False),
    Column("created", UtcMicros(), nullable=False),
    UniqueConstraint("account_id", "region", "name", name="uq_log_groups_scoped_name"),
)

log_streams = Table(
    "log_streams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("group_id", Integer, ForeignKey("log_groups.id", ondelete="CASCADE"), nullable=False),
    Column("name", byte_order_string(KEY), nullable=False),
    Column("created", UtcMicros(), nullable=False),
    Column("first_event_ms", BigInteger, nullable=True),
    Column("last_event_ms", BigInteger, nullable=True),
    Column("last_ingestion_ms", BigInteger, nullable=True),
    Column("stored_bytes", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    UniqueConstraint("group_id", "name", name="uq_log_streams_group_name"),
)

log_events = Table(
    "log_events",
    metadata,
    Column("stream_id", Integer, ForeignKey("log_streams.id", ondelete="CASCADE"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("ingestion_ms", BigInteger, nullable=False),
    Column("message", Text, nullable=False),
    PrimaryKeyConstraint("stream_id", "seq", name="pk_log_events"),
    Index("ix_log_events_time", "stream_id", "timestamp_ms"),
)

# Object bytes of at most SMALL_BLOB_LIMIT (tsukuru.blobs.tiered): kept next to the rows that
# point at them, so a small PUT is one more row in the WAL instead of a file, an fsync and a
# rename (tsukuru.store.sql.small_blobs).
small_blobs = Table(
    "small_blobs",
    metadata,
    Column("blob_id", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
