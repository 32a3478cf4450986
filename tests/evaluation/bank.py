"""The UCI bank-marketing sample as the built-in XGBoost wants it: numeric, label first.

Categorical columns are one-hot encoded with numpy (as the tutorial's bank_clean.csv is), the
label `y` becomes 1 for "yes"; the split is fixed so every test sees the same rows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

BANK_CSV = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "bank-additional"
    / ("bank-additional.csv")
)
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Split:
    train: FloatArray  # label first
    test: FloatArray
    feature_names: list[str]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def encoded_bank() -> tuple[FloatArray, list[str]]:
    """(label-first matrix, feature names); a category becomes `<column>=<value>` columns."""
    with BANK_CSV.open(newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header, body = rows[0], rows[1:]
    table = np.array(body, dtype=object)
    label = (table[:, header.index("y")] == "yes").astype(np.float64)
    columns: list[FloatArray] = [label]
    names: list[str] = []
    for index, name in enumerate(header):
        if name == "y":
            continue
        values = table[:, index]
        if all(_is_number(v) for v in values):
            columns.append(values.astype(np.float64))
            names.append(name)
            continue
        for category in sorted(set(values)):
            columns.append((values == category).astype(np.float64))
            names.append(f"{name}={category}")
    return np.column_stack(columns), names


def bank_split(test_share: float = 0.3, seed: int = 1729) -> Split:
    data, names = encoded_bank()
    order = np.random.default_rng(seed).permutation(len(data))
    cut = int(len(data) * (1 - test_share))
    return Split(train=data[order[:cut]], test=data[order[cut:]], feature_names=names)


def write_csv(path: Path, rows: FloatArray) -> Path:
    np.savetxt(path, rows, delimiter=",", fmt="%.10g")
    return path
