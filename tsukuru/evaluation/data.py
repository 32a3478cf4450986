"""Labelled evaluation data: a numeric CSV with the label in one column.

The default is the built-in XGBoost's own format (label first, no header), so the test split a
user prepared for training can be evaluated as it is. An empty field is a missing value, as the
algorithm reads it; a text column is refused with its name and an example, because an endpoint
would refuse it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tsukuru.evaluation.aws import read_location
from tsukuru.evaluation.metrics import FloatArray


@dataclass(frozen=True)
class LabelledData:
    labels: FloatArray  # one per row
    features: FloatArray  # rows x features, NaN where a value is missing
    source: str
    feature_names: list[str] | None = None  # from the header row, when there is one

    @property
    def rows(self) -> int:
        return len(self.labels)


def _column_index(label_column: int | str, names: list[str], header: bool) -> int:
    if isinstance(label_column, str) and not label_column.lstrip("-").isdigit():
        if not header:
            raise ValueError(f"label column {label_column!r} is a name, but the CSV has no header")
        if label_column not in names:
            raise ValueError(f"no column named {label_column!r}; the header has {names}")
        return names.index(label_column)
    index = int(label_column)
    if not -len(names) <= index < len(names):
        raise ValueError(f"label column {index} does not exist: the CSV has {len(names)} columns")
    return index % len(names)


def _numeric(column: pa.ChunkedArray, name: str) -> FloatArray:
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        if pa.types.is_null(column.type):
            return np.full(len(column), np.nan)
        example = next((v for v in column.to_pylist() if v not in (None, "")), None)
        raise ValueError(
            f"column {name} is not numeric (for example {example!r}); evaluation data must be "
            "numbers, as the model was trained on (one-hot encode categories first)"
        )
    filled = pc.fill_null(column.cast(pa.float64()), float("nan"))
    values: FloatArray = np.asarray(filled.to_numpy(), dtype=np.float64)
    return values


def parse_labelled_csv(
    content: bytes,
    *,
    label_column: int | str = 0,
    header: bool = False,
    delimiter: str = ",",
    source: str = "data",
) -> LabelledData:
    """Split CSV bytes into labels and a float feature matrix."""
    if not content.strip():
        raise ValueError(f"{source} is empty")
    try:
        table = pacsv.read_csv(
            pa.py_buffer(content),
            read_options=pacsv.ReadOptions(autogenerate_column_names=not header),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(null_values=[""], strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        raise ValueError(f"{source} is not a readable CSV: {exc}") from None
    names = list(table.column_names)
    index = _column_index(label_column, names, header)
    shown = [repr(n) if header else str(i) for i, n in enumerate(names)]
    labels = _numeric(table.column(index), shown[index])
    if np.isnan(labels).any():
        row = int(np.flatnonzero(np.isnan(labels))[0]) + 1
        raise ValueError(f"{source}: the label (column {shown[index]}) is missing in row {row}")
    columns = [_numeric(table.column(i), shown[i]) for i in range(len(names)) if i != index]
    features = np.column_stack(columns) if columns else np.empty((len(labels), 0))
    return LabelledData(
        labels=labels,
        features=features.astype(np.float64),
        source=source,
        feature_names=[n for i, n in enumerate(names) if i != index] if header else None,
    )


def read_labelled_csv(
    location: str | Path,
    *,
    label_column: int | str = 0,
    header: bool = False,
    delimiter: str = ",",
    client: Any | None = None,
) -> LabelledData:
    """Read labelled data from a local CSV file or an `s3://` object."""
    return parse_labelled_csv(
        read_location(location, client),
        label_column=label_column,
        header=header,
        delimiter=delimiter,
        source=str(location),
    )
