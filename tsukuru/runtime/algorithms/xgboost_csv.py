"""Reading a CSV channel on every core: the files cut at line ends, the pieces parsed side by side.

pyarrow's streaming CSV reader parses one block at a time on the thread that iterates it, so a
channel read through one reader uses one core however many the job has (its `use_threads` only
helps the whole-file reader, which first builds a full-size Table: a second copy of the data). On
a large channel that single-core read was a tenth of the job's time while the other cores idled.

So the files are cut into pieces of about PIECE_BYTES, each ending just after a newline, and a
pool of `threads` workers goes over them twice:

1. counting each piece's newlines, which says at which row of the one preallocated array each
   piece's rows land (a piece's count is an upper bound on its rows: blank lines are skipped);
2. parsing each piece with its own streaming reader (every column float32, empty fields missing)
   and writing every batch, turned row-major by Arrow, straight into its rows of that array.

Both steps run in native code that releases the GIL (numpy's byte comparison, Arrow's parser and
its row-major conversion, numpy's row copy), so the workers really run in parallel. Cutting at
newlines splits nothing the single reader would have kept together, since the reader is not
asked to allow newlines inside quoted values. If blank lines left rows unused, the pieces are
moved together at the end; the result is the same array, row for row, as one reader would give.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from tsukuru.runtime.algorithms.errors import AlgorithmError, ClientError

F32 = npt.NDArray[np.float32]
PIECE_BYTES = 16 << 20  # small enough that the last pieces balance the workers' finishing times
BLOCK_BYTES = 1 << 20  # what each reader parses at a time
COUNT_BYTES = 4 << 20  # what the line count reads at a time
NEWLINE = ord("\n")
T = TypeVar("T")


@dataclass(frozen=True)
class Piece:
    """Bytes [start, end) of one file; `end` is the file's end or just after a newline."""

    path: Path
    start: int
    end: int


@dataclass
class Rows:
    """The preallocated row-major destination: label, optional weight, features (the Parquet
    reader fills one too, batch by batch)."""

    label: F32
    weight: F32 | None
    features: F32

    @classmethod
    def allocate(cls, capacity: int, columns: int, weighted: bool) -> Rows:
        skip = 2 if weighted else 1
        if columns < skip:
            raise ClientError("The data has no label column")
        return cls(
            label=np.empty(capacity, dtype=np.float32),
            weight=np.empty(capacity, dtype=np.float32) if weighted else None,
            features=np.empty((capacity, columns - skip), dtype=np.float32),
        )

    @property
    def skip(self) -> int:
        return 1 if self.weight is None else 2

    def put(self, row: int, block: F32) -> None:
        """Write `block` (rows x all columns) at `row`."""
        end = row + block.shape[0]
        if end > self.label.shape[0]:
            raise AlgorithmError("The input changed while it was being read")
        self.label[row:end] = block[:, 0]
        if self.weight is not None:
            self.weight[row:end] = block[:, 1]
        self.features[row:end] = block[:, self.skip :]

    def move(self, source: int, target: int, count: int) -> None:
        """Move `count` rows from `source` down to `target` (numpy copes with the overlap)."""
        arrays = [self.label, self.features] + ([self.weight] if self.weight is not None else [])
        for array in arrays:
            array[target : target + count] = array[source : source + count]

    def first(self, rows: int) -> tuple[F32, F32, F32 | None]:
        weight = self.weight[:rows] if self.weight is not None else None
        return self.features[:rows], self.label[:rows], weight


def cut_pieces(paths: Sequence[Path], piece_bytes: int | None = None) -> list[Piece]:
    """Every file cut into pieces of about `piece_bytes` (default PIECE_BYTES), each ending just
    after a newline."""
    piece_bytes = piece_bytes or PIECE_BYTES
    pieces: list[Piece] = []
    for path in paths:
        size = path.stat().st_size
        start = 0
        with path.open("rb") as handle:
            while start < size:
                end = start + piece_bytes
                if end < size:
                    handle.seek(end - 1)
                    handle.readline()  # to just after the newline at or past `end - 1`
                    end = handle.tell()
                end = min(end, size)
                pieces.append(Piece(path, start, end))
                start = end
    return pieces


def count_rows(piece: Piece) -> int:
    """Newlines in the piece, plus one for an unterminated last line: at least its rows."""
    space = bytearray(min(COUNT_BYTES, max(piece.end - piece.start, 1)))
    buffer = np.frombuffer(space, dtype=np.uint8)
    view = memoryview(space)
    count, last = 0, NEWLINE
    with piece.path.open("rb", buffering=0) as handle:
        handle.seek(piece.start)
        left = piece.end - piece.start
        while left > 0:
            size = handle.readinto(view[: min(left, len(buffer))])
            if not size:
                raise AlgorithmError("The input changed while it was being read")
            count += int(np.count_nonzero(buffer[:size] == NEWLINE))
            last = int(buffer[size - 1])
            left -= size
    return count + (last != NEWLINE)


def read_pieces(
    pieces: Sequence[Piece], rows: Rows, offsets: Sequence[int], threads: int, options: Any
) -> int:
    """Parse every piece into `rows` at its offset (`offsets` has one more entry: the end);
    returns the rows read, packed together."""
    stop = threading.Event()

    def parse(index: int) -> int:
        if stop.is_set():
            return 0
        try:
            slot = (offsets[index], offsets[index + 1])
            return _parse_piece(pieces[index], rows, slot, options, stop)
        except BaseException:
            stop.set()  # the others give up at their next batch
            raise

    counts = run_all(parse, range(len(pieces)), threads)
    packed = 0
    for offset, count in zip(offsets[:-1], counts, strict=True):
        if offset != packed and count:
            rows.move(offset, packed, count)
        packed += count
    return packed


def _parse_piece(
    piece: Piece, rows: Rows, slot: tuple[int, int], options: Any, stop: threading.Event
) -> int:
    """Parse one piece into its rows [slot[0], slot[1]); returns how many it wrote."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read_options, parse_options, convert_options = options
    offset, limit = slot
    row = offset
    with pa.OSFile(str(piece.path)) as source:
        source.seek(piece.start)
        data = source.read_buffer(piece.end - piece.start)
    with pacsv.open_csv(
        pa.BufferReader(data),
        read_options=read_options,
        parse_options=parse_options,
        convert_options=convert_options,
    ) as reader:
        for batch in reader:
            if stop.is_set():
                break
            if row + batch.num_rows > limit:
                raise AlgorithmError("The input changed while it was being read")
            block = batch.to_tensor(null_to_nan=True, row_major=True)
            rows.put(row, np.asarray(block))
            row += batch.num_rows
    return row - offset


def run_all(work: Callable[[int], T], items: range, threads: int) -> list[T]:
    """`work` over `items` on up to `threads` threads, results in order; the first error (in
    item order) is raised once all have finished."""
    if threads <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(min(threads, len(items)), thread_name_prefix="csv-read") as pool:
        futures = [pool.submit(work, item) for item in items]
    return [future.result() for future in futures]


def reader_options(columns: int, delimiter: str) -> tuple[Any, Any, Any]:
    """Arrow's options for `columns` float32 columns without a header (names c0, c1, ...).
    `use_threads` lets each reader read ahead; it also keeps Arrow's error messages free of
    row numbers, which would count from the start of a piece rather than of the file."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{index}" for index in range(columns)]
    return (
        pacsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES, use_threads=True),
        pacsv.ParseOptions(delimiter=delimiter),
        pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.float32())),
    )


def read_csv_rows(
    files: Sequence[Path], columns: int, delimiter: str, *, weighted: bool, threads: int
) -> tuple[F32, F32, F32 | None]:
    """(features, label, weight) of every row of `files`, read on up to `threads` threads."""
    threads = max(1, min(threads, os.cpu_count() or 1))
    pieces = cut_pieces(files)
    counts = run_all(lambda index: count_rows(pieces[index]), range(len(pieces)), threads)
    offsets = [0]
    for count in counts:
        offsets.append(offsets[-1] + count)
    rows = Rows.allocate(offsets[-1], columns, weighted)
    read = read_pieces(pieces, rows, offsets, threads, reader_options(columns, delimiter))
    return rows.first(read)
