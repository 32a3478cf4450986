"""The everyday commands over a running platform: `ls`, `describe`, `logs`, `invoke`.

They are plain AWS clients of the platform (botocore, the same wire path boto3 uses), so what
they show is exactly what the API says. `register_resource_commands` adds them to the main
Typer app; the settings come from the app's own `--home/--port` resolution so every command
finds the platform the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from tsukuru.cli_client import (
    PlatformClients,
    fail,
    reporting_errors,
    say,
    show,
    without_metadata,
)
from tsukuru.cli_describe import DescribeKind, find_resource, render
from tsukuru.cli_format import elapsed, to_json
from tsukuru.cli_listing import Kind, fetch_listing, listing_table
from tsukuru.cli_logs import JobLogReader, LogLine, follow, format_line
from tsukuru.cli_messages import text
from tsukuru.config import Settings

SettingsFactory = Callable[[Path | None, int | None], Settings]

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Data folder (default: $TSUKURU_HOME or ~/.tsukuru).")
]
PortOpt = Annotated[
    int | None, typer.Option("--port", help="Gateway port (default: $TSUKURU_PORT or 4590).")
]


def _final_status_line(job: str, description: dict[str, Any]) -> str:
    status = description.get("TrainingJobStatus", "")
    end = description.get("TrainingEndTime") or description.get("LastModifiedTime")
    took = elapsed(description.get("CreationTime"), end)
    reason = description.get("FailureReason")
    if reason:
        return text("final_status_reason", job=job, status=status, duration=took, reason=reason)
    return text("final_status", job=job, status=status, duration=took)


def _read_body(file: str | None, body: str | None) -> bytes:
    if file is not None and body is not None:
        raise fail(text("body_twice"), code=2)
    if body is not None:
        return body.encode("utf-8")
    if file is None:
        raise fail(text("body_required"), code=2)
    if file == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(file).read_bytes()
    except OSError as exc:
        raise fail(text("file_unreadable", path=file, detail=exc.strerror or exc), code=2) from exc


def _write_body(payload: bytes) -> None:
    stream = sys.stdout.buffer
    stream.write(payload)
    if payload and not payload.endswith(b"\n") and sys.stdout.isatty():
        stream.write(b"\n")
    stream.flush()


def _print_logs(
    clients: PlatformClients, job: str, *, keep_following: bool, timestamps: bool
) -> None:
    """Print the job's log lines; when following, until it ends (exit 1 if it Failed)."""
    reader = JobLogReader(clients.logs, job)

    def emit(line: LogLine) -> None:
        typer.echo(format_line(line, with_stream=reader.stream_count > 1, with_time=timestamps))

    def describe_job() -> dict[str, Any]:
        response: dict[str, Any] = clients.sagemaker.describe_training_job(TrainingJobName=job)
        return response

    if not keep_following:
        describe_job()  # an unknown job is an error, not an empty log
        lines = reader.read_new()
        for line in lines:
            emit(line)
        if not lines:
            say(text("no_logs_yet", job=job), stderr=True)
        return
    try:
        final = follow(reader, describe_job, emit)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    status_line = _final_status_line(job, final)
    if final.get("TrainingJobStatus") == "Failed":
        raise fail(status_line)
    say(status_line)


class ResourceCommands:
    """The commands, bound to how the main app resolves `--home/--port` into Settings."""

    def __init__(self, settings_for: SettingsFactory) -> None:
        self._settings_for = settings_for

    def ls(
        self,
        kind: Annotated[Kind, typer.Argument(help=text("help_ls_kind"))],
        status: Annotated[str | None, typer.Option("--status", help=text("help_status"))] = None,
        name_contains: Annotated[
            str | None, typer.Option("--name-contains", help=text("help_name_contains"))
        ] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help=text("help_limit"))] = 50,
        home: HomeOpt = None,
        port: PortOpt = None,
    ) -> None:
        settings = self._settings_for(home, port)
        with reporting_errors(settings):
            listing = fetch_listing(PlatformClients(settings), kind, status, name_contains, limit)
        if not listing.rows:
            say(text("empty_listing", kind=kind.label))
            return
        show(listing_table(listing))
        if listing.more:
            say(text("more_available", count=len(listing.rows)), stderr=True)

    def describe(
        self,
        name: Annotated[str, typer.Argument(help=text("help_describe_name"))],
        as_json: Annotated[bool, typer.Option("--json", help=text("help_json"))] = False,
        kind: Annotated[
            DescribeKind, typer.Option("--kind", help=text("help_kind"))
        ] = DescribeKind.auto,
        home: HomeOpt = None,
        port: PortOpt = None,
    ) -> None:
        settings = self._settings_for(home, port)
        clients = PlatformClients(settings)
        with reporting_errors(settings):
            described = find_resource(clients, name, kind)
            if as_json:
                typer.echo(to_json(without_metadata(described.response)))
                return
            summary = render(clients, described)
        show(summary)

    def logs(
        self,
        job: Annotated[str, typer.Argument(help=text("help_logs_job"))],
        follow_job: Annotated[
            bool, typer.Option("--follow", "-f", help=text("help_follow"))
        ] = False,
        timestamps: Annotated[
            bool, typer.Option("--timestamps", "-t", help=text("help_timestamps"))
        ] = False,
        home: HomeOpt = None,
        port: PortOpt = None,
    ) -> None:
        settings = self._settings_for(home, port)
        with reporting_errors(settings):
            _print_logs(
                PlatformClients(settings), job, keep_following=follow_job, timestamps=timestamps
            )

    def invoke(
        self,
        endpoint: Annotated[str, typer.Argument(help=text("help_invoke_endpoint"))],
        file: Annotated[str | None, typer.Option("--file", help=text("help_file"))] = None,
        body: Annotated[str | None, typer.Option("--body", help=text("help_body"))] = None,
        content_type: Annotated[
            str, typer.Option("--content-type", help=text("help_content_type"))
        ] = "text/csv",
        accept: Annotated[str | None, typer.Option("--accept", help=text("help_accept"))] = None,
        variant: Annotated[str | None, typer.Option("--variant", help=text("help_variant"))] = None,
        home: HomeOpt = None,
        port: PortOpt = None,
    ) -> None:
        settings = self._settings_for(home, port)
        params: dict[str, Any] = {
            "EndpointName": endpoint,
            "Body": _read_body(file, body),
            "ContentType": content_type,
        }
        if accept:
            params["Accept"] = accept
        if variant:
            params["TargetVariant"] = variant
        with reporting_errors(settings):
            response = PlatformClients(settings).runtime.invoke_endpoint(**params)
            answer = response["Body"].read()
        _write_body(answer)
        say(
            text(
                "invoked_variant",
                variant=response.get("InvokedProductionVariant", "-"),
                content_type=response.get("ContentType", "-"),
            ),
            stderr=True,
        )


def register_resource_commands(app: typer.Typer, settings_for: SettingsFactory) -> None:
    """Add `ls`, `describe`, `logs` and `invoke` to `app`; `settings_for(home, port)`."""
    commands = ResourceCommands(settings_for)
    app.command("ls", help=text("help_ls"))(commands.ls)
    app.command("describe", help=text("help_describe"))(commands.describe)
    app.command("logs", help=text("help_logs"))(commands.logs)
    app.command("invoke", help=text("help_invoke"))(commands.invoke)
