"""Domain refusals as S3 sends them: S3's error code, its HTTP status and its extra fields.

S3 clients branch on status as much as on code (a 404 from HeadBucket means "create it", a 304
means "use your copy", a 412 means "someone else wrote first"), so each code carries the status
S3 uses. The extra fields (`Key`, `BucketName`, `Condition`, ...) go into the error document.
"""

from __future__ import annotations

from tsukuru.domain.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    Invalid,
    LimitExceeded,
    NotFound,
)
from tsukuru.protocol.errors import ServiceError

STATUS_BY_CODE = {
    "NoSuchBucket": 404,
    "NoSuchKey": 404,
    "NoSuchUpload": 404,
    "NoSuchVersion": 404,
    "NoSuchBucketPolicy": 404,
    "NoSuchTagSet": 404,
    "NoSuchCORSConfiguration": 404,
    "NoSuchLifecycleConfiguration": 404,
    "NoSuchWebsiteConfiguration": 404,
    "BucketNotEmpty": 409,
    "BucketAlreadyOwnedByYou": 409,
    "BucketAlreadyExists": 409,
    "OperationAborted": 409,
    "InvalidBucketName": 400,
    "InvalidLocationConstraint": 400,
    "IllegalLocationConstraintException": 400,
    "KeyTooLongError": 400,
    "UserKeyMustBeSpecified": 400,
    "MetadataTooLarge": 400,
    "EntityTooLarge": 400,
    "EntityTooSmall": 400,
    "BadDigest": 400,
    "InvalidDigest": 400,
    "InvalidArgument": 400,
    "InvalidRequest": 400,
    "InvalidPart": 400,
    "InvalidPartOrder": 400,
    "InvalidPartNumber": 416,
    "MalformedXML": 400,
    "InvalidRange": 416,
    "PreconditionFailed": 412,
    "NotModified": 304,
    "AccessDenied": 403,
    "InternalError": 500,
}
_DEFAULT_CODES: tuple[tuple[type[DomainError], str, int], ...] = (
    (NotFound, "NoSuchKey", 404),
    (AlreadyExists, "BucketAlreadyExists", 409),
    (Invalid, "InvalidArgument", 400),
    (Conflict, "OperationAborted", 409),
    (LimitExceeded, "EntityTooLarge", 400),
)
# Fields of NotModified that S3 sends as headers, not in a document (304 has no body).
_HEADER_DETAILS = {"ETag", "Last-Modified"}


def s3_error(exc: DomainError) -> ServiceError:
    """The ServiceError S3 answers for a domain refusal."""
    code, status = _code_and_status(exc)
    details: dict[str, str] = dict(getattr(exc, "details", None) or {})
    headers = {name: details.pop(name) for name in list(details) if name in _HEADER_DETAILS}
    return ServiceError(
        code=code,
        message=exc.message,
        status=status,
        sender_fault=status < 500,
        extra=details,
        headers=headers,
    )


def translate_s3_error(exc: Exception) -> ServiceError | None:
    """For the dispatcher: a DomainError in S3's words, anything else left alone (None)."""
    if isinstance(exc, DomainError):
        return s3_error(exc)
    return None


def _code_and_status(exc: DomainError) -> tuple[str, int]:
    for cls, default_code, default_status in _DEFAULT_CODES:
        if isinstance(exc, cls):
            code = exc.code or default_code
            return code, STATUS_BY_CODE.get(code, default_status)
    code = exc.code or "InternalError"
    return code, STATUS_BY_CODE.get(code, 500)
