"""AWS-style errors raised by the wire layer and by the service adapters.

`ServiceError` carries everything a protocol serializer needs to write the error in its
protocol's shape: the code AWS clients match on, a human message, the HTTP status and whether
the caller (not the server) is at fault. Codes the botocore spec does not model (for example
SageMaker's `ValidationException`) are allowed on purpose.
"""

from __future__ import annotations

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
