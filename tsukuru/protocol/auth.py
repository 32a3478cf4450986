"""Who may call the platform: every AWS request's signature is checked before anything runs.

The dispatcher calls an `Authenticator` after routing (the service decides the error vocabulary,
see `auth_errors`) and before the aws-chunked body is decoded (signatures cover the bytes as
sent). In order, a request is refused when

1. it carries no signature at all (anonymous);
2. its access key is not one the platform issued;
3. its signing time is unreadable, or its credential-scope date differs from it;
4. a presigned URL has expired (`X-Amz-Expires`, at most 7 days; version 2: `Expires`), or a
   header-signed request was signed more than 15 minutes away from the server's clock;
5. `X-Amz-Content-SHA256` is neither a known marker nor the SHA-256 of the body;
6. the signature is not the one the secret makes (`SignatureDoesNotMatch` and kin).

For a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` upload the result is the chunk-signature
chain (seeded by the header signature) that the aws-chunked decoder then walks.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from datetime import timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache

from tsukuru.protocol import auth_errors as errors
from tsukuru.protocol.auth_sigv2 import verify_v2
from tsukuru.protocol.chunked import ChunkCheck
from tsukuru.protocol.sigv4 import SigV4Credential
from tsukuru.protocol.sigv4_chunks import ChunkSignatureChain
from tsukuru.protocol.sigv4_verify import (
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    UNSIGNED_PAYLOAD,
    body_sha256,
    declared_payload_hash,
    is_hex_sha256,
    matches,
    scope,
    signing_key,
    string_to_sign,
)
from tsukuru.protocol.wire import WireRequest

MAX_SKEW_SECONDS = 15 * 60
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
PAYLOAD_MARKERS = frozenset(
    {UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER}
)

SecretFor = Callable[[str], str | None]
Now = Callable[[], float]
Authenticate = Callable[[WireRequest, SigV4Credential | None, str], ChunkCheck | None]


class Authenticator:
    """Checks requests against the secrets `secret_for(access_key)` knows (None: unknown key)."""

    def __init__(
        self, secret_for: SecretFor, now: Now = time.time, max_skew: float = MAX_SKEW_SECONDS
    ) -> None:
        self._secret_for = secret_for
        self._now = now
        self._max_skew = max_skew

    def __call__(
        self, req: WireRequest, cred: SigV4Credential | None, service: str
    ) -> ChunkCheck | None:
        """None, or the chunk check for a signed streaming body; raises the service's error."""
        if cred is None:
            raise errors.anonymous(service)
        secret = self._secret_for(cred.access_key)
        if secret is None:
            raise errors.unknown_key(service, cred.access_key)
        if cred.version == 2:
            self._check_v2(req, cred, secret, service)
            return None
        self._check_time(req, cred, service)
        payload = self._payload(req, cred, service)
        key = signing_key(secret, cred.date, cred.region, cred.service)
        expected = matches(req, cred, key, payload)
        if expected is not None:
            raise errors.bad_signature(
                service,
                cred.access_key,
                string_to_sign=string_to_sign(expected, cred),
                canonical_request=expected,
                provided=cred.signature,
            )
        if payload in (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER) and not cred.presigned:
            return ChunkSignatureChain(
                key,
                cred.amz_date or "",
                scope(cred),
                cred.signature,
                signed_trailer=payload == STREAMING_SIGNED_TRAILER,
                mismatch=lambda detail: errors.bad_signature(
                    service, cred.access_key, detail=detail
                ),
            )
        return None

    def _check_time(self, req: WireRequest, cred: SigV4Credential, service: str) -> None:
        signed_at = _amz_epoch(cred.amz_date)
        if signed_at is None:
            raise errors.malformed(
                service,
                "X-Amz-Date must be a date like 20240101T000000Z"
                if cred.amz_date
                else "AWS authentication requires a valid Date or x-amz-date header",
                presigned=cred.presigned,
            )
        if cred.amz_date is not None and cred.amz_date[:8] != cred.date:
            raise errors.malformed(
                service,
                f"Invalid credential date {cred.date!r}: it is not the date of "
                f"X-Amz-Date {cred.amz_date!r}",
                presigned=cred.presigned,
            )
        now = self._now()
        if cred.presigned:
            self._check_expiry(cred, signed_at, now, service)
        elif abs(now - signed_at) > self._max_skew:
            raise errors.skewed(
                service,
                errors.utc(signed_at),
                errors.utc(now),
                timedelta(seconds=self._max_skew),
            )

    def _check_expiry(
        self, cred: SigV4Credential, signed_at: float, now: float, service: str
    ) -> None:
        lifetime = cred.expires
        if lifetime is None:
            if service == "s3":
                raise errors.malformed(
                    service, "X-Amz-Expires must be a whole number of seconds", presigned=True
                )
            lifetime = int(self._max_skew)
        if lifetime > MAX_PRESIGN_SECONDS:
            raise errors.malformed(
                service,
                f"X-Amz-Expires must be less than a week (in seconds) that is "
                f"{MAX_PRESIGN_SECONDS}",
                presigned=True,
            )
        if signed_at - now > self._max_skew:
            raise errors.not_yet_valid(service)
        if now > signed_at + lifetime:
            raise errors.expired(service, errors.utc(signed_at + lifetime), errors.utc(now))

    def _payload(self, req: WireRequest, cred: SigV4Credential, service: str) -> str:
        """The payload hash to sign with, after checking a declared digest against the body."""
        declared = declared_payload_hash(req, cred)
        if declared is None:
            return UNSIGNED_PAYLOAD if cred.presigned and service == "s3" else body_sha256(req)
        if declared in PAYLOAD_MARKERS:
            return declared
        if not is_hex_sha256(declared):
            raise errors.bad_payload_marker(service, declared)
        computed = body_sha256(req)
        if computed != declared.lower():
            raise errors.payload_mismatch(service, cred.access_key, declared, computed)
        return declared

    def _check_v2(self, req: WireRequest, cred: SigV4Credential, secret: str, service: str) -> None:
        now = self._now()
        if cred.presigned:
            if cred.expires is not None and now > cred.expires:
                raise errors.expired(service, errors.utc(cred.expires), errors.utc(now))
        else:
            signed_at = _http_date_epoch(
                req.headers.get("x-amz-date") or req.headers.get("Date", "")
            )
            if signed_at is None:
                raise errors.malformed(
                    service,
                    "AWS authentication requires a valid Date or x-amz-date header",
                    presigned=False,
                )
            if abs(now - signed_at) > self._max_skew:
                raise errors.skewed(
                    service,
                    errors.utc(signed_at),
                    errors.utc(now),
                    timedelta(seconds=self._max_skew),
                )
        expected = verify_v2(req, cred, secret)
        if expected is not None:
            raise errors.bad_signature(
                service, cred.access_key, string_to_sign=expected, provided=cred.signature
            )


@lru_cache(maxsize=64)  # one value per second of traffic
def _amz_epoch(amz_date: str | None) -> float | None:
    """Seconds since the epoch of `yyyymmddThhmmssZ`, or None if it is not one."""
    text = amz_date or ""
    if len(text) != 16 or text[8] != "T" or text[15] != "Z":
        return None
    digits = text[:8] + text[9:15]
    if not digits.isdigit():
        return None
    parts = (
        int(digits[0:4]),
        int(digits[4:6]),
        int(digits[6:8]),
        int(digits[8:10]),
        int(digits[10:12]),
        int(digits[12:14]),
    )
    if not (1 <= parts[1] <= 12 and 1 <= parts[2] <= 31 and parts[3] < 24 and parts[4] < 60):
        return None
    return float(calendar.timegm((*parts, 0, 0, 0)))


def _http_date_epoch(text: str) -> float | None:
    """An RFC 1123 date (`Date` header) or an ISO basic one (`x-amz-date`) as epoch seconds."""
    stripped = text.strip()
    if not stripped:
        return None
    iso = _amz_epoch(stripped)
    if iso is not None:
        return iso
    try:
        return parsedate_to_datetime(stripped).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
