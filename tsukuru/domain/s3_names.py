"""S3's naming rules for buckets, keys and regions, checked before anything is stored.

Bucket names end up in host names and ARNs, so S3 restricts them (3 to 63 characters of
lowercase letters, digits, dots and hyphens, no IP addresses, no reserved prefixes or suffixes).
Keys are free-form UTF-8 of at most 1024 bytes; they never become file paths here, so no other
rule applies.
"""

from __future__ import annotations

import ipaddress
import re

from tsukuru.domain import s3_faults as faults

MAX_KEY_BYTES = 1024
DEFAULT_REGION = "us-east-1"

_BUCKET_CHARS = re.compile(r"^[a-z0-9.-]+$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# The legacy names S3 still accepts as location constraints.
_LEGACY_LOCATIONS = {"EU": "eu-west-1"}


def bucket_name_problem(name: str) -> str | None:
    """Why `name` is not a valid bucket name, or None when it is."""
    if not 3 <= len(name) <= 63:
        return "Bucket names must be between 3 (min) and 63 (max) characters long."
    if not _BUCKET_CHARS.match(name):
        return "Bucket names can consist only of lowercase letters, numbers, dots and hyphens."
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "Bucket names must begin and end with a letter or number."
    if ".." in name:
        return "Bucket names must not contain two adjacent periods."
    if _is_ip_address(name):
        return "Bucket names must not be formatted as an IP address."
    if name.startswith(_RESERVED_PREFIXES):
        return "Bucket names must not start with a reserved prefix."
    if name.endswith(_RESERVED_SUFFIXES):
        return "Bucket names must not end with a reserved suffix."
    return None


def check_bucket_name(name: str) -> None:
    problem = bucket_name_problem(name)
    if problem is not None:
        raise faults.invalid_bucket_name(name, problem)


def check_key(key: str) -> None:
    """A key must be non-empty UTF-8 of at most 1024 bytes."""
    if not key:
        raise faults.S3Invalid("A key must be specified", code="UserKeyMustBeSpecified")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise faults.invalid_argument(
            "Object keys must be valid UTF-8.", "key", key.encode("utf-8", "replace").decode()
        ) from None
    if size > MAX_KEY_BYTES:
        raise faults.key_too_long(size)


def bucket_region(location_constraint: str | None) -> str:
    """The region a CreateBucket with this LocationConstraint puts the bucket in."""
    if not location_constraint:
        return DEFAULT_REGION
    if location_constraint in _LEGACY_LOCATIONS:
        return _LEGACY_LOCATIONS[location_constraint]
    if location_constraint == DEFAULT_REGION or not _REGION.match(location_constraint):
        # S3 refuses an explicit us-east-1: that region is expressed by leaving it out.
        raise faults.S3Invalid(
            "The specified location-constraint is not valid",
            code="InvalidLocationConstraint",
            details={"LocationConstraint": location_constraint},
        )
    return location_constraint


def location_constraint(region: str) -> str | None:
    """What GetBucketLocation answers: nothing for us-east-1, the region name otherwise."""
    return None if region == DEFAULT_REGION else region


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True
