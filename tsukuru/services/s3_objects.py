"""S3 object operations: PutObject, GetObject, HeadObject, CopyObject and the deletes.

Each handler turns botocore's members into an ObjectService call and the result back into
members. GetObject answers with a `FilePayload` when the blob store keeps the bytes in a local
file and they are big, so the gateway streams them from disk instead of reading them into
memory (small ones are read at once, which is cheaper than streaming); with a
Range it answers 206 and the slice. Checksums come back only for whole-object reads with
`ChecksumMode=ENABLED` (botocore validates them; a range has no whole-object checksum).
"""

from __future__ import annotations

from typing import Any

from tsukuru.domain.errors import DomainError
from tsukuru.domain.objects import ObjectRead, ObjectService, ObjectWrite
from tsukuru.protocol.context import Handler, HandlerResult, Reply, RequestContext
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.wire import FilePayload
from tsukuru.services.s3_checksums import ChecksumVerifier, normalize_algorithm, output_members
from tsukuru.services.s3_errors import s3_error
from tsukuru.services.s3_wire import (
    RESPONSE_OVERRIDES,
    copy_source,
    header_members,
    object_write,
    read_conditions,
    stored_headers,
)

# Bodies up to this size are read right here, in the handler's worker thread: streaming a small
# file from the gateway would cost more thread hand-offs than the read itself.
INLINE_BODY_LIMIT = 256 * 1024
_DIRECTIVES = ("COPY", "REPLACE")
# Headers a COPY-directive CopyObject may still set on the new object.
_COPY_OVERRIDABLE = ("StorageClass", "WebsiteRedirectLocation")


class ObjectHandlers:
    def __init__(self, objects: ObjectService) -> None:
        self.objects = objects

    def handlers(self) -> dict[str, Handler]:
        return {
            "PutObject": self.put_object,
            "GetObject": self.get_object,
            "HeadObject": self.head_object,
            "DeleteObject": self.delete_object,
            "DeleteObjects": self.delete_objects,
            "CopyObject": self.copy_object,
            "GetObjectTagging": self.get_object_tagging,
        }

    def put_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.objects.put_object(
            params["Bucket"],
            params["Key"],
            params.get("Body") or b"",
            write=object_write(params),
            content_md5=params.get("ContentMD5"),
            check=ChecksumVerifier.from_params(params),
            if_match=params.get("IfMatch"),
            if_none_match=params.get("IfNoneMatch"),
        )
        return {"ETag": stored.etag, **output_members(stored.checksums)}

    def get_object(self, ctx: RequestContext, params: dict[str, Any]) -> HandlerResult:
        read = self._read(params)
        output = self._describe(read, params)
        path = None if read.length <= INLINE_BODY_LIMIT else self.objects.local_path(read.obj)
        if path is not None:
            output["Body"] = FilePayload(path, read.start, read.length)
        else:
            output["Body"] = b"".join(self.objects.stream(read)) if read.length else b""
        return self._reply(read, output)

    def head_object(self, ctx: RequestContext, params: dict[str, Any]) -> HandlerResult:
        read = self._read(params)
        return self._reply(read, self._describe(read, params))

    def delete_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.objects.delete_object(params["Bucket"], params["Key"], if_match=params.get("IfMatch"))
        return {}

    def delete_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        request = params["Delete"]
        keys = [entry["Key"] for entry in request.get("Objects") or []]
        outcomes = self.objects.delete_objects(params["Bucket"], keys)
        deleted = [{"Key": o.key} for o in outcomes if o.error is None]
        errors = [_delete_error(o.key, o.error) for o in outcomes if o.error is not None]
        output: dict[str, Any] = {}
        if deleted and not request.get("Quiet"):
            output["Deleted"] = deleted
        if errors:
            output["Errors"] = errors
        return output

    def copy_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        source_bucket, source_key = copy_source(params["CopySource"])
        directive = (params.get("MetadataDirective") or "COPY").upper()
        if directive not in _DIRECTIVES:
            raise ServiceError(
                "InvalidArgument",
                "Unknown metadata directive.",
                extra={"ArgumentName": "x-amz-metadata-directive", "ArgumentValue": directive},
            )
        replace: ObjectWrite | None = None
        overrides: dict[str, str] = {}
        if directive == "REPLACE":
            replace = object_write(params)
        else:
            chosen = {m: params[m] for m in _COPY_OVERRIDABLE if params.get(m) is not None}
            overrides = stored_headers(chosen)
            if "StorageClass" in chosen and "x-amz-storage-class" not in overrides:
                overrides["x-amz-storage-class"] = "STANDARD"
        algorithm = normalize_algorithm(params.get("ChecksumAlgorithm"))
        stored = self.objects.copy_object(
            source_bucket,
            source_key,
            params["Bucket"],
            params["Key"],
            source_conditions=read_conditions(params, prefix="CopySource"),
            replace=replace,
            header_overrides=overrides,
            check=ChecksumVerifier({}, [algorithm]) if algorithm else None,
        )
        result = {
            "ETag": stored.etag,
            "LastModified": stored.last_modified,
            **output_members(stored.checksums),
        }
        return {"CopyObjectResult": result}

    def get_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.objects.get_object_row(params["Bucket"], params["Key"])
        return {"TagSet": []}

    # ------------------------------------------------------------------ helpers

    def _read(self, params: dict[str, Any]) -> ObjectRead:
        return self.objects.read_object(
            params["Bucket"],
            params["Key"],
            conditions=read_conditions(params),
            range_header=params.get("Range"),
            part_number=params.get("PartNumber"),
        )

    @staticmethod
    def _describe(read: ObjectRead, params: dict[str, Any]) -> dict[str, Any]:
        obj = read.obj
        output: dict[str, Any] = {
            "AcceptRanges": "bytes",
            "LastModified": obj.last_modified,
            "ContentLength": read.length,
            "ETag": obj.etag,
            "ContentType": obj.content_type,
            **header_members(obj),
        }
        if obj.metadata:
            output["Metadata"] = dict(obj.metadata)
        if obj.parts_count is not None:
            output["PartsCount"] = obj.parts_count
        if read.range is not None:
            output["ContentRange"] = read.range.content_range
        elif params.get("ChecksumMode") == "ENABLED":
            output.update(output_members(obj.checksums))
        for override, member in RESPONSE_OVERRIDES.items():
            value = params.get(override)
            if value is not None:
                output[member] = value
        return output

    @staticmethod
    def _reply(read: ObjectRead, output: dict[str, Any]) -> HandlerResult:
        if read.range is not None:
            return Reply(output, status=206)
        return output


def _delete_error(key: str, error: DomainError) -> dict[str, str]:
    translated = s3_error(error)
    return {"Key": key, "Code": translated.code, "Message": translated.message}
