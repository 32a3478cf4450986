"""What the training and endpoint benchmarks share: the bank data, ceilings, medians, the load.

`Report.ratio` states floors ("at least 0.8x"); these benchmarks also have ceilings (overhead at
most 0.5 s, CreateEndpoint → InService at most 2 s), which `at_most` prints in the same format
and records in the same `Report`. The machine is shared, so every figure is the median of a few
runs and is printed next to the load average it was taken under.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import Report
from examples.bank_data import DEFAULT_SOURCE, clean_columns, clean_row, read_bank_additional

TUTORIAL_HYPERPARAMETERS = {
    "max_depth": "5",
    "eta": "0.2",
    "gamma": "4",
    "min_child_weight": "6",
    "subsample": "0.8",
    "objective": "binary:logistic",
    "num_round": "100",
}
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/bench"


def booster_params(hyperparameters: dict[str, str]) -> dict[str, Any]:
    """The hyperparameters as `xgb.train` takes them (numbers as numbers, no num_round)."""
    params: dict[str, Any] = {}
    for name, text in hyperparameters.items():
        if name == "num_round":
            continue
        try:
            params[name] = float(text) if "." in text else int(text)
        except ValueError:
            params[name] = text
    return params


def bank_matrix(source: Path = DEFAULT_SOURCE) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The tutorial's bank data: labels (y_yes) and its 59 one-hot features, as float64."""
    columns = clean_columns()
    label_at, first_y = columns.index("y_yes"), columns.index("y_no")
    rows = np.array([clean_row(r) for r in read_bank_additional(source)], dtype=np.float64)
    return rows[:, label_at], rows[:, :first_y]


def write_labelled_csv(
    path: Path, labels: np.ndarray[Any, Any], features: np.ndarray[Any, Any]
) -> None:
    """Label first, no header: the built-in XGBoost's CSV training format."""
    table = np.column_stack([labels, features])
    np.savetxt(path, table, delimiter=",", fmt="%.10g")


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def load_note() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def at_most(report: Report, label: str, value: float, limit: float, unit: str) -> None:
    """Print a figure with its ceiling, and record a miss in `report`."""
    verdict = "ok" if value <= limit else "MISSED"
    if value > limit:
        report.missed.append(label)
    print(
        f"{report.name}: {label:<44} {value:>10.2f} {unit} (target <= {limit} {unit}: {verdict})",
        flush=True,
    )


def poll_until(
    describe: Callable[[], dict[str, Any]],
    status_key: str,
    busy: Sequence[str],
    interval: float,
    timeout: float = 3600,
) -> dict[str, Any]:
    """Call `describe` every `interval` seconds until `status_key` leaves the `busy` values."""
    deadline = time.monotonic() + timeout
    while True:
        described = describe()
        if described[status_key] not in busy:
            return described
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {described[status_key]} after {timeout} s")
        time.sleep(interval)
