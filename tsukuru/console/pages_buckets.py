"""Buckets and objects: browse by folder, upload from the browser, download, delete.

Folders are S3's common prefixes under the `/` delimiter, listed by the same index query as
ListObjectsV2, so a bucket with a million keys under a few prefixes opens as fast as a small
one. Uploads are multipart forms (python-multipart spools large files to disk) stored with
`put_object`, the same write path as PutObject: bytes first, then the row.
"""

from __future__ import annotations

import posixpath
from functools import partial
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from tsukuru.console.actions import delete_bucket
from tsukuru.console.guard import csrf_protected
from tsukuru.console.kit import Kit
from tsukuru.domain.errors import DomainError
from tsukuru.domain.objects import ObjectWrite
from tsukuru.domain.s3_names import DEFAULT_REGION

PAGE_SIZE = 200


def crumbs(prefix: str) -> list[tuple[str, str]]:
    """(label, prefix) for each folder level of `prefix` (`a/b/` → (a, a/), (b, a/b/))."""
    parts = prefix.split("/")[:-1]
    return [(part, "/".join(parts[: i + 1]) + "/") for i, part in enumerate(parts)]


def _object_key(prefix: str, filename: str) -> str:
    """The key an uploaded file gets: its base name under the folder being viewed."""
    base = posixpath.basename(filename.replace("\\", "/")).strip()
    return prefix + base if base else ""


class BucketPages:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def routes(self) -> list[BaseRoute]:
        protected = csrf_protected
        return [
            Route("/buckets", self.buckets),
            Route("/buckets", protected(self.create), methods=["POST"]),
            Route("/buckets/{bucket}", self.browse),
            Route("/buckets/{bucket}/delete", protected(self.delete), methods=["POST"]),
            Route("/buckets/{bucket}/upload", protected(self.upload), methods=["POST"]),
            Route("/buckets/{bucket}/object", self.download),
            Route(
                "/buckets/{bucket}/object/delete", protected(self.delete_object), methods=["POST"]
            ),
        ]

    def buckets(self, request: Request) -> Response:
        found = self.kit.services.objects.list_buckets(self.kit.scope.account_id)
        return self.kit.page(request, "buckets.html", section="buckets", buckets=found)

    async def create(self, request: Request) -> Response:
        form = await request.form()
        name = str(form.get("name") or "").strip()
        scope = self.kit.scope
        location = None if scope.region == DEFAULT_REGION else scope.region
        objects = self.kit.services.objects
        try:
            await self.kit.in_thread(
                lambda: objects.create_bucket(name, account_id=scope.account_id, location=location)
            )
        except DomainError as exc:
            return self.kit.error(request, exc, "/buckets")
        return self.kit.see_other(f"/buckets/{name}", {"notice": "bucket_created", "name": name})

    def browse(self, request: Request) -> Response:
        bucket = request.path_params["bucket"]
        prefix = request.query_params.get("prefix", "")
        after = request.query_params.get("after") or None
        objects = self.kit.services.objects
        try:
            info = objects.get_bucket(bucket)
            page = objects.list_objects(
                bucket, prefix=prefix, delimiter="/", after=after, max_keys=PAGE_SIZE
            )
        except DomainError as exc:
            return self.kit.error(request, exc, "/buckets")
        folders = [(p[len(prefix) :], p) for p in page.common_prefixes]
        files: list[dict[str, Any]] = [
            {
                "name": obj.key[len(prefix) :],
                "key": obj.key,
                "size": obj.size,
                "modified": obj.last_modified,
                "content_type": obj.content_type,
            }
            for obj in page.objects
        ]
        return self.kit.page(
            request,
            "objects.html",
            section="buckets",
            bucket=info,
            prefix=prefix,
            crumbs=crumbs(prefix),
            folders=folders,
            files=files,
            next_after=page.last_entry if page.is_truncated else None,
        )

    async def delete(self, request: Request) -> Response:
        bucket = request.path_params["bucket"]
        try:
            freed = await self.kit.in_thread(lambda: delete_bucket(self.kit.services, bucket))
        except DomainError as exc:
            return self.kit.error(request, exc, f"/buckets/{bucket}")
        return self.kit.see_other(
            "/buckets",
            {"notice": "bucket_deleted", "name": bucket, "count": str(freed.objects)},
        )

    async def upload(self, request: Request) -> Response:
        bucket = request.path_params["bucket"]
        form = await request.form()
        prefix = str(form.get("prefix") or "")
        uploads = [item for item in form.getlist("files") if isinstance(item, UploadFile)]
        stored: list[str] = []
        objects = self.kit.services.objects
        back = f"/buckets/{bucket}?prefix={quote(prefix)}"
        for item in uploads:
            key = _object_key(prefix, item.filename or "")
            if not key:
                continue
            write = ObjectWrite(content_type=item.content_type or None)
            try:
                await self.kit.in_thread(
                    partial(objects.put_object, bucket, key, item.file, write=write)
                )
            except DomainError as exc:
                return self.kit.error(request, exc, back)
            stored.append(key)
        if not stored:
            t = self.kit.renderer.translator(request)
            return self.kit.error(request, t("objects.no_file"), back)
        return self.kit.see_other(
            f"/buckets/{bucket}",
            {"prefix": prefix, "notice": "uploaded", "count": str(len(stored)), "name": stored[0]},
        )

    def download(self, request: Request) -> Response:
        bucket = request.path_params["bucket"]
        key = request.query_params.get("key", "")
        objects = self.kit.services.objects
        try:
            read = objects.read_object(bucket, key)
        except DomainError as exc:
            return self.kit.error(request, exc, f"/buckets/{bucket}")
        filename = posixpath.basename(key) or "object"
        return StreamingResponse(
            objects.stream(read),
            media_type=read.obj.content_type or "application/octet-stream",
            headers={
                "content-length": str(read.length),
                "content-disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            },
        )

    async def delete_object(self, request: Request) -> Response:
        bucket = request.path_params["bucket"]
        form = await request.form()
        key = str(form.get("key") or "")
        prefix = posixpath.dirname(key) + "/" if "/" in key else ""
        objects = self.kit.services.objects
        try:
            await self.kit.in_thread(lambda: objects.delete_object(bucket, key))
        except DomainError as exc:
            return self.kit.error(request, exc, f"/buckets/{bucket}")
        return self.kit.see_other(
            f"/buckets/{bucket}", {"prefix": prefix, "notice": "object_deleted", "name": key}
        )
