"""Undoing `Content-Encoding: aws-chunked`, the framing S3 clients use to stream uploads.

Over HTTPS (and whenever checksums are computed while streaming) boto3 and the AWS CLI send
PutObject/UploadPart bodies as

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n ... 0[;chunk-signature=<sig>]\\r\\n
    [<trailer-name>:<value>\\r\\n ...]\\r\\n

with `X-Amz-Decoded-Content-Length` announcing the real size and the checksum
(`x-amz-checksum-crc32`, ...) in the trailer. The gateway decodes this before parsing, so the
parser and handlers only ever see the object bytes and ordinary headers.
"""

from __future__ import annotations

from dataclasses import replace

from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.wire import Headers, WireRequest

CRLF = b"\r\n"
AWS_CHUNKED = "aws-chunked"


def is_aws_chunked(req: WireRequest) -> bool:
    encodings = req.headers.get("Content-Encoding", "")
    return AWS_CHUNKED in (token.strip().lower() for token in encodings.split(","))


def decode_aws_chunked(req: WireRequest) -> WireRequest:
    """The same request with the chunk framing removed and the trailers merged into headers.

    Requests without aws-chunked encoding are returned unchanged.
    """
    if not is_aws_chunked(req):
        return req
    body, trailers = decode_chunks(req.body)
    declared = req.headers.get("X-Amz-Decoded-Content-Length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise ServiceError("InvalidRequest", "X-Amz-Decoded-Content-Length must be a number")
        if int(declared) != len(body):
            raise _incomplete(
                f"X-Amz-Decoded-Content-Length is {declared} but the chunks hold {len(body)} bytes"
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
    headers["Content-Length"] = str(len(body))
    headers.update(trailers)
    return replace(req, body=body, headers=Headers(headers))


def decode_chunks(framed: bytes) -> tuple[bytes, dict[str, str]]:
    """(decoded body, trailing headers) of an aws-chunked body; IncompleteBody if malformed."""
    parts: list[bytes] = []
    position = 0
    while True:
        line_end = framed.find(CRLF, position)
        if line_end < 0:
            raise _incomplete("a chunk header is not terminated by CRLF")
        size = _chunk_size(framed[position:line_end])
        position = line_end + 2
        if size == 0:
            break
        data_end = position + size
        if data_end + 2 > len(framed):
            raise _incomplete(f"a chunk announces {size} bytes but the body ends early")
        if framed[data_end : data_end + 2] != CRLF:
            raise _incomplete("a chunk's data is not followed by CRLF")
        parts.append(framed[position:data_end])
        position = data_end + 2
    return b"".join(parts), _trailers(framed[position:])


def _chunk_size(header: bytes) -> int:
    size_text = header.split(b";", 1)[0].strip()
    try:
        size = int(size_text, 16)
    except ValueError:
        raise _invalid(f"bad chunk size {size_text[:20]!r}") from None
    if size < 0:
        raise _invalid("negative chunk size")
    return size


def _trailers(rest: bytes) -> dict[str, str]:
    trailers: dict[str, str] = {}
    for raw_line in rest.split(CRLF):
        line = raw_line.strip()
        if not line:
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name.strip():
            raise _invalid(f"bad trailer line {line[:60]!r}")
        try:
            trailers[name.strip().decode("ascii")] = value.strip().decode("ascii")
        except UnicodeDecodeError:
            raise _invalid("trailer lines must be ASCII") from None
    return trailers


def _incomplete(message: str) -> ServiceError:
    return ServiceError("IncompleteBody", f"The request body is incomplete: {message}")


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", f"Malformed aws-chunked body: {message}")
