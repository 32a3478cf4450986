"""ResourceStore and TagStore on SQLAlchemy Core.

A record's document is stored whole as JSON; its status and times are copied into indexed
columns so List* filters, sorting and paging run in the database. Updates are compare-and-set
on `version` (optimistic concurrency), so two writers can never silently overwrite each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.sql.expression import UnaryExpression

from tsukuru.domain.errors import AlreadyExists, Conflict, NotFound
from tsukuru.domain.ports import ListQuery, Record
from tsukuru.domain.scope import Scope
from tsukuru.store.codec import ascii_lower, json_copy, to_utc
from tsukuru.store.sql.database import AnyRow, Database
from tsukuru.store.sql.tables import resources
from tsukuru.store.sql.tables import tags as tag_rows


def _record(row: AnyRow) -> Record:
    return Record(
        kind=row.kind,
        scope=Scope(row.account_id, row.region),
        name=row.name,
        arn=row.arn,
        status=row.status,
        created=row.created,
        modified=row.modified,
        doc=row.doc,
        version=row.version,
    )


def _identity(kind: str, scope: Scope, name: str) -> ColumnElement[bool]:
    return and_(
        resources.c.kind == kind,
        resources.c.account_id == scope.account_id,
        resources.c.region == scope.region,
        resources.c.name == name,
    )


# Built once: Describe* calls read one row by its identity many times a second (clients poll).
_GET_ONE = select(resources).where(
    resources.c.kind == bindparam("kind"),
    resources.c.account_id == bindparam("account_id"),
    resources.c.region == bindparam("region"),
    resources.c.name == bindparam("name"),
)


def _filters(query: ListQuery) -> list[ColumnElement[bool]]:
    c = resources.c
    conditions: list[ColumnElement[bool]] = []
    if query.name_contains is not None:
        needle = ascii_lower(query.name_contains)
        conditions.append(func.lower(c.name).contains(needle, autoescape=True))
    if query.status_equals is not None:
        conditions.append(c.status == query.status_equals)
    if query.created_after is not None:
        conditions.append(c.created > to_utc(query.created_after))
    if query.created_before is not None:
        conditions.append(c.created < to_utc(query.created_before))
    if query.modified_after is not None:
        conditions.append(c.modified > to_utc(query.modified_after))
    if query.modified_before is not None:
        conditions.append(c.modified < to_utc(query.modified_before))
    return conditions


def _ordering(query: ListQuery) -> list[UnaryExpression[Any]]:
    c = resources.c
    primary: ColumnElement[Any] = {
        "Name": c.name,
        "CreationTime": c.created,
        "Status": func.coalesce(c.status, ""),
        "LastModifiedTime": c.modified,
    }[query.sort_by]
    if query.descending:
        return [primary.desc(), c.name.desc()]
    return [primary.asc(), c.name.asc()]


class SqlResourceStore:
    """ResourceStore on the `resources` table."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def insert(self, record: Record) -> Record:
        stored = Record(
            kind=record.kind,
            scope=record.scope,
            name=record.name,
            arn=record.arn,
            status=record.status,
            created=to_utc(record.created),
            modified=to_utc(record.modified),
            doc=json_copy(record.doc),
            version=1,
        )
        try:
            with self._db.write() as connection:
                connection.execute(insert(resources).values(**self._columns(stored)))
        except AlreadyExists:
            raise AlreadyExists(f"{record.kind} {record.name!r} already exists") from None
        return stored

    def get(self, kind: str, scope: Scope, name: str) -> Record:
        with self._db.read() as connection:
            row = connection.execute(
                _GET_ONE,
                {
                    "kind": kind,
                    "account_id": scope.account_id,
                    "region": scope.region,
                    "name": name,
                },
            ).one_or_none()
        if row is None:
            raise NotFound(f"{kind} {name!r} does not exist")
        return _record(row)

    def update(self, record: Record) -> Record:
        identity = _identity(record.kind, record.scope, record.name)
        with self._db.write() as connection:
            changed = connection.execute(
                update(resources)
                .where(identity, resources.c.version == record.version)
                .values(
                    status=record.status,
                    created=to_utc(record.created),
                    modified=to_utc(record.modified),
                    doc=json_copy(record.doc),
                    version=record.version + 1,
                )
                .returning(*resources.c)
            ).one_or_none()
            if changed is None:
                current = connection.execute(
                    select(resources.c.version).where(identity)
                ).scalar_one_or_none()
        if changed is not None:
            return _record(changed)
        if current is None:
            raise NotFound(f"{record.kind} {record.name!r} does not exist")
        raise Conflict(
            f"{record.kind} {record.name!r} changed meanwhile "
            f"(version {current}, expected {record.version})"
        )

    def delete(self, kind: str, scope: Scope, name: str) -> None:
        with self._db.write() as connection:
            deleted = connection.execute(delete(resources).where(_identity(kind, scope, name)))
        if deleted.rowcount == 0:
            raise NotFound(f"{kind} {name!r} does not exist")

    def find(self, kind: str, scope: Scope, query: ListQuery) -> list[Record]:
        statement = (
            select(resources)
            .where(
                resources.c.kind == kind,
                resources.c.account_id == scope.account_id,
                resources.c.region == scope.region,
                *_filters(query),
            )
            .order_by(*_ordering(query))
            .offset(max(query.offset, 0))
            .limit(max(query.limit, 0))
        )
        with self._db.read() as connection:
            return [_record(row) for row in connection.execute(statement)]

    def list_by_status(self, kind: str, statuses: Iterable[str]) -> list[Record]:
        wanted = sorted(set(statuses))
        if not wanted:
            return []
        statement = (
            select(resources)
            .where(resources.c.kind == kind, resources.c.status.in_(wanted))
            .order_by(resources.c.created, resources.c.name, resources.c.arn)
        )
        with self._db.read() as connection:
            return [_record(row) for row in connection.execute(statement)]

    @staticmethod
    def _columns(record: Record) -> dict[str, Any]:
        return {
            "arn": record.arn,
            "kind": record.kind,
            "account_id": record.scope.account_id,
            "region": record.scope.region,
            "name": record.name,
            "status": record.status,
            "created": record.created,
            "modified": record.modified,
            "version": record.version,
            "doc": record.doc,
        }


class SqlTagStore:
    """TagStore on the `tags` table; tags come back sorted by key."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add_tags(self, arn: str, tags: dict[str, str]) -> None:
        if not tags:
            return
        upsert = self._db.upsert(tag_rows)
        upsert = upsert.on_conflict_do_update(
            index_elements=[tag_rows.c.arn, tag_rows.c.key], set_={"value": upsert.excluded.value}
        )
        with self._db.write() as connection:
            connection.execute(
                upsert, [{"arn": arn, "key": k, "value": v} for k, v in sorted(tags.items())]
            )

    def get_tags(self, arn: str) -> dict[str, str]:
        statement = (
            select(tag_rows.c.key, tag_rows.c.value)
            .where(tag_rows.c.arn == arn)
            .order_by(tag_rows.c.key)
        )
        with self._db.read() as connection:
            return {row.key: row.value for row in connection.execute(statement)}

    def remove_tags(self, arn: str, keys: Iterable[str]) -> None:
        doomed = sorted(set(keys))
        if not doomed:
            return
        with self._db.write() as connection:
            connection.execute(
                delete(tag_rows).where(tag_rows.c.arn == arn, tag_rows.c.key.in_(doomed))
            )

    def remove_all_tags(self, arn: str) -> None:
        with self._db.write() as connection:
            connection.execute(delete(tag_rows).where(tag_rows.c.arn == arn))
