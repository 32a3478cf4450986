"""What both script-mode examples do around the SDK: bank data in S3, waiting for an endpoint,
scoring predictions, and a JSON report of what happened (the acceptance tests read it).

Runs in the SageMaker SDK's own virtualenv (numpy, boto3, sagemaker), not in tsukuru's.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE.parents[1]) not in sys.path:
    sys.path.insert(0, str(HERE.parents[1]))  # the repository root, for examples/bank_data.py

from examples.bank_data import (  # noqa: E402
    DEFAULT_SOURCE,
    labelled_features,
    read_bank_additional,
)

INSTANCE = "ml.m5.large"


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--train", help="s3:// prefix of training CSVs (default: upload the bank data)"
    )
    parser.add_argument("--validation", help="s3:// prefix of validation CSVs")
    parser.add_argument("--bank-csv", default=str(DEFAULT_SOURCE), help="UCI bank-additional.csv")
    parser.add_argument("--role", help="execution role ARN (default: get_execution_role())")
    parser.add_argument("--result", help="write a JSON report of the run here")
    parser.add_argument(
        "--logs", default="All", choices=("All", "None"), help="stream the job's log in fit()"
    )
    return parser


def bank_split(source: Path, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) rows, label first, 70/30 after a seeded shuffle."""
    rows = [labelled_features(record) for record in read_bank_additional(source)]
    random.Random(seed).shuffle(rows)
    cut = int(0.7 * len(rows))
    return np.asarray(rows[:cut]), np.asarray(rows[cut:])


def upload_bank(session: Any, source: Path, prefix: str) -> tuple[str, str, np.ndarray]:
    """Upload the split as CSV (no header); returns the two S3 prefixes and validation rows."""
    train, validation = bank_split(source)
    uris = []
    with tempfile.TemporaryDirectory() as folder:
        for name, rows in (("train", train), ("validation", validation)):
            path = Path(folder) / name / f"{name}.csv"
            path.parent.mkdir()
            np.savetxt(path, rows, delimiter=",", fmt="%.10g")
            uris.append(session.upload_data(str(path.parent), key_prefix=f"{prefix}/{name}"))
    return uris[0], uris[1], validation


def wait_in_service(client: Any, name: str, timeout: float = 120) -> str:
    """Poll DescribeEndpoint every 0.2 s (the SDK's own wait sleeps 30 s between polls)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = str(client.describe_endpoint(EndpointName=name)["EndpointStatus"])
        if status not in ("Creating", "Updating"):
            return status
        time.sleep(0.2)
    return "Timeout"


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (the rank statistic; ties count half)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    start = 0
    while start < len(scores):
        end = start
        while end + 1 < len(scores) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    positives = labels == 1
    n_pos, n_neg = positives.sum(), (~positives).sum()
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def write_report(path: str | None, report: dict[str, Any]) -> None:
    print(json.dumps(report, indent=1, default=str))
    if path:
        Path(path).write_text(json.dumps(report, default=str))
