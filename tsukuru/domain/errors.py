"""The few ways a use case can refuse: the documented tree every adapter maps to wire errors.

    DomainError
    ├── NotFound        the named resource does not exist
    ├── AlreadyExists   a resource with that name exists already
    ├── Invalid         the caller's input breaks a rule (what AWS calls a validation error)
    ├── Conflict        the resource is in a state that forbids the action
    └── LimitExceeded   a quota or size limit was hit

`code` optionally names the exact AWS error code a surface uses for this case (for example S3's
`NoSuchKey` or `BucketNotEmpty`); adapters fall back to their own default for the class.
"""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NotFound(DomainError):
    pass


class AlreadyExists(DomainError):
    pass


class Invalid(DomainError):
    pass


class Conflict(DomainError):
    pass


class LimitExceeded(DomainError):
    pass
