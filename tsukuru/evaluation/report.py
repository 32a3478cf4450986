"""The evaluation report: one self-contained HTML page, its PNG figures and metrics.json.

The page embeds its figures as base64 data URIs so it can be mailed, attached to a ticket or
opened from S3 as one file; the PNGs and metrics.json sit beside it for slides and for programs.
An `s3://bucket/prefix` output uploads the same files with the right content types.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from tsukuru.evaluation.aws import AwsOptions, S3Uri, make_client, parse_s3_uri
from tsukuru.evaluation.figures import figures_for
from tsukuru.evaluation.metrics import Kind, MulticlassReport
from tsukuru.evaluation.result import EvaluationResult
from tsukuru.evaluation.summary import data_rows, format_number, metric_rows

REPORT_FILE = "report.html"
METRICS_FILE = "metrics.json"
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".json": "application/json",
}
_CAPTIONS = {
    "roc_curve.png": "ROC curve: true positive rate against false positive rate over all "
    "thresholds; the dot is the chosen threshold.",
    "precision_recall_curve.png": "Precision-recall curve; the dashed line is what random "
    "guessing achieves (the share of positives).",
    "confusion_matrix.png": "Confusion matrix: counts, coloured by the share of each actual class.",
    "score_histogram.png": "How the scores of each actual class are distributed; the dashed line "
    "is the threshold.",
    "predicted_vs_actual.png": "Each row's prediction against its label; points on the dashed "
    "line are exact.",
    "residuals.png": "Residuals (label minus prediction) against the prediction: a trend or a "
    "funnel shape shows a systematic error.",
    "residual_histogram.png": "How the residuals are distributed: centred on zero and "
    "symmetric is what an unbiased model gives.",
    "per_class_metrics.png": "Precision, recall and F1 of each class.",
}


@dataclass(frozen=True)
class Figure:
    name: str
    caption: str
    data_uri: str


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tsukuru.evaluation", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _json_ready(value: Any) -> Any:
    """NaN/inf are not JSON: they become null (an R² of a constant label, for instance)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    return value


def metrics_json(result: EvaluationResult) -> str:
    return json.dumps(_json_ready(result.to_dict()), indent=2, allow_nan=False) + "\n"


def render_html(result: EvaluationResult, figures: dict[str, bytes]) -> str:
    embedded = [
        Figure(
            name=name,
            caption=_CAPTIONS.get(name, ""),
            data_uri="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        )
        for name, png in figures.items()
    ]
    per_class = None
    if isinstance(result.metrics, MulticlassReport):
        per_class = [
            {
                "label": entry.label,
                "precision": format_number(entry.precision),
                "recall": format_number(entry.recall),
                "f1": format_number(entry.f1),
                "support": format_number(entry.support),
            }
            for entry in result.metrics.per_class
        ]
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=result.title,
        created=result.created.strftime("%Y-%m-%d %H:%M:%S UTC"),
        data_rows=data_rows(result),
        metric_rows=metric_rows(result),
        per_class=per_class,
        notes=result.notes,
        figures=embedded,
        binary=result.kind is Kind.BINARY,
    )


def write_report(result: EvaluationResult, out_dir: str | Path) -> Path:
    """Write report.html, one PNG per figure and metrics.json; return the HTML file's path."""
    folder = Path(out_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    figures = figures_for(result)
    for name, png in figures.items():
        (folder / name).write_bytes(png)
    (folder / METRICS_FILE).write_text(metrics_json(result), encoding="utf-8")
    page = folder / REPORT_FILE
    page.write_text(render_html(result, figures), encoding="utf-8")
    return page


def report_files(out_dir: str | Path) -> list[Path]:
    """The files of a written report: report.html, metrics.json and the PNGs."""
    folder = Path(out_dir).expanduser()
    names = [REPORT_FILE, METRICS_FILE]
    files = [folder / name for name in names if (folder / name).is_file()]
    return files + sorted(folder.glob("*.png"))


def upload_report(
    out_dir: str | Path,
    s3_uri: str,
    *,
    client: Any | None = None,
    options: AwsOptions | None = None,
) -> list[str]:
    """Upload a written report's files under `s3://bucket/prefix/`; return their URIs."""
    target: S3Uri = parse_s3_uri(s3_uri)
    files = report_files(out_dir)
    if not any(path.name == REPORT_FILE for path in files):
        raise FileNotFoundError(f"no {REPORT_FILE} in {out_dir}: write the report first")
    s3 = client or make_client("s3", options)
    uploaded = []
    for path in files:
        destination = target.child(path.name)
        s3.put_object(
            Bucket=destination.bucket,
            Key=destination.key,
            Body=path.read_bytes(),
            ContentType=_CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
        )
        uploaded.append(str(destination))
    return uploaded
