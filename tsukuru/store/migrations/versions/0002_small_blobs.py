"""Small object bytes in the metadata database: the `small_blobs` table.

Blobs of at most 64 KiB live in this table instead of in files (tsukuru.blobs.tiered), which
spares a small PUT a file creation, two fsyncs and a rename. BLOB on SQLite, bytea on
PostgreSQL. Spelled out here, not imported from tables.py, so this revision never changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "small_blobs",
        sa.Column("blob_id", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("small_blobs")
