"""ListObjects (v1) and ListObjectsV2: the listing page in S3's response members.

botocore always asks for `encoding-type=url` and unquotes keys, prefixes, delimiters and
markers in the answer, so with that encoding every such value goes out percent-encoded (S3's
way of carrying keys that XML cannot). v1 pages are resumed by Marker (NextMarker is sent only
with a delimiter; otherwise clients continue from the last key), v2 pages by an opaque
continuation token.
"""

from __future__ import annotations

from typing import Any

from tsukuru.domain import s3_listing as listing
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.ports import StoredObject
from tsukuru.protocol.context import Handler, RequestContext
from tsukuru.services.s3_checksums import checksum_type_of
from tsukuru.services.s3_wire import owner, storage_class, url_encode


class ListingHandlers:
    def __init__(self, objects: ObjectService) -> None:
        self.objects = objects

    def handlers(self) -> dict[str, Handler]:
        return {"ListObjects": self.list_objects, "ListObjectsV2": self.list_objects_v2}

    def list_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        encoding = params.get("EncodingType")
        prefix, delimiter = params.get("Prefix") or "", params.get("Delimiter") or None
        max_keys = listing.check_max(params.get("MaxKeys"), "max-keys")
        marker = params.get("Marker") or ""
        page = self.objects.list_objects(
            params["Bucket"],
            prefix=prefix,
            delimiter=delimiter,
            after=marker or None,
            max_keys=max_keys,
        )
        owner_of = owner(self.objects.get_bucket(params["Bucket"]).account_id)
        output = _common(params["Bucket"], prefix, delimiter, max_keys, encoding, page)
        output["Marker"] = url_encode(marker, encoding)
        output["Contents"] = [_entry(obj, encoding, owner_of) for obj in page.objects]
        if page.is_truncated and delimiter:
            output["NextMarker"] = url_encode(page.last_entry, encoding)
        return _without_empty_lists(output)

    def list_objects_v2(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        encoding = params.get("EncodingType")
        prefix, delimiter = params.get("Prefix") or "", params.get("Delimiter") or None
        max_keys = listing.check_max(params.get("MaxKeys"), "max-keys")
        token = params.get("ContinuationToken")
        start_after = params.get("StartAfter")
        after = listing.read_continuation_token(token) if token else start_after
        page = self.objects.list_objects(
            params["Bucket"],
            prefix=prefix,
            delimiter=delimiter,
            after=after or None,
            max_keys=max_keys,
        )
        owner_of = None
        if params.get("FetchOwner"):
            owner_of = owner(self.objects.get_bucket(params["Bucket"]).account_id)
        output = _common(params["Bucket"], prefix, delimiter, max_keys, encoding, page)
        output["KeyCount"] = page.key_count
        output["Contents"] = [_entry(obj, encoding, owner_of) for obj in page.objects]
        if token:
            output["ContinuationToken"] = token
        if start_after:
            output["StartAfter"] = url_encode(start_after, encoding)
        if page.is_truncated and page.last_entry is not None:
            output["NextContinuationToken"] = listing.continuation_token(page.last_entry)
        return _without_empty_lists(output)


def _common(
    bucket: str,
    prefix: str,
    delimiter: str | None,
    max_keys: int,
    encoding: str | None,
    page: listing.ObjectPage,
) -> dict[str, Any]:
    output: dict[str, Any] = {
        "Name": bucket,
        "Prefix": url_encode(prefix, encoding),
        "MaxKeys": max_keys,
        "IsTruncated": page.is_truncated,
        "CommonPrefixes": [{"Prefix": url_encode(p, encoding)} for p in page.common_prefixes],
    }
    if delimiter:
        output["Delimiter"] = url_encode(delimiter, encoding)
    if encoding:
        output["EncodingType"] = encoding
    return output


def _entry(
    obj: StoredObject, encoding: str | None, owner_of: dict[str, str] | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Key": url_encode(obj.key, encoding),
        "LastModified": obj.last_modified,
        "ETag": obj.etag,
        "Size": obj.size,
        "StorageClass": storage_class(obj),
    }
    if obj.checksums:
        entry["ChecksumAlgorithm"] = sorted(obj.checksums)
        entry["ChecksumType"] = checksum_type_of(next(iter(obj.checksums.values())))
    if owner_of is not None:
        entry["Owner"] = owner_of
    return entry


def _without_empty_lists(output: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in output.items() if not (isinstance(v, list) and not v)}
