"""Reading a channel's files into the arrays XGBoost trains on, in one pass and one copy.

CSV is the hot path (the tutorial's format, and the one that reaches millions of rows). The
files are parsed on every core (`xgboost_csv`), every column typed float32, each block written
straight into one preallocated row-major array, so the only full-size buffer is the one XGBoost
reads (no DataFrame, no concatenation, no second copy). Column 0 is the label and, with
`csv_weights=1`, column 1 the instance weight, exactly as the container's
`label_column=0&weight_column=1` reader does. Empty fields are missing values.

Parquet is streamed into such an array too (row counts come from file metadata). LIBSVM is
parsed by XGBoost's own text reader, which is what the container uses, so index and weight
handling match it.
"""

from __future__ import annotations

import csv
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tsukuru.runtime.algorithms.errors import ClientError
from tsukuru.runtime.algorithms.xgboost_csv import Rows, read_csv_rows

F32 = npt.NDArray[np.float32]


@dataclass
class DenseData:
    """Row-major float32 features with their label (and weight) columns."""

    features: F32
    label: F32
    weight: F32 | None = None

    @property
    def rows(self) -> int:
        return int(self.label.shape[0])


def _csv_columns(path: Path, delimiter: str) -> int:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as handle:
        first = handle.readline()
    return len(next(csv.reader([first], delimiter=delimiter), []))


def read_csv(files: Sequence[Path], delimiter: str, *, weighted: bool, threads: int) -> DenseData:
    """All CSV files of a channel as one dense dataset (label in column 0, no header), parsed
    on up to `threads` threads (`xgboost_csv`)."""
    import pyarrow as pa

    _use_threads(threads)
    columns = _csv_columns(files[0], delimiter)
    try:
        features, label, weight = read_csv_rows(
            files, columns, delimiter, weighted=weighted, threads=threads
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
        raise ClientError(f"Failed to load csv data with exception:\n{exc}") from exc
    return DenseData(features, label, weight)


def read_parquet(files: Sequence[Path], *, threads: int) -> DenseData:
    """Parquet files of a channel as one dense dataset (column 0 is the label)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    _use_threads(threads)
    try:
        handles = [pq.ParquetFile(path) for path in files]
        columns = handles[0].metadata.num_columns
        rows = Rows.allocate(sum(h.metadata.num_rows for h in handles), columns, weighted=False)
        filled = 0
        for handle in handles:
            for batch in handle.iter_batches(batch_size=65536, use_threads=True):
                if batch.num_columns != columns:
                    raise ClientError(f"Expected {columns} columns, got {batch.num_columns}")
                block = _as_float32(batch, pa).to_tensor(null_to_nan=True, row_major=True)
                rows.put(filled, np.asarray(block))
                filled += batch.num_rows
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError) as exc:
        raise ClientError(f"Failed to load parquet data with exception:\n{exc}") from exc
    return DenseData(*rows.first(filled))


def _as_float32(batch: Any, pa: Any) -> Any:
    arrays = [column.cast(pa.float32()) for column in batch.columns]
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def read_libsvm(files: Sequence[Path], xgb: Any, *, threads: int) -> Any:
    """A DMatrix from LIBSVM text through XGBoost's reader (the container's parser)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if len(files) == 1:
                return xgb.DMatrix(f"{files[0]}?format=libsvm", nthread=threads)
            with tempfile.TemporaryDirectory(prefix="tsukuru-libsvm-") as folder:
                for index, path in enumerate(files):
                    os.symlink(path.resolve(), Path(folder) / f"{index:06d}-{path.name}")
                return xgb.DMatrix(f"{folder}?format=libsvm", nthread=threads)
    except xgb.core.XGBoostError as exc:
        raise ClientError(f"Failed to load libsvm data with exception:\n{exc}") from exc


def _use_threads(threads: int) -> None:
    import pyarrow as pa

    pa.set_cpu_count(max(1, threads))
