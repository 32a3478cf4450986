"""S3 multipart operations: how s3transfer uploads (and copies) objects of 8 MiB and more.

The upload's checksum algorithm, chosen at CreateMultipartUpload, is computed for every part
even when a client omits it, so completion can always combine part checksums into the
object's (COMPOSITE or FULL_OBJECT, as the upload said).
"""

from __future__ import annotations

from typing import Any

from tsukuru.domain import s3_listing as listing
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.ports import Part, Upload
from tsukuru.domain.s3_multipart import CompletedPart
from tsukuru.protocol.context import Handler, RequestContext
from tsukuru.services.s3_checksums import (
    CHECKSUM_MEMBERS,
    ChecksumVerifier,
    check_upload_type,
    combiner,
    default_type,
    normalize_algorithm,
    output_members,
)
from tsukuru.services.s3_wire import (
    copy_source,
    object_url,
    object_write,
    owner,
    read_conditions,
    url_encode,
)


class MultipartHandlers:
    def __init__(self, objects: ObjectService) -> None:
        self.objects = objects
        self.multipart = objects.multipart

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateMultipartUpload": self.create,
            "UploadPart": self.upload_part,
            "UploadPartCopy": self.upload_part_copy,
            "CompleteMultipartUpload": self.complete,
            "AbortMultipartUpload": self.abort,
            "ListParts": self.list_parts,
            "ListMultipartUploads": self.list_uploads,
        }

    def create(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        algorithm = normalize_algorithm(params.get("ChecksumAlgorithm"))
        kind = check_upload_type(algorithm, params.get("ChecksumType"))
        write = object_write(params)
        upload = self.multipart.create(
            params["Bucket"],
            params["Key"],
            content_type=write.content_type,
            metadata=write.metadata,
            headers=write.headers,
            checksum_algorithm=algorithm,
            checksum_type=kind,
        )
        output: dict[str, Any] = {
            "Bucket": upload.bucket,
            "Key": upload.key,
            "UploadId": upload.upload_id,
        }
        if algorithm:
            output["ChecksumAlgorithm"] = algorithm
            output["ChecksumType"] = kind
        return output

    def upload_part(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        upload = self.multipart.get(params["Bucket"], params["Key"], params["UploadId"])
        part = self.multipart.upload_part(
            params["Bucket"],
            params["Key"],
            params["UploadId"],
            params["PartNumber"],
            params.get("Body") or b"",
            content_md5=params.get("ContentMD5"),
            check=ChecksumVerifier.from_params(params, _upload_algorithms(upload)),
        )
        return {"ETag": part.etag, **_part_checksums(part)}

    def upload_part_copy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        source_bucket, source_key = copy_source(params["CopySource"])
        source = self.objects.get_object_row(source_bucket, source_key)
        upload = self.multipart.get(params["Bucket"], params["Key"], params["UploadId"])
        algorithms = _upload_algorithms(upload)
        part = self.multipart.upload_part_copy(
            params["Bucket"],
            params["Key"],
            params["UploadId"],
            params["PartNumber"],
            source,
            source_range=params.get("CopySourceRange"),
            source_conditions=read_conditions(params, prefix="CopySource"),
            check=ChecksumVerifier({}, algorithms) if algorithms else None,
        )
        result = {"ETag": part.etag, "LastModified": part.last_modified, **_part_checksums(part)}
        return {"CopyPartResult": result}

    def complete(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        requested = (params.get("MultipartUpload") or {}).get("Parts") or []
        parts = [
            CompletedPart(
                part_number=entry.get("PartNumber", 0),
                etag=entry.get("ETag", ""),
                checksums={
                    name: entry[member]
                    for member, name in CHECKSUM_MEMBERS.items()
                    if entry.get(member) is not None
                },
            )
            for entry in requested
        ]
        obj = self.multipart.complete(
            params["Bucket"],
            params["Key"],
            params["UploadId"],
            parts,
            combine_checksums=combiner(params),
            if_match=params.get("IfMatch"),
            if_none_match=params.get("IfNoneMatch"),
        )
        host = ctx.request.headers.get("Host")
        return {
            "Location": object_url(host, obj.bucket, obj.key),
            "Bucket": obj.bucket,
            "Key": obj.key,
            "ETag": obj.etag,
            **output_members(obj.checksums),
        }

    def abort(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.multipart.abort(params["Bucket"], params["Key"], params["UploadId"])
        return {}

    def list_parts(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        marker = params.get("PartNumberMarker") or 0
        max_parts = listing.check_max(params.get("MaxParts"), "max-parts")
        page = self.multipart.list_parts(
            params["Bucket"],
            params["Key"],
            params["UploadId"],
            after_part=marker,
            max_parts=max_parts,
        )
        upload_owner = owner(ctx.account_id)
        output: dict[str, Any] = {
            "Bucket": page.upload.bucket,
            "Key": page.upload.key,
            "UploadId": page.upload.upload_id,
            "PartNumberMarker": marker,
            "MaxParts": max_parts,
            "IsTruncated": page.is_truncated,
            "Initiator": upload_owner,
            "Owner": upload_owner,
            "StorageClass": "STANDARD",
            **_upload_checksum_members(page.upload),
        }
        if page.next_marker is not None:
            output["NextPartNumberMarker"] = page.next_marker
        if page.parts:
            output["Parts"] = [
                {
                    "PartNumber": part.part_number,
                    "LastModified": part.last_modified,
                    "ETag": part.etag,
                    "Size": part.size,
                    **_part_checksums(part),
                }
                for part in page.parts
            ]
        return output

    def list_uploads(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        encoding = params.get("EncodingType")
        prefix, delimiter = params.get("Prefix") or "", params.get("Delimiter") or None
        max_uploads = listing.check_max(params.get("MaxUploads"), "max-uploads")
        page = self.multipart.list_uploads(
            params["Bucket"],
            prefix=prefix,
            delimiter=delimiter,
            key_marker=params.get("KeyMarker") or None,
            upload_id_marker=params.get("UploadIdMarker") or None,
            max_uploads=max_uploads,
        )
        upload_owner = owner(ctx.account_id)
        output: dict[str, Any] = {
            "Bucket": params["Bucket"],
            "KeyMarker": url_encode(params.get("KeyMarker") or "", encoding),
            "UploadIdMarker": params.get("UploadIdMarker") or "",
            "Prefix": url_encode(prefix, encoding),
            "MaxUploads": max_uploads,
            "IsTruncated": page.is_truncated,
        }
        if page.next_key_marker is not None:
            output["NextKeyMarker"] = url_encode(page.next_key_marker, encoding)
        if page.next_upload_id_marker is not None:
            output["NextUploadIdMarker"] = page.next_upload_id_marker
        if delimiter:
            output["Delimiter"] = url_encode(delimiter, encoding)
        if encoding:
            output["EncodingType"] = encoding
        if page.uploads:
            output["Uploads"] = [
                {
                    "UploadId": upload.upload_id,
                    "Key": url_encode(upload.key, encoding),
                    "Initiated": upload.initiated,
                    "StorageClass": "STANDARD",
                    "Owner": upload_owner,
                    "Initiator": upload_owner,
                    **_upload_checksum_members(upload),
                }
                for upload in page.uploads
            ]
        if page.common_prefixes:
            output["CommonPrefixes"] = [
                {"Prefix": url_encode(p, encoding)} for p in page.common_prefixes
            ]
        return output


def _upload_algorithms(upload: Upload) -> list[str]:
    return [upload.checksum_algorithm] if upload.checksum_algorithm else []


def _upload_checksum_members(upload: Upload) -> dict[str, str]:
    algorithm = upload.checksum_algorithm
    if not algorithm:
        return {}
    kind = upload.headers.get("x-amz-checksum-type") or default_type(algorithm)
    return {"ChecksumAlgorithm": algorithm, "ChecksumType": kind}


def _part_checksums(part: Part) -> dict[str, str]:
    return {f"Checksum{name}": value for name, value in part.checksums.items()}
