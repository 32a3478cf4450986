"""What `tsukuru cleanup` deletes or stops, found and done through the public AWS API.

Cleanup is an ordinary AWS client of the platform (botocore, List* then Delete*/Stop*), the same
calls a user would make from a notebook, so it frees exactly what the API says exists. By
default it does what the tutorial's clean-up section asks — delete every endpoint, stop every
notebook instance — because those are what bill by the hour; models, endpoint configs, buckets
and log groups are deleted only when named with `--include`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import ClientError

from tsukuru.cli_client import PlatformClients, error_code, error_message

INCLUDABLE = ("models", "configs", "buckets", "logs")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_NOT_SERVED = ("NotImplementedException", "UnknownOperationException", "InvalidAction")
_STOPPABLE_NOTEBOOKS = ("InService", "Pending")


def parse_older_than(value: str | None) -> timedelta | None:
    """`90s`, `30m`, `2h`, `1.5d`, `1w` → a timedelta; ValueError otherwise."""
    if value is None:
        return None
    match = _DURATION.match(value.lower())
    if match is None:
        raise ValueError(value)
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def parse_include(value: str | None) -> set[str]:
    """`models,configs` → {"models", "configs"}; `all` means every kind; ValueError otherwise."""
    if not value:
        return set()
    wanted = {part.strip().lower() for part in value.split(",") if part.strip()}
    if "all" in wanted:
        return set(INCLUDABLE)
    if not wanted or not wanted <= set(INCLUDABLE):
        raise ValueError(value)
    return wanted


@dataclass
class Target:
    """One thing to stop or delete; `kind` uses the ledger's kind names."""

    action: Literal["delete", "stop"]
    kind: str
    name: str
    created: datetime | None
    usd_per_hour: float | None = None  # what it bills now (from the ledger), if known
    stored_bytes: int | None = None


@dataclass
class Plan:
    targets: list[Target] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)  # includable kind → count left alone


@dataclass
class Outcome:
    done: list[Target] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    objects_deleted: int = 0
    bytes_deleted: int = 0

    @property
    def usd_per_hour_stopped(self) -> float:
        return sum(target.usd_per_hour or 0.0 for target in self.done)


class Cleanup:
    def __init__(
        self, clients: PlatformClients, include: set[str], older_than: timedelta | None
    ) -> None:
        self._clients = clients
        self._include = include
        self._cutoff = datetime.now(UTC) - older_than if older_than is not None else None

    # ------------------------------------------------------------------ planning

    def plan(self) -> Plan:
        plan = Plan()
        sm = self._clients.sagemaker
        try:
            for notebook in _pages(sm, "list_notebook_instances", "NotebookInstances"):
                if notebook.get("NotebookInstanceStatus") in _STOPPABLE_NOTEBOOKS:
                    self._add(plan, "stop", "NotebookInstance", notebook, "NotebookInstanceName")
        except ClientError as exc:
            if error_code(exc) not in _NOT_SERVED:  # no notebook instances on this platform
                raise
        for endpoint in _pages(sm, "list_endpoints", "Endpoints"):
            if endpoint.get("EndpointStatus") != "Deleting":
                self._add(plan, "delete", "Endpoint", endpoint, "EndpointName")
        configs = _pages(sm, "list_endpoint_configs", "EndpointConfigs")
        self._optional(plan, "configs", "EndpointConfig", "EndpointConfigName", configs)
        self._optional(plan, "models", "Model", "ModelName", _pages(sm, "list_models", "Models"))
        buckets = self._clients.s3.list_buckets().get("Buckets", [])
        self._optional(plan, "buckets", "Bucket", "Name", iter(buckets), created_key="CreationDate")
        groups = (
            {**group, "creationTime": _from_ms(group.get("creationTime"))}
            for group in _pages(self._clients.logs, "describe_log_groups", "logGroups")
        )
        self._optional(plan, "logs", "LogGroup", "logGroupName", groups, "creationTime")
        return plan

    def _optional(
        self,
        plan: Plan,
        include_name: str,
        kind: str,
        name_key: str,
        summaries: Iterator[dict[str, Any]],
        created_key: str = "CreationTime",
    ) -> None:
        count = 0
        for summary in summaries:
            if include_name in self._include:
                self._add(plan, "delete", kind, summary, name_key, created_key)
            elif self._old_enough(summary.get(created_key)):
                count += 1
        if include_name not in self._include and count:
            plan.kept[include_name] = count

    def _add(
        self,
        plan: Plan,
        action: Literal["delete", "stop"],
        kind: str,
        summary: dict[str, Any],
        name_key: str,
        created_key: str = "CreationTime",
    ) -> None:
        created = summary.get(created_key)
        if self._old_enough(created):
            plan.targets.append(Target(action, kind, str(summary[name_key]), created))

    def _old_enough(self, created: datetime | None) -> bool:
        return self._cutoff is None or (created is not None and created < self._cutoff)

    # ------------------------------------------------------------------ doing

    def execute(
        self, targets: list[Target], describe_failure: Callable[[Target, str], str]
    ) -> Outcome:
        outcome = Outcome()
        for target in targets:
            try:
                self._apply(target, outcome)
            except ClientError as exc:
                detail = f"{error_code(exc)}: {error_message(exc)}"
                outcome.failures.append(describe_failure(target, detail))
                continue
            outcome.done.append(target)
        return outcome

    def _apply(self, target: Target, outcome: Outcome) -> None:
        sm = self._clients.sagemaker
        if target.kind == "NotebookInstance":
            sm.stop_notebook_instance(NotebookInstanceName=target.name)
        elif target.kind == "Endpoint":
            sm.delete_endpoint(EndpointName=target.name)
        elif target.kind == "EndpointConfig":
            sm.delete_endpoint_config(EndpointConfigName=target.name)
        elif target.kind == "Model":
            sm.delete_model(ModelName=target.name)
        elif target.kind == "Bucket":
            self._empty_bucket(target.name, outcome)
            self._clients.s3.delete_bucket(Bucket=target.name)
        elif target.kind == "LogGroup":
            self._clients.logs.delete_log_group(logGroupName=target.name)
        else:  # pragma: no cover - the planner only makes the kinds above
            raise ValueError(target.kind)

    def _empty_bucket(self, bucket: str, outcome: Outcome) -> None:
        s3 = self._clients.s3
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            contents = page.get("Contents", [])
            if not contents:
                continue
            keys = [{"Key": obj["Key"]} for obj in contents]
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            failed = {error["Key"] for error in answer.get("Errors", [])}
            for obj in contents:
                if obj["Key"] not in failed:
                    outcome.objects_deleted += 1
                    outcome.bytes_deleted += int(obj.get("Size", 0))
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
            for upload in page.get("Uploads", []):
                s3.abort_multipart_upload(
                    Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )


def _pages(client: Any, operation: str, key: str) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate():
        yield from page.get(key, [])


def _from_ms(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, UTC) if value is not None else None
