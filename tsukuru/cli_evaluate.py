"""`tsukuru evaluate`: how good is a model, on labelled data, from the command line.

Predictions come from exactly one of a deployed endpoint, a batch-transform output or a
model.tar.gz evaluated in-process; the command prints the metrics as a table and writes the
HTML report (plus PNGs and metrics.json) to a folder and, if asked, to S3. It talks to the
platform named by --home/--port (as `tsukuru env` does), else to AWS_ENDPOINT_URL, else to the
default local platform; --aws uses the AWS configuration untouched.

The evaluation package (scikit-learn, matplotlib) is imported only when the command runs, so
the rest of the CLI starts as fast as before.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from tsukuru.evaluation import AwsOptions, EvaluationResult

console = Console()
err = Console(stderr=True)


def _aws_options(home: Path | None, port: int | None, use_aws: bool) -> AwsOptions:
    from tsukuru.config import load_settings
    from tsukuru.evaluation import AwsOptions

    if use_aws or (home is None and port is None and os.environ.get("AWS_ENDPOINT_URL")):
        return AwsOptions()
    try:
        settings = load_settings(home=home, port=port)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    return AwsOptions(
        endpoint_url=settings.endpoint_url,
        region=settings.region,
        access_key_id=settings.access_key_id,
        secret_access_key=settings.secret_access_key,
    )


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for the rows sent to an endpoint; gone when done."""
    with Progress(
        TextColumn("Invoking endpoint"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("rows", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _default_out(name: str) -> Path:
    stem = re.sub(r"(\.tar\.gz|\.out|\.csv|\.json)$", "", name)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") or "evaluation"
    return Path("evaluation") / f"{slug}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"


def _print_result(result: EvaluationResult, page: Path, uploaded: list[str]) -> None:
    from tsukuru.evaluation.summary import data_rows, metric_rows

    summary = Table(show_header=False, box=None, title=result.title, title_justify="left")
    for name, value in data_rows(result):
        summary.add_row(f"[dim]{name}[/dim]", value)
    console.print(summary)
    table = Table(show_lines=False)
    table.add_column("Metric", style="bold")
    table.add_column("Value", justify="right")
    table.add_column("Meaning", style="dim")
    for row in metric_rows(result):
        table.add_row(row.name, row.value, row.meaning)
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    console.print(f"Report: [bold]{page}[/bold]")
    for uri in uploaded:
        console.print(f"Uploaded: {uri}")


def evaluate_command(
    data: Annotated[
        str, typer.Option("--data", help="Labelled CSV: a local path or s3://bucket/key.")
    ],
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", help="Predict with this deployed endpoint.")
    ] = None,
    predictions: Annotated[
        str | None,
        typer.Option("--predictions", help="A batch-transform output (<input>.out), local or S3."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="An XGBoost model.tar.gz (or folder), local or S3."),
    ] = None,
    label_column: Annotated[
        str, typer.Option("--label-column", help="Label column: index (0 = first) or name.")
    ] = "0",
    header: Annotated[
        bool, typer.Option("--header/--no-header", help="The CSV's first row is a header.")
    ] = False,
    delimiter: Annotated[str, typer.Option("--delimiter", help="CSV field delimiter.")] = ",",
    threshold: Annotated[
        str,
        typer.Option("--threshold", help="Binary threshold: a number, 'f1' or 'youden'."),
    ] = "0.5",
    kind: Annotated[
        str, typer.Option("--kind", help="auto, binary, regression or multiclass.")
    ] = "auto",
    prediction_column: Annotated[
        int | None,
        typer.Option("--prediction-column", help="CSV column of the prediction in --predictions."),
    ] = None,
    content_type: Annotated[
        str, typer.Option("--content-type", help="Request Content-Type for --endpoint.")
    ] = "text/csv",
    accept: Annotated[
        str, typer.Option("--accept", help="Request Accept for --endpoint.")
    ] = "text/csv",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Report folder (default: ./evaluation/<source>-<time>)."),
    ] = None,
    s3_output: Annotated[
        str | None,
        typer.Option("--s3-output", help="Also upload the report to s3://bucket/prefix."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print metrics.json instead of the table.")
    ] = False,
    use_aws: Annotated[
        bool, typer.Option("--aws", help="Use your AWS configuration, not a tsukuru platform.")
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option("--home", help="Platform data folder (default: $TSUKURU_HOME)."),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Platform gateway port (default: $TSUKURU_PORT).")
    ] = None,
) -> None:
    """Evaluate predictions against labelled data: metrics table, HTML report, PNGs, JSON."""
    chosen = [
        name
        for name, value in (
            ("--endpoint", endpoint),
            ("--predictions", predictions),
            ("--model", model),
        )
        if value
    ]
    if len(chosen) != 1:
        err.print("[red]error:[/red] give exactly one of --endpoint, --predictions or --model.")
        raise typer.Exit(2)
    from botocore.exceptions import BotoCoreError, ClientError

    from tsukuru import evaluation as ev
    from tsukuru.evaluation.aws import location_name

    try:
        cut = ev.parse_threshold(threshold)
        options = _aws_options(home, port, use_aws)
        if endpoint:
            with _progress() as report_progress:
                result = ev.evaluate_endpoint(
                    data,
                    endpoint,
                    label_column=label_column,
                    header=header,
                    delimiter=delimiter,
                    threshold=cut,
                    kind=kind,
                    options=options,
                    content_type=content_type,
                    accept=accept or None,
                    progress=report_progress,
                )
            name = endpoint
        elif model:
            result = ev.evaluate_model(
                data,
                model,
                label_column=label_column,
                header=header,
                delimiter=delimiter,
                threshold=cut,
                kind=kind,
                options=options,
            )
            name = location_name(model)
        else:
            assert predictions is not None
            result = ev.evaluate_predictions(
                data,
                predictions,
                label_column=label_column,
                header=header,
                delimiter=delimiter,
                threshold=cut,
                kind=kind,
                prediction_column=prediction_column,
                options=options,
            )
            name = location_name(predictions)
        page = ev.write_report(result, out or _default_out(name))
        uploaded = ev.upload_report(page.parent, s3_output, options=options) if s3_output else []
    except (ValueError, OSError, ClientError, BotoCoreError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        document = json.loads(ev.metrics_json(result))
        document["report"] = str(page)
        document["uploaded"] = uploaded
        typer.echo(json.dumps(document, indent=2))
    else:
        _print_result(result, page, uploaded)
