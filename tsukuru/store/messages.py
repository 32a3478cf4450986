"""The error texts both stores raise, worded as the AWS services word them.

Kept in one place so the in-memory and the SQL stores refuse in exactly the same words and
codes, and so the wire adapters can pass the message through unchanged.
"""

from __future__ import annotations

from tsukuru.domain.errors import AlreadyExists, NotFound

NO_SUCH_BUCKET = "The specified bucket does not exist"
NO_SUCH_KEY = "The specified key does not exist."
NO_SUCH_UPLOAD = (
    "The specified upload does not exist. The upload ID may be invalid, "
    "or the upload may have been aborted or completed."
)
BUCKET_NOT_EMPTY = "The bucket you tried to delete is not empty"
BUCKET_OWNED_BY_YOU = (
    "Your previous request to create the named bucket succeeded and you already own it."
)
BUCKET_EXISTS = (
    "The requested bucket name is not available. The bucket namespace is shared by all users "
    "of the system. Please select a different name and try again."
)
LOG_GROUP_MISSING = "The specified log group does not exist."
LOG_STREAM_MISSING = "The specified log stream does not exist."
LOG_GROUP_EXISTS = "The specified log group already exists"
LOG_STREAM_EXISTS = "The specified log stream already exists"


def bucket_taken(name: str, owner_account: str, requesting_account: str) -> AlreadyExists:
    """S3 answers differently when the caller already owns the bucket than when another does."""
    if owner_account == requesting_account:
        return AlreadyExists(BUCKET_OWNED_BY_YOU, code="BucketAlreadyOwnedByYou")
    return AlreadyExists(BUCKET_EXISTS, code="BucketAlreadyExists")


def log_group_missing() -> NotFound:
    return NotFound(LOG_GROUP_MISSING, code="ResourceNotFoundException")


def log_stream_missing() -> NotFound:
    return NotFound(LOG_STREAM_MISSING, code="ResourceNotFoundException")


def log_group_exists() -> AlreadyExists:
    return AlreadyExists(LOG_GROUP_EXISTS, code="ResourceAlreadyExistsException")


def log_stream_exists() -> AlreadyExists:
    return AlreadyExists(LOG_STREAM_EXISTS, code="ResourceAlreadyExistsException")
