"""The initial schema: resources, tags, the S3 object index and CloudWatch logs.

Spelled out here (not imported from tables.py) so this revision never changes after release;
tests/store/sql/test_migrations.py checks that it still matches tables.py exactly.

Revision ID: 0001
Revises:
Create Date: 2024-05-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _bytes_ordered(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("arn", _bytes_ordered(2048), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("name", _bytes_ordered(256), nullable=False),
        sa.Column("status", sa.String(64), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("modified", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.UniqueConstraint(
            "kind", "account_id", "region", "name", name="uq_resources_scoped_name"
        ),
    )
    op.create_index(
        "ix_resources_created", "resources", ["kind", "account_id", "region", "created"]
    )
    op.create_index("ix_resources_status", "resources", ["kind", "status"])

    op.create_table(
        "tags",
        sa.Column("arn", _bytes_ordered(2048), nullable=False),
        sa.Column("key", _bytes_ordered(256), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("arn", "key", name="pk_tags"),
    )

    op.create_table(
        "buckets",
        sa.Column("name", _bytes_ordered(256), primary_key=True),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_buckets_account", "buckets", ["account_id", "name"])

    op.create_table(
        "objects",
        sa.Column("bucket", _bytes_ordered(256), sa.ForeignKey("buckets.name"), nullable=False),
        sa.Column("key", _bytes_ordered(1024), nullable=False),
        sa.Column("blob_id", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(128), nullable=False),
        sa.Column("last_modified", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("checksums", sa.JSON(), nullable=False),
        sa.Column("parts_count", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("bucket", "key", name="pk_objects"),
    )
    op.create_index("ix_objects_blob", "objects", ["blob_id"])

    op.create_table(
        "uploads",
        sa.Column("upload_id", sa.String(128), primary_key=True),
        sa.Column("bucket", _bytes_ordered(256), sa.ForeignKey("buckets.name"), nullable=False),
        sa.Column("key", _bytes_ordered(1024), nullable=False),
        sa.Column("initiated", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("checksum_algorithm", sa.String(32), nullable=True),
    )
    op.create_index("ix_uploads_listing", "uploads", ["bucket", "key", "initiated", "upload_id"])

    op.create_table(
        "parts",
        sa.Column(
            "upload_id",
            sa.String(128),
            sa.ForeignKey("uploads.upload_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("part_number", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(128), nullable=False),
        sa.Column("last_modified", sa.BigInteger(), nullable=False),
        sa.Column("checksums", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("upload_id", "part_number", name="pk_parts"),
    )
    op.create_index("ix_parts_blob", "parts", ["blob_id"])

    op.create_table(
        "log_groups",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("name", _bytes_ordered(1024), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("account_id", "region", "name", name="uq_log_groups_scoped_name"),
    )

    op.create_table(
        "log_streams",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("log_groups.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", _bytes_ordered(1024), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("first_event_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_event_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_ingestion_ms", sa.BigInteger(), nullable=True),
        sa.Column("stored_bytes", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("group_id", "name", name="uq_log_streams_group_name"),
    )

    op.create_table(
        "log_events",
        sa.Column(
            "stream_id",
            sa.Integer(),
            sa.ForeignKey("log_streams.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("ingestion_ms", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", "seq", name="pk_log_events"),
    )
    op.create_index("ix_log_events_time", "log_events", ["stream_id", "timestamp_ms"])


def downgrade() -> None:
    for table in [
        "log_events",
        "log_streams",
        "log_groups",
        "parts",
        "uploads",
        "objects",
        "buckets",
        "tags",
        "resources",
    ]:
        op.drop_table(table)
