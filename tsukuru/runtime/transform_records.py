"""Reading an input file as SageMaker splits it: whole (SplitType None) or into lines.

With SplitType Line the file is read in blocks cut at the last newline that keeps the block
within the payload limit, so a MultiRecord mini-batch is one slice of the file handed to the
model as it is, never split into lines and joined again in Python. A record larger than
MaxPayloadInMB fails the job naming its line, as a request SageMaker cannot send would.

Blank lines are not sent as records; a block that holds some keeps the line number of every
record so errors still point at the right line. CRLF line ends are read as LF.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from tsukuru.runtime.transform_settings import MIB, InputFile, TransformSettings

READ_BYTES = 1 * MIB  # at least this much is read at a time


class RecordError(Exception):
    """A record cannot be read or transformed; `line` is its 1-based line (None: whole file)."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        last_line: int | None = None,
        kind: str = "ClientError",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.last_line = last_line
        self.kind = kind  # ClientError (the data or the request) or AlgorithmError (the model)

    def where(self) -> str:
        if self.line is None:
            return ""
        if self.last_line is not None and self.last_line != self.line:
            return f", lines {self.line}-{self.last_line}"
        return f", line {self.line}"


@dataclass(frozen=True)
class Batch:
    """Whole records of one file: `body` holds `count` records separated by single newlines."""

    sequence: int
    body: bytes
    count: int
    first_line: int
    line_numbers: tuple[int, ...] | None = None  # set when blank lines were dropped

    def line_of(self, record: int) -> int:
        """The file line of the batch's `record`-th record (0-based)."""
        if self.line_numbers is not None:
            return self.line_numbers[record]
        return self.first_line + record

    @property
    def last_line(self) -> int:
        return self.line_of(self.count - 1) if self.count else self.first_line

    def records(self) -> list[bytes]:
        return self.body.split(b"\n") if self.count else []


def open_input(item: InputFile, settings: TransformSettings) -> BinaryIO:
    handle = item.path.open("rb")
    if settings.gzip:
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    return handle


def read_batches(item: InputFile, settings: TransformSettings) -> Iterator[Batch]:
    """The file's records in batches of at most `settings.batch_bytes` bytes."""
    try:
        with open_input(item, settings) as stream:
            if settings.split_lines:
                yield from _line_batches(stream, settings)
            else:
                yield _whole_file(stream, settings)
    except (OSError, EOFError, zlib.error) as exc:
        what = "gzip data" if settings.gzip else "file"
        raise RecordError(f"the {what} cannot be read: {exc}") from None


def _whole_file(stream: BinaryIO, settings: TransformSettings) -> Batch:
    body = stream.read()
    limit = settings.max_payload_bytes
    if limit is not None and len(body) > limit:
        raise RecordError(
            f"the object is {len(body)} bytes, more than MaxPayloadInMB allows "
            f"({limit // MIB} MB) for one request; use SplitType Line to send it in "
            "mini-batches, or raise MaxPayloadInMB (at most 100)"
        )
    return Batch(0, body, 1 if body else 0, 1)


def _line_batches(stream: BinaryIO, settings: TransformSettings) -> Iterator[Batch]:
    limit = settings.batch_bytes
    carry = b""
    line = 1
    sequence = 0
    eof = False
    while True:
        if not eof and len(carry) <= limit:
            block = stream.read(max(limit + 1 - len(carry), READ_BYTES))
            eof = not block
            data = carry + block if carry else block
            while not eof and len(data) <= limit:
                block = stream.read(max(limit + 1 - len(data), READ_BYTES))
                eof = not block
                data += block
        else:
            data = carry
        if not data:
            return
        rest = data.rstrip(b"\r\n") if eof else b""
        if eof and len(rest) <= limit:
            chunk, carry = rest, b""
        else:
            cut = data.rfind(b"\n", 0, limit + 1)
            if cut < 0:
                end = data.find(b"\n")
                size = end if end >= 0 else len(data)
                raise RecordError(
                    f"the record is {size if end >= 0 else f'more than {size}'} bytes, more "
                    f"than MaxPayloadInMB allows ({limit // MIB} MB) for one request",
                    line,
                )
            chunk, carry = data[:cut], data[cut + 1 :]
        lines_read = chunk.count(b"\n") + 1
        batch = _batch(sequence, chunk, line)
        if batch.count:
            yield batch
            sequence += 1
        line += lines_read
        if eof and not carry:
            return


def lines_of(body: bytes) -> Batch:
    """A whole object's non-blank lines as one batch (CSV rows or JSON lines of SplitType None)."""
    return _batch(0, body.rstrip(b"\r\n"), 1)


def _batch(sequence: int, chunk: bytes, first_line: int) -> Batch:
    if b"\r" in chunk:
        chunk = chunk.replace(b"\r\n", b"\n").rstrip(b"\r")
    if b"\n\n" not in chunk and not chunk.startswith(b"\n") and not chunk.endswith(b"\n"):
        return Batch(sequence, chunk, chunk.count(b"\n") + 1 if chunk else 0, first_line)
    kept: list[bytes] = []
    numbers: list[int] = []
    for offset, record in enumerate(chunk.split(b"\n")):
        if record.strip():
            kept.append(record)
            numbers.append(first_line + offset)
    return Batch(sequence, b"\n".join(kept), len(kept), first_line, tuple(numbers))
