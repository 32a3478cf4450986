"""S3's refusals, worded and coded as S3 words them, with the extra fields its errors carry.

S3 error documents carry more than a code and a message (`<Key>` for NoSuchKey, `<Condition>`
for PreconditionFailed, `<ActualObjectSize>` for InvalidRange, ...). These subclasses of the
domain error tree keep those details next to the code, so the S3 adapter can write them out
without knowing which use case refused.
"""

from __future__ import annotations

from tsukuru.domain.errors import Conflict, Invalid, LimitExceeded, NotFound

MIN_PART_SIZE = 5 * 1024 * 1024


class S3NotFound(NotFound):
    def __init__(self, message: str, *, code: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code)
        self.details = details or {}


class S3Invalid(Invalid):
    def __init__(self, message: str, *, code: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code)
        self.details = details or {}


class S3Conflict(Conflict):
    def __init__(self, message: str, *, code: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code)
        self.details = details or {}


class S3TooLarge(LimitExceeded):
    def __init__(self, message: str, *, code: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code)
        self.details = details or {}


class NotModified(S3Conflict):
    """Not a failure, but how S3 answers (304) a conditional GET whose copy is current.

    `details` carry the ETag and Last-Modified S3 sends along with the 304."""

    def __init__(self, etag: str = "", last_modified: str = "") -> None:
        details = {"ETag": etag, "Last-Modified": last_modified} if etag else None
        super().__init__("Not Modified", code="NotModified", details=details)


def no_such_bucket(bucket: str) -> S3NotFound:
    return S3NotFound(
        "The specified bucket does not exist", code="NoSuchBucket", details={"BucketName": bucket}
    )


def no_such_key(key: str) -> S3NotFound:
    return S3NotFound("The specified key does not exist.", code="NoSuchKey", details={"Key": key})


def no_such_upload(upload_id: str) -> S3NotFound:
    return S3NotFound(
        "The specified upload does not exist. The upload ID may be invalid, or the upload may "
        "have been aborted or completed.",
        code="NoSuchUpload",
        details={"UploadId": upload_id},
    )


def invalid_bucket_name(name: str, why: str) -> S3Invalid:
    return S3Invalid(
        f"The specified bucket is not valid. {why}",
        code="InvalidBucketName",
        details={"BucketName": name},
    )


def key_too_long(size: int) -> S3Invalid:
    return S3Invalid(
        "Your key is too long",
        code="KeyTooLongError",
        details={"Size": str(size), "MaxSizeAllowed": "1024"},
    )


def invalid_argument(message: str, name: str, value: str) -> S3Invalid:
    return S3Invalid(
        message, code="InvalidArgument", details={"ArgumentName": name, "ArgumentValue": value}
    )


def invalid_request(message: str) -> S3Invalid:
    return S3Invalid(message, code="InvalidRequest")


def self_copy() -> S3Invalid:
    return invalid_request(
        "This copy request is illegal because it is trying to copy an object to itself without "
        "changing the object's metadata, storage class, website redirect location or "
        "encryption attributes."
    )


def invalid_digest(value: str) -> S3Invalid:
    return S3Invalid(
        "The Content-MD5 you specified was invalid.",
        code="InvalidDigest",
        details={"Content-MD5": value},
    )


def bad_digest(expected_hex: str, calculated_hex: str) -> S3Invalid:
    return S3Invalid(
        "The Content-MD5 you specified did not match what we received.",
        code="BadDigest",
        details={"ExpectedDigest": expected_hex, "CalculatedDigest": calculated_hex},
    )


def invalid_range(size: int, requested: str) -> S3Invalid:
    return S3Invalid(
        "The requested range is not satisfiable",
        code="InvalidRange",
        details={"RangeRequested": requested, "ActualObjectSize": str(size)},
    )


def precondition_failed(condition: str) -> S3Conflict:
    return S3Conflict(
        "At least one of the pre-conditions you specified did not hold",
        code="PreconditionFailed",
        details={"Condition": condition},
    )


def invalid_part(upload_id: str, part_number: int, etag: str) -> S3Invalid:
    return S3Invalid(
        "One or more of the specified parts could not be found.  The part may not have been "
        "uploaded, or the specified entity tag may not have matched the part's entity tag.",
        code="InvalidPart",
        details={"UploadId": upload_id, "PartNumber": str(part_number), "ETag": etag},
    )


def invalid_part_order(upload_id: str) -> S3Invalid:
    return S3Invalid(
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
        code="InvalidPartOrder",
        details={"UploadId": upload_id},
    )


def entity_too_small(part_number: int, size: int, etag: str) -> S3Invalid:
    return S3Invalid(
        "Your proposed upload is smaller than the minimum allowed object size.",
        code="EntityTooSmall",
        details={
            "ProposedSize": str(size),
            "MinSizeAllowed": str(MIN_PART_SIZE),
            "PartNumber": str(part_number),
            "ETag": etag,
        },
    )


def malformed_xml() -> S3Invalid:
    return S3Invalid(
        "The XML you provided was not well-formed or did not validate against our published schema",
        code="MalformedXML",
    )


def metadata_too_large(size: int, limit: int) -> S3TooLarge:
    return S3TooLarge(
        f"Your metadata headers exceed the maximum allowed metadata size of {limit} bytes",
        code="MetadataTooLarge",
        details={"Size": str(size), "MaxSizeAllowed": str(limit)},
    )
