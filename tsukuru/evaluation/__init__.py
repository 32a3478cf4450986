"""Model evaluation: metrics, figures and a one-file HTML report, from any prediction source.

The whole loop ends with "how good is the model?": this package answers it for the labelled
test data a user holds, whether the predictions come from a deployed endpoint, a batch-transform
output, a model.tar.gz evaluated in-process, or arrays in a notebook:

    from tsukuru.evaluation import evaluate_endpoint, write_report
    result = evaluate_endpoint("test.csv", "bank-xgb", threshold="f1")
    print(result.metrics.roc_auc)
    write_report(result, "report/")

It depends on numpy, scikit-learn, matplotlib, Jinja2 and botocore, and on the platform's
runtime only to load XGBoost models the way the model server does; it never touches the
platform's internals, so it works against AWS just as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tsukuru.evaluation.aws import AwsOptions, is_s3_uri, make_client
from tsukuru.evaluation.data import LabelledData, parse_labelled_csv, read_labelled_csv
from tsukuru.evaluation.metrics import (
    BinaryReport,
    Kind,
    MulticlassReport,
    RegressionReport,
    Threshold,
    binary_metrics,
    detect_kind,
    multiclass_metrics,
    parse_threshold,
    regression_metrics,
)
from tsukuru.evaluation.report import metrics_json, upload_report, write_report
from tsukuru.evaluation.result import EvaluationResult, evaluate
from tsukuru.evaluation.sources import (
    MAX_PAYLOAD_BYTES,
    Predictions,
    Progress,
    SourceError,
    predict_endpoint,
    predict_model,
    read_batch_output,
)

__all__ = [
    "AwsOptions",
    "BinaryReport",
    "EvaluationResult",
    "Kind",
    "LabelledData",
    "MulticlassReport",
    "RegressionReport",
    "SourceError",
    "Threshold",
    "binary_metrics",
    "detect_kind",
    "evaluate",
    "evaluate_endpoint",
    "evaluate_model",
    "evaluate_predictions",
    "load_data",
    "metrics_json",
    "multiclass_metrics",
    "parse_labelled_csv",
    "parse_threshold",
    "regression_metrics",
    "upload_report",
    "write_report",
]

DataSource = str | Path | LabelledData


def load_data(
    data: DataSource,
    *,
    label_column: int | str = 0,
    header: bool = False,
    delimiter: str = ",",
    options: AwsOptions | None = None,
) -> LabelledData:
    """Labelled data from a CSV path or `s3://` URI (label in `label_column`), or as given."""
    if isinstance(data, LabelledData):
        return data
    client = make_client("s3", options) if is_s3_uri(data) else None
    return read_labelled_csv(
        data, label_column=label_column, header=header, delimiter=delimiter, client=client
    )


def _result(
    labelled: LabelledData, predictions: Predictions, kind: str | Kind, threshold: Threshold
) -> EvaluationResult:
    chosen = kind if kind != "auto" or predictions.kind is None else predictions.kind
    return evaluate(
        labelled.labels,
        predictions.values,
        kind=chosen,
        threshold=threshold,
        source=predictions.source,
        data=labelled.source,
        notes=predictions.notes,
    )


def evaluate_endpoint(
    data: DataSource,
    endpoint_name: str,
    *,
    label_column: int | str = 0,
    header: bool = False,
    delimiter: str = ",",
    threshold: Threshold = 0.5,
    kind: str | Kind = "auto",
    options: AwsOptions | None = None,
    content_type: str = "text/csv",
    accept: str | None = "text/csv",
    max_payload_bytes: int = MAX_PAYLOAD_BYTES,
    target_variant: str | None = None,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Send the data's feature rows to a deployed endpoint and evaluate its answers."""
    labelled = load_data(
        data, label_column=label_column, header=header, delimiter=delimiter, options=options
    )
    predictions = predict_endpoint(
        endpoint_name,
        labelled.features,
        options=options,
        content_type=content_type,
        accept=accept,
        max_payload_bytes=max_payload_bytes,
        target_variant=target_variant,
        progress=progress,
    )
    return _result(labelled, predictions, kind, threshold)


def evaluate_model(
    data: DataSource,
    model: str | Path,
    *,
    label_column: int | str = 0,
    header: bool = False,
    delimiter: str = ",",
    threshold: Threshold = 0.5,
    kind: str | Kind = "auto",
    options: AwsOptions | None = None,
) -> EvaluationResult:
    """Evaluate an XGBoost model.tar.gz (or folder, or model file; local or S3) in-process."""
    labelled = load_data(
        data, label_column=label_column, header=header, delimiter=delimiter, options=options
    )
    client: Any = make_client("s3", options) if is_s3_uri(model) else None
    predictions = predict_model(model, labelled.features, client=client)
    return _result(labelled, predictions, kind, threshold)


def evaluate_predictions(
    data: DataSource,
    predictions: str | Path,
    *,
    label_column: int | str = 0,
    header: bool = False,
    delimiter: str = ",",
    threshold: Threshold = 0.5,
    kind: str | Kind = "auto",
    prediction_column: int | None = None,
    options: AwsOptions | None = None,
) -> EvaluationResult:
    """Evaluate a batch-transform output (`<input>.out`, local or S3) against the labels."""
    labelled = load_data(
        data, label_column=label_column, header=header, delimiter=delimiter, options=options
    )
    client: Any = make_client("s3", options) if is_s3_uri(predictions) else None
    read = read_batch_output(
        predictions, labelled.labels, labelled.features, column=prediction_column, client=client
    )
    return _result(labelled, read, kind, threshold)
