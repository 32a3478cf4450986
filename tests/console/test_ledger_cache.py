"""The dashboard's ledger: reused while nothing billable appeared or vanished, else recomputed."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.console.world import SCOPE, World
from tsukuru.console.ledger_cache import MAX_AGE, REFRESH_AFTER, CachedLedger
from tsukuru.domain.ledger import LedgerReport


class Counted:
    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.done = threading.Event()
        real = world.services.ledger.report

        def report(scope: Any) -> LedgerReport:
            self.calls += 1
            result = real(scope)
            self.done.set()
            return result

        monkeypatch.setattr(world.services.ledger, "report", report)


@pytest.fixture
def counted(world: World, monkeypatch: pytest.MonkeyPatch) -> Counted:
    world.add_training_job("done-job", rounds=2)
    world.add_model("done-job")
    world.add_config("cfg", "done-job")
    return Counted(world, monkeypatch)


def test_a_report_is_reused_while_the_inventory_holds(world: World, counted: Counted) -> None:
    now = [100.0]
    cache = CachedLedger(world.services, clock=lambda: now[0])
    first = cache.report()
    now[0] += 1.0
    assert cache.report() is first
    assert counted.calls == 1


def test_a_new_endpoint_is_never_missing(world: World, counted: Counted) -> None:
    cache = CachedLedger(world.services, clock=lambda: 100.0)
    cache.report()
    world.add_endpoint("fresh-ep", "cfg", "done-job")
    report = cache.report()
    assert counted.calls == 2
    assert "fresh-ep" in [item.name for item in report.items if item.running]


def test_a_deleted_resource_disappears_at_once(world: World, counted: Counted) -> None:
    cache = CachedLedger(world.services, clock=lambda: 100.0)
    world.add_endpoint("short-lived", "cfg", "done-job")
    assert "short-lived" in [item.name for item in cache.report().items if item.running]
    world.services.endpoints.delete(SCOPE, "short-lived")
    assert "short-lived" not in [item.name for item in cache.report().items if item.running]
    world.services.objects.create_bucket("new-bucket", account_id=SCOPE.account_id)
    assert "new-bucket" in [item.name for item in cache.report().items]


def test_old_reports_refresh_in_the_background(world: World, counted: Counted) -> None:
    now = [100.0]
    cache = CachedLedger(world.services, clock=lambda: now[0])
    first = cache.report()
    counted.done.clear()
    now[0] += REFRESH_AFTER + 0.5
    assert cache.report() is first  # answered at once with what it had
    assert counted.done.wait(10)  # while the next one was computed
    for _ in range(100):
        if cache.report() is not first:
            break
        threading.Event().wait(0.01)
    assert cache.report() is not first


def test_very_old_reports_are_never_served(world: World, counted: Counted) -> None:
    now = [100.0]
    cache = CachedLedger(world.services, clock=lambda: now[0])
    first = cache.report()
    now[0] += MAX_AGE + 1
    assert cache.report() is not first
    assert counted.calls == 2


def test_invalidate_forces_a_fresh_report(world: World, counted: Counted) -> None:
    cache = CachedLedger(world.services, clock=lambda: 100.0)
    cache.report()
    cache.invalidate()
    cache.report()
    assert counted.calls == 2
