"""Ledger line items, and how a job record or a set of usage intervals becomes one.

Compute is metered as instance type x count x seconds and priced per instance-hour; each line
says whether it is running and billing now, what it would have cost on AWS so far, and how sure
that figure is (a listed price, an estimate from the same family, or no list price at all —
then the cost is None, never zero).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from tsukuru.domain.ledger_prices import PriceQuote, PriceTable
from tsukuru.domain.ledger_usage import Interval
from tsukuru.domain.ports import Record

ItemBasis = Literal["listed", "estimated", "missing", "no_charge"]

TRAINING_ACTIVE = ("InProgress", "Stopping")
TRANSFORM_ACTIVE = ("InProgress", "Stopping")


@dataclass(frozen=True)
class LineItem:
    """One billable (or explicitly free) resource in the ledger.

    `quantity` is in `unit` (instance-hour, GB-month or GB) and `rate_usd` is the price of one
    unit; `usd_per_hour` is what the resource costs per hour right now (None when it is not
    billing or has no price); `estimated_usd` is the would-be AWS cost so far.
    """

    kind: str
    name: str
    arn: str
    status: str | None
    running: bool
    billable_now: bool
    started: datetime | None
    ended: datetime | None
    elapsed_seconds: float
    quantity: float
    unit: str
    rate_usd: float | None
    usd_per_hour: float | None
    estimated_usd: float | None
    price_basis: ItemBasis
    part: str | None = None
    usage: str | None = None
    instance_type: str | None = None
    instance_count: int = 0
    based_on: str | None = None
    price_source: str = ""
    as_of: str = ""
    stored_bytes: int | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "arn": self.arn,
            "part": self.part,
            "status": self.status,
            "usage": self.usage,
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "running": self.running,
            "billable_now": self.billable_now,
            "started": _iso(self.started),
            "ended": _iso(self.ended),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "quantity": self.quantity,
            "unit": self.unit,
            "rate_usd": self.rate_usd,
            "usd_per_hour": self.usd_per_hour,
            "estimated_usd": self.estimated_usd,
            "price_basis": self.price_basis,
            "based_on": self.based_on,
            "price_source": self.price_source,
            "as_of": self.as_of,
            "stored_bytes": self.stored_bytes,
            "note": self.note,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if value is not None else None


def compute_item(
    *,
    kind: str,
    record_name: str,
    arn: str,
    status: str | None,
    quote: PriceQuote,
    count: int,
    instance_seconds: float,
    running: bool,
    started: datetime | None,
    ended: datetime | None,
    now: datetime,
    part: str | None = None,
) -> LineItem:
    """A compute line: `instance_seconds` is Σ count x seconds over the resource's life."""
    hours = instance_seconds / 3600.0
    rate = quote.usd_per_hour
    elapsed = ((ended or now) - started).total_seconds() if started is not None else 0.0
    return LineItem(
        kind=kind,
        name=record_name,
        arn=arn,
        status=status,
        running=running,
        billable_now=running,
        started=started,
        ended=ended,
        elapsed_seconds=max(0.0, elapsed),
        quantity=hours,
        unit="instance-hour",
        rate_usd=rate,
        usd_per_hour=rate * count if rate is not None and running else None,
        estimated_usd=rate * hours if rate is not None else None,
        price_basis=quote.basis,
        part=part,
        usage=quote.usage,
        instance_type=quote.instance_type,
        instance_count=count,
        based_on=quote.based_on,
        price_source=quote.source,
        as_of=quote.as_of,
    )


def training_item(record: Record, prices: PriceTable, now: datetime) -> LineItem:
    """A training job bills from TrainingStartTime for BillableTimeInSeconds x InstanceCount."""
    doc = record.doc
    resources = doc["Request"].get("ResourceConfig") or {}
    instance_type = str(resources.get("InstanceType") or "unknown")
    count = int(resources.get("InstanceCount") or 1)
    status = str(doc.get("TrainingJobStatus"))
    started, ended = _time(doc.get("TrainingStartTime")), _time(doc.get("TrainingEndTime"))
    if ended is not None and doc.get("BillableTimeInSeconds") is not None:
        seconds = float(doc["BillableTimeInSeconds"])
    elif started is not None:
        seconds = max(0.0, ((ended or now) - started).total_seconds())
    else:
        seconds = 0.0
    return compute_item(
        kind="TrainingJob",
        record_name=record.name,
        arn=record.arn,
        status=status,
        quote=prices.quote(instance_type, "training"),
        count=count,
        instance_seconds=seconds * count,
        running=status in TRAINING_ACTIVE,
        started=started,
        ended=ended,
        now=now,
    )


def transform_item(record: Record, prices: PriceTable, now: datetime) -> LineItem:
    doc = record.doc
    resources = doc["Request"].get("TransformResources") or {}
    instance_type = str(resources.get("InstanceType") or "unknown")
    count = int(resources.get("InstanceCount") or 1)
    status = str(doc.get("TransformJobStatus"))
    started, ended = _time(doc.get("TransformStartTime")), _time(doc.get("TransformEndTime"))
    seconds = max(0.0, ((ended or now) - started).total_seconds()) if started else 0.0
    return compute_item(
        kind="TransformJob",
        record_name=record.name,
        arn=record.arn,
        status=status,
        quote=prices.quote(instance_type, "batch_transform"),
        count=count,
        instance_seconds=seconds * count,
        running=status in TRANSFORM_ACTIVE,
        started=started,
        ended=ended,
        now=now,
    )


def usage_items(
    intervals: Iterable[Interval],
    statuses: dict[tuple[str, str, datetime], str | None],
    prices: PriceTable,
    now: datetime,
) -> list[LineItem]:
    """One line per resource life and part (an endpoint variant on one instance type): its
    intervals' instance-seconds summed. `statuses` maps (kind, name, creation time) of the
    resources that still exist to their status; the others show as "Deleted"."""
    groups: dict[tuple[str, str, datetime, str, str, str], list[Interval]] = {}
    for interval in intervals:
        key = (
            interval.resource_kind,
            interval.resource_name,
            interval.resource_created,
            interval.part.part,
            interval.part.instance_type,
            interval.part.usage,
        )
        groups.setdefault(key, []).append(interval)
    items = []
    for (kind, name, created, part, instance_type, usage), members in groups.items():
        members.sort(key=lambda interval: interval.start)
        running = any(interval.end is None for interval in members)
        ended = None if running else max(interval.end or now for interval in members)
        latest = members[-1]
        life = (kind, name, created)
        items.append(
            compute_item(
                kind=kind,
                record_name=name,
                arn=latest.resource_arn,
                status=statuses.get(life, "Deleted"),
                quote=prices.quote(instance_type, usage),
                count=latest.part.count,
                instance_seconds=sum(i.seconds(now) * i.part.count for i in members),
                running=running,
                started=members[0].start,
                ended=ended,
                now=now,
                part=part,
            )
        )
    return items


def no_charge_item(kind: str, record: Record) -> LineItem:
    """Models and endpoint configurations: definitions AWS does not charge for."""
    created = _time(record.doc.get("CreationTime")) or record.created
    return LineItem(
        kind=kind,
        name=record.name,
        arn=record.arn,
        status=record.status,
        running=False,
        billable_now=False,
        started=created,
        ended=None,
        elapsed_seconds=0.0,
        quantity=0.0,
        unit="-",
        rate_usd=0.0,
        usd_per_hour=None,
        estimated_usd=0.0,
        price_basis="no_charge",
        note="AWS does not charge for this resource",
    )
