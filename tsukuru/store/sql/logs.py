"""LogStore on SQLAlchemy Core: CloudWatch-style groups, streams and events.

Each stream row holds its last sequence number; `append` bumps it with one UPDATE (which takes
the row lock on PostgreSQL and runs under BEGIN IMMEDIATE on SQLite) and then inserts the batch
with executemany, so concurrent appends to one stream never reuse a number and thousands of
lines a second cost one round trip each.

Time ranges follow the CloudWatch calls the port serves: `get_events` (GetLogEvents) keeps
`start_ms <= timestamp < end_ms`, `filter_events` (FilterLogEvents) keeps `start_ms <= timestamp
<= end_ms`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from tsukuru.domain.errors import AlreadyExists
from tsukuru.domain.ports import LogEvent, LogGroup, LogStream
from tsukuru.domain.scope import Scope
from tsukuru.store import messages
from tsukuru.store.codec import from_millis, prefix_upper_bound, to_utc, utf8_size
from tsukuru.store.sql.database import AnyRow, Database
from tsukuru.store.sql.tables import log_events, log_groups, log_streams


def _name_range(column: Any, prefix: str) -> list[Any]:
    upper = prefix_upper_bound(prefix)
    conditions = [column >= prefix] if prefix else []
    if upper is not None:
        conditions.append(column < upper)
    return conditions


def _moment(millis: int | None) -> datetime | None:
    return None if millis is None else from_millis(millis)


def _stream(scope: Scope, group: str, row: AnyRow) -> LogStream:
    return LogStream(
        scope=scope,
        group=group,
        name=row.name,
        created=row.created,
        first_event=_moment(row.first_event_ms),
        last_event=_moment(row.last_event_ms),
        last_ingestion=_moment(row.last_ingestion_ms),
        stored_bytes=row.stored_bytes,
    )


def _event(row: AnyRow) -> LogEvent:
    return LogEvent(row.stream, row.seq, row.timestamp_ms, row.ingestion_ms, row.message)


_EVENT_COLUMNS = (
    log_streams.c.name.label("stream"),
    log_events.c.seq,
    log_events.c.timestamp_ms,
    log_events.c.ingestion_ms,
    log_events.c.message,
)


class SqlLogStore:
    """LogStore on the `log_groups`, `log_streams` and `log_events` tables."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def create_group(self, scope: Scope, name: str, created: datetime) -> None:
        values = {
            "account_id": scope.account_id,
            "region": scope.region,
            "name": name,
            "created": to_utc(created),
        }
        try:
            with self._db.write() as connection:
                if self._group_id(connection, scope, name) is not None:
                    raise messages.log_group_exists()
                connection.execute(insert(log_groups).values(**values))
        except AlreadyExists:  # also when another writer created it since we looked
            raise messages.log_group_exists() from None

    def list_groups(
        self, scope: Scope, *, prefix: str = "", after: str | None = None, limit: int = 50
    ) -> list[LogGroup]:
        g, s = log_groups.c, log_streams.c
        stored = (
            select(func.coalesce(func.sum(s.stored_bytes), 0))
            .where(s.group_id == g.id)
            .scalar_subquery()
        )
        conditions = [
            g.account_id == scope.account_id,
            g.region == scope.region,
            *_name_range(g.name, prefix),
        ]
        if after is not None:
            conditions.append(g.name > after)
        statement = (
            select(g.name, g.created, stored.label("stored_bytes"))
            .where(*conditions)
            .order_by(g.name)
            .limit(max(limit, 0))
        )
        with self._db.read() as connection:
            return [
                LogGroup(scope, row.name, row.created, int(row.stored_bytes))
                for row in connection.execute(statement)
            ]

    def delete_group(self, scope: Scope, name: str) -> None:
        with self._db.write() as connection:
            group_id = self._require_group(connection, scope, name)
            streams = select(log_streams.c.id).where(log_streams.c.group_id == group_id)
            connection.execute(delete(log_events).where(log_events.c.stream_id.in_(streams)))
            connection.execute(delete(log_streams).where(log_streams.c.group_id == group_id))
            connection.execute(delete(log_groups).where(log_groups.c.id == group_id))

    def create_stream(self, scope: Scope, group: str, name: str, created: datetime) -> None:
        try:
            with self._db.write() as connection:
                self._create_stream(connection, scope, group, name, created)
        except AlreadyExists:  # also when another writer created it since we looked
            raise messages.log_stream_exists() from None

    def _create_stream(
        self, connection: Connection, scope: Scope, group: str, name: str, created: datetime
    ) -> None:
        group_id = self._require_group(connection, scope, group)
        if self._stream_id(connection, group_id, name) is not None:
            raise messages.log_stream_exists()
        connection.execute(
            insert(log_streams).values(
                group_id=group_id,
                name=name,
                created=to_utc(created),
                stored_bytes=0,
                last_seq=0,
            )
        )

    def list_streams(
        self,
        scope: Scope,
        group: str,
        *,
        prefix: str = "",
        order_by: Literal["LogStreamName", "LastEventTime"] = "LogStreamName",
        descending: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> list[LogStream]:
        s = log_streams.c
        keys: list[Any] = [s.name]
        if order_by == "LastEventTime":
            keys = [func.coalesce(s.last_event_ms, -1), s.name]
        with self._db.read() as connection:
            group_id = self._require_group(connection, scope, group)
            statement = (
                select(log_streams)
                .where(s.group_id == group_id, *_name_range(s.name, prefix))
                .order_by(*[key.desc() if descending else key.asc() for key in keys])
                .offset(max(offset, 0))
                .limit(max(limit, 0))
            )
            return [_stream(scope, group, row) for row in connection.execute(statement)]

    def append(
        self,
        scope: Scope,
        group: str,
        stream: str,
        events: list[tuple[int, str]],
        ingestion_ms: int,
    ) -> None:
        s = log_streams.c
        with self._db.write() as connection:
            stream_id = self._require_stream(connection, scope, group, stream)
            if not events:
                return
            stamps = [timestamp_ms for timestamp_ms, _ in events]
            first, last = min(stamps), max(stamps)
            size = sum(utf8_size(message) for _, message in events)
            last_seq = connection.execute(
                update(log_streams)
                .where(s.id == stream_id)
                .values(
                    last_seq=s.last_seq + len(events),
                    stored_bytes=s.stored_bytes + size,
                    last_ingestion_ms=ingestion_ms,
                    first_event_ms=case(
                        (or_(s.first_event_ms.is_(None), s.first_event_ms > first), first),
                        else_=s.first_event_ms,
                    ),
                    last_event_ms=case(
                        (or_(s.last_event_ms.is_(None), s.last_event_ms < last), last),
                        else_=s.last_event_ms,
                    ),
                )
                .returning(s.last_seq)
            ).scalar_one_or_none()
            if last_seq is None:  # deleted since we looked
                raise messages.log_stream_missing()
            start = last_seq - len(events) + 1
            connection.execute(
                insert(log_events),
                [
                    {
                        "stream_id": stream_id,
                        "seq": start + index,
                        "timestamp_ms": timestamp_ms,
                        "ingestion_ms": ingestion_ms,
                        "message": message,
                    }
                    for index, (timestamp_ms, message) in enumerate(events)
                ],
            )

    def get_events(
        self,
        scope: Scope,
        group: str,
        stream: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        after_seq: int | None = None,
        before_seq: int | None = None,
        limit: int = 10000,
        from_head: bool = True,
    ) -> list[LogEvent]:
        e = log_events.c
        conditions: list[Any] = []
        if start_ms is not None:
            conditions.append(e.timestamp_ms >= start_ms)
        if end_ms is not None:
            conditions.append(e.timestamp_ms < end_ms)
        if after_seq is not None:
            conditions.append(e.seq > after_seq)
        if before_seq is not None:
            conditions.append(e.seq < before_seq)
        with self._db.read() as connection:
            stream_id = self._require_stream(connection, scope, group, stream)
            statement = (
                select(
                    literal(stream).label("stream"),
                    e.seq,
                    e.timestamp_ms,
                    e.ingestion_ms,
                    e.message,
                )
                .where(e.stream_id == stream_id, *conditions)
                .order_by(e.seq.asc() if from_head else e.seq.desc())
                .limit(max(limit, 0))
            )
            found = [_event(row) for row in connection.execute(statement)]
        return found if from_head else found[::-1]

    def filter_events(
        self,
        scope: Scope,
        group: str,
        *,
        streams: list[str] | None = None,
        stream_prefix: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        after: tuple[int, str, int] | None = None,
        limit: int = 10000,
    ) -> list[LogEvent]:
        e, s = log_events.c, log_streams.c
        conditions: list[Any] = []
        if streams is not None:
            conditions.append(s.name.in_(sorted(set(streams))))
        if stream_prefix is not None:
            conditions.extend(_name_range(s.name, stream_prefix))
        if start_ms is not None:
            conditions.append(e.timestamp_ms >= start_ms)
        if end_ms is not None:
            conditions.append(e.timestamp_ms <= end_ms)
        if after is not None:
            stamp, name, seq = after
            conditions.append(
                or_(
                    e.timestamp_ms > stamp,
                    and_(
                        e.timestamp_ms == stamp,
                        or_(s.name > name, and_(s.name == name, e.seq > seq)),
                    ),
                )
            )
        with self._db.read() as connection:
            group_id = self._require_group(connection, scope, group)
            statement = (
                select(*_EVENT_COLUMNS)
                .select_from(log_events.join(log_streams, e.stream_id == s.id))
                .where(s.group_id == group_id, *conditions)
                .order_by(e.timestamp_ms, s.name, e.seq)
                .limit(max(limit, 0))
            )
            return [_event(row) for row in connection.execute(statement)]

    # ------------------------------------------------------------------ helpers (in a transaction)

    @staticmethod
    def _group_id(connection: Connection, scope: Scope, name: str) -> int | None:
        g = log_groups.c
        found: int | None = connection.execute(
            select(g.id).where(
                g.account_id == scope.account_id, g.region == scope.region, g.name == name
            )
        ).scalar_one_or_none()
        return found

    @staticmethod
    def _stream_id(connection: Connection, group_id: int, name: str) -> int | None:
        s = log_streams.c
        found: int | None = connection.execute(
            select(s.id).where(s.group_id == group_id, s.name == name)
        ).scalar_one_or_none()
        return found

    def _require_group(self, connection: Connection, scope: Scope, name: str) -> int:
        group_id = self._group_id(connection, scope, name)
        if group_id is None:
            raise messages.log_group_missing()
        return group_id

    def _require_stream(self, connection: Connection, scope: Scope, group: str, name: str) -> int:
        stream_id = self._stream_id(connection, self._require_group(connection, scope, group), name)
        if stream_id is None:
            raise messages.log_stream_missing()
        return stream_id
