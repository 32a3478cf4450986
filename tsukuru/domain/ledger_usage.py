"""Usage intervals: the billing history of resources that disappear when deleted.

A training job keeps its record (start, end, instance type) forever, so its cost can always be
computed from it. An endpoint does not: DeleteEndpoint removes it. So whenever an endpoint
starts serving, changes its instances or is deleted, the meter writes intervals — resource,
part (variant), instance type x count, from, to — as "Usage" records in the generic resource
store. A notebook instance meters the same way (`running` when InService, `stopped` when
stopped or deleted). Intervals are never deleted; they are the ledger's memory.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from tsukuru.domain.clock import Clock
from tsukuru.domain.errors import DomainError, NotFound
from tsukuru.domain.ports import ListQuery, Record, ResourceStore
from tsukuru.domain.resources import Doc, epoch, mutate
from tsukuru.domain.scope import Scope

log = logging.getLogger("tsukuru.ledger")

USAGE_KIND = "Usage"
OPEN = "Open"
CLOSED = "Closed"
ENDPOINT_KIND = "Endpoint"
SERVING = ("InService", "Updating")
SERVERLESS = "serverless"
_PAGE = 500


class EndpointMeter(Protocol):
    """What EndpointService tells the ledger (`domain/endpoints.py` calls it)."""

    def endpoint_serving(self, record: Record) -> None:
        """The endpoint is InService with the variants in `record.doc["Variants"]`."""
        ...

    def endpoint_deleted(self, scope: Scope, name: str) -> None: ...


@dataclass(frozen=True)
class MeteredPart:
    """One billable piece of a resource: an endpoint variant, a notebook's instance."""

    part: str
    instance_type: str
    count: int
    usage: str


@dataclass(frozen=True)
class Interval:
    scope: Scope
    resource_kind: str
    resource_name: str
    resource_arn: str
    resource_created: datetime
    part: MeteredPart
    start: datetime
    end: datetime | None

    @classmethod
    def of(cls, record: Record) -> Interval:
        doc = record.doc
        return cls(
            scope=record.scope,
            resource_kind=doc["ResourceKind"],
            resource_name=doc["ResourceName"],
            resource_arn=doc["ResourceArn"],
            resource_created=_time(doc["ResourceCreated"]),
            part=MeteredPart(
                doc["Part"], doc["InstanceType"], int(doc["InstanceCount"]), doc["Usage"]
            ),
            start=_time(doc["Start"]),
            end=_time(doc["End"]) if doc.get("End") is not None else None,
        )

    def seconds(self, now: datetime) -> float:
        return max(0.0, ((self.end or now) - self.start).total_seconds())


def _time(value: float) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


def endpoint_parts(variants: list[Doc]) -> list[MeteredPart]:
    """An endpoint's variants as metered parts (serverless ones bill per request, not hour)."""
    parts = []
    for variant in variants:
        serverless = bool(variant.get("Serverless"))
        parts.append(
            MeteredPart(
                part=str(variant["VariantName"]),
                instance_type=SERVERLESS if serverless else str(variant["InstanceType"]),
                count=int(variant["InstanceCount"]),
                usage="serverless_inference" if serverless else "realtime_inference",
            )
        )
    return parts


class UsageMeter:
    """Opens and closes usage intervals; safe to call from several threads."""

    def __init__(self, store: ResourceStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ generic

    def running(
        self,
        record: Record,
        parts: list[MeteredPart],
        at: datetime | None = None,
    ) -> None:
        """`record`'s resource now runs exactly `parts`: identical open intervals continue
        (a restart re-reporting the same endpoint changes nothing), others close, new ones
        open."""
        now = at or self._clock.now()
        with self._lock:
            still_wanted = list(parts)
            for interval, stored in self._open_of(record.scope, record.kind, record.name):
                same_resource = interval.resource_created == _time(epoch(record.created))
                if same_resource and interval.part in still_wanted:
                    still_wanted.remove(interval.part)
                else:
                    self._close(stored, now)
            for part in still_wanted:
                self._open(record, part, now)

    def stopped(self, scope: Scope, kind: str, name: str, at: datetime | None = None) -> None:
        """Close every open interval of the resource (stopped or deleted)."""
        now = at or self._clock.now()
        with self._lock:
            for _, stored in self._open_of(scope, kind, name):
                self._close(stored, now)

    def intervals(self, scope: Scope) -> list[Interval]:
        """Every interval of the scope, oldest first."""
        found: list[Interval] = []
        offset = 0
        while True:
            query = ListQuery(descending=False, offset=offset, limit=_PAGE)
            page = self._store.find(USAGE_KIND, scope, query)
            found.extend(Interval.of(record) for record in page)
            if len(page) < _PAGE:
                return found
            offset += _PAGE

    # ------------------------------------------------------------------ endpoints

    def endpoint_serving(self, record: Record) -> None:
        try:
            self.running(record, endpoint_parts(record.doc["Variants"]))
        except DomainError:  # metering must never fail a deployment; the ledger reconciles
            log.exception("could not record the usage of endpoint %s", record.name)

    def endpoint_deleted(self, scope: Scope, name: str) -> None:
        try:
            self.stopped(scope, ENDPOINT_KIND, name)
        except DomainError:
            log.exception("could not close the usage of endpoint %s", name)

    def reconcile_endpoints(self, scope: Scope, endpoints: list[Record]) -> None:
        """Repair the history where a hook could not run: an open interval whose endpoint is
        gone (deleted during a restart) closes now; a serving endpoint with no open interval
        (created before metering existed) opens one from when it last became InService."""
        existing = {record.name: record for record in endpoints}
        with self._lock:
            open_names = set()
            for stored in self._store.list_by_status(USAGE_KIND, (OPEN,)):
                interval = Interval.of(stored)
                if stored.scope != scope or interval.resource_kind != ENDPOINT_KIND:
                    continue
                current = existing.get(interval.resource_name)
                if current is None or _time(epoch(current.created)) != interval.resource_created:
                    self._close(stored, self._clock.now())
                else:
                    open_names.add(interval.resource_name)
        for record in endpoints:
            if record.status in SERVING and record.name not in open_names:
                since = record.doc.get("LastModifiedTime")
                at = _time(since) if since is not None else record.modified
                self.running(record, endpoint_parts(record.doc["Variants"]), at=at)

    # ------------------------------------------------------------------ records

    def _open_of(self, scope: Scope, kind: str, name: str) -> list[tuple[Interval, Record]]:
        found = []
        for stored in self._store.list_by_status(USAGE_KIND, (OPEN,)):
            interval = Interval.of(stored)
            if (
                stored.scope == scope
                and interval.resource_kind == kind
                and interval.resource_name == name
            ):
                found.append((interval, stored))
        return found

    def _open(self, record: Record, part: MeteredPart, at: datetime) -> None:
        token = uuid.uuid4().hex[:12]
        name = f"{record.kind}/{record.name}/{part.part}/{token}"
        doc: Doc = {
            "ResourceKind": record.kind,
            "ResourceName": record.name,
            "ResourceArn": record.arn,
            "ResourceCreated": epoch(record.created),
            "Part": part.part,
            "InstanceType": part.instance_type,
            "InstanceCount": part.count,
            "Usage": part.usage,
            "Start": epoch(at),
            "End": None,
        }
        arn = record.scope.arn("tsukuru", f"usage/{token}")
        self._store.insert(Record(USAGE_KIND, record.scope, name, arn, OPEN, at, at, doc))

    def _close(self, stored: Record, at: datetime) -> None:
        def close(doc: Doc) -> str:
            doc["End"] = max(epoch(at), float(doc["Start"]))
            return CLOSED

        try:
            mutate(self._store, USAGE_KIND, stored.scope, stored.name, close, at)
        except NotFound:
            return
