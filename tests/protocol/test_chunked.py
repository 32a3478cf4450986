"""aws-chunked bodies, as botocore streams them over HTTPS and as signed-chunk clients do."""

from __future__ import annotations

import pytest

from tests.protocol.oracle import capture
from tsukuru.protocol.chunked import decode_aws_chunked, decode_chunks
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.parse import parse_request, resolve_operation
from tsukuru.protocol.specs import service_model
from tsukuru.protocol.wire import Headers, WireRequest

SIG = "chunk-signature=" + "a" * 64


def chunked_request(body: bytes, **extra: str) -> WireRequest:
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Length": str(len(body)),
        **extra,
    }
    return WireRequest(method="PUT", raw_path="/b/k", headers=Headers(headers), body=body)


def test_botocore_https_upload_with_trailing_checksum() -> None:
    data = bytes(range(256)) * 300  # several botocore chunks
    plain = capture("s3", "put_object", Bucket="b", Key="k", Body=data)
    framed = capture(
        "s3", "put_object", endpoint="https://localhost:4590", Bucket="b", Key="k", Body=data
    )
    assert framed.headers["Content-Encoding"] == "aws-chunked"
    assert framed.body != data
    decoded = decode_aws_chunked(framed)
    assert decoded.body == data
    assert decoded.headers["x-amz-checksum-crc32"] == plain.headers["x-amz-checksum-crc32"]
    assert "Content-Encoding" not in decoded.headers
    assert decoded.headers["Content-Length"] == str(len(data))
    s3 = service_model("s3")
    params = parse_request(s3, resolve_operation(s3, decoded), decoded)
    assert params["Body"] == data
    assert params["ContentLength"] == len(data)
    assert params["ChecksumCRC32"] == plain.headers["x-amz-checksum-crc32"]


def test_signed_chunks_without_trailer() -> None:
    body = f"5;{SIG}\r\nhello\r\n6;{SIG}\r\n world\r\n0;{SIG}\r\n\r\n".encode()
    decoded = decode_aws_chunked(chunked_request(body, **{"X-Amz-Decoded-Content-Length": "11"}))
    assert decoded.body == b"hello world"


def test_signed_chunks_with_trailer() -> None:
    body = (
        f"3;{SIG}\r\nabc\r\n0;{SIG}\r\n"
        "x-amz-checksum-sha256:c2hh\r\nx-amz-trailer-signature:" + "b" * 64 + "\r\n\r\n"
    ).encode()
    decoded = decode_aws_chunked(chunked_request(body))
    assert decoded.body == b"abc"
    assert decoded.headers["x-amz-checksum-sha256"] == "c2hh"


def test_other_content_encodings_are_kept() -> None:
    req = chunked_request(b"0\r\n\r\n", **{"Content-Encoding": "aws-chunked, gzip"})
    assert decode_aws_chunked(req).headers["Content-Encoding"] == "gzip"


def test_plain_requests_are_untouched() -> None:
    req = WireRequest(method="PUT", raw_path="/b/k", body=b"5\r\nhello\r\n0\r\n\r\n")
    assert decode_aws_chunked(req) is req


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"5\r\nhel", "IncompleteBody"),
        (b"5\r\nhelloXX0\r\n\r\n", "IncompleteBody"),
        (b"zz\r\nhello\r\n0\r\n\r\n", "InvalidRequest"),
        (b"5\r\nhello\r\n", "IncompleteBody"),
        (b"0\r\nno-colon-here\r\n\r\n", "InvalidRequest"),
    ],
)
def test_malformed_framing(body: bytes, code: str) -> None:
    with pytest.raises(ServiceError) as caught:
        decode_chunks(body)
    assert (caught.value.code, caught.value.status) == (code, 400)


def test_decoded_length_mismatch() -> None:
    req = chunked_request(b"5\r\nhello\r\n0\r\n\r\n", **{"X-Amz-Decoded-Content-Length": "6"})
    with pytest.raises(ServiceError) as caught:
        decode_aws_chunked(req)
    assert caught.value.code == "IncompleteBody"
