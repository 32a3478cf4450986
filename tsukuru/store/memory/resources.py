"""Resource records and tags held in dictionaries, for fast unit tests of the domain.

It keeps exactly the contract of the SQL store (the same suite runs against both): documents go
through JSON, times come back as UTC, versions guard updates, and List* filtering, sorting and
paging follow the same rules.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace

from tsukuru.domain.errors import AlreadyExists, Conflict, NotFound
from tsukuru.domain.ports import ListQuery, Record
from tsukuru.domain.scope import Scope
from tsukuru.store.codec import ascii_lower, json_copy, to_micros, to_utc

_Key = tuple[str, str, str, str]


def _key(kind: str, scope: Scope, name: str) -> _Key:
    return (kind, scope.account_id, scope.region, name)


def _stored(record: Record, version: int) -> Record:
    return replace(
        record,
        created=to_utc(record.created),
        modified=to_utc(record.modified),
        doc=json_copy(record.doc),
        version=version,
    )


def _handed_out(record: Record) -> Record:
    return replace(record, doc=json_copy(record.doc))


def _matches(record: Record, query: ListQuery) -> bool:
    created = to_micros(record.created)
    modified = to_micros(record.modified)
    checks = [
        query.name_contains is None or ascii_lower(query.name_contains) in ascii_lower(record.name),
        query.status_equals is None or record.status == query.status_equals,
        query.created_after is None or created > to_micros(query.created_after),
        query.created_before is None or created < to_micros(query.created_before),
        query.modified_after is None or modified > to_micros(query.modified_after),
        query.modified_before is None or modified < to_micros(query.modified_before),
    ]
    return all(checks)


def _sort_key(record: Record, query: ListQuery) -> tuple[str | int, str]:
    primary: str | int
    if query.sort_by == "Name":
        primary = record.name
    elif query.sort_by == "Status":
        primary = record.status or ""
    elif query.sort_by == "LastModifiedTime":
        primary = to_micros(record.modified)
    else:
        primary = to_micros(record.created)
    return (primary, record.name)


class MemoryResourceStore:
    """ResourceStore over a dict keyed by (kind, account, region, name)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[_Key, Record] = {}
        self._arns: dict[str, _Key] = {}

    def insert(self, record: Record) -> Record:
        key = _key(record.kind, record.scope, record.name)
        stored = _stored(record, 1)
        with self._lock:
            if key in self._records or record.arn in self._arns:
                raise AlreadyExists(f"{record.kind} {record.name!r} already exists")
            self._records[key] = stored
            self._arns[record.arn] = key
        return _handed_out(stored)

    def get(self, kind: str, scope: Scope, name: str) -> Record:
        with self._lock:
            found = self._records.get(_key(kind, scope, name))
        if found is None:
            raise NotFound(f"{kind} {name!r} does not exist")
        return _handed_out(found)

    def update(self, record: Record) -> Record:
        key = _key(record.kind, record.scope, record.name)
        with self._lock:
            current = self._records.get(key)
            if current is None:
                raise NotFound(f"{record.kind} {record.name!r} does not exist")
            if current.version != record.version:
                raise Conflict(
                    f"{record.kind} {record.name!r} changed meanwhile "
                    f"(version {current.version}, expected {record.version})"
                )
            stored = _stored(replace(record, arn=current.arn), current.version + 1)
            self._records[key] = stored
        return _handed_out(stored)

    def delete(self, kind: str, scope: Scope, name: str) -> None:
        with self._lock:
            removed = self._records.pop(_key(kind, scope, name), None)
            if removed is None:
                raise NotFound(f"{kind} {name!r} does not exist")
            del self._arns[removed.arn]

    def find(self, kind: str, scope: Scope, query: ListQuery) -> list[Record]:
        with self._lock:
            candidates = [
                record
                for (k, account, region, _), record in self._records.items()
                if (k, account, region) == (kind, scope.account_id, scope.region)
            ]
        matching = [record for record in candidates if _matches(record, query)]
        matching.sort(key=lambda record: _sort_key(record, query), reverse=query.descending)
        start = max(query.offset, 0)
        window = matching[start : start + max(query.limit, 0)]
        return [_handed_out(record) for record in window]

    def list_by_status(self, kind: str, statuses: Iterable[str]) -> list[Record]:
        wanted = set(statuses)
        with self._lock:
            found = [
                record
                for record in self._records.values()
                if record.kind == kind and record.status in wanted
            ]
        found.sort(key=lambda record: (to_micros(record.created), record.name, record.arn))
        return [_handed_out(record) for record in found]


class MemoryTagStore:
    """TagStore over a dict of ARN to tags; tags come back sorted by key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tags: dict[str, dict[str, str]] = {}

    def add_tags(self, arn: str, tags: dict[str, str]) -> None:
        with self._lock:
            self._tags.setdefault(arn, {}).update(tags)

    def get_tags(self, arn: str) -> dict[str, str]:
        with self._lock:
            tags = dict(self._tags.get(arn, {}))
        return dict(sorted(tags.items()))

    def remove_tags(self, arn: str, keys: Iterable[str]) -> None:
        with self._lock:
            tags = self._tags.get(arn, {})
            for key in keys:
                tags.pop(key, None)
            if not tags:
                self._tags.pop(arn, None)

    def remove_all_tags(self, arn: str) -> None:
        with self._lock:
            self._tags.pop(arn, None)
