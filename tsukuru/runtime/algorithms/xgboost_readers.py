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

from tsukuru.runtime.algorithms.errors import AlgorithmError, ClientError
from tsukuru.runtime.algorithms.xgboost_csv import read_csv_rows

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


class _Filler:
    """Writes record batches into preallocated label/weight/feature arrays."""

    def __init__(self, capacity: int, columns: int, weighted: bool) -> None:
        self.skip = 2 if weighted else 1
        if columns <= self.skip - 1:
            raise ClientError("The data has no label column")
        self.features: F32 = np.empty((capacity, max(columns - self.skip, 0)), dtype=np.float32)
        self.label: F32 = np.empty(capacity, dtype=np.float32)
        self.weight: F32 | None = np.empty(capacity, dtype=np.float32) if weighted else None
        self.columns = columns
        self.rows = 0

    def add(self, batch: Any) -> None:
        if batch.num_columns != self.columns:
            raise ClientError(f"Expected {self.columns} columns, got {batch.num_columns}")
        count = batch.num_rows
        start, end = self.rows, self.rows + count
        if end > self.label.shape[0]:
            raise AlgorithmError("The input changed while it was being read")
        self.label[start:end] = _column(batch.column(0))
        if self.weight is not None:
            self.weight[start:end] = _column(batch.column(1))
        for index in range(self.skip, batch.num_columns):
            self.features[start:end, index - self.skip] = _column(batch.column(index))
        self.rows = end

    def result(self) -> DenseData:
        rows = self.rows
        weight = self.weight[:rows] if self.weight is not None else None
        return DenseData(self.features[:rows], self.label[:rows], weight)


def _column(array: Any) -> F32:
    values: F32 = array.to_numpy(zero_copy_only=False)
    return values


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
        rows = sum(handle.metadata.num_rows for handle in handles)
        columns = handles[0].metadata.num_columns
        filler = _Filler(rows, columns, weighted=False)
        for handle in handles:
            for batch in handle.iter_batches(batch_size=65536, use_threads=True):
                filler.add(_as_float32(batch, pa))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError) as exc:
        raise ClientError(f"Failed to load parquet data with exception:\n{exc}") from exc
    return filler.result()


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
