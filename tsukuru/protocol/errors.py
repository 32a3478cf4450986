"""AWS-style errors raised by the wire layer and by the service adapters.

`ServiceError` carries everything a protocol serializer needs to write the error in its
protocol's shape: the code AWS clients match on, a human message, the HTTP status and whether
the caller (not the server) is at fault. Codes the botocore spec does not model (for example
SageMaker's `ValidationException`) are allowed on purpose.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field


@dataclass
class ServiceError(Exception):
    code: str
    message: str
    status: int = 400
    sender_fault: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def not_implemented(service: str, operation: str) -> ServiceError:
    """The error for an operation the spec has but tsukuru does not serve yet."""
    return ServiceError(
        code="NotImplemented" if service == "s3" else "NotImplementedException",
        message=f"{operation} is not implemented in tsukuru ({service}); "
        "see docs/coverage.md for the operations it serves",
        status=501,
        sender_fault=False,
    )


class BodyTooLarge(Exception):
    """The gateway refused a request body larger than it accepts, without reading it."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a request body of {size} bytes exceeds the limit of {limit} bytes")
        self.size = size
        self.limit = limit


def body_too_large(service: str | None, error: BodyTooLarge) -> ServiceError:
    """S3's EntityTooLarge (a PutObject or UploadPart over 5 GiB); a 413 elsewhere."""
    if service in (None, "s3"):
        return ServiceError(
            code="EntityTooLarge",
            message="Your proposed upload exceeds the maximum allowed size",
            extra={"ProposedSize": str(error.size), "MaxSizeAllowed": str(error.limit)},
        )
    return ServiceError(
        code="RequestEntityTooLarge",
        message=f"The request body of {error.size} bytes exceeds the maximum of "
        f"{error.limit} bytes",
        status=413,
    )


# AWS has no error for a full disk. 507 (WebDAV's Insufficient Storage) says what happened and,
# unlike 500 or 503, is not retried by the SDKs: sending the same bytes again cannot succeed.
STORAGE_FULL_STATUS = 507
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def storage_full(service: str | None) -> ServiceError:
    return ServiceError(
        code="InsufficientStorage",
        message="The platform's disk is full: there was no space left to store this request's "
        "data, so nothing was changed. Free space on the disk that holds the tsukuru home "
        "(or the blobs folder in it) and send the request again.",
        status=STORAGE_FULL_STATUS,
        sender_fault=False,
    )


def is_storage_full(exc: BaseException) -> bool:
    """Whether `exc`, or an exception it was raised from, is a full disk (ENOSPC, a quota, or
    SQLite's "database or disk is full")."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _DISK_FULL_ERRNOS:
            return True
        if "database or disk is full" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False
