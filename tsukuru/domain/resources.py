"""Read-modify-write of stored resources without lost updates.

Several threads touch one resource (the API marking a job Stopping while its runner records
progress). `mutate` re-reads and re-applies the change when the store reports a version
conflict, so every writer's change lands exactly once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from tsukuru.domain.errors import Conflict
from tsukuru.domain.ports import Record, ResourceStore
from tsukuru.domain.scope import Scope

Doc = dict[str, Any]


def epoch(moment: datetime) -> float:
    """Documents keep times as epoch seconds with milliseconds (JSON-friendly, exact)."""
    return round(moment.timestamp(), 3)


def mutate(
    store: ResourceStore,
    kind: str,
    scope: Scope,
    name: str,
    change: Callable[[Doc], str | None],
    now: datetime,
    attempts: int = 20,
) -> Record:
    """Apply `change` to the document (it edits in place and returns the new status, or None to
    keep the old one) and store the result, retrying on concurrent updates."""
    for _ in range(attempts):
        record = store.get(kind, scope, name)
        doc = copy.deepcopy(record.doc)
        new_status = change(doc)
        status = new_status if new_status is not None else record.status
        try:
            return store.update(replace(record, doc=doc, status=status, modified=now))
        except Conflict:
            continue
    raise Conflict(f"{kind} {name} is being changed by too many writers; try again")
