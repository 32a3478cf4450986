"""The cost ledger's lines arranged the way the dashboard and the cleanup page show them.

The ledger (`domain/ledger.py`) has one line per resource part (an endpoint with two variants
has two); people think in resources, so lines are merged per resource here, sorted into the
same sections as `tsukuru cost`: running (billing by the hour), stored (billing per GB-month),
free definitions, and history (finished or deleted, shown for what they would have cost).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tsukuru.domain.ledger import LedgerReport
from tsukuru.domain.ledger_items import LineItem

COMPUTE_KINDS = ("NotebookInstance", "Endpoint", "TrainingJob", "TransformJob")
STORAGE_KINDS = ("Bucket", "LogGroup")
FREE_KINDS = ("Model", "EndpointConfig")
HISTORY_LINES = 25  # finished resources listed on the cleanup page (all are in the totals)
# what the cleanup page ticks by default: what bills by the hour while idle (as `tsukuru cleanup`)
CHECKED_BY_DEFAULT = ("Endpoint", "NotebookInstance")
# the order in which the cleanup page acts: serving things first, their definitions after
ACTION_ORDER = (
    "Endpoint",
    "NotebookInstance",
    "TrainingJob",
    "TransformJob",
    "EndpointConfig",
    "Model",
    "Bucket",
    "LogGroup",
)


@dataclass
class ResourceLine:
    kind: str
    name: str
    status: str | None
    running: bool
    billable_now: bool
    started: datetime | None
    elapsed_seconds: float
    usd_per_hour: float | None
    estimated_usd: float | None
    price_basis: str
    based_on: str | None = None
    stored_bytes: int | None = None
    parts: list[str] = field(default_factory=list)  # "variant: ml.m5.large x 2"
    deleted: bool = False

    @property
    def value(self) -> str:
        """The cleanup form's value for this line."""
        return f"{self.kind}:{self.name}"

    @property
    def action(self) -> str:
        stoppable = ("TrainingJob", "TransformJob", "NotebookInstance")
        return "stop" if self.kind in stoppable else "delete"

    @property
    def checked(self) -> bool:
        return self.kind in CHECKED_BY_DEFAULT and self.running


def _describe_part(item: LineItem) -> str:
    where = f"{item.instance_type} × {item.instance_count}" if item.instance_type else ""
    return f"{item.part}: {where}" if item.part else where


def merge(items: list[LineItem]) -> list[ResourceLine]:
    """One line per resource life: costs summed over its parts, running if any part runs."""
    merged: dict[tuple[str, str, bool], ResourceLine] = {}
    for item in items:
        deleted = item.status == "Deleted"
        key = (item.kind, item.name, deleted)
        line = merged.get(key)
        if line is None:
            line = merged[key] = ResourceLine(
                kind=item.kind,
                name=item.name,
                status=item.status,
                running=item.running,
                billable_now=item.billable_now,
                started=item.started,
                elapsed_seconds=item.elapsed_seconds,
                usd_per_hour=item.usd_per_hour,
                estimated_usd=item.estimated_usd,
                price_basis=item.price_basis,
                based_on=item.based_on,
                stored_bytes=item.stored_bytes,
                deleted=deleted,
            )
        else:
            line.running = line.running or item.running
            line.billable_now = line.billable_now or item.billable_now
            if item.usd_per_hour is not None:
                line.usd_per_hour = (line.usd_per_hour or 0.0) + item.usd_per_hour
            if line.estimated_usd is None or item.estimated_usd is None:
                line.estimated_usd = None  # one unpriced part makes the whole unknown
            else:
                line.estimated_usd += item.estimated_usd
            if item.price_basis in ("estimated", "missing"):
                line.price_basis = item.price_basis
            if item.started and (line.started is None or item.started < line.started):
                line.started = item.started
            line.elapsed_seconds = max(line.elapsed_seconds, item.elapsed_seconds)
        if item.kind in COMPUTE_KINDS and (item.instance_type or item.part):
            line.parts.append(_describe_part(item))
    return list(merged.values())


@dataclass
class LedgerSections:
    running: list[ResourceLine]
    stored: list[ResourceLine]
    free: list[ResourceLine]
    history: list[ResourceLine]  # the most recent HISTORY_LINES of them
    history_total: int
    total_usd: float
    usd_per_hour: float
    unpriced: int
    generated: datetime


def sections(report: LedgerReport) -> LedgerSections:
    lines = merge(report.items)
    history = [line for line in lines if line.kind in COMPUTE_KINDS and not line.running]
    history.sort(key=lambda line: line.started.timestamp() if line.started else 0.0, reverse=True)
    return LedgerSections(
        running=[line for line in lines if line.kind in COMPUTE_KINDS and line.running],
        stored=[line for line in lines if line.kind in STORAGE_KINDS],
        free=[line for line in lines if line.kind in FREE_KINDS],
        history=history[:HISTORY_LINES],
        history_total=len(history),
        total_usd=report.estimated_usd,
        usd_per_hour=report.usd_per_hour_now,
        unpriced=len(report.unpriced),
        generated=report.generated,
    )


def link(kind: str, name: str) -> str | None:
    """The console page of a ledger line's resource (without the console prefix)."""
    pages = {
        "TrainingJob": f"/jobs/{name}",
        "Endpoint": f"/endpoints/{name}",
        "TransformJob": f"/transforms/{name}",
        "Bucket": f"/buckets/{name}",
        "NotebookInstance": "/notebooks",
        "Model": "/models",
        "EndpointConfig": "/endpoint-configs",
    }
    return pages.get(kind)
