"""The errors a failed authentication answers with, in each service's own vocabulary.

Clients and scripts match on these codes, so they are the ones AWS sends: S3 speaks of
`InvalidAccessKeyId`, `SignatureDoesNotMatch`, `RequestTimeTooSkewed` and `AccessDenied`; the
query services (STS, IAM) of `InvalidClientTokenId`, `SignatureDoesNotMatch` and
`MissingAuthenticationToken`; the JSON services (SageMaker, SageMaker Runtime, CloudWatch Logs)
of `UnrecognizedClientException`, `InvalidSignatureException` and
`MissingAuthenticationTokenException`. Every message ends with the one command that fixes the
usual cause, a shell without the platform's keys.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from tsukuru.protocol.errors import ServiceError

HINT = ' (run: eval "$(tsukuru env)")'
AMZ_DATE = "%Y%m%dT%H%M%SZ"
Family = Literal["s3", "query", "json"]
QUERY_SERVICES = ("sts", "iam")
_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
_TOKEN_MESSAGE = "The security token included in the request is invalid."


def family(service: str) -> Family:
    if service == "s3":
        return "s3"
    return "query" if service in QUERY_SERVICES else "json"


def _error(code: str, message: str, status: int, **extra: str) -> ServiceError:
    return ServiceError(code=code, message=message + HINT, status=status, extra=extra)


def anonymous(service: str) -> ServiceError:
    kind = family(service)
    if kind == "s3":
        return _error("AccessDenied", "Access Denied: the request is not signed", 403)
    if kind == "query":
        return _error("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
    return _error("MissingAuthenticationTokenException", "Missing Authentication Token", 403)


def unknown_key(service: str, access_key: str) -> ServiceError:
    kind = family(service)
    if kind == "s3":
        return _error(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            403,
            AWSAccessKeyId=access_key,
        )
    if kind == "query":
        return _error("InvalidClientTokenId", _TOKEN_MESSAGE, 403)
    return _error("UnrecognizedClientException", _TOKEN_MESSAGE, 400)


def bad_signature(
    service: str,
    access_key: str,
    *,
    detail: str = "",
    string_to_sign: str = "",
    canonical_request: str = "",
    provided: str = "",
) -> ServiceError:
    """Wrong secret, or a request altered after signing. S3 also returns what it expected to be
    signed (no secret in it), which is how a hand-written signer is debugged."""
    message = _SIGNATURE_MESSAGE + (f" ({detail})" if detail else "")
    kind = family(service)
    if kind == "s3":
        extra = {"AWSAccessKeyId": access_key}
        if provided:
            extra["SignatureProvided"] = provided
        if string_to_sign:
            extra["StringToSign"] = string_to_sign
        if canonical_request:
            extra["CanonicalRequest"] = canonical_request
        return _error("SignatureDoesNotMatch", message, 403, **extra)
    if kind == "query":
        return _error("SignatureDoesNotMatch", message, 403)
    return _error("InvalidSignatureException", message, 403)


def skewed(service: str, signed_at: datetime, now: datetime, max_skew: timedelta) -> ServiceError:
    """The signing time is further from the server's clock than `max_skew`."""
    if family(service) == "s3":
        return _error(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            403,
            RequestTime=signed_at.strftime(AMZ_DATE),
            ServerTime=now.strftime(AMZ_DATE),
            MaxAllowedSkewMilliseconds=str(int(max_skew.total_seconds() * 1000)),
        )
    minutes = int(max_skew.total_seconds() // 60)
    if signed_at < now:
        message = (
            f"Signature expired: {signed_at.strftime(AMZ_DATE)} is now earlier than "
            f"{(now - max_skew).strftime(AMZ_DATE)} ({now.strftime(AMZ_DATE)} - {minutes} min.)"
        )
    else:
        message = (
            f"Signature not yet current: {signed_at.strftime(AMZ_DATE)} is still later than "
            f"{(now + max_skew).strftime(AMZ_DATE)} ({now.strftime(AMZ_DATE)} + {minutes} min.)"
        )
    code = "SignatureDoesNotMatch" if family(service) == "query" else "InvalidSignatureException"
    return _error(code, message, 403)


def expired(service: str, expires_at: datetime, now: datetime) -> ServiceError:
    """A presigned URL used after its lifetime."""
    if family(service) == "s3":
        return _error(
            "AccessDenied",
            "Request has expired",
            403,
            Expires=expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    return _error("RequestExpired", "Request has expired", 403)


def not_yet_valid(service: str) -> ServiceError:
    """A presigned URL whose signing time lies in the future beyond the allowed skew."""
    if family(service) == "s3":
        return _error("AccessDenied", "Request is not valid yet", 403)
    return _error("RequestExpired", "Request is not valid yet", 403)


def malformed(service: str, message: str, *, presigned: bool) -> ServiceError:
    """A signature that cannot be checked as written (missing date, bad expiry, ...)."""
    if family(service) == "s3":
        code = "AuthorizationQueryParametersError" if presigned else "AuthorizationHeaderMalformed"
        return _error(code, message, 400)
    return _error("IncompleteSignature", message, 400)


def payload_mismatch(service: str, access_key: str, declared: str, computed: str) -> ServiceError:
    """`X-Amz-Content-SHA256` names a digest the body does not have."""
    if family(service) == "s3":
        return _error(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
            ClientComputedContentSHA256=declared,
            S3ComputedContentSHA256=computed,
        )
    return bad_signature(service, access_key, detail="x-amz-content-sha256 does not match the body")


def bad_payload_marker(service: str, value: str) -> ServiceError:
    message = (
        f"x-amz-content-sha256 {value[:80]!r} must be UNSIGNED-PAYLOAD, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        "or a valid sha256 value."
    )
    if family(service) == "s3":
        return _error("InvalidArgument", message, 400, ArgumentName="x-amz-content-sha256")
    return _error("IncompleteSignature", message, 400)


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
