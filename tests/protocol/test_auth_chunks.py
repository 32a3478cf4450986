"""Signed streaming uploads: the header signature seeds a chain of chunk signatures.

The anchor is AWS's published example (S3 API reference, "Transferring payload in multiple
chunks"): its seed and chunk signatures must verify as printed. Trailer signatures and large
bodies use a small signer written here from the same published algorithm.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from dataclasses import replace

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.protocol.auth_support import HOST, check, dispatch, error_of, passed, with_host
from tests.protocol.oracle import ACCESS_KEY, REGION, SECRET_KEY, capture, to_wire
from tsukuru.protocol.auth import Authenticator
from tsukuru.protocol.chunked import decode_aws_chunked
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.sigv4 import parse_sigv4
from tsukuru.protocol.wire import Headers, WireRequest

# --- AWS's example: 66560 bytes of "a" in chunks of 65536, 1024 and 0 -----------------------
EXAMPLE_KEY = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EXAMPLE_TIME = 1369353600.0  # 20130524T000000Z
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
CHUNKS = [
    (65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
    (1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
    (0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
]


def example_body(chunks: list[tuple[int, str]] = CHUNKS) -> bytes:
    return b"".join(
        f"{size:x};chunk-signature={sig}\r\n".encode() + b"a" * size + b"\r\n"
        for size, sig in chunks
    )


def example_request(
    body: bytes | None = None, storage_class: str = "REDUCED_REDUNDANCY"
) -> WireRequest:
    signed_headers = (
        "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
        "x-amz-decoded-content-length;x-amz-storage-class"
    )
    headers = {
        "Host": "s3.amazonaws.com",
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": storage_class,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={EXAMPLE_KEY}/20130524/us-east-1/s3/"
        f"aws4_request,SignedHeaders={signed_headers},Signature={SEED}",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "Content-Length": "66824",
    }
    framed = example_body() if body is None else body
    return WireRequest("PUT", "/examplebucket/chunkObject.txt", "", Headers(headers), framed)


EXAMPLE = Authenticator({EXAMPLE_KEY: EXAMPLE_SECRET}.get, now=lambda: EXAMPLE_TIME)


def decode_example(req: WireRequest) -> bytes:
    chain = EXAMPLE(req, parse_sigv4(req), "s3")
    assert chain is not None
    return decode_aws_chunked(req, chain).body


def test_aws_published_example_verifies() -> None:
    req = example_request()
    assert len(req.body) == 66824  # the example's Content-Length: the framing is as published
    assert decode_example(req) == b"a" * 66560


def test_the_seed_covers_the_headers() -> None:
    error = check(EXAMPLE, example_request(storage_class="STANDARD"), "s3")
    assert error is not None
    assert error.code == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(example_body().replace(b"a\r\n400;", b"b\r\n400;"), id="altered-data"),
        pytest.param(example_body([CHUNKS[1], CHUNKS[0], CHUNKS[2]]), id="chunks-swapped"),
        pytest.param(example_body([CHUNKS[0], (1024, "0" * 64), CHUNKS[2]]), id="wrong-signature"),
        pytest.param(example_body().replace(b";chunk-signature=0055", b";x=0055"), id="unsigned"),
        pytest.param(
            example_body() + b"x-amz-trailer-signature:" + b"0" * 64 + b"\r\n\r\n",
            id="unexpected-trailer-signature",
        ),
    ],
)
def test_any_change_to_the_chunks_breaks_the_chain(body: bytes) -> None:
    with pytest.raises(ServiceError) as caught:
        decode_example(example_request(body))
    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.status == 403


def test_a_body_without_its_final_chunk_is_incomplete() -> None:
    body = example_body(CHUNKS[:2])
    with pytest.raises(ServiceError) as caught:
        decode_example(example_request(body))
    assert caught.value.code == "IncompleteBody"


# --- our own signer, from the same algorithm, for trailers and large bodies -------------------


def _key(secret: str, date: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _hex_hmac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def streaming_put(
    data: bytes, chunk_size: int, *, trailer: bool, tamper_trailer: bool = False
) -> WireRequest:
    """A PutObject with signed chunks (and, if `trailer`, a signed CRC32 trailer)."""
    marker = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    headers = {
        "X-Amz-Content-SHA256": marker,
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
    }
    if trailer:
        headers["X-Amz-Trailer"] = "x-amz-checksum-crc32"
    request = AWSRequest(method="PUT", url=f"http://{HOST}/b/k", headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(request)
    signed = with_host(to_wire(request.prepare()))
    cred = parse_sigv4(signed)
    assert cred is not None
    assert cred.amz_date is not None
    key = _key(SECRET_KEY, cred.date)
    scope = f"{cred.date}/{REGION}/s3/aws4_request"
    empty = hashlib.sha256(b"").hexdigest()
    previous = cred.signature
    framed = b""
    pieces = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for piece in pieces:
        digest = hashlib.sha256(piece).hexdigest()
        to_sign = (
            f"AWS4-HMAC-SHA256-PAYLOAD\n{cred.amz_date}\n{scope}\n{previous}\n{empty}\n{digest}"
        )
        previous = _hex_hmac(key, to_sign)
        framed += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + piece + b"\r\n"
    if trailer:
        crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        line = f"x-amz-checksum-crc32:{crc}\n"
        digest = hashlib.sha256(line.encode()).hexdigest()
        to_sign = f"AWS4-HMAC-SHA256-TRAILER\n{cred.amz_date}\n{scope}\n{previous}\n{digest}"
        signature = _hex_hmac(key, to_sign)
        if tamper_trailer:
            line = "x-amz-checksum-crc32:AAAAAA==\n"
        framed += line.replace("\n", "\r\n").encode()
        framed += f"x-amz-trailer-signature:{signature}\r\n\r\n".encode()
    return replace(signed, body=framed)


def test_signed_trailer_verifies_and_its_checksum_reaches_the_parser() -> None:
    data = bytes(range(256)) * 100
    req = streaming_put(data, 8192, trailer=True)
    chain = Authenticator({ACCESS_KEY: SECRET_KEY}.get)(req, parse_sigv4(req), "s3")
    decoded = decode_aws_chunked(req, chain)
    assert decoded.body == data
    assert "x-amz-checksum-crc32" in decoded.headers
    assert "x-amz-trailer-signature" not in decoded.headers


def test_an_altered_trailer_breaks_its_signature() -> None:
    req = streaming_put(b"x" * 100, 64, trailer=True, tamper_trailer=True)
    chain = Authenticator({ACCESS_KEY: SECRET_KEY}.get)(req, parse_sigv4(req), "s3")
    with pytest.raises(ServiceError) as caught:
        decode_aws_chunked(req, chain)
    assert caught.value.code == "SignatureDoesNotMatch"


@pytest.mark.parametrize("size", [1000, 600_000])  # small: on the loop; large: in a worker
def test_dispatcher_checks_chunk_signatures(size: int) -> None:
    req = streaming_put(b"z" * size, 65536, trailer=False)
    assert passed(dispatch(req))
    broken = replace(req, body=req.body.replace(b"zzzz\r\n0;", b"zzzy\r\n0;"))
    assert broken.body != req.body
    response = dispatch(broken)
    assert error_of("s3", "PutObject", response)["Code"] == "SignatureDoesNotMatch"


def test_botocore_unsigned_trailer_upload_needs_no_chunk_signatures() -> None:
    req = with_host(
        capture(
            "s3",
            "put_object",
            endpoint="https://localhost:4590",
            Bucket="b",
            Key="k",
            Body=b"q" * 70000,
        )
    )
    assert req.headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert passed(dispatch(req))
    assert error_of("s3", "PutObject", dispatch(req, secrets={ACCESS_KEY: "x"}))["Code"] == (
        "SignatureDoesNotMatch"
    )
