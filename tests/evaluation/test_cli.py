"""`tsukuru evaluate` on a local model and on a predictions file, through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm
from typer.testing import CliRunner

from tests.evaluation.conftest import TrainedModel
from tsukuru.cli import app

runner = CliRunner()


def test_evaluate_a_local_model_prints_the_table_and_writes_the_report(
    bank_binary: TrainedModel, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    outcome = runner.invoke(
        app,
        [
            "evaluate",
            "--data",
            str(bank_binary.test_csv),
            "--model",
            str(bank_binary.tarball),
            "--out",
            str(out),
        ],
        env={"COLUMNS": "120"},
    )
    assert outcome.exit_code == 0, outcome.output
    auc = skm.roc_auc_score(bank_binary.test_labels, bank_binary.predict())
    assert "ROC AUC" in outcome.output
    assert f"{auc:.4f}" in outcome.output
    assert "Threshold" in outcome.output
    assert f"Report: {out / 'report.html'}" in outcome.output.replace("\n", "")
    assert (out / "report.html").is_file()
    assert (out / "roc_curve.png").is_file()
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["metrics"]["roc_auc"] == pytest.approx(auc, abs=1e-9)


def test_evaluate_a_predictions_file_as_json(bank_binary: TrainedModel, tmp_path: Path) -> None:
    scores = bank_binary.predict()
    output = tmp_path / "test.csv.out"
    output.write_text("".join(f"{score}\n" for score in scores.tolist()))
    outcome = runner.invoke(
        app,
        [
            "evaluate",
            "--data",
            str(bank_binary.test_csv),
            "--predictions",
            str(output),
            "--threshold",
            "youden",
            "--out",
            str(tmp_path / "r"),
            "--json",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.output)
    labels = bank_binary.test_labels
    written = np.array([float(line) for line in output.read_text().split()])
    assert document["kind"] == "binary"
    assert document["source"] == f"batch output {output}"
    assert document["metrics"]["threshold_rule"] == "youden"
    assert document["metrics"]["roc_auc"] == pytest.approx(skm.roc_auc_score(labels, written))
    assert document["report"] == str(tmp_path / "r" / "report.html")
    assert document["uploaded"] == []


def test_evaluate_regression_with_an_explicit_kind(
    bank_regression: TrainedModel, tmp_path: Path
) -> None:
    outcome = runner.invoke(
        app,
        [
            "evaluate",
            "--data",
            str(bank_regression.test_csv),
            "--model",
            str(bank_regression.tarball),
            "--kind",
            "regression",
            "--out",
            str(tmp_path),
            "--json",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    metrics = json.loads(outcome.output)["metrics"]
    labels, predicted = bank_regression.test_labels, bank_regression.predict()
    assert metrics["r2"] == pytest.approx(skm.r2_score(labels, predicted), rel=1e-6)


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ([], 2, "give exactly one of --endpoint, --predictions or --model"),
        (["--model", "a", "--predictions", "b"], 2, "give exactly one of"),
        (["--model", "m.tar.gz", "--threshold", "best"], 1, "threshold must be a number"),
        (["--model", "missing.tar.gz"], 1, "error:"),
    ],
)
def test_usage_errors(
    bank_binary: TrainedModel, tmp_path: Path, extra: list[str], code: int, message: str
) -> None:
    outcome = runner.invoke(
        app, ["evaluate", "--data", str(bank_binary.test_csv), "--out", str(tmp_path), *extra]
    )
    assert outcome.exit_code == code
    assert message in " ".join(outcome.output.split())
