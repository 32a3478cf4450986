"""Checking a SigV4 signature: the canonical request, the string to sign, the signing key.

Written from the published Signature Version 4 algorithm. The gateway does not enforce
signatures yet; when it does, it calls `verify(req, secret)` with the secret of
`parse_sigv4(req).access_key` *before* decoding an aws-chunked body, because the signature
covers the bytes as sent. Two service differences matter: S3 signs the path exactly as sent,
every other service signs it normalized and percent-encoded a second time; and a presigned S3
URL signs the literal payload hash `UNSIGNED-PAYLOAD`.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote, unquote

from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.sigv4 import ALGORITHM, SigV4Credential, parse_sigv4
from tsukuru.protocol.wire import WireRequest

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def canonical_request(req: WireRequest, cred: SigV4Credential) -> str:
    lines = [
        req.method.upper(),
        canonical_uri(req.raw_path, cred.service),
        canonical_query(req.query_string, drop_signature=cred.presigned),
        "".join(f"{name}:{_header_value(req, name)}\n" for name in cred.signed_headers),
        ";".join(cred.signed_headers),
        payload_hash(req, cred),
    ]
    return "\n".join(lines)


def canonical_uri(raw_path: str, service: str) -> str:
    path = raw_path or "/"
    if service == "s3":
        return path
    return quote(_remove_dot_segments(path), safe="/~")


def canonical_query(query_string: str, *, drop_signature: bool) -> str:
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


def payload_hash(req: WireRequest, cred: SigV4Credential) -> str:
    declared = req.headers.get("X-Amz-Content-SHA256")
    if declared:
        return declared
    if cred.presigned and cred.service == "s3":
        return UNSIGNED_PAYLOAD
    return hashlib.sha256(req.body).hexdigest()


def string_to_sign(req: WireRequest, cred: SigV4Credential) -> str:
    scope = f"{cred.date}/{cred.region}/{cred.service}/aws4_request"
    digest = hashlib.sha256(canonical_request(req, cred).encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{cred.amz_date}\n{scope}\n{digest}"


def signing_key(secret: str, cred: SigV4Credential) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), cred.date)
    for part in (cred.region, cred.service, "aws4_request"):
        key = _hmac(key, part)
    return key


def signature(req: WireRequest, cred: SigV4Credential, secret: str) -> str:
    return hmac.new(
        signing_key(secret, cred), string_to_sign(req, cred).encode("utf-8"), hashlib.sha256
    ).hexdigest()


def verify(req: WireRequest, secret: str) -> bool:
    """True when the request carries a valid SigV4 signature made with `secret`.

    Version-2 signatures and anonymous requests are never valid here. Expiry and clock skew are
    the caller's policy (compare `cred.amz_date` / `cred.expires` with the clock).
    """
    try:
        cred = parse_sigv4(req)
    except ServiceError:
        return False
    if cred is None or cred.version != 4 or not cred.amz_date:
        return False
    return hmac.compare_digest(signature(req, cred, secret), cred.signature)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


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
