"""`tsukuru describe NAME`: one resource explained, or its raw Describe* response as JSON.

SageMaker names are only unique per kind, and the SDK habitually gives a job, its model and its
endpoint the same name, so by default every kind is looked up and the first match (training
job, endpoint, model, endpoint config) is shown, with a note naming the other kinds that also
matched. Rendering reads the same fields a user would read in the AWS console: status and the
secondary-status timeline, hyperparameters, input channels, final metrics, failure reason and
model artifact for a job; variants and their instances for an endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tsukuru.cli_client import PlatformClients, error_code, say
from tsukuru.cli_format import elapsed, local_time, styled_status
from tsukuru.cli_messages import text


class DescribeKind(StrEnum):
    auto = "auto"
    job = "job"
    endpoint = "endpoint"
    model = "model"
    endpoint_config = "endpoint-config"


_LOOKUPS: dict[DescribeKind, tuple[str, str]] = {
    DescribeKind.job: ("describe_training_job", "TrainingJobName"),
    DescribeKind.endpoint: ("describe_endpoint", "EndpointName"),
    DescribeKind.model: ("describe_model", "ModelName"),
    DescribeKind.endpoint_config: ("describe_endpoint_config", "EndpointConfigName"),
}

# What SageMaker (and tsukuru) answer for a name that does not exist for that kind.
_NOT_FOUND_CODES = frozenset({"ResourceNotFound", "ValidationException"})


@dataclass(frozen=True)
class Described:
    kind: DescribeKind
    response: dict[str, Any]


def _describe(clients: PlatformClients, kind: DescribeKind, name: str) -> dict[str, Any]:
    method, parameter = _LOOKUPS[kind]
    response: dict[str, Any] = getattr(clients.sagemaker, method)(**{parameter: name})
    return response


def find_resource(clients: PlatformClients, name: str, kind: DescribeKind) -> Described:
    """The resource called `name`; with `auto`, the first kind that has one (others noted).

    When no kind has it, the training-job lookup's own AWS error is raised, so the user sees
    exactly what the API said.
    """
    if kind is not DescribeKind.auto:
        return Described(kind, _describe(clients, kind, name))
    found: list[Described] = []
    first_error: ClientError | None = None
    for candidate in _LOOKUPS:
        try:
            found.append(Described(candidate, _describe(clients, candidate, name)))
        except ClientError as exc:
            if error_code(exc) not in _NOT_FOUND_CODES:
                raise
            first_error = first_error or exc
    if not found:
        assert first_error is not None
        raise first_error
    if len(found) > 1:
        others = " / ".join(text(f"kind_label_{d.kind.value}") for d in found[1:])
        say(text("also_found", name=name, kinds=others), stderr=True)
    return found[0]


def _fields(rows: list[tuple[str, str | None]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for label, value in rows:
        if value:
            grid.add_row(escape(text(label)), value)
    return grid


def _section(title_key: str, columns: list[str], rows: list[list[str]]) -> Table | None:
    if not rows:
        return None
    table = Table(title=text(title_key), title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(text(column), overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _title(key: str, name: str) -> Text:
    return Text(text(key, name=name), style="bold underline")


def _job(d: dict[str, Any]) -> list[RenderableType | None]:
    algorithm = d.get("AlgorithmSpecification", {})
    resources = d.get("ResourceConfig", {})
    start, end = d.get("TrainingStartTime"), d.get("TrainingEndTime")
    training = None
    if start is not None:
        training = f"{local_time(start)} → {local_time(end)} ({elapsed(start, end)})"
    instances = None
    if resources.get("InstanceType"):
        instances = f"{resources['InstanceType']} x {resources.get('InstanceCount', 1)}"
    failure = d.get("FailureReason")
    header = _fields(
        [
            ("field_arn", escape(d.get("TrainingJobArn", ""))),
            ("field_status", styled_status(d.get("TrainingJobStatus"))),
            ("field_secondary", escape(d.get("SecondaryStatus") or "")),
            ("field_created", local_time(d.get("CreationTime"))),
            ("field_training", training),
            ("field_billable", str(d.get("BillableTimeInSeconds", "") or "")),
            ("field_image", escape(algorithm.get("TrainingImage", ""))),
            ("field_instances", instances),
            ("field_role", escape(d.get("RoleArn", ""))),
            ("field_output", escape(d.get("OutputDataConfig", {}).get("S3OutputPath", ""))),
            ("field_artifact", escape(d.get("ModelArtifacts", {}).get("S3ModelArtifacts", ""))),
            ("field_failure", f"[red]{escape(failure)}[/red]" if failure else None),
        ]
    )
    timeline = [
        [
            styled_status(t.get("Status")),
            local_time(t.get("StartTime"), with_date=False),
            local_time(t.get("EndTime"), with_date=False),
            elapsed(t.get("StartTime"), t.get("EndTime")) if t.get("EndTime") else "-",
            escape(t.get("StatusMessage", "")),
        ]
        for t in d.get("SecondaryStatusTransitions", [])
    ]
    hyperparameters = [
        [escape(k), escape(v)] for k, v in sorted(d.get("HyperParameters", {}).items())
    ]
    channels = [_channel_row(c) for c in d.get("InputDataConfig", [])]
    metrics = [
        [escape(m["MetricName"]), f"{m['Value']:g}", local_time(m.get("Timestamp"))]
        for m in d.get("FinalMetricDataList", [])
    ]
    return [
        _title("title_job", d.get("TrainingJobName", "")),
        header,
        _section(
            "section_timeline",
            ["col_status", "col_start", "col_end", "col_duration", "col_message"],
            timeline,
        ),
        _section("section_hyperparameters", ["col_hyperparameter", "col_value"], hyperparameters),
        _section("section_channels", ["col_channel", "col_source", "col_content_type"], channels),
        _section("section_metrics", ["col_metric", "col_value", "col_time"], metrics),
    ]


def _channel_row(channel: dict[str, Any]) -> list[str]:
    source = channel.get("DataSource", {})
    uri = (
        source.get("S3DataSource", {}).get("S3Uri")
        or source.get("FileSystemDataSource", {}).get("DirectoryPath")
        or "-"
    )
    return [
        escape(channel.get("ChannelName", "")),
        escape(uri),
        escape(channel.get("ContentType", "-")),
    ]


def _config_variants(config: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not config:
        return {}
    return {v["VariantName"]: v for v in config.get("ProductionVariants", [])}


def _endpoint(d: dict[str, Any], config: dict[str, Any] | None) -> list[RenderableType | None]:
    failure = d.get("FailureReason")
    configured = _config_variants(config)
    variants = []
    for v in d.get("ProductionVariants", []):
        spec = configured.get(v["VariantName"], {})
        variants.append(
            [
                escape(v["VariantName"]),
                escape(spec.get("ModelName", "-")),
                escape(spec.get("InstanceType", "-")),
                f"{v.get('CurrentWeight', 0):g}",
                f"{v.get('CurrentInstanceCount', 0)}/{v.get('DesiredInstanceCount', 0)}",
            ]
        )
    return [
        _title("title_endpoint", d.get("EndpointName", "")),
        _fields(
            [
                ("field_arn", escape(d.get("EndpointArn", ""))),
                ("field_status", styled_status(d.get("EndpointStatus"))),
                ("field_config", escape(d.get("EndpointConfigName", ""))),
                ("field_created", local_time(d.get("CreationTime"))),
                ("field_modified", local_time(d.get("LastModifiedTime"))),
                ("field_failure", f"[red]{escape(failure)}[/red]" if failure else None),
            ]
        ),
        _section(
            "section_variants",
            ["col_variant", "col_model", "col_instance", "col_weight", "col_instances"],
            variants,
        ),
    ]


def _model(d: dict[str, Any]) -> list[RenderableType | None]:
    container = d.get("PrimaryContainer") or (d.get("Containers") or [{}])[0]
    environment = ", ".join(f"{k}={v}" for k, v in sorted(container.get("Environment", {}).items()))
    return [
        _title("title_model", d.get("ModelName", "")),
        _fields(
            [
                ("field_arn", escape(d.get("ModelArn", ""))),
                ("field_created", local_time(d.get("CreationTime"))),
                ("field_role", escape(d.get("ExecutionRoleArn", ""))),
                ("field_image", escape(container.get("Image", ""))),
                ("field_model_data", escape(container.get("ModelDataUrl", ""))),
                ("field_environment", escape(environment)),
            ]
        ),
    ]


def _endpoint_config(d: dict[str, Any]) -> list[RenderableType | None]:
    variants = [
        [
            escape(v["VariantName"]),
            escape(v.get("ModelName", "-")),
            escape(v.get("InstanceType", "-")),
            f"{v.get('InitialVariantWeight', 1.0):g}",
            str(v.get("InitialInstanceCount", "-")),
        ]
        for v in d.get("ProductionVariants", [])
    ]
    return [
        _title("title_endpoint_config", d.get("EndpointConfigName", "")),
        _fields(
            [
                ("field_arn", escape(d.get("EndpointConfigArn", ""))),
                ("field_created", local_time(d.get("CreationTime"))),
            ]
        ),
        _section(
            "section_variants",
            ["col_variant", "col_model", "col_instance", "col_weight", "col_instances"],
            variants,
        ),
    ]


def render(clients: PlatformClients, described: Described) -> Group:
    """A readable summary of `described` (fetches the endpoint's config for its variants)."""
    d = described.response
    if described.kind is DescribeKind.job:
        parts = _job(d)
    elif described.kind is DescribeKind.endpoint:
        config = None
        try:
            config = clients.sagemaker.describe_endpoint_config(
                EndpointConfigName=d["EndpointConfigName"]
            )
        except ClientError:  # the config may be deleted while the endpoint runs on
            config = None
        parts = _endpoint(d, config)
    elif described.kind is DescribeKind.model:
        parts = _model(d)
    else:
        parts = _endpoint_config(d)
    spaced: list[RenderableType] = []
    for part in parts:
        if part is not None:
            spaced.extend([part, Text("")])
    return Group(*spaced[:-1])
