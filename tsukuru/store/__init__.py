"""The metadata store: resources, tags, the S3 object index and CloudWatch logs.

Two implementations of the same four domain ports live here: `tsukuru.store.sql` (SQLAlchemy
Core on SQLite or PostgreSQL, with Alembic migrations; what the platform runs on) and
`tsukuru.store.memory` (dictionaries; for fast unit tests). `MetadataStore` names the bundle
both hand to the wiring, so `app.py` and tests can treat them alike.
"""

from __future__ import annotations

from typing import Protocol

from tsukuru.domain.ports import LogStore, ObjectIndex, ResourceStore, TagStore


class MetadataStore(Protocol):
    """The four metadata ports behind one handle, as `open_store` and `MemoryMetadata` give."""

    @property
    def resources(self) -> ResourceStore: ...

    @property
    def tags(self) -> TagStore: ...

    @property
    def objects(self) -> ObjectIndex: ...

    @property
    def logs(self) -> LogStore: ...

    def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
        ...
