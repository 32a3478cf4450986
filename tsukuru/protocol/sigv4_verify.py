"""Checking a SigV4 signature: the canonical request, the string to sign, the signing key.

Written from the published Signature Version 4 algorithm. The gateway's authentication step
(`tsukuru.protocol.auth`) calls this with the secret of `parse_sigv4(req).access_key` *before*
decoding an aws-chunked body, because the signature covers the bytes as sent. Service
differences that matter:

* S3 signs the path as sent (encoded once); every other service signs it normalized and
  percent-encoded a second time. A client that sends a character unencoded which the spec
  encodes (`!`, `*`, `'`, ...) signed the spec's form, so S3 paths get a second try with each
  segment decoded and re-encoded.
* The payload hash is `X-Amz-Content-SHA256` when the client sends it (S3 always does: a hex
  digest, `UNSIGNED-PAYLOAD` or a `STREAMING-*` marker), else the SHA-256 of the body; a
  presigned S3 URL signs the literal `UNSIGNED-PAYLOAD`.

The derived signing key depends only on (secret, date, region, service), so it is cached: a
request costs two SHA-256 digests and one HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from urllib.parse import quote, unquote

from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.sigv4 import ALGORITHM, SigV4Credential, parse_sigv4
from tsukuru.protocol.wire import WireRequest

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def canonical_request(
    req: WireRequest, cred: SigV4Credential, payload: str, uri: str | None = None
) -> str:
    lines = [
        req.method.upper(),
        canonical_uri(req.raw_path, cred.service) if uri is None else uri,
        canonical_query(req.query_string, drop_signature=cred.presigned),
        "".join(f"{name}:{_header_value(req, name)}\n" for name in cred.signed_headers),
        ";".join(cred.signed_headers),
        payload,
    ]
    return "\n".join(lines)


@lru_cache(maxsize=1024)  # the same few paths (an endpoint's invocations) arrive again and again
def canonical_uri(raw_path: str, service: str) -> str:
    path = raw_path or "/"
    if service == "s3":
        return path
    return quote(_remove_dot_segments(path), safe="/~")


def reencoded_s3_uri(raw_path: str) -> str:
    """The S3 path as the spec encodes it: each segment decoded, then encoded once."""
    return "/".join(quote(unquote(segment), safe="~") for segment in (raw_path or "/").split("/"))


def canonical_query(query_string: str, *, drop_signature: bool) -> str:
    if not query_string:
        return ""
    pairs: list[tuple[str, str]] = []
    for part in query_string.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        key, value = _encode(unquote(key)), _encode(unquote(value))
        if drop_signature and key == "X-Amz-Signature":
            continue
        pairs.append((key, value))
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def declared_payload_hash(req: WireRequest, cred: SigV4Credential) -> str | None:
    """What the client says it signed as the payload hash, if it says so."""
    declared = req.headers.get("X-Amz-Content-SHA256")
    if declared:
        return declared.strip()
    if cred.presigned:
        for key, value in req.query:
            if key.lower() == "x-amz-content-sha256":
                return value
    return None


def payload_hash(req: WireRequest, cred: SigV4Credential) -> str:
    declared = declared_payload_hash(req, cred)
    if declared is not None:
        return declared
    if cred.presigned and cred.service == "s3":
        return UNSIGNED_PAYLOAD
    return body_sha256(req)


def body_sha256(req: WireRequest) -> str:
    if req.spooled is not None:
        digest = hashlib.sha256()
        for chunk in req.spooled:
            digest.update(chunk)
        return digest.hexdigest()
    return hashlib.sha256(req.body).hexdigest() if req.body else EMPTY_SHA256


def is_hex_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value)


def scope(cred: SigV4Credential) -> str:
    return f"{cred.date}/{cred.region}/{cred.service}/aws4_request"


def string_to_sign(canonical: str, cred: SigV4Credential) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{cred.amz_date}\n{scope(cred)}\n{digest}"


@lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning; cached, since it changes once a day per (key, region, service)."""
    key = hmac_sha256(f"AWS4{secret}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = hmac_sha256(key, part)
    return key


def sign(key: bytes, text: str) -> str:
    return hmac.digest(key, text.encode("utf-8"), "sha256").hex()


def signature(req: WireRequest, cred: SigV4Credential, secret: str) -> str:
    canonical = canonical_request(req, cred, payload_hash(req, cred))
    key = signing_key(secret, cred.date, cred.region, cred.service)
    return sign(key, string_to_sign(canonical, cred))


def matches(req: WireRequest, cred: SigV4Credential, key: bytes, payload: str) -> str | None:
    """None when the request's signature is right; else the canonical request we expected."""
    canonical = canonical_request(req, cred, payload)
    if _same(sign(key, string_to_sign(canonical, cred)), cred.signature):
        return None
    if cred.service == "s3":
        alternative = reencoded_s3_uri(req.raw_path)
        if alternative != (req.raw_path or "/"):
            second = canonical_request(req, cred, payload, uri=alternative)
            if _same(sign(key, string_to_sign(second, cred)), cred.signature):
                return None
    return canonical


def verify(req: WireRequest, secret: str) -> bool:
    """True when the request carries a valid SigV4 signature made with `secret`.

    Version-2 signatures and anonymous requests are never valid here. Expiry, clock skew and the
    payload hash are the caller's policy (`tsukuru.protocol.auth`).
    """
    try:
        cred = parse_sigv4(req)
    except ServiceError:
        return False
    if cred is None or cred.version != 4 or not cred.amz_date:
        return False
    key = signing_key(secret, cred.date, cred.region, cred.service)
    return matches(req, cred, key, payload_hash(req, cred)) is None


def hmac_sha256(key: bytes, message: str) -> bytes:
    return hmac.digest(key, message.encode("utf-8"), "sha256")


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii", "replace"))


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _header_value(req: WireRequest, name: str) -> str:
    return " ".join(req.headers.get(name, "").split())


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, keeping a trailing slash."""
    output: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(output) > 1:
                output.pop()
        elif segment != ".":
            output.append(segment)
    normalized = "/".join(output)
    if not normalized.startswith("/"):
        normalized = "/" + normalized
    if path.endswith(("/.", "/..")) and not normalized.endswith("/"):
        normalized += "/"
    return normalized
