"""The metadata store kept in process memory: the four ports behind dictionaries and locks.

Used by fast unit tests of the domain (and usable for throwaway runs); it passes the same
contract suite as the SQL store, so a test written against it holds against SQLite and
PostgreSQL too. Nothing survives the process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tsukuru.store.memory.logs import MemoryLogStore
from tsukuru.store.memory.objects import MemoryObjectIndex
from tsukuru.store.memory.resources import MemoryResourceStore, MemoryTagStore

__all__ = [
    "MemoryLogStore",
    "MemoryMetadata",
    "MemoryObjectIndex",
    "MemoryResourceStore",
    "MemoryTagStore",
]


@dataclass(frozen=True)
class MemoryMetadata:
    """The four metadata ports, in memory; same attribute names as `SqlMetadata`."""

    resources: MemoryResourceStore = field(default_factory=MemoryResourceStore)
    tags: MemoryTagStore = field(default_factory=MemoryTagStore)
    objects: MemoryObjectIndex = field(default_factory=MemoryObjectIndex)
    logs: MemoryLogStore = field(default_factory=MemoryLogStore)

    def close(self) -> None:
        """Nothing to release; present so callers can treat every store alike."""
