"""Small translations between S3's botocore members and the object domain, shared by handlers.

Stored objects keep their representation headers under HTTP header names (`Cache-Control`,
`x-amz-storage-class`, ...) so that what is kept reads the way S3 documents it; requests and
responses use botocore member names (`CacheControl`, `StorageClass`). This module converts
between the two, builds owners and URL-encoded listing values, and reads `x-amz-copy-source`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import quote, unquote

from tsukuru.domain.objects import ObjectWrite
from tsukuru.domain.ports import StoredObject
from tsukuru.domain.s3_conditions import Preconditions
from tsukuru.protocol.errors import ServiceError

# member name -> header name under which the object keeps it
STORED_HEADERS = {
    "CacheControl": "Cache-Control",
    "ContentDisposition": "Content-Disposition",
    "ContentEncoding": "Content-Encoding",
    "ContentLanguage": "Content-Language",
    "Expires": "Expires",
    "WebsiteRedirectLocation": "x-amz-website-redirect-location",
    "StorageClass": "x-amz-storage-class",
}
# Response-* query parameters of GetObject and the members they override.
RESPONSE_OVERRIDES = {
    "ResponseCacheControl": "CacheControl",
    "ResponseContentDisposition": "ContentDisposition",
    "ResponseContentEncoding": "ContentEncoding",
    "ResponseContentLanguage": "ContentLanguage",
    "ResponseContentType": "ContentType",
    "ResponseExpires": "Expires",
}
STANDARD = "STANDARD"


def owner(account_id: str) -> dict[str, str]:
    """An S3 owner: a 64-hex canonical id derived from the account, and a display name."""
    canonical = hashlib.sha256(f"tsukuru:{account_id}".encode()).hexdigest()
    return {"ID": canonical, "DisplayName": account_id}


def object_write(params: Mapping[str, Any]) -> ObjectWrite:
    """The descriptive fields of a PutObject / CreateMultipartUpload / CopyObject request."""
    return ObjectWrite(
        content_type=params.get("ContentType"),
        # header names are case-insensitive; S3 keeps (and answers with) lowercase names
        metadata={name.lower(): value for name, value in (params.get("Metadata") or {}).items()},
        headers=stored_headers(params),
    )


def stored_headers(params: Mapping[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for member, header in STORED_HEADERS.items():
        value = params.get(member)
        if value is None or value == "":
            continue
        if member == "Expires" and isinstance(value, datetime):
            value = http_date(value)
        if member == "ContentEncoding":
            value = _without_aws_chunked(str(value))
            if not value:
                continue
        if member == "StorageClass" and value == STANDARD:
            continue
        headers[header] = str(value)
    return headers


def header_members(obj: StoredObject) -> dict[str, Any]:
    """The object's stored headers as GetObject/HeadObject response members."""
    members: dict[str, Any] = {}
    for member, header in STORED_HEADERS.items():
        value = obj.headers.get(header)
        if value is None:
            continue
        if member == "Expires":
            parsed = _parse_http_date(value)
            if parsed is None:
                continue
            members[member] = parsed
        else:
            members[member] = value
    return members


def storage_class(obj: StoredObject) -> str:
    return obj.headers.get("x-amz-storage-class", STANDARD)


def http_date(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def read_conditions(params: Mapping[str, Any], prefix: str = "") -> Preconditions:
    """If-Match & co. from `IfMatch`... members (or `CopySourceIfMatch`... with a prefix)."""
    return Preconditions(
        if_match=params.get(f"{prefix}IfMatch"),
        if_none_match=params.get(f"{prefix}IfNoneMatch"),
        if_modified_since=params.get(f"{prefix}IfModifiedSince"),
        if_unmodified_since=params.get(f"{prefix}IfUnmodifiedSince"),
    )


def copy_source(value: str) -> tuple[str, str]:
    """(bucket, key) of an `x-amz-copy-source` value: `bucket/key` or `/bucket/key`, the key
    URL-encoded, optionally followed by `?versionId=...` (only the null version exists here)."""
    text, _, query = value.partition("?")
    bucket, _, key = text.lstrip("/").partition("/")
    if not bucket or not key:
        raise ServiceError(
            "InvalidArgument",
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            extra={"ArgumentName": "x-amz-copy-source", "ArgumentValue": value},
        )
    if query:
        fields = dict(pair.partition("=")[0::2] for pair in query.split("&"))
        version = fields.get("versionId")
        if version not in (None, "null"):
            raise ServiceError(
                "NoSuchVersion",
                "The specified version does not exist.",
                status=404,
                extra={"Key": unquote(key), "VersionId": str(version)},
            )
    return bucket, unquote(key)


def url_encode(value: str | None, encoding_type: str | None) -> str | None:
    """A listing value as S3 sends it with `encoding-type=url` (botocore unquotes it)."""
    if value is None or encoding_type != "url":
        return value
    return quote(value, safe="/")


def object_url(ctx_host: str | None, bucket: str, key: str) -> str:
    """The Location CompleteMultipartUpload reports (path-style, as clients address us)."""
    host = ctx_host or "localhost"
    return f"http://{host}/{bucket}/{quote(key, safe='/')}"


def _without_aws_chunked(value: str) -> str:
    tokens = [t.strip() for t in value.split(",") if t.strip()]
    return ", ".join(t for t in tokens if t.lower() != "aws-chunked")


def _parse_http_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
