"""The cost ledger for pages that refresh every two seconds: recomputed in the background, never
shown out of date about what exists.

A full ledger report reads every job record of the account (a thousand jobs take most of a
second), while the dashboard asks for it every two seconds. Most of it does not change: a
finished job's cost is fixed. So the console keeps the last report and serves it while a worker
thread computes the next one — but only while it still lists exactly the resources that exist
and could be billing: serving endpoints, running jobs and notebook instances, buckets. That
inventory is read fresh on every request with cheap, status-filtered queries; when it differs
(an endpoint just went into service, a job just started, something was deleted), the report is
recomputed before the page is answered. Free definitions (models, endpoint configurations) may
lag by one refresh; the console's own actions invalidate the report.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar

from tsukuru.console.deps import ConsoleServices
from tsukuru.domain.endpoints import KIND as ENDPOINT
from tsukuru.domain.ledger import LedgerReport
from tsukuru.domain.ledger_usage import SERVING
from tsukuru.domain.paging import Listing
from tsukuru.domain.training import KIND as TRAINING

log = logging.getLogger("tsukuru.console")

REFRESH_AFTER = 2.0  # seconds: an older report is served once more while the next is computed
MAX_AGE = 60.0  # seconds: an older report is never served
ACTIVE_JOB = ("InProgress", "Stopping")
_PAGE = 100  # the List* maximum

T = TypeVar("T")


def every_page(
    find: Callable[[Listing], tuple[list[T], str | None]], listing: Listing
) -> Iterator[T]:
    """All pages of a List*-style query."""
    token: str | None = None
    while True:
        page, token = find(replace(listing, max_results=_PAGE, next_token=token))
        yield from page
        if token is None:
            return


Inventory = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class _Cached:
    report: LedgerReport
    inventory: Inventory
    at: float


def _report_inventory(report: LedgerReport) -> Inventory:
    """What the report says exists and could bill (the same families as `inventory`)."""
    found = set()
    metered = (TRAINING, "TransformJob", "NotebookInstance", ENDPOINT)
    for item in report.items:
        # an endpoint is metered from InService on: Creating and Failed ones never bill
        if (item.kind in metered and item.running) or item.kind == "Bucket":
            found.add((item.kind, item.name))
    return frozenset(found)


class CachedLedger:
    def __init__(
        self, services: ConsoleServices, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._services = services
        self._clock = clock
        self._cached: _Cached | None = None
        self._lock = threading.Lock()
        self._refreshing = False

    def inventory(self) -> Inventory:
        """Every resource that exists and could bill, read with status-filtered queries."""
        services, scope = self._services, self._services.scope
        found: set[tuple[str, str]] = set()
        for status in ACTIVE_JOB:
            only = Listing(status_equals=status)
            found |= {
                (TRAINING, view.doc["Request"]["TrainingJobName"])
                for view in every_page(partial(services.training.find, scope), only)
            }
            if services.transforms is not None:
                jobs = every_page(partial(services.transforms.find, scope), only)
                found |= {("TransformJob", job.doc["Request"]["TransformJobName"]) for job in jobs}
        for status in SERVING:
            find = partial(services.definitions.find, ENDPOINT, scope)
            found |= {(ENDPOINT, r.name) for r in every_page(find, Listing(status_equals=status))}
        if services.notebooks is not None:
            found |= {
                ("NotebookInstance", record.name)
                for record in services.notebooks.list(scope)
                if record.status in ("InService", "Pending", "Stopping")
            }
        buckets = services.objects.list_buckets(scope.account_id)
        found |= {("Bucket", bucket.name) for bucket in buckets if bucket.region == scope.region}
        return frozenset(found)

    def report(self) -> LedgerReport:
        """A report that lists what exists now; at most MAX_AGE seconds old in its figures."""
        now = self._clock()
        inventory = self.inventory()
        with self._lock:
            cached = self._cached
            usable = (
                cached is not None and cached.inventory == inventory and now - cached.at < MAX_AGE
            )
            if usable and cached is not None:
                if now - cached.at > REFRESH_AFTER and not self._refreshing:
                    self._refreshing = True
                    threading.Thread(
                        target=self._refresh, name="console-ledger", daemon=True
                    ).start()
                return cached.report
        return self._compute()

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None

    def _compute(self) -> LedgerReport:
        started = self._clock()
        report = self._services.ledger.report(self._services.scope)
        with self._lock:
            self._cached = _Cached(report, _report_inventory(report), started)
        return report

    def _refresh(self) -> None:
        try:
            self._compute()
        except Exception:  # a failed background refresh must not kill the console
            log.exception("refreshing the cost ledger failed")
        finally:
            with self._lock:
                self._refreshing = False
