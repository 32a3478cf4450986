"""Conditional requests and byte ranges, with S3's precedence rules.

Clients use If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since to avoid
re-downloading unchanged objects or overwriting someone else's write, and `Range` to fetch a
slice (s3transfer downloads big objects in ranged pieces). S3 follows RFC 7232 with one twist
it documents: a true If-Match overrides a false If-Unmodified-Since, and a false If-None-Match
(i.e. the ETag matches) gives 304 even when If-Modified-Since says modified. HTTP dates have
whole seconds, so times compare at second precision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from tsukuru.domain import s3_faults as faults
from tsukuru.domain.ports import StoredObject

_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class Preconditions:
    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: datetime | None = None
    if_unmodified_since: datetime | None = None

    def __bool__(self) -> bool:
        return any(
            value is not None
            for value in (
                self.if_match,
                self.if_none_match,
                self.if_modified_since,
                self.if_unmodified_since,
            )
        )


@dataclass(frozen=True)
class ByteRange:
    """A satisfiable single range of an object of `size` bytes."""

    start: int
    length: int
    size: int

    @property
    def end(self) -> int:
        return self.start + self.length - 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


def bare_etag(etag: str) -> str:
    """An ETag without quotes or a weak-validator prefix, for comparison."""
    value = etag.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


def etag_matches(header: str, etag: str) -> bool:
    """Whether an If-Match / If-None-Match list (`"a", "b"` or `*`) names `etag`."""
    wanted = bare_etag(etag)
    for listed in header.split(","):
        candidate = listed.strip()
        if candidate == "*" or (candidate and bare_etag(candidate) == wanted):
            return True
    return False


def check_read(obj: StoredObject, conditions: Preconditions, now: datetime) -> None:
    """Raise PreconditionFailed (412) or NotModified (304) as S3 would for a GET or HEAD."""
    _check_must_hold(obj, conditions)
    modified = _seconds(obj.last_modified)
    if conditions.if_none_match is not None:
        if etag_matches(conditions.if_none_match, obj.etag):
            raise _not_modified(obj)
    elif conditions.if_modified_since is not None:
        since = conditions.if_modified_since
        # A date in the future is not a valid validator and is ignored (RFC 7232, 3.3).
        if _seconds(since) <= _seconds(now) and modified <= _seconds(since):
            raise _not_modified(obj)


def check_copy_source(obj: StoredObject, conditions: Preconditions) -> None:
    """The x-amz-copy-source-if-* headers: every failed condition is a 412."""
    _check_must_hold(obj, conditions)
    modified = _seconds(obj.last_modified)
    if conditions.if_none_match is not None:
        if etag_matches(conditions.if_none_match, obj.etag):
            raise faults.precondition_failed("x-amz-copy-source-If-None-Match")
    elif conditions.if_modified_since is not None and modified <= _seconds(
        conditions.if_modified_since
    ):
        raise faults.precondition_failed("x-amz-copy-source-If-Modified-Since")


def check_write(
    key: str, existing: StoredObject | None, if_match: str | None, if_none_match: str | None
) -> None:
    """Conditional writes: If-None-Match `*` refuses to overwrite, If-Match demands a version."""
    if (
        if_none_match is not None
        and existing is not None
        and etag_matches(if_none_match, existing.etag)
    ):
        raise faults.precondition_failed("If-None-Match")
    if if_match is not None:
        if existing is None:
            raise faults.no_such_key(key)
        if not etag_matches(if_match, existing.etag):
            raise faults.precondition_failed("If-Match")


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single byte range a Range header asks for, or None to send the whole object.

    Syntactically invalid or multi-range headers are ignored, as HTTP allows and S3 does; a
    well-formed range that starts past the end is InvalidRange (416).
    """
    if not header:
        return None
    match = _SINGLE_RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise faults.invalid_range(size, header)
        length = min(suffix, size)
        return ByteRange(start=size - length, length=length, size=size)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise faults.invalid_range(size, header)
    end = min(end, size - 1)
    return ByteRange(start=start, length=end - start + 1, size=size)


def part_range(obj: StoredObject, part_number: int) -> ByteRange | None:
    """GetObject's partNumber. Part boundaries of multipart objects are not kept, so only a
    single-part object's part 1 (the whole object) can be served."""
    if not 1 <= part_number <= 10000:
        raise faults.invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            str(part_number),
        )
    if obj.parts_count is not None:
        raise faults.invalid_request(
            "Reading a multipart object by part number is not supported; use a Range."
        )
    if part_number != 1:
        raise faults.S3Invalid(
            "The requested partnumber is not satisfiable", code="InvalidPartNumber"
        )
    return None


def _check_must_hold(obj: StoredObject, conditions: Preconditions) -> None:
    if conditions.if_match is not None:
        if not etag_matches(conditions.if_match, obj.etag):
            raise faults.precondition_failed("If-Match")
    elif conditions.if_unmodified_since is not None and _seconds(obj.last_modified) > _seconds(
        conditions.if_unmodified_since
    ):
        raise faults.precondition_failed("If-Unmodified-Since")


def _seconds(moment: datetime) -> datetime:
    """Whole seconds, timezone-aware (a naive time from a client is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.replace(microsecond=0)


def _not_modified(obj: StoredObject) -> faults.NotModified:
    http_date = format_datetime(_seconds(obj.last_modified).astimezone(UTC), usegmt=True)
    return faults.NotModified(obj.etag, http_date)
