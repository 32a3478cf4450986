"""The written report: files, embedded figures, numbers that match metrics.json, S3 upload."""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import make_client
from tests.harness import RunningPlatform
from tsukuru.evaluation import evaluate, upload_report, write_report
from tsukuru.evaluation.metrics import BinaryReport, MulticlassReport, RegressionReport
from tsukuru.evaluation.result import EvaluationResult
from tsukuru.evaluation.summary import format_number

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RNG = np.random.default_rng(21)


def _binary() -> EvaluationResult:
    labels = (RNG.random(300) < 0.25).astype(float)
    scores = np.clip(labels * 0.4 + RNG.normal(0.3, 0.2, 300), 0, 1)
    return evaluate(labels, scores, threshold="f1", source="endpoint <bank & co>", data="t.csv")


def _regression() -> EvaluationResult:
    labels = RNG.normal(50, 10, 200)
    return evaluate(labels, labels + RNG.normal(0, 4, 200), source="model reg.tar.gz")


def _multiclass() -> EvaluationResult:
    labels = RNG.integers(0, 3, 240).astype(float)
    logits = RNG.normal(size=(240, 3))
    logits[np.arange(240), labels.astype(int)] += 1.5
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return evaluate(labels, probabilities, source="model softprob")


FIGURES = {
    "binary": _binary,
    "regression": _regression,
    "multiclass": _multiclass,
}
EXPECTED_FIGURES = {
    "binary": {
        "roc_curve.png",
        "precision_recall_curve.png",
        "confusion_matrix.png",
        "score_histogram.png",
    },
    "regression": {"predicted_vs_actual.png", "residuals.png", "residual_histogram.png"},
    "multiclass": {"confusion_matrix.png", "per_class_metrics.png"},
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[EvaluationResult, Path]]:
    written = {}
    for kind, make in FIGURES.items():
        result = make()
        written[kind] = (result, write_report(result, tmp_path_factory.mktemp(kind)))
    return written


@pytest.mark.parametrize("kind", FIGURES)
def test_report_files_and_embedded_figures(
    reports: dict[str, tuple[EvaluationResult, Path]], kind: str
) -> None:
    result, page = reports[kind]
    assert result.kind.value == kind
    assert page.name == "report.html"
    pngs = {path.name: path.read_bytes() for path in page.parent.glob("*.png")}
    assert set(pngs) == EXPECTED_FIGURES[kind]
    assert all(data.startswith(PNG_SIGNATURE) and len(data) > 5000 for data in pngs.values())
    text = page.read_text()
    embedded = re.findall(r'<figure id="([^"]+)">\s*<img src="data:image/png;base64,([^"]+)"', text)
    assert {name for name, _ in embedded} == set(pngs)
    for name, data in embedded:
        assert base64.b64decode(data) == pngs[name]
    for outside in ("<script", "http://", "https://"):  # one self-contained file
        assert outside not in text
    assert f"<title>{html.escape(result.title)}</title>" in text


@pytest.mark.parametrize("kind", FIGURES)
def test_every_number_on_the_page_is_the_one_in_metrics_json(
    reports: dict[str, tuple[EvaluationResult, Path]], kind: str
) -> None:
    result, page = reports[kind]
    document = json.loads((page.parent / "metrics.json").read_text())
    shown = dict(re.findall(r'data-key="([a-z0-9_]+)">([^<]+)<', page.read_text()))
    assert len(shown) >= 7
    for key, text in shown.items():
        assert text == format_number(document["metrics"][key]), key
        assert document["metrics"][key] == getattr(result.metrics, key)
    assert document["kind"] == kind
    assert document["source"] == result.source


def test_metrics_json_has_every_field_and_the_curves(
    reports: dict[str, tuple[EvaluationResult, Path]],
) -> None:
    for kind, report_type in (
        ("binary", BinaryReport),
        ("regression", RegressionReport),
        ("multiclass", MulticlassReport),
    ):
        _, page = reports[kind]
        metrics: dict[str, Any] = json.loads((page.parent / "metrics.json").read_text())["metrics"]
        assert {f.name for f in dataclasses.fields(report_type)} <= set(metrics)
    binary, page = reports["binary"]
    metrics = json.loads((page.parent / "metrics.json").read_text())["metrics"]
    assert isinstance(binary.metrics, BinaryReport)
    assert metrics["roc"]["x"] == binary.metrics.roc.x
    assert metrics["roc"]["thresholds"][0] is None  # roc_curve's +inf
    assert metrics["confusion_matrix"] == binary.metrics.confusion_matrix
    assert metrics["threshold_rule"] == "f1"


def test_the_page_shows_the_data_summary_escaped(
    reports: dict[str, tuple[EvaluationResult, Path]],
) -> None:
    result, page = reports["binary"]
    text = page.read_text()
    assert "endpoint &lt;bank &amp; co&gt;" in text
    assert "<bank & co>" not in text
    assert isinstance(result.metrics, BinaryReport)
    assert f"{result.metrics.positives:,} (" in text
    assert "F1-best; a score at or above it is positive" in text


def test_multiclass_page_has_the_per_class_table(
    reports: dict[str, tuple[EvaluationResult, Path]],
) -> None:
    result, page = reports["multiclass"]
    assert isinstance(result.metrics, MulticlassReport)
    text = page.read_text()
    assert "<h2>Per class</h2>" in text
    for entry in result.metrics.per_class:
        assert f"<td>{entry.label}</td><td>{format_number(entry.precision)}</td>" in text


def test_upload_report_to_s3(
    platform: RunningPlatform, reports: dict[str, tuple[EvaluationResult, Path]]
) -> None:
    from tsukuru.evaluation import AwsOptions

    _, page = reports["binary"]
    s3 = make_client(platform, "s3")
    s3.create_bucket(Bucket="eval-reports")
    options = AwsOptions(
        endpoint_url=platform.endpoint_url,
        region="us-east-1",
        access_key_id=platform.credentials.access_key_id,
        secret_access_key=platform.credentials.secret_access_key,
    )
    uploaded = upload_report(page.parent, "s3://eval-reports/runs/one/", options=options)
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket="eval-reports")["Contents"])
    expected = sorted(
        f"runs/one/{name}" for name in ["report.html", "metrics.json", *EXPECTED_FIGURES["binary"]]
    )
    assert keys == expected
    assert sorted(u.removeprefix("s3://eval-reports/") for u in uploaded) == expected
    head = s3.head_object(Bucket="eval-reports", Key="runs/one/report.html")
    assert head["ContentType"].startswith("text/html")
    body = s3.get_object(Bucket="eval-reports", Key="runs/one/roc_curve.png")
    assert body["ContentType"] == "image/png"
    assert body["Body"].read() == (page.parent / "roc_curve.png").read_bytes()


def test_upload_needs_a_written_report(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="write the report first"):
        upload_report(tmp_path, "s3://bucket/prefix")
