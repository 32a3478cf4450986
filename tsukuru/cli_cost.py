"""`tsukuru cost` and `tsukuru cleanup`: what would this have cost on AWS, and stop it billing.

`cost` reads the platform's ledger (`GET /_tsukuru/cost`) and shows it the way the tutorial's
clean-up section thinks about money: what is running and billing by the hour, what is stored
and billing per GB-month, and what no longer bills (finished jobs, deleted endpoints) or never
did (models, endpoint configs). `cleanup` deletes endpoints and stops notebook instances — more
with `--include` — through the AWS API (`cli_cost_cleanup`), then says what it freed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape
from rich.table import Table

from tsukuru.cli_client import PlatformClients, fail, reporting_errors, say, show
from tsukuru.cli_cost_cleanup import (
    INCLUDABLE,
    Cleanup,
    Outcome,
    Plan,
    Target,
    parse_include,
    parse_older_than,
)
from tsukuru.cli_cost_messages import text
from tsukuru.cli_format import duration, local_time
from tsukuru.cli_messages import text as common_text
from tsukuru.config import Settings

SettingsFactory = Callable[[Path | None, int | None], Settings]
Item = dict[str, Any]

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Data folder (default: $TSUKURU_HOME or ~/.tsukuru).")
]
PortOpt = Annotated[
    int | None, typer.Option("--port", help="Gateway port (default: $TSUKURU_PORT or 4590).")
]
_FREE_KINDS = ("Model", "EndpointConfig")
_STORAGE_KINDS = ("Bucket", "LogGroup")


# --------------------------------------------------------------------------- the ledger


def fetch_ledger(settings: Settings) -> dict[str, Any]:
    """The platform's cost report; exits with a one-line reason when it cannot be had."""
    url = f"{settings.endpoint_url}/_tsukuru/cost"
    try:
        response = httpx.get(url, params={"region": settings.region}, timeout=60)
    except httpx.HTTPError as exc:
        raise fail(common_text("not_running", url=settings.endpoint_url)) from exc
    if response.status_code != 200:
        raise fail(text("ledger_failed", url=settings.endpoint_url, status=response.status_code))
    report: dict[str, Any] = response.json()
    return report


def money(value: float | None) -> str:
    """Dollars with as many decimals as a small amount needs: `$12.30`, `$0.0031`, `<$0.0001`."""
    if value is None:
        return text("no_price")
    if value == 0:
        return "$0"
    if abs(value) < 0.0001:
        return "<$0.0001"
    if abs(value) < 0.01:
        return f"${value:.4f}"
    return f"${value:,.2f}"


def unit_price(value: float) -> str:
    """A list price exactly as listed, at least to the cent: `$0.115`, `$0.023`, `$0.50`."""
    if value != 0 and round(value, 6) == 0:
        return money(value)
    shown = f"{value:.6f}".rstrip("0")
    decimals = max(2, len(shown.split(".")[1]))
    return f"${value:,.{decimals}f}"


def _size(num_bytes: int | None) -> str:
    value = float(num_bytes or 0)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover


def _price(item: Item) -> str:
    basis = item["price_basis"]
    if basis == "estimated":
        return text("price_estimated", based_on=item["based_on"])
    return text(f"price_{basis}")


def _rate(item: Item) -> str:
    rate = item["rate_usd"]
    if rate is None:
        return text("no_price")
    unit = item["unit"]
    if unit == "instance-hour":
        return text("per_hour", money=unit_price(rate * max(1, item["instance_count"])))
    if unit == "GB-month":
        return text("per_gb_month", money=unit_price(rate))
    return text("per_gb", money=unit_price(rate))


def _name(item: Item) -> str:
    part = f" / {item['part']}" if item.get("part") else ""
    return escape(item["name"] + part)


def _instances(item: Item) -> str:
    if not item.get("instance_type"):
        return "-"
    return f"{escape(item['instance_type'])} x {item['instance_count']}"


def _kind(item: Item) -> str:
    return text(f"kind_{item['kind']}")


def _started(item: Item) -> datetime | None:
    return datetime.fromisoformat(item["started"]) if item.get("started") else None


def compute_table(title: str, items: list[Item]) -> Table:
    table = Table(title=title, title_justify="left")
    for key in ("col_kind", "col_name", "col_instances", "col_status", "col_started"):
        table.add_column(text(key))
    for key in ("col_elapsed", "col_rate", "col_cost"):
        table.add_column(text(key), justify="right")
    table.add_column(text("col_price"))
    for item in items:
        table.add_row(
            _kind(item),
            _name(item),
            _instances(item),
            escape(item.get("status") or "-"),
            local_time(_started(item)),
            duration(item["elapsed_seconds"]),
            _rate(item),
            money(item["estimated_usd"]),
            escape(_price(item)),
        )
    return table


def storage_table(title: str, items: list[Item]) -> Table:
    table = Table(title=title, title_justify="left")
    for key in ("col_kind", "col_name"):
        table.add_column(text(key))
    for key in ("col_size", "col_age", "col_rate", "col_cost"):
        table.add_column(text(key), justify="right")
    table.add_column(text("col_price"))
    for item in items:
        table.add_row(
            _kind(item),
            _name(item),
            _size(item["stored_bytes"]),
            duration(item["elapsed_seconds"]),
            _rate(item),
            money(item["estimated_usd"]),
            escape(_price(item) + (f"; {item['note']}" if item.get("note") else "")),
        )
    return table


def show_report(report: dict[str, Any], show_all: bool) -> None:
    items: list[Item] = report["items"]
    running = [i for i in items if i["running"]]
    stored = [i for i in items if i["billable_now"] and not i["running"]]
    free = [i for i in items if i["kind"] in _FREE_KINDS]
    empty = [i for i in items if i["kind"] in _STORAGE_KINDS and not i["billable_now"]]
    stopped = [i for i in items if not i["billable_now"] and i not in free and i not in empty]
    if running:
        show(compute_table(text("section_running"), running))
    else:
        say(text("nothing_running"))
    if stored:
        show(storage_table(text("section_stored"), stored))
    if stopped:
        show(compute_table(text("section_stopped"), stopped))
    if show_all and (free or empty):
        show(compute_table(text("section_stopped"), free + empty))
    else:
        models = sum(1 for i in free if i["kind"] == "Model")
        if free:
            say(text("free_summary", models=models, configs=len(free) - models))
        if empty:
            say(text("empty_storage", count=len(empty)))
    _show_totals(report)


def _show_totals(report: dict[str, Any]) -> None:
    totals = report["totals"]
    say(
        text(
            "total",
            money=money(totals["estimated_usd"]),
            region=report["price_region"],
            currency=report["currency"],
        )
    )
    per_hour = sum(i["usd_per_hour"] or 0.0 for i in report["items"] if i["running"])
    if per_hour:
        say(text("billing_now", money=unit_price(per_hour), per_day=money(per_hour * 24)))
    if totals["unpriced"]:
        folder = report["pricing"]["override_folder"] or "<TSUKURU_HOME>/pricing"
        say(text("unpriced", count=totals["unpriced"], folder=folder))
    if any(item["price_basis"] == "estimated" for item in report["items"]):
        say(text("estimates"))
    for problem in report["pricing"]["problems"]:
        say(text("price_problem", problem=problem), stderr=True)


# --------------------------------------------------------------------------- cleanup


def plan_table(plan: Plan) -> Table:
    table = Table()
    for key in ("col_action", "col_kind", "col_name", "col_created"):
        table.add_column(text(key))
    table.add_column(text("col_frees"), justify="right")
    for target in plan.targets:
        if target.stored_bytes is not None:
            frees = _size(target.stored_bytes)
        elif target.usd_per_hour:
            frees = text("per_hour", money=unit_price(target.usd_per_hour))
        else:
            frees = "-"
        table.add_row(
            text(f"action_{target.action}"),
            text(f"kind_{target.kind}"),
            escape(target.name),
            local_time(target.created),
            frees,
        )
    return table


def attach_costs(plan: Plan, report: dict[str, Any] | None) -> None:
    """Fill in what each target bills now (and holds), from the ledger's billing lines."""
    if report is None:
        return
    for target in plan.targets:
        lines = [
            item
            for item in report["items"]
            if item["kind"] == target.kind and item["name"] == target.name
        ]
        billing = [item for item in lines if item["billable_now"]]
        target.usd_per_hour = sum(item["usd_per_hour"] or 0.0 for item in billing) or None
        if target.kind in ("Bucket", "LogGroup") and lines:
            target.stored_bytes = int(lines[0]["stored_bytes"] or 0)


def _ledger_or_none(settings: Settings) -> dict[str, Any] | None:
    try:
        return fetch_ledger(settings)
    except typer.Exit:
        say(text("ledger_unavailable", detail=settings.endpoint_url), stderr=True)
        return None


def freed_summary(outcome: Outcome) -> list[str]:
    if not outcome.done:
        return [text("freed_nothing")]
    parts = []
    for action, key in (("delete", "freed_deleted"), ("stop", "freed_stopped")):
        kinds: dict[str, int] = {}
        for target in outcome.done:
            if target.action == action:
                kinds[target.kind] = kinds.get(target.kind, 0) + 1
        counts = [text("freed_count", count=n, kind=text(f"kind_{k}")) for k, n in kinds.items()]
        if counts:
            parts.append(text(key, items=", ".join(counts)))
    if outcome.objects_deleted:
        parts.append(
            text("freed_bytes", size=_size(outcome.bytes_deleted), objects=outcome.objects_deleted)
        )
    log_bytes = sum(t.stored_bytes or 0 for t in outcome.done if t.kind == "LogGroup")
    if log_bytes:
        parts.append(text("freed_log_bytes", size=_size(log_bytes)))
    lines = [text("freed", what=", ".join(parts))]
    if outcome.usd_per_hour_stopped:
        lines.append(text("freed_hourly", money=unit_price(outcome.usd_per_hour_stopped)))
    return lines


class CostCommands:
    def __init__(self, settings_for: SettingsFactory) -> None:
        self._settings_for = settings_for

    def cost(
        self,
        as_json: Annotated[bool, typer.Option("--json", help=text("help_cost_json"))] = False,
        show_all: Annotated[bool, typer.Option("--all", help=text("help_cost_all"))] = False,
        home: HomeOpt = None,
        port: PortOpt = None,
    ) -> None:
        report = fetch_ledger(self._settings_for(home, port))
        if as_json:
            typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
            return
        show_report(report, show_all)

    def cleanup(
        self,
        dry_run: Annotated[bool, typer.Option("--dry-run", help=text("help_dry_run"))] = False,
        yes: Annotated[bool, typer.Option("--yes", "-y", help=text("help_yes"))] = False,
        older_than: Annotated[
            str | None, typer.Option("--older-than", help=text("help_older_than"))
        ] = None,
        include: Annotated[str | None, typer.Option("--include", help=text("help_include"))] = None,
        home: HomeOpt = None,
        port: PortOpt = None,
    ) -> None:
        try:
            age = parse_older_than(older_than)
        except ValueError:
            raise fail(text("bad_older_than", value=older_than), code=2) from None
        try:
            kinds = parse_include(include)
        except ValueError:
            raise fail(
                text("bad_include", choices=", ".join(INCLUDABLE), value=include), 2
            ) from None
        settings = self._settings_for(home, port)
        cleanup = Cleanup(PlatformClients(settings), kinds, age)
        with reporting_errors(settings):
            plan = cleanup.plan()
        attach_costs(plan, _ledger_or_none(settings))
        self._show_plan(plan)
        if not plan.targets or dry_run:
            if dry_run and plan.targets:
                say(text("dry_run"))
            return
        if not yes:
            typer.confirm(text("confirm", count=len(plan.targets)), abort=True)
        with reporting_errors(settings):
            outcome = cleanup.execute(plan.targets, _failure_line)
        for failure in outcome.failures:
            say(failure, stderr=True)
        for line in freed_summary(outcome):
            say(line)
        if outcome.failures:
            raise typer.Exit(1)

    @staticmethod
    def _show_plan(plan: Plan) -> None:
        if plan.targets:
            show(plan_table(plan))
        else:
            say(text("nothing_to_clean"))
        if plan.kept:
            what = ", ".join(text(f"kept_{kind}", count=n) for kind, n in plan.kept.items())
            say(text("kept", what=what))


def _failure_line(target: Target, detail: str) -> str:
    return text(
        "failed_one",
        action=text(f"action_{target.action}"),
        kind=text(f"kind_{target.kind}"),
        name=target.name,
        detail=detail,
    )


def register_cost_commands(app: typer.Typer, settings_for: SettingsFactory) -> None:
    """Add `cost` and `cleanup` to `app`; `settings_for(home, port)` resolves the platform."""
    commands = CostCommands(settings_for)
    app.command("cost", help=text("help_cost"))(commands.cost)
    app.command("cleanup", help=text("help_cleanup"))(commands.cleanup)
