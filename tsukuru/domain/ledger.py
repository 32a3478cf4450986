"""The cost ledger: what everything run here would have cost on AWS, and what bills right now.

The article's clean-up section is the reason this exists: on AWS an endpoint bills while it
exists, a notebook instance while it runs, stored bytes per GB-month, while models and
endpoint configurations cost nothing. The ledger lists every such resource of one account and
region as a line item — instance type x count x seconds, or GB-months — priced with the table
in `ledger_prices`, and says which lines are still billing. Job records give their own history;
endpoints and notebooks leave theirs as usage intervals (`ledger_usage`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tsukuru.domain.clock import Clock
from tsukuru.domain.ledger_items import (
    LineItem,
    no_charge_item,
    training_item,
    transform_item,
    usage_items,
)
from tsukuru.domain.ledger_prices import PriceTable
from tsukuru.domain.ledger_storage import bucket_item, buckets_of, log_group_item, log_groups_of
from tsukuru.domain.ledger_usage import ENDPOINT_KIND, UsageMeter
from tsukuru.domain.ports import ListQuery, LogStore, ObjectIndex, Record, ResourceStore
from tsukuru.domain.scope import Scope

TRAINING_KIND = "TrainingJob"
TRANSFORM_KIND = "TransformJob"
NOTEBOOK_KIND = "NotebookInstance"
FREE_KINDS = ("Model", "EndpointConfig")
PRICE_REGION = "us-east-1"
_PAGE = 500


@dataclass(frozen=True)
class LedgerReport:
    generated: datetime
    scope: Scope
    items: list[LineItem]
    price_files: list[str] = field(default_factory=list)
    price_problems: list[str] = field(default_factory=list)
    override_folder: str = ""

    @property
    def estimated_usd(self) -> float:
        return sum(item.estimated_usd or 0.0 for item in self.items)

    @property
    def usd_per_hour_now(self) -> float:
        return sum(item.usd_per_hour or 0.0 for item in self.items if item.billable_now)

    @property
    def unpriced(self) -> list[LineItem]:
        """Lines whose cost is unknown (no list price): left out of the totals, not free."""
        return [item for item in self.items if item.estimated_usd is None]

    def to_json(self) -> dict[str, Any]:
        return {
            "generated": self.generated.isoformat(),
            "account_id": self.scope.account_id,
            "region": self.scope.region,
            "price_region": PRICE_REGION,
            "currency": "USD",
            "items": [item.to_json() for item in self.items],
            "totals": {
                "estimated_usd": round(self.estimated_usd, 6),
                "usd_per_hour_now": round(self.usd_per_hour_now, 6),
                "running": sum(1 for item in self.items if item.running),
                "billable_now": sum(1 for item in self.items if item.billable_now),
                "unpriced": len(self.unpriced),
            },
            "pricing": {
                "files": self.price_files,
                "problems": self.price_problems,
                "override_folder": self.override_folder,
            },
        }


class Ledger:
    def __init__(
        self,
        store: ResourceStore,
        objects: ObjectIndex,
        logs: LogStore,
        meter: UsageMeter,
        prices: PriceTable,
        clock: Clock,
        override_folder: str = "",
    ) -> None:
        self._store = store
        self._objects = objects
        self._logs = logs
        self._meter = meter
        self._prices = prices
        self._clock = clock
        self._override_folder = override_folder

    def report(self, scope: Scope) -> LedgerReport:
        endpoints = list(self._records(ENDPOINT_KIND, scope))
        self._meter.reconcile_endpoints(scope, endpoints)
        now = self._clock.now()
        items: list[LineItem] = []
        items += [training_item(r, self._prices, now) for r in self._records(TRAINING_KIND, scope)]
        items += [
            transform_item(r, self._prices, now) for r in self._records(TRANSFORM_KIND, scope)
        ]
        items += usage_items(self._meter.intervals(scope), self._statuses(scope), self._prices, now)
        for kind in FREE_KINDS:
            items += [no_charge_item(kind, record) for record in self._records(kind, scope)]
        items += [
            bucket_item(self._objects, bucket, self._prices, now)
            for bucket in buckets_of(self._objects, scope)
        ]
        items += [log_group_item(g, self._prices, now) for g in log_groups_of(self._logs, scope)]
        items.sort(key=_display_order)
        return LedgerReport(
            generated=now,
            scope=scope,
            items=items,
            price_files=list(self._prices.files),
            price_problems=list(self._prices.problems),
            override_folder=self._override_folder,
        )

    def _statuses(self, scope: Scope) -> dict[tuple[str, str, datetime], str | None]:
        """Which metered resources still exist (their status by kind, name and creation)."""
        statuses: dict[tuple[str, str, datetime], str | None] = {}
        for kind in (ENDPOINT_KIND, NOTEBOOK_KIND):
            for record in self._records(kind, scope):
                created = datetime.fromtimestamp(round(record.created.timestamp(), 3), UTC)
                statuses[(kind, record.name, created)] = record.status
        return statuses

    def _records(self, kind: str, scope: Scope) -> Iterator[Record]:
        offset = 0
        while True:
            query = ListQuery(descending=False, offset=offset, limit=_PAGE)
            page = self._store.find(kind, scope, query)
            yield from page
            if len(page) < _PAGE:
                return
            offset += _PAGE


_KIND_ORDER = {
    "NotebookInstance": 0,
    "Endpoint": 1,
    "TrainingJob": 2,
    "TransformJob": 3,
    "Bucket": 4,
    "LogGroup": 5,
    "Model": 6,
    "EndpointConfig": 7,
}


def _display_order(item: LineItem) -> tuple[int, int, float, str]:
    """Billing-now lines first, then by kind, then newest first."""
    started = item.started.timestamp() if item.started is not None else 0.0
    return (0 if item.billable_now else 1, _KIND_ORDER.get(item.kind, 9), -started, item.name)
