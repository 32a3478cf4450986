"""`tsukuru ls KIND`: one Rich table per resource kind, newest first, over the public API.

Each kind is a small table of facts (which List operation, which response key, which columns,
how a summary becomes a row), so adding a kind is adding an entry. Paging follows NextToken
until `--limit` rows are collected; filters are sent to the server (NameContains, StatusEquals)
except for buckets, which S3 cannot filter that way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError
from rich.markup import escape
from rich.table import Table

from tsukuru.cli_client import PlatformClients, fail
from tsukuru.cli_format import TERMINAL_JOB_STATUSES, elapsed, local_time, styled_status
from tsukuru.cli_messages import text

_PAGE_SIZE = 100


class Kind(StrEnum):
    jobs = "jobs"
    endpoints = "endpoints"
    models = "models"
    endpoint_configs = "endpoint-configs"
    buckets = "buckets"
    transforms = "transforms"

    @property
    def label(self) -> str:
        return text(f"kind_{self.name}")


@dataclass(frozen=True)
class Listing:
    columns: list[str]
    rows: list[list[str]]
    more: bool


def _job_row(summary: dict[str, Any]) -> list[str]:
    status = summary.get("TrainingJobStatus")
    end = summary.get("TrainingEndTime")
    if end is None and status in TERMINAL_JOB_STATUSES:
        end = summary.get("LastModifiedTime")
    return [
        escape(summary["TrainingJobName"]),
        styled_status(status),
        escape(summary.get("SecondaryStatus") or "-"),
        local_time(summary.get("CreationTime")),
        elapsed(summary.get("CreationTime"), end),
    ]


def _transform_row(summary: dict[str, Any]) -> list[str]:
    status = summary.get("TransformJobStatus")
    end = summary.get("TransformEndTime")
    if end is None and status in TERMINAL_JOB_STATUSES:
        end = summary.get("LastModifiedTime")
    return [
        escape(summary["TransformJobName"]),
        styled_status(status),
        local_time(summary.get("CreationTime")),
        elapsed(summary.get("CreationTime"), end),
    ]


def _named_row(name_key: str, arn_key: str) -> Callable[[dict[str, Any]], list[str]]:
    def row(summary: dict[str, Any]) -> list[str]:
        return [
            escape(summary[name_key]),
            local_time(summary.get("CreationTime")),
            escape(summary.get(arn_key, "-")),
        ]

    return row


@dataclass(frozen=True)
class _SageMakerKind:
    method: str
    operation: str
    result_key: str
    columns: tuple[str, ...]
    row: Callable[[dict[str, Any]], list[str]] | None  # None: needs more than the summary
    has_status: bool


_SAGEMAKER_KINDS: dict[Kind, _SageMakerKind] = {
    Kind.jobs: _SageMakerKind(
        "list_training_jobs",
        "ListTrainingJobs",
        "TrainingJobSummaries",
        ("col_name", "col_status", "col_secondary", "col_created", "col_duration"),
        _job_row,
        has_status=True,
    ),
    Kind.transforms: _SageMakerKind(
        "list_transform_jobs",
        "ListTransformJobs",
        "TransformJobSummaries",
        ("col_name", "col_status", "col_created", "col_duration"),
        _transform_row,
        has_status=True,
    ),
    Kind.endpoints: _SageMakerKind(
        "list_endpoints",
        "ListEndpoints",
        "Endpoints",
        ("col_name", "col_status", "col_variants", "col_created", "col_modified"),
        None,  # _endpoint_rows: the variants need a DescribeEndpoint per endpoint
        has_status=True,
    ),
    Kind.models: _SageMakerKind(
        "list_models",
        "ListModels",
        "Models",
        ("col_name", "col_created", "col_arn"),
        _named_row("ModelName", "ModelArn"),
        has_status=False,
    ),
    Kind.endpoint_configs: _SageMakerKind(
        "list_endpoint_configs",
        "ListEndpointConfigs",
        "EndpointConfigs",
        ("col_name", "col_created", "col_arn"),
        _named_row("EndpointConfigName", "EndpointConfigArn"),
        has_status=False,
    ),
}


def status_choices(clients: PlatformClients, operation: str) -> list[str]:
    """The StatusEquals values botocore's model allows for `operation`."""
    shape = clients.sagemaker.meta.service_model.operation_model(operation).input_shape
    member = shape.members.get("StatusEquals")
    return list(member.enum) if member is not None else []


def _normalized_status(clients: PlatformClients, kind: Kind, status: str) -> str:
    choices = status_choices(clients, _SAGEMAKER_KINDS[kind].operation)
    for choice in choices:
        if choice.lower() == status.lower():
            return choice
    raise fail(
        text("unknown_status", status=status, kind=kind.label, choices=", ".join(choices)),
        code=2,
    )


def _sagemaker_summaries(
    clients: PlatformClients,
    kind: Kind,
    status: str | None,
    name_contains: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], bool]:
    spec = _SAGEMAKER_KINDS[kind]
    params: dict[str, Any] = {"SortBy": "CreationTime", "SortOrder": "Descending"}
    if name_contains:
        params["NameContains"] = name_contains
    if status:
        params["StatusEquals"] = _normalized_status(clients, kind, status)
    call = getattr(clients.sagemaker, spec.method)
    summaries: list[dict[str, Any]] = []
    while True:
        page = call(MaxResults=min(_PAGE_SIZE, limit - len(summaries)), **params)
        summaries.extend(page.get(spec.result_key, []))
        token = page.get("NextToken")
        if not token or len(summaries) >= limit:
            return summaries[:limit], bool(token) or len(summaries) > limit
        params["NextToken"] = token


def _variants(clients: PlatformClients, endpoint_name: str) -> str:
    try:
        described = clients.sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except ClientError:  # deleted between List and Describe
        return "-"
    parts = [
        f"{v['VariantName']} ({v.get('CurrentInstanceCount', 0)}/"
        f"{v.get('DesiredInstanceCount', 0)})"
        for v in described.get("ProductionVariants", [])
    ]
    return escape(", ".join(parts) or "-")


def _endpoint_rows(clients: PlatformClients, summaries: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            escape(s["EndpointName"]),
            styled_status(s.get("EndpointStatus")),
            _variants(clients, s["EndpointName"]),
            local_time(s.get("CreationTime")),
            local_time(s.get("LastModifiedTime")),
        ]
        for s in summaries
    ]


def _bucket_listing(clients: PlatformClients, name_contains: str | None, limit: int) -> Listing:
    buckets = clients.s3.list_buckets().get("Buckets", [])
    if name_contains:
        buckets = [b for b in buckets if name_contains in b["Name"]]
    buckets.sort(key=lambda b: (b.get("CreationDate") is not None, b.get("CreationDate")))
    buckets.reverse()
    rows = [[escape(b["Name"]), local_time(b.get("CreationDate"))] for b in buckets[:limit]]
    return Listing([text("col_name"), text("col_created")], rows, more=len(buckets) > limit)


def fetch_listing(
    clients: PlatformClients,
    kind: Kind,
    status: str | None,
    name_contains: str | None,
    limit: int,
) -> Listing:
    """The rows `tsukuru ls KIND` shows (Rich markup in cells), newest first."""
    if kind is Kind.buckets:
        if status:
            raise fail(text("status_not_supported", kind=kind.label), code=2)
        return _bucket_listing(clients, name_contains, limit)
    spec = _SAGEMAKER_KINDS[kind]
    if status and not spec.has_status:
        raise fail(text("status_not_supported", kind=kind.label), code=2)
    summaries, more = _sagemaker_summaries(clients, kind, status, name_contains, limit)
    if spec.row is None:
        rows = _endpoint_rows(clients, summaries)
    else:
        rows = [spec.row(summary) for summary in summaries]
    return Listing([text(c) for c in spec.columns], rows, more)


def listing_table(listing: Listing) -> Table:
    table = Table(header_style="bold")
    last = len(listing.columns) - 1
    for index, column in enumerate(listing.columns):  # only the last column may wrap
        table.add_column(column, overflow="fold", no_wrap=index < last)
    for row in listing.rows:
        table.add_row(*row)
    return table
