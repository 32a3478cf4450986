"""CSV mini-batches as tables of text fields, for filters and joins without a loop per line.

A mini-batch of CSV records is parsed once by pyarrow into string columns (fields keep their
exact text: `1.50` stays `1.50`), filters become column selections, a join puts the model's
output columns after the input's, and the result is written back as CSV by pyarrow. Only a
field that needs quoting (a comma, a quote, a line break) sends a batch through Python's csv
writer. A ragged row is found and reported with its line number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from functools import lru_cache

import pyarrow as pa
import pyarrow.csv as pacsv

from tsukuru.runtime.transform_records import RecordError

LineOf = Callable[[int], int]  # record index in the batch → line in the file


def width_of(line: bytes) -> int:
    """The number of fields of one CSV line (quotes respected)."""
    return len(next(csv.reader([line.decode("utf-8", errors="replace")]), [""]))


@lru_cache(maxsize=64)
def _options(width: int) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    return (
        pacsv.ReadOptions(autogenerate_column_names=True, use_threads=True),
        pacsv.ParseOptions(delimiter=",", quote_char='"', ignore_empty_lines=False),
        pacsv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(width)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def parse_fields(body: bytes, expected_rows: int, what: str, line_of: LineOf) -> pa.Table:
    """`body` (rows separated by newlines) as a table of string columns f0, f1, ..."""
    end = body.find(b"\n")
    width = width_of(body if end < 0 else body[:end])
    read, parse, convert = _options(width)
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body), read_options=read, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise _ragged(body, width, what, line_of) or RecordError(
            f"{what} is not valid CSV: {exc}", line_of(0), line_of(expected_rows - 1)
        ) from None
    if table.num_rows != expected_rows:
        raise RecordError(
            f"{what} has {table.num_rows} rows for {expected_rows} records; filters and joins "
            "need exactly one row per record",
            line_of(0),
            line_of(expected_rows - 1),
        )
    return table


def _ragged(body: bytes, width: int, what: str, line_of: LineOf) -> RecordError | None:
    for index, line in enumerate(body.split(b"\n")):
        found = width_of(line)
        if found != width:
            return RecordError(
                f"{what} has {found} fields on this line but {width} on the first line of its "
                "mini-batch; every record needs the same number of fields",
                line_of(index),
            )
    return None


def table_of_rows(rows: Sequence[Sequence[str]], what: str, line_of: LineOf) -> pa.Table:
    """Rows of field texts (the model's per-record answers) as a table of string columns."""
    width = len(rows[0]) if rows else 0
    for index, row in enumerate(rows):
        if len(row) != width:
            raise RecordError(
                f"{what} has {len(row)} fields for this record but {width} for the first "
                "record of its mini-batch",
                line_of(index),
            )
    columns = [pa.array([row[i] for row in rows], pa.string()) for i in range(width)]
    return pa.Table.from_arrays(columns, names=[f"f{i}" for i in range(width)])


def select(table: pa.Table, columns: list[int] | int) -> pa.Table:
    picked = [columns] if isinstance(columns, int) else columns
    return pa.Table.from_arrays(
        [table.column(i) for i in picked], names=[f"f{i}" for i in range(len(picked))]
    )


def side_by_side(left: pa.Table, right: pa.Table) -> pa.Table:
    arrays = list(left.columns) + list(right.columns)
    return pa.Table.from_arrays(arrays, names=[f"f{i}" for i in range(len(arrays))])


_WRITE = pacsv.WriteOptions(include_header=False, quoting_style="none")


def write_rows(table: pa.Table, *, newline_after_each: bool) -> bytes:
    """The table as CSV, one row per line (or rows run together, for AssembleWith None)."""
    if table.num_columns == 0:
        raise RecordError("the filter selects no fields")
    sink = io.BytesIO()
    try:
        pacsv.write_csv(table, sink, write_options=_WRITE)
    except pa.ArrowInvalid:  # a field holds a comma, a quote or a line break: quote as needed
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n" if newline_after_each else "")
        writer.writerows(zip(*(column.to_pylist() for column in table.columns), strict=True))
        return out.getvalue().encode()
    text = sink.getvalue()  # no field holds a line break here, so every one ends a row
    return text if newline_after_each else text.replace(b"\n", b"")
