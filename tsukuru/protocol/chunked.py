"""Undoing `Content-Encoding: aws-chunked`, the framing S3 clients use to stream uploads.

Over HTTPS (and whenever checksums are computed while streaming) boto3 and the AWS CLI send
PutObject/UploadPart bodies as

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n ... 0[;chunk-signature=<sig>]\\r\\n
    [<trailer-name>:<value>\\r\\n ...]\\r\\n

with `X-Amz-Decoded-Content-Length` announcing the real size and the checksum
(`x-amz-checksum-crc32`, ...) in the trailer. The gateway decodes this before parsing, so the
parser and handlers only ever see the object bytes and ordinary headers.

A body is aws-chunked when `Content-Encoding` says so or when `X-Amz-Content-SHA256` announces a
`STREAMING-*` payload (S3 accepts both). Whoever authenticated the request may pass a
`ChunkCheck`, which sees every chunk with its `chunk-signature` and the trailer lines as they are
decoded (`tsukuru.protocol.sigv4_chunks` verifies the signature chain); the decoder itself
judges only the framing. A body the gateway spooled to a file is decoded from that file into a
sibling file, chunk by chunk, so a 5 GiB upload is never held in memory.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import BinaryIO, Protocol

from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.wire import Headers, SpooledBody, WireRequest

CRLF = b"\r\n"
AWS_CHUNKED = "aws-chunked"
STREAMING_PREFIX = "STREAMING-"
SIGNATURE_EXTENSION = "chunk-signature="
TRAILER_SIGNATURE = "x-amz-trailer-signature"
MAX_HEADER_LINE = 4096  # `<hex size>;chunk-signature=<64 hex>` is under 100 bytes
MAX_TRAILER_BYTES = 64 * 1024


class ChunkCheck(Protocol):
    """Sees an aws-chunked body as it is decoded; raises to reject it."""

    def chunk(self, data: bytes, signature: str | None) -> None:
        """One chunk (the final empty one included) and its `chunk-signature`, if any."""

    def trailer(self, lines: Sequence[tuple[str, str]]) -> None:
        """The trailer lines (name, value) as sent, `x-amz-trailer-signature` included."""


def is_aws_chunked(req: WireRequest) -> bool:
    encodings = req.headers.get("Content-Encoding", "")
    if AWS_CHUNKED in (token.strip().lower() for token in encodings.split(",")):
        return True
    return req.headers.get("X-Amz-Content-SHA256", "").startswith(STREAMING_PREFIX)


def decode_aws_chunked(req: WireRequest, check: ChunkCheck | None = None) -> WireRequest:
    """The same request with the chunk framing removed and the trailers merged into headers.

    Requests without aws-chunked encoding are returned unchanged.
    """
    if not is_aws_chunked(req):
        return req
    body = b""
    spooled = None
    if req.spooled is not None:
        decoded = req.spooled.path + ".decoded"
        with req.spooled.open() as source, open(decoded, "wb") as out:
            size, trailers = decode_stream(source, out.write, check)
        spooled = SpooledBody(decoded, size)
    else:
        body, trailers = decode_chunks(req.body, check)
        size = len(body)
    declared = req.headers.get("X-Amz-Decoded-Content-Length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise ServiceError("InvalidRequest", "X-Amz-Decoded-Content-Length must be a number")
        if int(declared) != size:
            raise _incomplete(
                f"X-Amz-Decoded-Content-Length is {declared} but the chunks hold {size} bytes"
            )
    headers: dict[str, str] = {}
    for name, value in req.headers.items():
        lowered = name.lower()
        if lowered == "content-encoding":
            rest = [t.strip() for t in value.split(",") if t.strip().lower() != AWS_CHUNKED]
            if rest:
                headers[name] = ", ".join(rest)
        elif lowered != "content-length":
            headers[name] = value
    headers["Content-Length"] = str(size)
    headers.update((k, v) for k, v in trailers if k.lower() != TRAILER_SIGNATURE)
    return replace(req, body=body, spooled=spooled, headers=Headers(headers))


def decode_chunks(
    framed: bytes, check: ChunkCheck | None = None
) -> tuple[bytes, list[tuple[str, str]]]:
    """(decoded body, trailing header lines) of an aws-chunked body; IncompleteBody if
    malformed, or whatever `check` raises."""
    parts: list[bytes] = []
    _, trailers = decode_stream(io.BytesIO(framed), parts.append, check)
    return b"".join(parts), trailers


def decode_stream(
    source: BinaryIO, write: Callable[[bytes], object], check: ChunkCheck | None = None
) -> tuple[int, list[tuple[str, str]]]:
    """Decode the aws-chunked body read from `source`, handing each chunk's data to `write`;
    returns (decoded size, trailing header lines). One chunk at a time is in memory."""
    size_total = 0
    while True:
        line = source.readline(MAX_HEADER_LINE)
        if not line.endswith(CRLF):
            raise _incomplete("a chunk header is not terminated by CRLF")
        size, signature = _chunk_header(line[:-2])
        if size == 0:
            if check is not None:
                check.chunk(b"", signature)
            break
        data = source.read(size)
        end = source.read(2)
        if len(data) < size or len(end) < 2:
            raise _incomplete(f"a chunk announces {size} bytes but the body ends early")
        if end != CRLF:
            raise _incomplete("a chunk's data is not followed by CRLF")
        if check is not None:
            check.chunk(data, signature)
        write(data)
        size_total += size
    trailers = _trailers(source.read(MAX_TRAILER_BYTES + 1)[:MAX_TRAILER_BYTES])
    if check is not None:
        check.trailer(trailers)
    return size_total, trailers


def _chunk_header(header: bytes) -> tuple[int, str | None]:
    """(size, chunk-signature or None) of `<hex size>[;name=value...]`."""
    size_text, _, extensions = header.partition(b";")
    size_text = size_text.strip()
    try:
        size = int(size_text, 16)
    except ValueError:
        raise _invalid(f"bad chunk size {size_text[:20]!r}") from None
    if size < 0:
        raise _invalid("negative chunk size")
    signature = None
    for extension in extensions.split(b";"):
        text = extension.strip().decode("ascii", "replace")
        if text.startswith(SIGNATURE_EXTENSION):
            signature = text[len(SIGNATURE_EXTENSION) :]
    return size, signature


def _trailers(rest: bytes) -> list[tuple[str, str]]:
    trailers: list[tuple[str, str]] = []
    for raw_line in rest.split(CRLF):
        line = raw_line.strip()
        if not line:
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name.strip():
            raise _invalid(f"bad trailer line {line[:60]!r}")
        try:
            trailers.append((name.strip().decode("ascii"), value.strip().decode("ascii")))
        except UnicodeDecodeError:
            raise _invalid("trailer lines must be ASCII") from None
    return trailers


def _incomplete(message: str) -> ServiceError:
    return ServiceError("IncompleteBody", f"The request body is incomplete: {message}")


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", f"Malformed aws-chunked body: {message}")
